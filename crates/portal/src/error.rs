//! Errors: the stable codes on the wire, and the typed error the client returns.

use crate::lifecycle::{ReleaseState, Step};
use crate::types::ErrorBody;

/// Stable error codes of the portal contract (`error.code` on the wire).
pub mod codes {
    /// No or malformed `Authorization` header.
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    /// The access token expired; refresh it.
    pub const TOKEN_EXPIRED: &str = "token_expired";
    /// The token was revoked (logout, `token revoke`) or never existed.
    pub const TOKEN_REVOKED: &str = "token_revoked";
    pub const INVALID_CREDENTIALS: &str = "invalid_credentials";
    pub const FORBIDDEN: &str = "forbidden";
    pub const NOT_FOUND: &str = "not_found";
    pub const INVALID_REQUEST: &str = "invalid_request";
    pub const ILLEGAL_STEP: &str = "illegal_step";
    pub const FIRST_RELEASE_OFFICIAL_ONLY: &str = "first_release_official_only";
    pub const RATIO_NOT_HIGHER: &str = "ratio_not_higher";
    pub const INVALID_RATIO: &str = "invalid_ratio";
    pub const RELEASE_IN_FLIGHT: &str = "release_in_flight";
    pub const RELEASE_EXISTS: &str = "release_exists";
    pub const NOTHING_TO_ROLL_BACK: &str = "nothing_to_roll_back";
    pub const INVALID_VERSION: &str = "invalid_version";
    pub const VERSION_NOT_HIGHER: &str = "version_not_higher";
    pub const TOO_LARGE: &str = "too_large";
    pub const CHECKSUM_MISMATCH: &str = "checksum_mismatch";
    pub const OFFSET_MISMATCH: &str = "offset_mismatch";
    pub const UPLOAD_INCOMPLETE: &str = "upload_incomplete";
    pub const AUTHORIZATION_PENDING: &str = "authorization_pending";
    pub const ACCESS_DENIED: &str = "access_denied";
    pub const DEVICE_CODE_EXPIRED: &str = "device_code_expired";
    /// The uploaded file is not a readable ZIP with `index.html` or `app.json` at its root.
    pub const INVALID_PACKAGE: &str = "invalid_package";
    pub const INTERNAL: &str = "internal";

    /// Every code above, in documentation order (`docs/portal-api.md` lists each).
    pub const ALL: &[&str] = &[
        UNAUTHENTICATED,
        TOKEN_EXPIRED,
        TOKEN_REVOKED,
        INVALID_CREDENTIALS,
        FORBIDDEN,
        NOT_FOUND,
        INVALID_REQUEST,
        ILLEGAL_STEP,
        FIRST_RELEASE_OFFICIAL_ONLY,
        RATIO_NOT_HIGHER,
        INVALID_RATIO,
        RELEASE_IN_FLIGHT,
        RELEASE_EXISTS,
        NOTHING_TO_ROLL_BACK,
        INVALID_VERSION,
        VERSION_NOT_HIGHER,
        TOO_LARGE,
        CHECKSUM_MISMATCH,
        OFFSET_MISMATCH,
        UPLOAD_INCOMPLETE,
        AUTHORIZATION_PENDING,
        ACCESS_DENIED,
        DEVICE_CODE_EXPIRED,
        INVALID_PACKAGE,
        INTERNAL,
    ];
}

/// What went wrong talking to a portal. Each variant carries what the user needs to act.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("not logged in to {portal}")]
    NotLoggedIn { portal: String },
    #[error("the session expired and could not be refreshed: {message}")]
    SessionExpired { message: String },
    #[error("{message}")]
    InvalidCredentials { message: String },
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    NotFound { message: String },
    #[error("{message}")]
    IllegalStep {
        message: String,
        state: Option<ReleaseState>,
        allowed: Vec<Step>,
    },
    #[error("{message}")]
    VersionNotHigher { message: String },
    #[error("{message}")]
    TooLarge { message: String },
    /// Any other refusal the portal explained (code + message + hint from the wire).
    #[error("{}", body.message)]
    /// Boxed: the body is large and errors travel through every `Result`.
    Refused { status: u16, body: Box<ErrorBody> },
    /// Connection refused/reset, timeout, or a 5xx: worth retrying.
    #[error("{message}")]
    Network { message: String },
    #[error("the portal answered with something this client does not understand: {message}")]
    Protocol { message: String },
    #[error("cancelled")]
    Cancelled,
    #[error("{message}")]
    Local { message: String },
}

