//! Logging in to a web portal through a real browser (Chrome, Chromium or Edge) over the
//! DevTools protocol ([`chromiumoxide`]), for portals whose login is a web page and not an API.
//!
//! [`login`] finds the browser ([`find_browser`]: `GOPAY_MINIAPP_BROWSER`, the usual names on
//! `PATH`, the usual install paths), starts it with a fresh temporary profile (deleted
//! afterwards), opens the login page and either
//! - [`Mode::Interactive`]: the user logs in in the window (SSO, captcha and 2FA keep
//!   working), or
//! - [`Mode::Fill`]: fills the username and password fields and submits, headless;
//!
//! then waits until the page's URL says it is logged in ([`LoginPage::logged_in`]), takes the
//! cookies of the portal's origin, closes the browser and returns them as a `Cookie` header
//! value. Cancellable and bounded by a timeout.
//!
//! Secrets: the password and the cookies go over the DevTools connection, which
//! `chromiumoxide` and `tungstenite` log at debug/trace level. Those targets are
//! [`QUIET_LOG_TARGETS`]: a program's tracing subscriber must filter them out whatever
//! `RUST_LOG` says (see [`is_quiet_target`]). This crate itself never logs either.

mod drive;
mod find;
pub mod record;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use find::{find_browser, find_in, install_paths, BROWSER_ENV, PATH_NAMES};
pub use record::{record, Recorded, Recording, Stopped};

/// Log targets that carry DevTools messages (typed passwords, cookies) at any level; never
/// to be shown, whatever `RUST_LOG` says.
pub const QUIET_LOG_TARGETS: &[&str] = &[
    "chromiumoxide",
    "chromiumoxide_cdp",
    "chromiumoxide_types",
    "async_tungstenite",
    "tungstenite",
];

/// Whether a log event of `target` must be dropped (see [`QUIET_LOG_TARGETS`]).
pub fn is_quiet_target(target: &str) -> bool {
    QUIET_LOG_TARGETS.iter().any(|quiet| {
        target == *quiet
            || target
                .strip_prefix(quiet)
                .is_some_and(|rest| rest.starts_with("::"))
    })
}

/// How the login happens.
pub enum Mode<'a> {
    /// The user logs in in the browser's window.
    Interactive,
    /// Fill the form's fields and submit it.
    Fill {
        username: &'a str,
        password: &'a str,
    },
}

impl fmt::Debug for Mode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Interactive => f.write_str("Interactive"),
            Mode::Fill { username, .. } => write!(f, "Fill({username}, ..)"),
        }
    }
}

/// Whether the browser shows a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Visible,
    Headless,
}

/// A URL predicate: true when the page is logged in.
pub type UrlPredicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The portal's login page and how to tell its states apart.
#[derive(Clone)]
pub struct LoginPage {
    /// Where the login starts.
    pub url: String,
    /// The cookies of this URL are taken (the portal's origin).
    pub cookie_url: String,
    /// True on a URL of the logged-in portal.
    pub logged_in: UrlPredicate,
    /// The CSS selectors of the fields [`Mode::Fill`] types into.
    pub username_field: String,
    pub password_field: String,
    /// Elements that show why a login was refused (their text is the error).
    pub error_selector: String,
    /// An element of the logged-in page whose text names the user, when the portal has one.
    pub user_selector: Option<String>,
}

impl LoginPage {
    /// A page with `#username`, `#password` and the error in a `[role=alert]` (or `.error`)
    /// element; logged in when the URL contains `logged_in_marker`.
    pub fn new(url: &str, cookie_url: &str, logged_in_marker: &str) -> Self {
        let marker = logged_in_marker.to_string();
        LoginPage {
            url: url.to_string(),
            cookie_url: cookie_url.to_string(),
            logged_in: Arc::new(move |u: &str| u.contains(&marker)),
            username_field: "#username".into(),
            password_field: "#password".into(),
            error_selector: "[role=alert], .error".into(),
            user_selector: None,
        }
    }
}

const FIELDS_TIMEOUT: Duration = Duration::from_secs(20);

/// What [`login`] does, beyond the page.
#[derive(Debug, Clone)]
pub struct Options {
    pub window: Window,
    /// The whole login, from the browser's start to its cookies.
    pub timeout: Duration,
    /// The browser to start (default: [`find_browser`]).
    pub executable: Option<PathBuf>,
    /// How long the login page may take to show the fields [`Mode::Fill`] types into.
    pub fields_timeout: Duration,
}

impl Options {
    /// A visible window for the user (5 minutes to log in).
    pub fn interactive() -> Self {
        Options {
            window: Window::Visible,
            timeout: Duration::from_secs(300),
            executable: None,
            fields_timeout: FIELDS_TIMEOUT,
        }
    }

    /// Headless, for filling the form (1 minute).
    pub fn headless() -> Self {
        Options {
            window: Window::Headless,
            timeout: Duration::from_secs(60),
            executable: None,
            fields_timeout: FIELDS_TIMEOUT,
        }
    }
}

