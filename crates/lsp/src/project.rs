//! Which project a command acts on: the `project` argument, else the one workspace folder
//! that is bound (has gopay-miniapp.json), else the only workspace folder, else asked (or,
//! for commands that only need a portal, the first folder). Without any folder: the
//! directory the sidecar was started in. And the command's [`Context`]: that project with the
//! `portal` and `token` arguments applied.

use std::path::{Path, PathBuf};

use gopay_miniapp_core::binding::BINDING_FILE;
use gopay_miniapp_core::events::Prompter;
use gopay_miniapp_core::{Context, Hint};
use tower_lsp_server::ls_types::Uri;

use crate::commands::ProjectUse;
use crate::errors::{codes, CommandError};
use crate::state::Shared;

/// A folder from a `file://` URI or a path (relative ones are taken from `base`).
pub fn path_from(text: &str, base: &Path) -> Option<PathBuf> {
    if text.starts_with("file:") {
        let uri: Uri = text.parse().ok()?;
        return uri.to_file_path().map(|p| p.into_owned());
    }
    let path = PathBuf::from(text);
    Some(if path.is_absolute() {
        path
    } else {
        base.join(path)
    })
}

fn is_bound(folder: &Path) -> bool {
    folder.join(BINDING_FILE).is_file()
}

fn label(folder: &Path) -> String {
    folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| folder.display().to_string())
}

pub async fn resolve(
    shared: &Shared,
    given: Option<&str>,
    usage: ProjectUse,
    prompter: &dyn Prompter,
) -> Result<PathBuf, CommandError> {
    let folders = shared.folders();
    let base = folders
        .first()
        .cloned()
        .unwrap_or_else(|| shared.base.project.clone());
    if let Some(given) = given.filter(|g| !g.trim().is_empty()) {
        let path = path_from(given.trim(), &base).ok_or_else(|| {
            CommandError::invalid_params(
                codes::BAD_PROJECT,
                format!("`project` {given} is neither a path nor a file:// URI"),
                Hint::CheckArguments,
            )
        })?;
        if !path.is_dir() {
            return Err(CommandError::invalid_params(
                codes::BAD_PROJECT,
                format!("the project folder {} does not exist", path.display()),
                Hint::CheckPermissions,
            ));
        }
        return Ok(path);
    }
    if folders.is_empty() {
        return Ok(shared.base.project.clone());
    }
    let bound: Vec<&PathBuf> = folders.iter().filter(|f| is_bound(f)).collect();
    if bound.len() == 1 {
        return Ok(bound[0].clone());
    }
    if folders.len() == 1 {
        return Ok(folders[0].clone());
    }
    let candidates: Vec<PathBuf> = if bound.is_empty() {
        folders.clone()
    } else {
        bound.into_iter().cloned().collect()
    };
    if usage == ProjectUse::Optional {
        return Ok(candidates[0].clone());
    }
    let labels: Vec<String> = candidates.iter().map(|f| label(f)).collect();
    let index = prompter
        .choose(
            "Which project (workspace folder)?",
            &labels,
            gopay_miniapp_core::Input::Project,
        )
        .await
        .map_err(CommandError::from)?;
    Ok(candidates[index].clone())
}

/// The project's context: `portal` overrides; `token` replaces the stored session (with its
/// own portal client, so it never touches the shared one).
pub fn context_for(
    base: &Context,
    project: std::path::PathBuf,
    portal: Option<String>,
    token: Option<String>,
) -> Context {
    let portal = portal.filter(|p| !p.trim().is_empty());
    match token.filter(|t| !t.trim().is_empty()) {
        Some(token) => {
            let mut ctx = Context::new(base.home.clone(), project);
            ctx.portal_override = portal.or_else(|| base.portal_override.clone());
            ctx.env_token = Some(token.trim().to_string());
            ctx
        }
        None => {
            let mut ctx = base.with_project(project);
            if portal.is_some() {
                ctx.portal_override = portal;
            }
            ctx
        }
    }
}