impl PortalError {
    /// The stable code the user sees (`{code, message, hint, retryable}`).
    pub fn code(&self) -> &str {
        match self {
            PortalError::NotLoggedIn { .. } => "not_logged_in",
            PortalError::SessionExpired { .. } => "session_expired",
            PortalError::InvalidCredentials { .. } => codes::INVALID_CREDENTIALS,
            PortalError::Forbidden { .. } => codes::FORBIDDEN,
            PortalError::NotFound { .. } => codes::NOT_FOUND,
            PortalError::IllegalStep { .. } => codes::ILLEGAL_STEP,
            PortalError::VersionNotHigher { .. } => codes::VERSION_NOT_HIGHER,
            PortalError::TooLarge { .. } => codes::TOO_LARGE,
            PortalError::Refused { body, .. } => &body.code,
            PortalError::Network { .. } => "network",
            PortalError::Protocol { .. } => "protocol",
            PortalError::Cancelled => "cancelled",
            PortalError::Local { .. } => "local_io",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            PortalError::NotLoggedIn { .. } => {
                "run `gopay-miniapp login` (or set GOPAY_MINIAPP_TOKEN in CI)".into()
            }
            PortalError::SessionExpired { .. } => "log in again: `gopay-miniapp login`".into(),
            PortalError::InvalidCredentials { .. } => {
                "check the username and password (the local demo portal has demo/demo)".into()
            }
            PortalError::Forbidden { .. } => {
                "ask an owner of the space or target app for access".into()
            }
            PortalError::NotFound { .. } => {
                "check the name or id; you only see spaces you belong to".into()
            }
            PortalError::IllegalStep { allowed, .. } if !allowed.is_empty() => format!(
                "allowed now: {}",
                allowed
                    .iter()
                    .map(|s| format!("`{}`", s.cli_verb()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PortalError::IllegalStep { .. } => "this release is finished".into(),
            PortalError::VersionNotHigher { .. } => {
                "publish a higher version, e.g. `publish --bump patch`".into()
            }
            PortalError::TooLarge { .. } => {
                "shrink the package: run `gopay-miniapp pack --list` to see the largest files".into()
            }
            PortalError::Refused { body, .. } => body.hint.clone(),
            PortalError::Network { .. } => {
                "check the portal URL and the network (HTTPS_PROXY is honoured); it is safe to retry"
                    .into()
            }
            PortalError::Protocol { .. } => {
                "is the portal URL right? `gopay-miniapp status` shows the one in use".into()
            }
            PortalError::Cancelled => "nothing was changed on the portal".into(),
            PortalError::Local { .. } => String::new(),
        }
    }

    pub fn retryable(&self) -> bool {
        match self {
            PortalError::Network { .. } => true,
            PortalError::Refused { body, .. } => body.retryable,
            _ => false,
        }
    }

    /// Auth problems the user fixes by logging in (exit code 3).
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            PortalError::NotLoggedIn { .. }
                | PortalError::SessionExpired { .. }
                | PortalError::InvalidCredentials { .. }
        ) || matches!(self, PortalError::Refused { body, .. }
            if body.code == codes::UNAUTHENTICATED || body.code == codes::TOKEN_REVOKED || body.code == codes::TOKEN_EXPIRED)
    }

    /// Maps a wire error into the typed error.
    pub fn from_wire(status: u16, body: ErrorBody) -> Self {
        let message = body.message.clone();
        match body.code.as_str() {
            codes::TOKEN_EXPIRED | codes::TOKEN_REVOKED | codes::UNAUTHENTICATED => {
                PortalError::SessionExpired { message }
            }
            codes::INVALID_CREDENTIALS => PortalError::InvalidCredentials { message },
            codes::FORBIDDEN => PortalError::Forbidden { message },
            codes::NOT_FOUND => PortalError::NotFound { message },
            codes::ILLEGAL_STEP | codes::FIRST_RELEASE_OFFICIAL_ONLY => PortalError::IllegalStep {
                message,
                state: body.state,
                allowed: body.allowed_steps.clone().unwrap_or_default(),
            },
            codes::VERSION_NOT_HIGHER => PortalError::VersionNotHigher { message },
            codes::TOO_LARGE => PortalError::TooLarge { message },
            _ if status >= 500 => PortalError::Network {
                message: format!("the portal failed ({status}): {message}"),
            },
            _ => PortalError::Refused {
                status,
                body: Box::new(body),
            },
        }
    }

    /// The error as the user sees it: `{code, message, hint, retryable}`.
    pub fn to_body(&self) -> ErrorBody {
        match self {
            PortalError::Refused { body, .. } => (**body).clone(),
            other => ErrorBody {
                code: other.code().to_string(),
                message: other.to_string(),
                hint: other.hint(),
                retryable: other.retryable(),
                state: match other {
                    PortalError::IllegalStep { state, .. } => *state,
                    _ => None,
                },
                allowed_steps: match other {
                    PortalError::IllegalStep { allowed, .. } => Some(allowed.clone()),
                    _ => None,
                },
                field: None,
                received: None,
            },
        }
    }
}

impl From<crate::lifecycle::LifecycleError> for PortalError {
    fn from(err: crate::lifecycle::LifecycleError) -> Self {
        use crate::lifecycle::LifecycleError as L;
        let message = err.to_string();
        match err {
            L::IllegalStep { state, allowed, .. }
            | L::FirstReleaseOfficialOnly { state, allowed, .. } => PortalError::IllegalStep {
                message,
                state: Some(state),
                allowed,
            },
            L::NotAdmin { .. } => PortalError::Forbidden { message },
            // The local portal answers with this very mapping (its `ratio_refusal`).
            L::RatioOutOfRange { .. } => PortalError::Refused {
                status: 400,
                body: Box::new(ErrorBody {
                    code: codes::INVALID_RATIO.into(),
                    message,
                    hint: "give a whole percentage from 1 to 100".into(),
                    retryable: false,
                    state: None,
                    allowed_steps: None,
                    field: Some("ratio".into()),
                    received: None,
                }),
            },
            L::RatioNotHigher { .. } => PortalError::Refused {
                status: 409,
                body: Box::new(ErrorBody {
                    code: codes::RATIO_NOT_HIGHER.into(),
                    message,
                    hint: "give a higher ratio (1–100), or release officially".into(),
                    retryable: false,
                    state: Some(ReleaseState::Grayscale),
                    allowed_steps: None,
                    field: Some("ratio".into()),
                    received: None,
                }),
            },
        }
    }
}
