//! The seam: one [`Portal`] trait that every backend implements, what each backend can do
//! ([`Capabilities`]), and its opaque [`Session`].
//!
//! Workflows hold an `Arc<dyn Portal>` and never see a route, a header or a cookie. A backend
//! that cannot do something answers [`PortalError::NotAvailable`] naming the [`Feature`], and
//! says so up front in its capabilities, so front ends only offer what is possible.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::domain::*;
use crate::error::PortalError;
use crate::lifecycle::Step;

/// Which API a portal speaks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// Our own portal contract (`docs/portal-api.md`), served by `gopay-miniapp portal serve`.
    #[default]
    Native,
    /// The REST API of Alibaba Cloud's SuperApp console, which GoPay's portal runs on
    /// (`docs/portal-superapp.md`).
    Superapp,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Native, Backend::Superapp];

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Native => "native",
            Backend::Superapp => "superapp",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Backend::ALL
            .into_iter()
            .find(|b| b.as_str() == s.trim())
            .ok_or_else(|| format!("unknown backend `{s}`: use native or superapp"))
    }
}

/// Where an access token in use came from, so a refusal names the right input (an editor's
/// `token` argument is not the environment's `GOPAY_MINIAPP_TOKEN`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum TokenSource {
    /// The environment (`GOPAY_MINIAPP_TOKEN`).
    #[default]
    Environment,
    /// An argument of the command (the sidecar's `token`).
    Argument,
}

/// How a user logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoginKind {
    /// Username and password sent to the portal's login API.
    Password,
    /// In a browser, on the portal's own page (SSO, captcha and 2FA keep working).
    Browser,
    /// A long-lived access token (CI).
    Token,
    /// A `Cookie` header copied from a logged-in browser.
    Cookie,
}

/// Something a backend may or may not be able to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum Feature {
    Step(Step),
    ListSpaces,
    ListApps,
    ListTargetApps,
    Login(LoginKind),
    AccessTokens,
    Audit,
    Reviews,
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Our own words for the step (never the portal's label): front ends word buttons
            // from the typed feature themselves.
            Feature::Step(step) => f.write_str(step.name()),
            Feature::ListSpaces => f.write_str("listing spaces"),
            Feature::ListApps => f.write_str("listing MiniApps"),
            Feature::ListTargetApps => f.write_str("listing target apps"),
            Feature::Login(LoginKind::Password) => f.write_str("logging in with a password"),
            Feature::Login(LoginKind::Browser) => f.write_str("logging in with the browser"),
            Feature::Login(LoginKind::Token) => f.write_str("logging in with an access token"),
            Feature::Login(LoginKind::Cookie) => f.write_str("logging in with a cookie"),
            Feature::AccessTokens => f.write_str("access tokens"),
            Feature::Audit => f.write_str("the audit log"),
            Feature::Reviews => f.write_str("reviewing releases"),
        }
    }
}

/// When a portal takes a release's notes for the reviewer.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NotesAt {
    /// With Apply Release (the native portal; the seed's flow).
    #[default]
    Apply,
    /// When the release is made, before Apply (the SuperApp console: the `changelog` of its
    /// release creation; Apply sends none).
    Release,
}

/// What a backend can do. Core offers a step only when the lifecycle table allows it in the
/// release's state *and* the backend lists it here. `Default` is nothing at all (no portal
/// chosen yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub steps: Vec<Step>,
    /// The step that takes the release notes: front ends ask for them there, and nowhere
    /// else (notes asked anywhere else would not be sent).
    pub release_notes: NotesAt,
    pub list_spaces: bool,
    pub list_apps: bool,
    pub list_target_apps: bool,
    pub login: Vec<LoginKind>,
    pub access_tokens: bool,
    pub audit: bool,
    pub reviews: bool,
    /// The features above that this portal does through a route recipe learned on it (issue
    /// #22, `learn`), not through a built-in route: front ends say "learned". Empty for every
    /// portal without recipes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learned: Vec<Feature>,
}

