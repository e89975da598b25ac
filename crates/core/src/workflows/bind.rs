//! Binding a project to a MiniApp ("Select Space & Bind MiniApp").

use serde::Serialize;

use super::catalog::{choose, pick_named};
use crate::binding::{Binding, NamedRef};
use crate::context::Context;
use crate::error::CoreError;
use crate::events::{Prompter, Reporter};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BindResult {
    pub binding: Binding,
    /// False when the project was bound already and the user kept that binding.
    pub changed: bool,
    pub file: String,
}

pub async fn bind(
    ctx: &Context,
    space: Option<&str>,
    app: Option<&str>,
    prompter: &dyn Prompter,
    reporter: &dyn Reporter,
) -> Result<BindResult, CoreError> {
    let file = Binding::path(&ctx.project).display().to_string();
    let existing = ctx.binding()?;
    if let Some(existing) = &existing {
        let question = format!(
            "This project is bound to \"{}\" in \"{}\". Rebind it to another MiniApp?",
            existing.app.name, existing.space.name
        );
        if !prompter.confirm(&question, "--yes").await? {
            return Ok(BindResult {
                binding: existing.clone(),
                changed: false,
                file,
            });
        }
    }
    let portal = ctx.portal_url()?;
    let client = ctx.client().await?;
    let spaces = client.spaces().await?;
    let space = match space {
        Some(given) => pick_named("space", given, &spaces, |s| (&s.id, &s.name))?,
        None => choose("Select a space", "--space", &spaces, |s| &s.name, prompter).await?,
    };
    let apps = client.apps(&space.id).await?;
    let app = match app {
        Some(given) => pick_named("MiniApp", given, &apps, |a| (&a.id, &a.name))?,
        None => {
            choose(
                &format!("Select the MiniApp in \"{}\" to bind", space.name),
                "--app",
                &apps,
                |a| &a.name,
                prompter,
            )
            .await?
        }
    };
    let mut binding = Binding::new(
        &portal,
        NamedRef {
            id: space.id.clone(),
            name: space.name.clone(),
        },
        NamedRef {
            id: app.id.clone(),
            name: app.name.clone(),
        },
    );
    binding.build_command = crate::binding::detect_build_command(&ctx.project);
    // Rebinding changes where we publish, not how the project builds.
    if let Some(old) = existing {
        binding.build_command = old.build_command;
        binding.output_dir = old.output_dir;
        binding.bump = old.bump;
        binding.size_budget = old.size_budget;
        binding.include_source_maps = old.include_source_maps;
    }
    binding.write(&ctx.project)?;
    reporter.changed();
    Ok(BindResult {
        binding,
        changed: true,
        file,
    })
}
