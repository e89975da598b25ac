//! Errors: the stable codes (on the native wire and on every surface the user sees), and the
//! typed error every backend returns. Hints are not worded here: core maps each error to a
//! typed hint and each front end words it.

use crate::backend::{Feature, LoginKind};
use crate::lifecycle::{ReleaseState, Step};

/// Stable error codes of the portal contract (`error.code` on the wire).
pub mod codes {
    /// No or malformed `Authorization` header.
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    /// The access token expired; refresh it.
    pub const TOKEN_EXPIRED: &str = "token_expired";
    /// The token was revoked (logout, `token revoke`) or never existed.
    pub const TOKEN_REVOKED: &str = "token_revoked";
    pub const INVALID_CREDENTIALS: &str = "invalid_credentials";
    /// Too many failed logins for this account or from this address: wait `Retry-After`
    /// seconds (HTTP 429).
    pub const TOO_MANY_ATTEMPTS: &str = "too_many_attempts";
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
    /// Not a wire code of the native portal: a backend cannot do this (see `Capabilities`).
    pub const NOT_AVAILABLE: &str = "not_available_on_portal";

    // The client's own codes (`PortalError::code`), never on the native wire.
    pub const NOT_LOGGED_IN: &str = "not_logged_in";
    pub const SESSION_EXPIRED: &str = "session_expired";
    pub const NETWORK: &str = "network";
    pub const PROTOCOL: &str = "protocol";
    pub const CANCELLED: &str = "cancelled";
    pub const LOCAL_IO: &str = "local_io";
    pub const LOGIN_UNAVAILABLE: &str = "login_unavailable";
    /// The portal's pages cannot be recorded here (live learning, issue #22): no browser, no
    /// display for its window, or a backend without pages to learn from.
    pub const RECORDING_UNAVAILABLE: &str = "recording_unavailable";
    /// A refusal of the SuperApp console without a code of its own (its codes pass lowercased).
    pub const REFUSED: &str = "refused";
    /// The console refused a request made for another address than its own (its `Origin`
    /// check): the portal URL is not the console's own address.
    pub const FOREIGN_ORIGIN: &str = "foreign_origin";
    /// The portal's anti-bot firewall answered with its browser check instead of the API:
    /// log in through the browser again.
    pub const BROWSER_CHECK: &str = "browser_check";
    /// A step or list done through a learned recipe (issue #22) was not accepted, or its answer
    /// no longer looks like the recorded success (the client's own code, not the contract's).
    pub const LEARNED_STEP_FAILED: &str = "learned_step_failed";

    /// Every code above, in documentation order (`docs/portal-api.md` lists each).
    pub const ALL: &[&str] = &[
        UNAUTHENTICATED,
        TOKEN_EXPIRED,
        TOKEN_REVOKED,
        INVALID_CREDENTIALS,
        TOO_MANY_ATTEMPTS,
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

/// A refusal the portal explained, in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status (or 200 for backends that refuse inside an envelope).
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The portal's own advice, prose (may be empty).
    pub hint: String,
    pub retryable: bool,
    /// The request field at fault, when the portal names it.
    pub field: Option<String>,
}

/// What went wrong talking to a portal. Each variant carries what the user needs to act.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("not logged in to {portal}")]
    NotLoggedIn { portal: String },
    #[error("the session expired and could not be renewed: {message}")]
    SessionExpired { message: String },
    #[error("{message}")]
    InvalidCredentials { message: String },
    /// Too many failed logins: the portal takes the next one after `retry_after_secs`
    /// (its `Retry-After`, when it sent one).
    #[error("{message}")]
    TooManyAttempts {
        message: String,
        retry_after_secs: Option<u64>,
    },
    /// The portal refused a request made for another address than its own (a console's
    /// `Origin` check): the portal URL is not the portal's own address.
    #[error("{message}")]
    ForeignOrigin { message: String },
    /// The portal's anti-bot firewall (Alibaba Cloud's WAF in front of GoPay's console)
    /// answered with its browser check — a challenge page (`rgv587`, `x5secdata`,
    /// `_____tmd_____`, `aliyun_waf`) — instead of the API's JSON. A plain HTTP client cannot
    /// pass it; a login in a real browser gives a session the firewall lets through.
    #[error("{url} answered with its firewall's browser check (a challenge page) instead of the console's JSON")]
    BrowserCheck { url: String },
    /// The access token in use (`from` where it came) is expired, revoked or not this portal's.
    #[error("the access token was refused: it is expired, revoked, or not one of this portal's")]
    AccessTokenRefused { from: crate::backend::TokenSource },
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    NotFound { message: String },
    #[error("{message}")]
    IllegalStep {
        message: String,
        state: Option<ReleaseState>,
        allowed: Vec<Step>,
        /// Refused because it is the MiniApp's first release to the target app, which may
        /// only go straight to official (code `first_release_official_only`).
        first_release: bool,
    },
    #[error("{message}")]
    VersionNotHigher { message: String },
    #[error("{message}")]
    TooLarge { message: String },
    /// A grayscale ratio outside 1–100 (`invalid_ratio`) or not above the current one
    /// (`ratio_not_higher`): the same codes from the client's own check and the portal's.
    #[error("{message}")]
    BadRatio { message: String, not_higher: bool },
    /// The backend cannot do this at all; the portal's own pages can.
    #[error("{feature} is not available on this portal ({portal}) through its API")]
    NotAvailable { feature: Feature, portal: String },
    /// Any other refusal the portal explained.
    #[error("{}", .0.message)]
    Refused(Box<Refusal>),
    /// Connection refused/reset, timeout, or a 5xx: worth retrying.
    #[error("{message}")]
    Network { message: String },
    #[error("the portal answered with something this client does not understand: {message}")]
    Protocol { message: String },
    /// A step or list done through a learned recipe (issue #22) was not accepted, or its
    /// answer no longer matches the recording: the portal's own message, which request failed
    /// and what was already done, in `message`.
    #[error("{message}")]
    Learned { message: String },
    #[error("cancelled")]
    Cancelled,
    #[error("{message}")]
    Local { message: String },
    /// This way of logging in cannot work here (no browser, no display for its window, a
    /// login page without the expected fields); `others` may.
    #[error("{message}")]
    LoginUnavailable {
        kind: LoginKind,
        message: String,
        others: Vec<LoginKind>,
    },
    /// The portal's pages cannot be recorded here (no browser, no display for its window, a
    /// backend without pages to learn from): a HAR file saved in the user's own browser can
    /// still teach the step.
    #[error("{message}")]
    RecordingUnavailable { message: String },
}