impl Capabilities {
    /// Whether `feature` is done through a learned recipe (see [`Capabilities::learned`]).
    pub fn is_learned(&self, feature: Feature) -> bool {
        self.learned.contains(&feature)
    }

    pub fn supports(&self, feature: Feature) -> bool {
        match feature {
            Feature::Step(step) => self.steps.contains(&step),
            Feature::ListSpaces => self.list_spaces,
            Feature::ListApps => self.list_apps,
            Feature::ListTargetApps => self.list_target_apps,
            Feature::Login(kind) => self.login.contains(&kind),
            Feature::AccessTokens => self.access_tokens,
            Feature::Audit => self.audit,
            Feature::Reviews => self.reviews,
        }
    }

    /// `Ok` when supported, else the typed "not available on this portal" error.
    pub fn require(&self, feature: Feature, portal: &str) -> Result<(), PortalError> {
        if self.supports(feature) {
            Ok(())
        } else {
            Err(PortalError::NotAvailable {
                feature,
                portal: portal.to_string(),
            })
        }
    }
}

/// A backend's own session state (tokens for one, cookies for another), serialized by the
/// backend and stored by core without looking inside. Never printed: not even `Debug`
/// shows it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Session(serde_json::Value);

impl Session {
    pub fn new(state: serde_json::Value) -> Self {
        Session(state)
    }

    /// For the backend that made it.
    pub fn state(&self) -> &serde_json::Value {
        &self.0
    }

    /// The state as the backend's own type (`None` when it is another backend's).
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_value(self.0.clone()).ok()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Session(..)")
    }
}

/// Told when a backend's session changed by itself (a token refresh), so it can be saved.
pub type SessionListener = Arc<dyn Fn(&Session) + Send + Sync>;

/// Where the session is kept between runs, as seen by a backend renewing it. Several
/// processes (eight CLI runs in a CI matrix, a terminal and an editor) may find the same
/// expired session at once, and a refresh token works once: the first renewal spends it, and
/// every other process must take the session that renewal saved instead of refreshing itself
/// (issue #20 item 20). So a backend renews only inside [`SessionRenewal::exclusive`], and
/// first looks at [`SessionRenewal::stored`].
pub trait SessionRenewal: Send + Sync {
    /// Blocks until the caller alone may renew this portal's session, across processes; the
    /// returned guard holds that until it is dropped (after the renewed session is saved).
    fn exclusive(&self) -> Box<dyn Send>;
    /// The session stored now (another process may have renewed it meanwhile).
    fn stored(&self) -> Option<Session>;
}

/// Where a browser login happens, for the front end to show (and open, if the backend did
/// not start a browser itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserLogin {
    pub url: String,
    /// A code the user checks on the page, when the backend has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
    /// True when the backend opened a browser window itself.
    pub browser_started: bool,
}

/// How to log in, with what each way needs.
pub enum Login<'a> {
    Password {
        username: &'a str,
        password: &'a str,
    },
    Browser {
        /// Shown where the user logs in.
        show: &'a (dyn Fn(&BrowserLogin) + Send + Sync),
        /// A name for this client on the portal's approval page, when it has one.
        client_name: Option<String>,
        cancel: &'a CancellationToken,
    },
    Token(&'a str),
    Cookie(&'a str),
}

impl Login<'_> {
    pub fn kind(&self) -> LoginKind {
        match self {
            Login::Password { .. } => LoginKind::Password,
            Login::Browser { .. } => LoginKind::Browser,
            Login::Token(_) => LoginKind::Token,
            Login::Cookie(_) => LoginKind::Cookie,
        }
    }
}

// Passwords, tokens and cookies never reach logs.
impl fmt::Debug for Login<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Login::Password { username, .. } => write!(f, "Password({username}, ..)"),
            other => write!(f, "{:?}(..)", other.kind()),
        }
    }
}

