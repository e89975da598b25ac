//! Which project a command acts on: the `project` argument, else the one workspace folder
//! that is bound (has gopay-miniapp.json), else the only workspace folder, else asked (or,
//! for commands that only need a portal, the first folder). Without any folder: the
//! directory the sidecar was started in. And the command's [`Context`]: that project with the
//! `portal` and `token` arguments applied.

use std::path::{Path, PathBuf};

use gopay_miniapp_core::binding::BINDING_FILE;
use gopay_miniapp_core::events::Prompter;
use gopay_miniapp_core::{Context, Hint};

use crate::commands::ProjectUse;
use crate::errors::{codes, CommandError};
use crate::state::Shared;

/// A folder from a `file://` URI or a path (relative ones are taken from `base`); the error
/// says why the text is not one.
pub fn path_from(text: &str, base: &Path) -> Result<PathBuf, String> {
    if text.starts_with("file:") {
        return local_path(text);
    }
    let path = PathBuf::from(text);
    Ok(if path.is_absolute() {
        path
    } else {
        base.join(path)
    })
}

/// The local path of a `file:` URI. One with a host other than `localhost`
/// (`file://server/share/app`) names a file on another machine: it is refused, never read as
/// the same path on this one (RFC 8089; the `url` crate's rule).
pub fn local_path(uri: &str) -> Result<PathBuf, String> {
    let url = gopay_miniapp_guard::url::Url::parse(uri)
        .map_err(|e| format!("is not a valid URI ({e})"))?;
    if url.scheme() != "file" {
        return Err("is not a file:// URI".into());
    }
    url.to_file_path().map_err(|()| match url.host_str() {
        Some(host) if !host.is_empty() && host != "localhost" => format!(
            "names a folder on another machine (host `{}`); only local file:// URIs (no host, or localhost) are accepted",
            gopay_miniapp_guard::text::Shown(host)
        ),
        _ => "is not a local file path".into(),
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
        let path = path_from(given.trim(), &base).map_err(|why| {
            CommandError::invalid_params(
                codes::BAD_PROJECT,
                format!(
                    "`project` {} {why}",
                    gopay_miniapp_guard::text::Shown(given)
                ),
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

/// The project's context: `portal` is given for this command (it wins over the binding);
/// `default_portal` (an editor's setting) is the portal of an unbound project, in place of
/// the server's own default; `token` replaces the stored session (with its own portal
/// client, so it never touches the shared one). Which portal wins is core's one rule
/// (`Context::portal_choice_of`).
pub fn context_for(
    base: &Context,
    project: std::path::PathBuf,
    portal: Option<String>,
    default_portal: Option<String>,
    token: Option<String>,
) -> Context {
    let portal = portal.filter(|p| !p.trim().is_empty());
    let setting = default_portal
        .filter(|p| !p.trim().is_empty())
        .or_else(|| base.portal_setting.clone());
    let mut ctx = match token.filter(|t| !t.trim().is_empty()) {
        Some(token) => {
            let mut ctx = Context::new(base.home.clone(), project);
            ctx.portal_override = base.portal_override.clone();
            ctx.env_token = Some(token.trim().to_string());
            ctx.token_from = gopay_miniapp_portal::TokenSource::Argument;
            ctx
        }
        None => base.with_project(project),
    };
    if portal.is_some() {
        ctx.portal_override = portal;
    }
    ctx.portal_setting = setting;
    ctx
}