impl PortalError {
    /// The stable code the user sees (`{code, message, hint, retryable}`).
    pub fn code(&self) -> &str {
        match self {
            PortalError::NotLoggedIn { .. } => "not_logged_in",
            PortalError::SessionExpired { .. } => "session_expired",
            // An ended session too, to scripts and editors (same code, same exit).
            PortalError::AccessTokenRefused { .. } => "session_expired",
            PortalError::InvalidCredentials { .. } => codes::INVALID_CREDENTIALS,
            PortalError::TooManyAttempts { .. } => codes::TOO_MANY_ATTEMPTS,
            PortalError::ForeignOrigin { .. } => codes::FOREIGN_ORIGIN,
            PortalError::BrowserCheck { .. } => codes::BROWSER_CHECK,
            PortalError::Forbidden { .. } => codes::FORBIDDEN,
            PortalError::NotFound { .. } => codes::NOT_FOUND,
            PortalError::IllegalStep {
                first_release: true,
                ..
            } => codes::FIRST_RELEASE_OFFICIAL_ONLY,
            PortalError::IllegalStep { .. } => codes::ILLEGAL_STEP,
            PortalError::VersionNotHigher { .. } => codes::VERSION_NOT_HIGHER,
            PortalError::TooLarge { .. } => codes::TOO_LARGE,
            PortalError::BadRatio {
                not_higher: true, ..
            } => codes::RATIO_NOT_HIGHER,
            PortalError::BadRatio { .. } => codes::INVALID_RATIO,
            PortalError::NotAvailable { .. } => codes::NOT_AVAILABLE,
            PortalError::Refused(refusal) => &refusal.code,
            PortalError::Network { .. } => codes::NETWORK,
            PortalError::Protocol { .. } => codes::PROTOCOL,
            PortalError::Learned { .. } => codes::LEARNED_STEP_FAILED,
            PortalError::Cancelled => codes::CANCELLED,
            PortalError::Local { .. } => "local_io",
            PortalError::LoginUnavailable { .. } => "login_unavailable",
            PortalError::RecordingUnavailable { .. } => codes::RECORDING_UNAVAILABLE,
        }
    }

    pub fn retryable(&self) -> bool {
        match self {
            PortalError::Network { .. } | PortalError::TooManyAttempts { .. } => true,
            PortalError::Refused(refusal) => refusal.retryable,
            _ => false,
        }
    }

    /// Auth problems the user fixes by logging in (exit code 3).
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            PortalError::NotLoggedIn { .. }
                | PortalError::SessionExpired { .. }
                | PortalError::AccessTokenRefused { .. }
                | PortalError::InvalidCredentials { .. }
                | PortalError::TooManyAttempts { .. }
                | PortalError::BrowserCheck { .. }
        )
    }
}

impl From<crate::lifecycle::LifecycleError> for PortalError {
    fn from(err: crate::lifecycle::LifecycleError) -> Self {
        use crate::lifecycle::LifecycleError as L;
        let message = err.to_string();
        match err {
            L::IllegalStep { state, allowed, .. } => PortalError::IllegalStep {
                message,
                state: Some(state),
                allowed,
                first_release: false,
            },
            L::FirstReleaseOfficialOnly { state, allowed, .. } => PortalError::IllegalStep {
                message,
                state: Some(state),
                allowed,
                first_release: true,
            },
            L::WrongRole { .. } => PortalError::Forbidden { message },
            L::RatioOutOfRange { .. } | L::RatioNotANumber { .. } => PortalError::BadRatio {
                message,
                not_higher: false,
            },
            L::RatioNotHigher { .. } => PortalError::BadRatio {
                message,
                not_higher: true,
            },
        }
    }
}
