//! The error every workflow returns, and how the user sees it: `{code, message, hint,
//! retryable}` plus an exit-code category for the CLI.

use gopay_miniapp_portal::{LoginKind, PortalError};
use serde::Serialize;

use crate::codes;
use crate::hint::{Hint, Input, Named};

use crate::project::build::BuildError;
use crate::project::pack::PackError;
use crate::project::package_json::PackageJsonError;
use gopay_miniapp_guard::files::FileError;

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
    /// The write policy (`gopay_miniapp_guard::files`) refused a file, or writing it failed.
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{project} is not bound to a MiniApp (no gopay-miniapp.json)")]
    NotBound { project: String },
    /// Nothing says which portal to use (no binding, no setting, never logged in): never a
    /// silent default, the user picks one (the presets, or another URL).
    #[error("no portal is chosen: this project is not bound, no portal is set, and no login is stored; choose GoPay, GoPay Staging, the local portal or another URL")]
    NoPortal,
    /// Bind was asked for a folder that is not a MiniApp project: nothing was written.
    #[error("{project} has no package.json, so it is not a MiniApp project: nothing was bound. Open the folder that holds the MiniApp's package.json (or create the project there first) and bind that.")]
    NoPackageJson { project: String },
    #[error("{file}: {message}")]
    BadBinding { file: String, message: String },
    #[error("{question} — cannot ask in non-interactive mode")]
    NeedsInput { question: String, input: Input },
    #[error("{what} `{given}` not found; known: {known}")]
    UnknownName {
        what: Named,
        given: String,
        known: String,
    },
    #[error("{message}")]
    Invalid { message: String, hint: Hint },
    /// `wait` gave up: the release is still in review after the time it was given.
    #[error("still in review after {waited}")]
    StillInReview { waited: String },
    #[error("another publish is running in {project}")]
    Busy { project: String },
    #[error("{message}")]
    Io { message: String },
    #[error("cancelled")]
    Cancelled,
    /// A login that did not log in (a dead cookie, a refused token, an approval that never
    /// came): not a session that "expired", since the user is logging in.
    #[error("the login {} did not log in: {message}", way_words(*.way))]
    LoginRefused { way: LoginKind, message: String },
    /// `logout` forgot the session here, but could not reach the portal to end it there.
    #[error("logged out here, but {portal} could not be reached to end the session ({source}): the portal still holds it until it expires{}", until.as_deref().map(|u| format!(" (its access token expires at {u}, its refresh token later, as the portal sets)")).unwrap_or_default())]
    LoggedOutLocally {
        portal: String,
        until: Option<String>,
        source: PortalError,
    },
    /// A stored recipe file that does not read as a recipe for this portal (it is not used).
    #[error("{file}: {message}")]
    BadRecipe { file: String, message: String },
    /// `learn` found nothing it may keep: the learner's typed refusal, naming what was seen.
    #[error("nothing was learned: {0}")]
    LearnRefused(#[from] gopay_miniapp_recipes::Refusal),
    /// `learn --har`: the file is not a HAR the learner reads.
    #[error("nothing was learned from the HAR file: {0}")]
    BadHar(#[from] gopay_miniapp_recipes::HarError),
    /// A failure after package.json was bumped: the original bytes are back.
    #[error("{source} (package.json was restored to {restored_version})")]
    Restored {
        #[source]
        source: Box<CoreError>,
        restored_version: String,
    },
}

/// What the user sees, on every surface: `{code, message, hint, retryable}`. The hint keeps
/// its kind and typed fields (what an editor maps to buttons) next to the words of the front
/// end that shows it: one shape for errors and for the problems results carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ErrorReport {
    /// A stable word from [`crate::codes`].
    pub code: String,
    pub message: String,
    pub hint: HintReport,
    /// The same request may succeed later (network trouble, busy).
    pub retryable: bool,
}

impl ErrorReport {
    /// The report with no advice (`{"kind": "none", "text": ""}`).
    pub fn without_hint(self) -> Self {
        ErrorReport {
            hint: HintReport {
                hint: Hint::None,
                text: String::new(),
            },
            ..self
        }
    }
}

/// A typed hint with its words: `{"kind": "logIn", "text": "log in again …"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct HintReport {
    #[serde(flatten)]
    pub hint: Hint,
    /// The front end's words for it (empty for `none`).
    pub text: String,
}

impl HintReport {
    pub fn new(hint: Hint, words: HintWords) -> Self {
        let text = words(&hint);
        HintReport { hint, text }
    }
}

