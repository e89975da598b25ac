//! The error every workflow returns, and how the user sees it: `{code, message, hint,
//! retryable}` plus an exit-code category for the CLI.

use gopay_miniapp_portal::PortalError;
use serde::Serialize;

use crate::project::build::BuildError;
use crate::project::pack::PackError;
use crate::project::package_json::PackageJsonError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Portal(#[from] PortalError),
    #[error(transparent)]
    PackageJson(#[from] PackageJsonError),
    #[error(transparent)]
    Pack(#[from] PackError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("{project} is not bound to a MiniApp (no gopay-miniapp.json)")]
    NotBound { project: String },
    #[error("{file}: {message}")]
    BadBinding { file: String, message: String },
    #[error("{question} — cannot ask in non-interactive mode")]
    NeedsInput { question: String, flag: String },
    #[error("{what} `{given}` not found; known: {known}")]
    UnknownName {
        what: String,
        given: String,
        known: String,
    },
    #[error("{message}")]
    Invalid { message: String, hint: String },
    #[error("another publish is running in {project}")]
    Busy { project: String },
    #[error("{message}")]
    Io { message: String },
    #[error("cancelled")]
    Cancelled,
    /// A failure after package.json was bumped: the original bytes are back.
    #[error("{source} (package.json was restored to {restored_version})")]
    Restored {
        #[source]
        source: Box<CoreError>,
        restored_version: String,
    },
}

/// What the user sees, on every surface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorReport {
    pub code: String,
    pub message: String,
    pub hint: String,
    pub retryable: bool,
}

/// CLI exit codes (documented in the README).
pub mod exit {
    pub const OK: i32 = 0;
    pub const INTERNAL: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const AUTH: i32 = 3;
    pub const PREFLIGHT: i32 = 4;
    pub const NETWORK: i32 = 5;
    pub const REFUSED: i32 = 6;
    pub const CANCELLED: i32 = 130;
}

impl CoreError {
    pub fn io(context: impl std::fmt::Display, err: std::io::Error) -> Self {
        CoreError::Io {
            message: format!("{context}: {err}"),
        }
    }

    pub fn invalid(message: impl Into<String>, hint: impl Into<String>) -> Self {
        CoreError::Invalid {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// The innermost cause, past `Restored`.
    pub fn root(&self) -> &CoreError {
        match self {
            CoreError::Restored { source, .. } => source.root(),
            other => other,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(
            self.root(),
            CoreError::Cancelled
                | CoreError::Portal(PortalError::Cancelled)
                | CoreError::Build(BuildError::Cancelled { .. })
        )
    }

    pub fn code(&self) -> String {
        match self {
            CoreError::Portal(e) => e.code().to_string(),
            CoreError::PackageJson(_) => "package_json".into(),
            CoreError::Pack(e) => pack_code(e).into(),
            CoreError::Build(BuildError::Cancelled { .. }) => "cancelled".into(),
            CoreError::Build(_) => "build_failed".into(),
            CoreError::NotBound { .. } => "not_bound".into(),
            CoreError::BadBinding { .. } => "bad_binding".into(),
            CoreError::NeedsInput { .. } => "needs_input".into(),
            CoreError::UnknownName { .. } => "unknown_name".into(),
            CoreError::Invalid { .. } => "invalid".into(),
            CoreError::Busy { .. } => "busy".into(),
            CoreError::Io { .. } => "io".into(),
            CoreError::Cancelled => "cancelled".into(),
            CoreError::Restored { source, .. } => source.code(),
        }
    }

    pub fn hint(&self) -> String {
        match self {
            CoreError::Portal(e) => e.hint(),
            CoreError::PackageJson(_) => "fix package.json and run the command again".into(),
            CoreError::Pack(e) => pack_hint(e).into(),
            CoreError::Build(BuildError::Cancelled { .. }) | CoreError::Cancelled => {
                "nothing was uploaded".into()
            }
            CoreError::Build(_) => {
                "fix the build (run it yourself to see all output) or set the build command in gopay-miniapp.json"
                    .into()
            }
            CoreError::NotBound { .. } => {
                "run `gopay-miniapp bind` in the project (or pass --project DIR)".into()
            }
            CoreError::BadBinding { .. } => {
                "fix the file, or run `gopay-miniapp bind --yes` to write it again".into()
            }
            CoreError::NeedsInput { flag, .. } => format!("pass {flag}"),
            CoreError::UnknownName { .. } => "use one of the known names or ids".into(),
            CoreError::Invalid { hint, .. } => hint.clone(),
            CoreError::Busy { .. } => {
                "wait for it to finish (one publish per project at a time)".into()
            }
            CoreError::Io { .. } => "check the path and its permissions".into(),
            CoreError::Restored { source, .. } => source.hint(),
        }
    }

    pub fn retryable(&self) -> bool {
        match self {
            CoreError::Portal(e) => e.retryable(),
            CoreError::Busy { .. } => true,
            CoreError::Restored { source, .. } => source.retryable(),
            _ => false,
        }
    }

    pub fn report(&self) -> ErrorReport {
        ErrorReport {
            code: self.code(),
            message: self.to_string(),
            hint: self.hint(),
            retryable: self.retryable(),
        }
    }

    pub fn exit_code(&self) -> i32 {
        if self.is_cancelled() {
            return exit::CANCELLED;
        }
        match self.root() {
            CoreError::Portal(e) if e.is_auth() => exit::AUTH,
            CoreError::Portal(PortalError::Network { .. }) => exit::NETWORK,
            CoreError::Portal(PortalError::Local { .. }) => exit::PREFLIGHT,
            CoreError::Portal(PortalError::Protocol { .. }) => exit::NETWORK,
            CoreError::Portal(_) => exit::REFUSED,
            CoreError::NeedsInput { .. } => exit::USAGE,
            CoreError::Io { .. } => exit::INTERNAL,
            _ => exit::PREFLIGHT,
        }
    }
}

fn pack_code(err: &PackError) -> &'static str {
    match err {
        PackError::OutputDirMissing { .. } | PackError::OutputDirNotAFolder { .. } => {
            "output_dir_missing"
        }
        PackError::OutputDirEmpty { .. } => "output_dir_empty",
        PackError::SymlinkEscapes { .. }
        | PackError::BrokenSymlink { .. }
        | PackError::SymlinkLoop { .. } => "bad_symlink",
        PackError::SecretsFound { .. } => "secrets_found",
        PackError::OverBudget { .. } => "over_budget",
        PackError::IgnoreFile { .. } => "bad_ignore_file",
        _ => "pack_failed",
    }
}

fn pack_hint(err: &PackError) -> &'static str {
    match err {
        PackError::SecretsFound { .. } => {
            "leave the files out with .miniappignore, or pass --allow-secrets if they are meant to ship"
        }
        PackError::OverBudget { .. } => {
            "leave files out with .miniappignore, shrink them, or raise sizeBudget in gopay-miniapp.json"
        }
        PackError::OutputDirMissing { .. } | PackError::OutputDirEmpty { .. } => {
            "run the build, or set outputDir in gopay-miniapp.json to where the build writes"
        }
        _ => "see the message for the file at fault",
    }
}