/// A successful login: who, the session to keep, until when (if the backend knows).
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub user: User,
    pub session: Session,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadProgress {
    /// Bytes the portal has confirmed.
    pub sent: u64,
    pub total: u64,
}

impl UploadProgress {
    pub fn percent(self) -> u64 {
        (self.sent * 100).checked_div(self.total).unwrap_or(100)
    }
}

/// A page of the portal's own web UI (see [`Portal::page_url`]).
#[derive(Debug, Clone, Copy)]
pub enum PortalPage<'a> {
    /// The MiniApp's versions.
    App(&'a AppRef),
    /// One version of the MiniApp, with its releases.
    Version {
        app: &'a AppRef,
        version_id: &'a str,
    },
}

/// A change `--dry-run` describes instead of making: the request the adapter would send for it.
#[derive(Debug, Clone, Copy)]
pub enum Planned<'a> {
    Step {
        release: &'a Release,
        input: &'a StepInput,
    },
    Rollback {
        app: &'a AppRef,
        target: &'a TargetApp,
    },
    TemporaryCode {
        release: &'a Release,
        path: Option<&'a str>,
    },
}

/// One request as `--dry-run` shows it (nothing is sent): the exact method, URL, headers and
/// body, except that session values (cookies, tokens, a CSRF value echoed from a cookie) are
/// replaced by what they refer to, e.g. `<session cookie>`, and a value a later request takes
/// from an earlier answer by where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<PlannedHeader>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Made from a route recipe learned on this portal (`gopay-miniapp learn`), not a route
    /// built into this tool.
    pub learned: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PlannedHeader {
    pub name: String,
    pub value: String,
}

impl PlannedHeader {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        PlannedHeader {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// One portal, whatever API it speaks. Every method is one thing a workflow needs; a backend
/// that cannot do it returns [`PortalError::NotAvailable`] (and leaves it out of
/// [`Portal::capabilities`]).
#[async_trait]
pub trait Portal: Send + Sync {
    fn backend(&self) -> Backend;
    /// The portal's URL, no trailing slash.
    fn base_url(&self) -> &str;
    fn capabilities(&self) -> &Capabilities;
    /// Checks the shape of an id given by hand (space, MiniApp, target app) before any
    /// request, for backends whose ids have one.
    fn check_id(&self, _id: &str) -> Result<(), PortalError> {
        Ok(())
    }
    /// The portal's own web page of a MiniApp or a version, for "Open on Portal", where the
    /// backend knows its pages; `None`: front ends open [`Portal::base_url`]. Always on the
    /// portal's origin (built from `base_url`, ids as escaped path segments).
    fn page_url(&self, _page: PortalPage<'_>) -> Option<String> {
        None
    }