/// A front end's words for hints.
pub type HintWords<'a> = &'a (dyn Fn(&Hint) -> String + Sync);

/// CLI exit codes (documented in the README).
pub mod exit {
    pub const OK: i32 = 0;
    pub const INTERNAL: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const AUTH: i32 = 3;
    pub const PREFLIGHT: i32 = 4;
    pub const NETWORK: i32 = 5;
    pub const REFUSED: i32 = 6;
    /// The portal's API cannot do this; its web pages can.
    pub const NOT_AVAILABLE: i32 = 7;
    /// `wait` timed out: still in review (neither approved nor rejected).
    pub const TIMEOUT: i32 = 8;
    /// `learn` refused the recording (another origin, nothing matched, two candidates, an
    /// unexplained literal, not a HAR): nothing was saved.
    pub const NOT_LEARNED: i32 = 9;
    pub const CANCELLED: i32 = 130;
}

impl CoreError {
    pub fn io(context: impl std::fmt::Display, err: std::io::Error) -> Self {
        CoreError::Io {
            message: format!("{context}: {err}"),
        }
    }

    pub fn invalid(message: impl Into<String>, hint: Hint) -> Self {
        CoreError::Invalid {
            message: message.into(),
            hint,
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
            CoreError::PackageJson(_) | CoreError::NoPackageJson { .. } => {
                codes::PACKAGE_JSON.into()
            }
            CoreError::Pack(e) => pack_code(e).into(),
            CoreError::Build(BuildError::Cancelled { .. }) => codes::CANCELLED.into(),
            CoreError::Build(_) => codes::BUILD_FAILED.into(),
            CoreError::File(FileError::Io { .. }) => codes::IO.into(),
            CoreError::File(_) => codes::FILE_REFUSED.into(),
            CoreError::NotBound { .. } => codes::NOT_BOUND.into(),
            CoreError::NoPortal => codes::NO_PORTAL.into(),
            CoreError::BadBinding { .. } => codes::BAD_BINDING.into(),
            CoreError::NeedsInput { .. } => codes::NEEDS_INPUT.into(),
            CoreError::UnknownName { .. } => codes::UNKNOWN_NAME.into(),
            CoreError::Invalid { .. } => codes::INVALID.into(),
            CoreError::Busy { .. } => codes::BUSY.into(),
            CoreError::StillInReview { .. } => codes::STILL_IN_REVIEW.into(),
            CoreError::Io { .. } => codes::IO.into(),
            CoreError::Cancelled => codes::CANCELLED.into(),
            CoreError::LoginRefused { .. } => {
                gopay_miniapp_portal::codes::INVALID_CREDENTIALS.into()
            }
            CoreError::LoggedOutLocally { source, .. } => source.code().to_string(),
            CoreError::Restored { source, .. } => source.code(),
            CoreError::BadRecipe { .. } => codes::BAD_RECIPE.into(),
            CoreError::LearnRefused(_) | CoreError::BadHar(_) => codes::NOT_LEARNED.into(),
        }
    }

    pub fn hint(&self) -> Hint {
        match self {
            CoreError::Portal(e) => portal_hint(e),
            CoreError::PackageJson(_) => Hint::FixPackageJson,
            CoreError::Pack(e) => pack_hint(e),
            CoreError::Build(BuildError::Cancelled { .. }) | CoreError::Cancelled => {
                Hint::NothingChanged
            }
            CoreError::Build(_) => Hint::FixBuild,
            CoreError::File(FileError::NotOurKind { .. }) => Hint::Overwrite,
            CoreError::File(FileError::Io { .. } | FileError::Ownership { .. }) => {
                Hint::CheckPermissions
            }
            CoreError::File(_) => Hint::SeeFile,
            CoreError::NotBound { .. } => Hint::Bind,
            CoreError::NoPortal => Hint::ChoosePortal,
            // The message says what to do: another folder, not a fix here.
            CoreError::NoPackageJson { .. } => Hint::None,
            CoreError::BadBinding { file, .. } => Hint::FixBinding { file: file.clone() },
            CoreError::NeedsInput { input, .. } => Hint::Provide { input: *input },
            CoreError::UnknownName { what, .. } => Hint::CheckName { what: Some(*what) },
            CoreError::Invalid { hint, .. } => hint.clone(),
            CoreError::Busy { .. } => Hint::WaitForOtherPublish,
            CoreError::StillInReview { .. } => Hint::WaitLonger,
            CoreError::Io { .. } => Hint::CheckPermissions,
            CoreError::LoginRefused { way, .. } => Hint::LoginRefused { way: *way },
            CoreError::LoggedOutLocally { until, .. } => Hint::SessionStillOnPortal {
                until: until.clone(),
            },
            CoreError::Restored { source, .. } => source.hint(),
            CoreError::BadRecipe { .. } => Hint::SeeFile,
            CoreError::LearnRefused(gopay_miniapp_recipes::Refusal::TwoKnowns {
                field,
                inputs,
            }) => Hint::SayWhichValue {
                fields: vec![field.clone()],
                knowns: inputs.clone(),
            },
            CoreError::LearnRefused(gopay_miniapp_recipes::Refusal::Repeated { input, fields }) => {
                Hint::SayWhichValue {
                    fields: fields.clone(),
                    knowns: vec![input.clone()],
                }
            }
            // The refusal says what was seen and what to record instead.
            CoreError::LearnRefused(_) => Hint::None,
            CoreError::BadHar(_) => Hint::SeeFile,
        }
    }

