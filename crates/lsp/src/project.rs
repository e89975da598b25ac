//! Which project a command acts on: the `project` argument, else the one workspace folder
//! that is bound (has gopay-miniapp.json), else the only workspace folder, else asked (or,
//! for commands that only need a portal, the first folder). Without any folder: the
//! directory the sidecar was started in.

use std::path::{Path, PathBuf};

use gopay_miniapp_core::binding::BINDING_FILE;
use gopay_miniapp_core::events::Prompter;
use tower_lsp_server::ls_types::Uri;

use crate::commands::ProjectUse;
use crate::errors::CommandError;
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
                "bad_project",
                format!("`project` {given} is neither a path nor a file:// URI"),
                "pass the project folder as an absolute path or a file:// URI",
            )
        })?;
        if !path.is_dir() {
            return Err(CommandError::invalid_params(
                "bad_project",
                format!("the project folder {} does not exist", path.display()),
                "pass an existing folder as `project`",
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
