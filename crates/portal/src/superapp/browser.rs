//! The console's login in a real browser (the console has no known password API): its login
//! page `/login` with `#username` and `#password`, logged in once the single-page app is at a
//! URL containing `#/overview` (OBSERVED). The browser itself is `gopay-miniapp-browser`;
//! this module only describes the page and maps its errors.

use gopay_miniapp_browser::{self as browser, BrowserError, LoginPage, Mode, Options, Started};
use tokio_util::sync::CancellationToken;

use crate::backend::{BrowserLogin, LoginKind, PagesStopped, RecordPages, RecordedPages};
use crate::error::PortalError;

/// Where the console's single-page app is once logged in (OBSERVED).
const LOGGED_IN: &str = "#/overview";
/// The element of the overview that names the user: the emulator's (ASSUMED; the real
/// console's page is unknown, and without it the session's username stays a placeholder).
const USER: &str = "#overview-user";

/// How to log in through the browser.
pub(super) enum How<'a> {
    /// A window where the user logs in; `show` hears when it opened.
    Window {
        show: &'a (dyn Fn(&BrowserLogin) + Send + Sync),
        cancel: &'a CancellationToken,
    },
    /// The form filled in a headless browser.
    Form {
        username: &'a str,
        password: &'a str,
    },
}

/// What the browser login gave: the Cookie header, and who, when the page said.
pub(super) struct BrowserSession {
    pub cookie: String,
    pub user: Option<String>,
}

/// Logs in on the console at `base_url`; `ways` are the backend's login kinds (to name the
/// others when this one cannot work here).
pub(super) async fn log_in(
    base_url: &str,
    how: How<'_>,
    ways: &[LoginKind],
) -> Result<BrowserSession, PortalError> {
    let login_url = format!("{base_url}/login");
    let mut page = LoginPage::new(&login_url, &format!("{base_url}/"), LOGGED_IN);
    page.user_selector = Some(USER.into());
    let never = CancellationToken::new();
    let (kind, result) = match how {
        How::Window { show, cancel } => {
            let opened = |_: &Started| {
                show(&BrowserLogin {
                    url: login_url.clone(),
                    user_code: None,
                    browser_started: true,
                })
            };
            let result = browser::login(
                &page,
                Mode::Interactive,
                &Options::interactive(),
                &opened,
                cancel,
            )
            .await;
            (LoginKind::Browser, result)
        }
        How::Form { username, password } => {
            let result = browser::login(
                &page,
                Mode::Fill { username, password },
                &Options::headless(),
                &|_: &Started| {},
                &never,
            )
            .await;
            (LoginKind::Password, result)
        }
    };
    match result {
        Ok(cookies) => Ok(BrowserSession {
            cookie: cookies.header,
            user: cookies.user,
        }),
        Err(err) => Err(portal_error(err, kind, ways)),
    }
}

/// Records the console's own requests in a fresh browser with the session `cookie` (live
/// learning, issue #22), from `record.start`, which must be on the console's origin.
pub(super) async fn record(
    base_url: &str,
    cookie: &str,
    record: RecordPages<'_>,
) -> Result<RecordedPages, PortalError> {
    let origin = url::Url::parse(base_url).map_err(|e| PortalError::Local {
        message: e.to_string(),
    })?;
    if !gopay_miniapp_guard::url::same_origin(&origin, &record.start) {
        return Err(PortalError::RecordingUnavailable {
            message: format!(
                "{} is not a page of {}",
                gopay_miniapp_guard::url::redact_url(&record.start),
                gopay_miniapp_guard::url::redact_url(&origin)
            ),
        });
    }
    let recording = browser::Recording {
        origin: &origin,
        start: &record.start,
        cookie,
        window: if record.window {
            browser::Window::Visible
        } else {
            browser::Window::Headless
        },
        timeout: record.timeout,
        executable: None,
    };
    let opened = |started: &Started| (record.opened)(record.start.as_str(), &started.devtools_url);
    match browser::record(&recording, &opened, record.stop, record.cancel).await {
        Ok(recorded) => Ok(RecordedPages {
            requests: recorded.requests,
            stopped: match recorded.stopped {
                browser::Stopped::Asked => PagesStopped::Asked,
                browser::Stopped::TabClosed => PagesStopped::TabClosed,
                browser::Stopped::BrowserClosed => PagesStopped::BrowserClosed,
            },
            left_out: recorded.left_out,
        }),
        Err(BrowserError::Cancelled) => Err(PortalError::Cancelled),
        Err(err) => Err(PortalError::RecordingUnavailable {
            message: err.to_string(),
        }),
    }
}

fn portal_error(err: BrowserError, kind: LoginKind, ways: &[LoginKind]) -> PortalError {
    match err {
        BrowserError::Refused { .. } => PortalError::InvalidCredentials {
            message: err.to_string(),
        },
        BrowserError::Cancelled => PortalError::Cancelled,
        err => {
            // Without a browser neither browser login works; without a display the headless
            // form fill still does.
            let no_browser = err.no_browser();
            let others = ways
                .iter()
                .copied()
                .filter(|w| *w != kind)
                .filter(|w| !no_browser || !matches!(w, LoginKind::Browser | LoginKind::Password))
                .collect();
            PortalError::LoginUnavailable {
                kind,
                message: err.to_string(),
                others,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[LoginKind] = &[LoginKind::Browser, LoginKind::Password, LoginKind::Cookie];

    #[test]
    fn the_fallbacks_are_the_ways_that_can_still_work() {
        let others = |err, kind| match portal_error(err, kind, ALL) {
            PortalError::LoginUnavailable { others, .. } => others,
            other => panic!("{other:?}"),
        };
        let missing = || BrowserError::NotFound { looked_in: vec![] };
        assert_eq!(others(missing(), LoginKind::Browser), [LoginKind::Cookie]);
        assert_eq!(others(missing(), LoginKind::Password), [LoginKind::Cookie]);
        assert_eq!(
            others(BrowserError::NoDisplay, LoginKind::Browser),
            [LoginKind::Password, LoginKind::Cookie]
        );
        let form = BrowserError::FormNotFound {
            url: "u".into(),
            missing: "`#username`".into(),
        };
        assert_eq!(
            others(form, LoginKind::Password),
            [LoginKind::Browser, LoginKind::Cookie]
        );
        assert!(matches!(
            portal_error(
                BrowserError::Refused {
                    message: "Wrong username or password.".into()
                },
                LoginKind::Password,
                ALL
            ),
            PortalError::InvalidCredentials { .. }
        ));
    }
}