    pub fn retryable(&self) -> bool {
        match self {
            CoreError::Portal(e) => e.retryable(),
            CoreError::Busy { .. } | CoreError::StillInReview { .. } => true,
            CoreError::Restored { source, .. } => source.retryable(),
            _ => false,
        }
    }

    /// The report, with the hint in `words`.
    pub fn report(&self, words: HintWords) -> ErrorReport {
        ErrorReport {
            code: self.code(),
            message: self.to_string(),
            hint: HintReport::new(self.hint(), words),
            retryable: self.retryable(),
        }
    }

    pub fn exit_code(&self) -> i32 {
        if self.is_cancelled() {
            return exit::CANCELLED;
        }
        match self.root() {
            CoreError::Portal(e) if e.is_auth() => exit::AUTH,
            CoreError::LoginRefused { .. } => exit::AUTH,
            CoreError::LoggedOutLocally { .. } => exit::NETWORK,
            CoreError::Portal(PortalError::Network { .. }) => exit::NETWORK,
            CoreError::Portal(PortalError::Local { .. }) => exit::PREFLIGHT,
            CoreError::Portal(PortalError::LoginUnavailable { .. }) => exit::PREFLIGHT,
            CoreError::Portal(PortalError::RecordingUnavailable { .. }) => exit::PREFLIGHT,
            CoreError::Portal(PortalError::Protocol { .. }) => exit::NETWORK,
            CoreError::Portal(PortalError::NotAvailable { .. }) => exit::NOT_AVAILABLE,
            CoreError::Portal(_) => exit::REFUSED,
            CoreError::NeedsInput { .. } | CoreError::NoPortal => exit::USAGE,
            CoreError::StillInReview { .. } => exit::TIMEOUT,
            CoreError::LearnRefused(_) | CoreError::BadHar(_) => exit::NOT_LEARNED,
            CoreError::Io { .. } | CoreError::File(FileError::Io { .. }) => exit::INTERNAL,
            _ => exit::PREFLIGHT,
        }
    }
}

fn way_words(way: LoginKind) -> &'static str {
    match way {
        LoginKind::Password => "with a username and password",
        LoginKind::Browser => "in the browser",
        LoginKind::Token => "with an access token",
        LoginKind::Cookie => "with a cookie",
    }
}

fn pack_code(err: &PackError) -> &'static str {
    match err {
        PackError::OutputDirMissing { .. } | PackError::OutputDirNotAFolder { .. } => {
            codes::OUTPUT_DIR_MISSING
        }
        PackError::OutputDirEmpty { .. } => codes::OUTPUT_DIR_EMPTY,
        PackError::OutputDirOutsideProject { .. } | PackError::OutputDirIsProject { .. } => {
            codes::OUTPUT_DIR_OUTSIDE
        }
        PackError::SymlinkEscapes { .. }
        | PackError::BrokenSymlink { .. }
        | PackError::SymlinkLoop { .. } => codes::BAD_SYMLINK,
        PackError::SecretsFound { .. } => codes::SECRETS_FOUND,
        PackError::OverBudget { .. } => codes::OVER_BUDGET,
        PackError::IgnoreFile { .. } => codes::BAD_IGNORE_FILE,
        _ => codes::PACK_FAILED,
    }
}

