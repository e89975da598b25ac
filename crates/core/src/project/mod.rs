//! The project side of publishing: everything that touches the user's MiniApp folder.
//!
//! - [`package_json`]: read `package.json` and change only the bytes of its `"version"` value,
//!   with a guard that puts the original file back when a publish does not go through.
//! - [`build`]: run the project's build command (`npm run build`) without letting it touch our
//!   stdout, stream its output line by line, and stop it (with its children) on cancel.
//! - [`lifeline`]: the guardian that stops the build's process group when the tool dies.
//! - [`pack`]: turn the build output folder into the deterministic ZIP that publish uploads,
//!   refusing secrets, escaping symlinks and packages over the size budget.

pub mod build;
pub mod build_errors;
pub mod lifeline;
pub mod pack;
pub mod package_json;

use std::path::{Path, PathBuf};

/// The project's own files, which no output (`pack`'s ZIP, a QR image) may ever overwrite.
pub fn own_files(project: &Path) -> Vec<PathBuf> {
    [
        "package.json",
        crate::binding::BINDING_FILE,
        "package-lock.json",
        "pnpm-lock.yaml",
        "yarn.lock",
        pack::MINIAPPIGNORE,
    ]
    .iter()
    .map(|name| project.join(name))
    .collect()
}