/// The browser is up and on the login page.
#[derive(Debug, Clone)]
pub struct Started {
    pub executable: PathBuf,
    /// The DevTools WebSocket address (another client may drive the same browser).
    pub devtools_url: String,
    pub window: Window,
    /// The temporary profile (deleted when the login ends).
    pub profile: PathBuf,
}

/// A finished login. `Debug` never shows the cookies.
#[derive(Clone)]
pub struct Cookies {
    /// `name=value; name2=value2`: the portal origin's cookies as a `Cookie` header value.
    pub header: String,
    /// How many cookies.
    pub count: usize,
    /// The URL the page was at when logged in.
    pub url: String,
    /// The text of [`LoginPage::user_selector`], when the page had it.
    pub user: Option<String>,
}

impl fmt::Debug for Cookies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cookies")
            .field("count", &self.count)
            .field("url", &self.url)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Why a browser login did not finish. Never carries a password or a cookie.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "{BROWSER_ENV} is `{value}`, which is not an executable file: set it to the executable of Chrome, Chromium or Edge, or unset it to look for {names} on PATH",
        names = PATH_NAMES.join(", ")
    )]
    EnvBrowserMissing { value: String },
    #[error(
        "no Chrome, Chromium or Edge was found: set {BROWSER_ENV} to the browser's executable (looked for {names} on PATH, then {paths})",
        names = PATH_NAMES.join(", "),
        paths = if looked_in.is_empty() { "no install paths".to_string() } else { looked_in.join(", ") }
    )]
    NotFound { looked_in: Vec<String> },
    #[error("there is no display for a browser window here (neither DISPLAY nor WAYLAND_DISPLAY is set)")]
    NoDisplay,
    #[error("the browser {browser} did not start: {message}")]
    Launch { browser: String, message: String },
    #[error("the login page {url} has no {missing} field, so it cannot be filled in")]
    FormNotFound { url: String, missing: String },
    #[error("the portal refused the login: {message}")]
    Refused { message: String },
    #[error("the browser was closed before the login finished")]
    Closed,
    #[error("no login within {} seconds ({waiting})", after.as_secs())]
    TimedOut { after: Duration, waiting: String },
    #[error("logged in, but the portal set no cookie for {url}")]
    NoCookies { url: String },
    #[error("cancelled")]
    Cancelled,
    #[error("the temporary browser profile could not be made: {0}")]
    Profile(#[source] std::io::Error),
    #[error("talking to the browser failed: {message}")]
    DevTools { message: String },
    /// The login page led to another origin before the form was filled: the password is
    /// typed only into the portal's own page (guard::url::same_origin).
    #[error("the login page {expected} led to {found}, another origin: the password was not typed there. Use the portal's own address")]
    OtherOrigin { expected: String, found: String },
}

impl BrowserError {
    /// True when no browser can run here at all (none found, or no display for a window):
    /// another way of logging in is needed, not another try.
    pub fn no_browser(&self) -> bool {
        matches!(
            self,
            BrowserError::EnvBrowserMissing { .. }
                | BrowserError::NotFound { .. }
                | BrowserError::Launch { .. }
        )
    }
}

/// Logs in on `page` by `mode`; `on_started` hears when the browser is on the login page.
pub async fn login(
    page: &LoginPage,
    mode: Mode<'_>,
    options: &Options,
    on_started: &(dyn Fn(&Started) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<Cookies, BrowserError> {
    let executable = runnable(options.executable.as_ref(), options.window)?;
    drive::run(page, mode, options, executable, on_started, cancel).await
}

/// The browser to start (`given`, else [`find_browser`]), once it is known it can show
/// `window` here.
fn runnable(given: Option<&PathBuf>, window: Window) -> Result<PathBuf, BrowserError> {
    let executable = match given {
        Some(path) => path.clone(),
        None => find_browser()?,
    };
    if window == Window::Visible && !has_display() {
        return Err(BrowserError::NoDisplay);
    }
    Ok(executable)
}

/// Whether a window can be shown: on Linux and the BSDs only with an X or Wayland display.
pub fn has_display() -> bool {
    if cfg!(any(target_os = "macos", windows)) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_targets_cover_their_modules_only() {
        assert!(is_quiet_target("chromiumoxide"));
        assert!(is_quiet_target("chromiumoxide::conn"));
        assert!(is_quiet_target("chromiumoxide::conn::raw_ws::parse_errors"));
        assert!(is_quiet_target("tungstenite::protocol"));
        assert!(is_quiet_target("async_tungstenite"));
        assert!(!is_quiet_target("gopay_miniapp_browser"));
        assert!(!is_quiet_target("chromiumoxidefoo"));
    }

    #[test]
    fn cookies_and_passwords_never_show_in_debug() {
        let c = Cookies {
            header: "SA=secret-value".into(),
            count: 1,
            url: "http://x/#/overview".into(),
            user: None,
        };
        assert!(!format!("{c:?}").contains("secret-value"));
        let m = Mode::Fill {
            username: "demo",
            password: "hunter2",
        };
        assert!(!format!("{m:?}").contains("hunter2"));
    }
}