fn pack_hint(err: &PackError) -> Hint {
    match err {
        PackError::SecretsFound { .. } => Hint::LeaveOutSecrets,
        e if e.is_size() => Hint::ShrinkPackage,
        PackError::OutputDirMissing { .. }
        | PackError::OutputDirEmpty { .. }
        | PackError::OutputDirOutsideProject { .. }
        | PackError::OutputDirIsProject { .. } => Hint::CheckOutputDir,
        _ => Hint::SeeFile,
    }
}

/// What to do about a portal's error.
pub fn portal_hint(err: &PortalError) -> Hint {
    match err {
        PortalError::NotLoggedIn { .. } | PortalError::SessionExpired { .. } => Hint::LogIn,
        PortalError::AccessTokenRefused { from } => Hint::ReplaceAccessToken { from: *from },
        PortalError::InvalidCredentials { .. } => Hint::CheckCredentials,
        PortalError::TooManyAttempts {
            retry_after_secs, ..
        } => Hint::TryLoginLater {
            seconds: *retry_after_secs,
        },
        PortalError::ForeignOrigin { .. } => Hint::UseOwnPortalUrl,
        PortalError::BrowserCheck { .. } => Hint::PassBrowserCheck,
        PortalError::Forbidden { .. } => Hint::AskForAccess,
        PortalError::NotFound { .. } => Hint::CheckName { what: None },
        PortalError::IllegalStep { allowed, .. } if !allowed.is_empty() => Hint::TakeStep {
            steps: allowed.clone(),
            version: None,
            target_app: None,
        },
        // No step is the user's: finished only when no step leads anywhere; otherwise it
        // waits for another role (issue #20 item 26: an admin approving a release still in
        // Version Creation was told it is finished).
        PortalError::IllegalStep { state, .. } => match state {
            Some(state) if state.awaits_review() => Hint::WaitForReview,
            Some(state) if !state.is_terminal() => Hint::WaitForDevelopers,
            Some(_) => Hint::ReleaseFinished,
            None => Hint::None,
        },
        PortalError::VersionNotHigher { .. } => Hint::PublishHigher { suggestion: None },
        PortalError::TooLarge { .. } => Hint::ShrinkPackage,
        PortalError::BadRatio { .. } => Hint::Provide {
            input: Input::Ratio,
        },
        PortalError::NotAvailable { feature, portal } => Hint::UseThePortal {
            feature: *feature,
            url: portal.clone(),
        },
        PortalError::Refused(refusal) if refusal.hint.is_empty() => Hint::None,
        PortalError::Refused(refusal) => Hint::Portal {
            text: refusal.hint.clone(),
        },
        PortalError::Network { .. } => Hint::CheckNetwork,
        PortalError::Protocol { .. } => Hint::CheckPortalUrl,
        // The message says which request failed, what was done and to learn it again.
        PortalError::Learned { .. } => Hint::None,
        PortalError::Cancelled => Hint::NothingChanged,
        PortalError::Local { .. } => Hint::None,
        PortalError::LoginUnavailable { others, .. } => Hint::LogInAnotherWay {
            ways: others.clone(),
        },
        PortalError::RecordingUnavailable { .. } => Hint::RecordHar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gopay_miniapp_portal::ReleaseState;

    /// A hint never names the wrong cause (issue #20 items 26 and 28).
    #[test]
    fn hints_follow_the_typed_cause() {
        let illegal = |state| PortalError::IllegalStep {
            message: String::new(),
            state,
            allowed: Vec::new(),
            first_release: false,
        };
        assert_eq!(
            portal_hint(&illegal(Some(ReleaseState::VersionCreation))),
            Hint::WaitForDevelopers
        );
        assert_eq!(
            portal_hint(&illegal(Some(ReleaseState::InReview))),
            Hint::WaitForReview
        );
        assert_eq!(
            portal_hint(&illegal(Some(ReleaseState::Archived))),
            Hint::ReleaseFinished
        );
        assert_eq!(portal_hint(&illegal(None)), Hint::None);
        let foreign = PortalError::ForeignOrigin {
            message: "the request comes from another site".into(),
        };
        assert_eq!(portal_hint(&foreign), Hint::UseOwnPortalUrl);
        assert_ne!(foreign.code(), gopay_miniapp_portal::codes::FORBIDDEN);
        let throttled = PortalError::TooManyAttempts {
            message: String::new(),
            retry_after_secs: Some(8),
        };
        assert_eq!(
            portal_hint(&throttled),
            Hint::TryLoginLater { seconds: Some(8) }
        );
    }
}
