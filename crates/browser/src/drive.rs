//! The DevTools side of [`crate::login`]: start the browser, drive the login page, take the
//! cookies, close the browser and delete its profile, whatever happens in between.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::network::GetCookiesParams;
use chromiumoxide::error::CdpError;
use chromiumoxide::{Element, Page};
use futures_util::StreamExt;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::{BrowserError, Cookies, LoginPage, Mode, Options, Started, Window};

/// One look at the page (a navigation in progress makes an evaluation wait).
const LOOK: Duration = Duration::from_secs(3);
/// How long closing the browser may take before it is killed.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// What the login was doing, for the timeout's message.
#[derive(Clone, Copy)]
enum Phase {
    Starting,
    Fields,
    User,
    Submitted,
    Cookies,
}

impl Phase {
    fn waiting(self) -> &'static str {
        match self {
            Phase::Starting => "the browser did not open the login page",
            Phase::Fields => "the login page did not show its fields",
            Phase::User => "waiting for the login in the browser window",
            Phase::Submitted => {
                "the portal did not show the logged-in page after the form was sent; it may want a captcha or a second factor"
            }
            Phase::Cookies => "the browser did not hand over the cookies",
        }
    }
}

pub(crate) async fn run(
    page: &LoginPage,
    mode: Mode<'_>,
    options: &Options,
    executable: PathBuf,
    on_started: &(dyn Fn(&Started) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<Cookies, BrowserError> {
    let phase = Arc::new(Mutex::new(Phase::Starting));
    let timed_out = || BrowserError::TimedOut {
        after: options.timeout,
        waiting: phase.lock().expect("phase").waiting().to_string(),
    };
    let deadline = tokio::time::Instant::now() + options.timeout;
    let running = launch(executable, options.window, deadline, cancel)
        .await
        .map_err(|e| e.unwrap_or_else(timed_out))?;
    let result = tokio::select! {
        result = drive(&running.browser, page, mode, options, &running.started, on_started, &phase) => result,
        _ = cancel.cancelled() => Err(BrowserError::Cancelled),
        _ = tokio::time::sleep_until(deadline) => Err(timed_out()),
        _ = running.gone.cancelled() => Err(BrowserError::Closed),
    };
    running.shut().await;
    result
}

/// A browser started on a fresh temporary profile, its DevTools connection polled.
pub(crate) struct Running {
    pub browser: Browser,
    /// Cancelled when the connection is lost (the user closed the browser).
    pub gone: CancellationToken,
    pub started: Started,
    events: tokio::task::JoinHandle<()>,
    profile: tempfile::TempDir,
}

/// Starts `executable` on a fresh temporary profile. `Err(None)`: `deadline` passed first
/// (the caller words the timeout).
pub(crate) async fn launch(
    executable: PathBuf,
    window: Window,
    deadline: tokio::time::Instant,
    cancel: &CancellationToken,
) -> Result<Running, Option<BrowserError>> {
    let profile = tempfile::Builder::new()
        .prefix("gopay-miniapp-browser-")
        .tempdir()
        .map_err(|e| Some(BrowserError::Profile(e)))?;
    let config = config(&executable, profile.path(), window)?;
    // Dropping the launch (cancel, timeout) kills the process: chromiumoxide spawns it with
    // kill_on_drop.
    let launched = tokio::select! {
        launched = Browser::launch(config) => launched,
        _ = cancel.cancelled() => return Err(Some(BrowserError::Cancelled)),
        _ = tokio::time::sleep_until(deadline) => return Err(None),
    };
    let (browser, mut handler) = launched.map_err(|e| BrowserError::Launch {
        browser: executable.display().to_string(),
        message: launch_message(&e),
    })?;
    let gone = CancellationToken::new();
    let events = tokio::spawn({
        let gone = gone.clone();
        async move {
            // The connection's events must be polled for anything to happen; an error here
            // is the connection lost (the user closed the browser).
            while let Some(event) = handler.next().await {
                if event.is_err() {
                    break;
                }
            }
            gone.cancel();
        }
    });
    let started = Started {
        executable,
        devtools_url: browser.websocket_address().clone(),
        window,
        profile: profile.path().to_path_buf(),
    };
    Ok(Running {
        browser,
        gone,
        started,
        events,
        profile,
    })
}

impl Running {
    /// Closes the browser (killed when slow) and deletes its profile, which holds the
    /// session's cookies.
    pub(crate) async fn shut(mut self) {
        close(&mut self.browser).await;
        self.events.abort();
        drop(self.browser);
        remove_profile(self.profile).await;
    }
}

fn config(
    executable: &std::path::Path,
    profile: &std::path::Path,
    window: Window,
) -> Result<BrowserConfig, BrowserError> {
    let mut builder = BrowserConfig::builder()
        .chrome_executable(executable)
        .user_data_dir(profile)
        .launch_timeout(Duration::from_secs(30))
        .request_timeout(Duration::from_secs(30));
    builder = match window {
        // The user's own window size, no emulated viewport.
        Window::Visible => builder.with_head().viewport(None),
        Window::Headless => builder.new_headless_mode(),
    };
    if running_as_root() {
        // Chromium refuses to start its sandbox as root (containers, CI runners): it would
        // exit at once. Only then is the sandbox turned off; a normal user keeps it.
        builder = builder.no_sandbox();
    }
    builder.build().map_err(|message| BrowserError::Launch {
        browser: executable.display().to_string(),
        message,
    })
}

fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

async fn drive(
    browser: &Browser,
    page: &LoginPage,
    mode: Mode<'_>,
    options: &Options,
    started: &Started,
    on_started: &(dyn Fn(&Started) + Send + Sync),
    phase: &Mutex<Phase>,
) -> Result<Cookies, BrowserError> {
    let set = |p: Phase| *phase.lock().expect("phase") = p;
    let tab = browser
        .new_page(page.url.as_str())
        .await
        .map_err(devtools)?;
    close_blank_tabs(browser, &tab).await;
    on_started(started);
    let url = match mode {
        Mode::Interactive => {
            set(Phase::User);
            wait_logged_in(&tab, page, None).await?
        }
        Mode::Fill { username, password } => {
            set(Phase::Fields);
            let before = fill(&tab, page, username, password, options.fields_timeout).await?;
            set(Phase::Submitted);
            wait_logged_in(&tab, page, Some(before)).await?
        }
    };
    set(Phase::Cookies);
    let cookies = tab
        .execute(
            GetCookiesParams::builder()
                .url(page.cookie_url.clone())
                .build(),
        )
        .await
        .map_err(devtools)?
        .result
        .cookies;
    if cookies.is_empty() {
        return Err(BrowserError::NoCookies {
            url: page.cookie_url.clone(),
        });
    }
    let header = cookies
        .iter()
        .map(|c| format!("{}={}", c.name, c.value))
        .collect::<Vec<_>>()
        .join("; ");
    let user = match &page.user_selector {
        Some(selector) => text_of(&tab, selector).await,
        None => None,
    };
    Ok(Cookies {
        header,
        count: cookies.len(),
        url,
        user,
    })
}

/// The window opens with an empty tab besides the login page: closed, so the user sees one.
pub(crate) async fn close_blank_tabs(browser: &Browser, keep: &Page) {
    let Ok(pages) = browser.pages().await else {
        return;
    };
    for other in pages {
        if other.target_id() == keep.target_id() {
            continue;
        }
        if let Ok(Ok(Some(url))) = tokio::time::timeout(LOOK, other.url()).await {
            if url == "about:blank" {
                let _ = tokio::time::timeout(LOOK, other.close()).await;
            }
        }
    }
}

/// The page's error before the form was sent, to tell a new error from an old one.
struct BeforeSubmit {
    alert: String,
}

/// Types the username and password as a user would and submits with Enter.
async fn fill(
    tab: &Page,
    page: &LoginPage,
    username: &str,
    password: &str,
    fields_timeout: Duration,
) -> Result<BeforeSubmit, BrowserError> {
    let start = tokio::time::Instant::now();
    let (user_field, password_field) = loop {
        let user_field = tab.find_element(page.username_field.as_str()).await.ok();
        let password_field = tab.find_element(page.password_field.as_str()).await.ok();
        match (user_field, password_field) {
            (Some(u), Some(p)) => break (u, p),
            (u, p) if start.elapsed() >= fields_timeout => {
                let mut missing = Vec::new();
                if u.is_none() {
                    missing.push(format!("`{}`", page.username_field));
                }
                if p.is_none() {
                    missing.push(format!("`{}`", page.password_field));
                }
                return Err(BrowserError::FormNotFound {
                    url: href(tab).await.unwrap_or_else(|| page.url.clone()),
                    missing: missing.join(" and "),
                });
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    // A login page that redirected elsewhere (by HTTP or by script) gets no password.
    let here = href(tab).await.unwrap_or_default();
    let on_portal = match (url::Url::parse(&here), url::Url::parse(&page.url)) {
        (Ok(here), Ok(portal)) => gopay_miniapp_guard::url::same_origin(&here, &portal),
        _ => false,
    };
    if !on_portal {
        return Err(BrowserError::OtherOrigin {
            expected: gopay_miniapp_guard::url::redact(&page.url),
            found: gopay_miniapp_guard::url::redact(&here),
        });
    }
    type_into(&user_field, username).await?;
    type_into(&password_field, password).await?;
    let alert = look(tab, page).await.map(|l| l.alert).unwrap_or_default();
    // A mark on this document: a page without it is the portal's answer to the form.
    let _ = tokio::time::timeout(LOOK, tab.evaluate("window.__gopayMiniappSent = true")).await;
    password_field.press_key("Enter").await.map_err(devtools)?;
    Ok(BeforeSubmit { alert })
}

async fn type_into(field: &Element, text: &str) -> Result<(), BrowserError> {
    field
        .call_js_fn("function() { this.value = ''; }", false)
        .await
        .map_err(devtools)?;
    field.focus().await.map_err(devtools)?;
    field.type_str(text).await.map_err(devtools)?;
    Ok(())
}

/// One look at the page.
struct Look {
    href: String,
    /// Not the document the form was filled in.
    fresh: bool,
    /// The text of the first visible error element.
    alert: String,
}

async fn look(tab: &Page, page: &LoginPage) -> Option<Look> {
    let selector = serde_json::to_string(&page.error_selector).expect("a string");
    let script = format!(
        r#"(() => {{
            let alert = "";
            for (const e of document.querySelectorAll({selector})) {{
                const t = (e.innerText || e.textContent || "").trim();
                if (t && e.getClientRects().length > 0) {{ alert = t; break; }}
            }}
            return JSON.stringify({{ href: location.href, fresh: !window.__gopayMiniappSent, alert }});
        }})()"#
    );
    let result = tokio::time::timeout(LOOK, tab.evaluate(script))
        .await
        .ok()?
        .ok()?;
    let text: String = result.into_value().ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    Some(Look {
        href: v["href"].as_str()?.to_string(),
        fresh: v["fresh"].as_bool().unwrap_or(false),
        alert: v["alert"].as_str().unwrap_or_default().to_string(),
    })
}

async fn href(tab: &Page) -> Option<String> {
    let result = tokio::time::timeout(LOOK, tab.evaluate("location.href"))
        .await
        .ok()?
        .ok()?;
    result.into_value().ok()
}

async fn text_of(tab: &Page, selector: &str) -> Option<String> {
    let selector = serde_json::to_string(selector).expect("a string");
    let script = format!(
        "(() => {{ const e = document.querySelector({selector}); return e ? (e.innerText || e.textContent || '').trim() : ''; }})()"
    );
    let result = tokio::time::timeout(LOOK, tab.evaluate(script))
        .await
        .ok()?
        .ok()?;
    let text: String = result.into_value().ok()?;
    (!text.is_empty()).then_some(text)
}

/// Waits until the page's URL is a logged-in one (its URL then). After a form was sent
/// (`sent`), a new error on the login page is the portal's refusal.
async fn wait_logged_in(
    tab: &Page,
    page: &LoginPage,
    sent: Option<BeforeSubmit>,
) -> Result<String, BrowserError> {
    let every = if sent.is_some() {
        Duration::from_millis(200)
    } else {
        Duration::from_millis(500)
    };
    loop {
        match &sent {
            None => {
                if let Some(url) = href(tab).await {
                    if (page.logged_in)(&url) {
                        return Ok(url);
                    }
                }
            }
            Some(before) => {
                if let Some(l) = look(tab, page).await {
                    if (page.logged_in)(&l.href) {
                        return Ok(l.href);
                    }
                    let refused = !l.alert.is_empty()
                        && (l.fresh || l.alert != before.alert)
                        && same_page(&l.href, &page.url);
                    if refused {
                        return Err(BrowserError::Refused { message: l.alert });
                    }
                }
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// The same origin and path (the login page, whatever its query or fragment).
fn same_page(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin() && a.path() == b.path(),
        _ => false,
    }
}

async fn close(browser: &mut Browser) {
    let _ = tokio::time::timeout(CLOSE_WAIT, browser.close()).await;
    match tokio::time::timeout(CLOSE_WAIT, browser.wait()).await {
        Ok(Ok(_)) => {}
        _ => {
            let _ = browser.kill().await;
            let _ = tokio::time::timeout(CLOSE_WAIT, browser.wait()).await;
        }
    }
}

/// The profile holds the session's cookies: it goes, even when the browser's helpers are
/// slow to let go of it.
async fn remove_profile(profile: tempfile::TempDir) {
    let path = profile.path().to_path_buf();
    if profile.close().is_ok() {
        return;
    }
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if std::fs::remove_dir_all(&path).is_ok() || !path.exists() {
            return;
        }
    }
    tracing::warn!(
        "the temporary browser profile {} could not be deleted; delete it by hand",
        path.display()
    );
}

/// A launch failure, without the browser's whole stderr.
fn launch_message(err: &CdpError) -> String {
    let text = err.to_string();
    let max = 600;
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

/// A DevTools failure, in words that never carry a message's content (which may be a
/// cookie or a typed password).
pub(crate) fn devtools(err: CdpError) -> BrowserError {
    let message = match &err {
        CdpError::Serde(_) | CdpError::InvalidMessage(..) | CdpError::UnexpectedWsMessage(_) => {
            "the browser sent a message this client does not understand".to_string()
        }
        CdpError::JavascriptException(_) => "a script on the login page failed".to_string(),
        CdpError::Ws(e) => format!("the DevTools connection failed: {e}"),
        other => other.to_string(),
    };
    BrowserError::DevTools { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_page_is_the_same_whatever_its_query_or_fragment() {
        assert!(same_page(
            "http://127.0.0.1:1/login?x=1#a",
            "http://127.0.0.1:1/login"
        ));
        assert!(!same_page(
            "http://127.0.0.1:1/#/overview",
            "http://127.0.0.1:1/login"
        ));
        assert!(!same_page(
            "http://127.0.0.2:1/login",
            "http://127.0.0.1:1/login"
        ));
    }
}