    /// The session to use from now on (`None`: logged out).
    async fn set_session(&self, session: Option<Session>);
    /// The session for a CI access token (not stored anywhere).
    fn access_token_session(
        &self,
        token: &str,
        source: TokenSource,
    ) -> Result<Session, PortalError>;
    async fn login(&self, login: Login<'_>) -> Result<LoggedIn, PortalError>;
    /// Ends the session on the portal, when the backend can.
    async fn logout(&self) -> Result<(), PortalError>;

    async fn me(&self) -> Result<User, PortalError>;
    async fn spaces(&self) -> Result<Vec<Space>, PortalError>;
    async fn apps(&self, space_id: &str) -> Result<Vec<MiniApp>, PortalError>;
    async fn target_apps(&self) -> Result<Vec<TargetApp>, PortalError>;

    /// Newest first.
    async fn versions(&self, app: &AppRef) -> Result<Vec<Version>, PortalError>;
    /// `None` when the MiniApp has no version yet.
    async fn latest_version(&self, app: &AppRef) -> Result<Option<Version>, PortalError>;
    /// Makes a new version from a package: nothing half-made remains if it fails.
    async fn upload(
        &self,
        app: &AppRef,
        new: NewVersion<'_>,
        progress: &(dyn Fn(UploadProgress) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<Version, PortalError>;

    /// Abandons an open upload (after a crash, from the publish journal). Backends whose
    /// uploads have no id on the portal have nothing to abandon.
    async fn abandon_upload(&self, _upload_id: &str) -> Result<(), PortalError> {
        Ok(())
    }

    async fn releases(&self, app: &AppRef) -> Result<Vec<Release>, PortalError>;
    async fn release(&self, release: &Release) -> Result<Release, PortalError>;
    /// "Release": a version to a target app (Version Creation). `notes` are sent only where
    /// [`Capabilities::release_notes`] is [`NotesAt::Release`] (`None`: the version's
    /// description); core refuses them elsewhere.
    async fn create_release(
        &self,
        app: &AppRef,
        version: &Version,
        target: &TargetApp,
        notes: Option<&str>,
    ) -> Result<Release, PortalError>;
    async fn take_step(
        &self,
        release: &Release,
        input: StepInput,
    ) -> Result<StepOutcome, PortalError>;
    async fn rollback(&self, app: &AppRef, target: &TargetApp) -> Result<LiveChange, PortalError>;
    async fn temporary_code(
        &self,
        release: &Release,
        path: Option<&str>,
    ) -> Result<TemporaryCode, PortalError>;
    /// The requests [`Portal::take_step`], [`Portal::rollback`] or [`Portal::temporary_code`]
    /// would send for `planned`, with session values redacted; nothing is sent. Core has made
    /// its checks (capabilities, lifecycle) before asking.
    fn plan(&self, planned: Planned<'_>) -> Result<Vec<PlannedRequest>, PortalError>;

    /// Releases on target apps the user administers; `all` includes every state.
    async fn reviews(&self, all: bool) -> Result<Vec<Release>, PortalError>;
    async fn audit(&self, app: &AppRef) -> Result<Vec<AuditEntry>, PortalError>;

    async fn create_access_token(
        &self,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<CreatedAccessToken, PortalError>;
    async fn access_tokens(&self) -> Result<Vec<AccessToken>, PortalError>;
    async fn revoke_access_token(&self, token_id: &str) -> Result<(), PortalError>;

    /// Opens `record.start` (on this portal) in a fresh browser with this session and records
    /// the portal's own requests until `record.stop`, or the tab or the browser closes (live
    /// learning, issue #22). A backend without pages to learn from cannot.
    async fn record_pages(&self, _record: RecordPages<'_>) -> Result<RecordedPages, PortalError> {
        Err(PortalError::RecordingUnavailable {
            message: format!(
                "{} is a {} portal: it has no pages to learn from",
                self.base_url(),
                self.backend()
            ),
        })
    }
}

/// What [`Portal::record_pages`] records.
pub struct RecordPages<'a> {
    /// Where the tab opens: a page of this portal.
    pub start: url::Url,
    /// A window for the user; headless only when something else drives the browser (tests).
    pub window: bool,
    /// The whole recording, at most.
    pub timeout: std::time::Duration,
    /// Hears when the tab is open: its URL and the browser's DevTools address.
    pub opened: &'a (dyn Fn(&str, &str) + Send + Sync),
    /// The user is done (Enter in the terminal).
    pub stop: &'a CancellationToken,
    /// Ends it without a recording.
    pub cancel: &'a CancellationToken,
}

/// What [`Portal::record_pages`] recorded: the portal's own requests, the same type a HAR
/// file gives the learner. `Debug` shows names only.
#[derive(Debug)]
pub struct RecordedPages {
    pub requests: Vec<gopay_miniapp_recipes::RecordedRequest>,
    pub stopped: PagesStopped,
    /// Requests or bodies left out by the bounds (`guard::limits`).
    pub left_out: usize,
}

/// Why a recording ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagesStopped {
    /// The user said so (Enter).
    Asked,
    TabClosed,
    BrowserClosed,
}
