//! The browser login against the SuperApp console emulator over real HTTP on loopback, with
//! Debian's Chromium (`/usr/bin/chromium`, or `CHROMIUM`) headless: the form filled, a wrong
//! password refused, a page without the fields, the interactive path driven by a second
//! DevTools client typing as a user would, and a cancel. Each checks that the temporary
//! profile is gone afterwards.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::Browser;
use futures_util::StreamExt;
use gopay_miniapp_browser::{login, BrowserError, LoginPage, Mode, Options, Started, Window};
use gopay_miniapp_portal_server::superapp::{self, SESSION_COOKIE};
use gopay_miniapp_portal_server::{start, Backend, PortalConfig, RunningPortal};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

fn chromium() -> PathBuf {
    let path = PathBuf::from(std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
    assert!(
        path.exists(),
        "{} is missing: apt-get install -y chromium (or set CHROMIUM)",
        path.display()
    );
    path
}

struct Emulator {
    running: RunningPortal,
    _dir: tempfile::TempDir,
}

async fn emulator() -> Emulator {
    let dir = tempfile::tempdir().unwrap();
    let running = start(PortalConfig {
        data_dir: dir.path().to_path_buf(),
        seed_demo: true,
        backend: Backend::Superapp,
        ..PortalConfig::default()
    })
    .await
    .expect("the emulator starts");
    Emulator { running, _dir: dir }
}

impl Emulator {
    fn url(&self) -> &str {
        &self.running.url
    }

    /// The console's login page, as the superapp backend describes it.
    fn page(&self) -> LoginPage {
        let mut page = LoginPage::new(
            &format!("{}/login", self.url()),
            &format!("{}/", self.url()),
            "#/overview",
        );
        page.user_selector = Some("#overview-user".into());
        page
    }

    /// A versions query with the cookie: the console's answer.
    async fn versions_with(&self, cookie: &str) -> Value {
        let store = self.running.store().clone();
        let entries = tokio::task::spawn_blocking(move || superapp::directory(&store))
            .await
            .unwrap()
            .unwrap();
        let id = |kind: &str, name: &str| {
            entries
                .iter()
                .find(|e| e.kind == kind && e.name == name)
                .unwrap()
                .id
                .clone()
        };
        reqwest::Client::new()
            .get(format!("{}/rest/intercnn/app/version/query", self.url()))
            .query(&[
                ("currentPage", "1"),
                ("pageSize", "10"),
                ("appId", &id("app", "Hello MiniApp")),
                ("spaceId", &id("space", "Demo Space")),
            ])
            .header("Cookie", cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn headless() -> Options {
    Options {
        executable: Some(chromium()),
        ..Options::headless()
    }
}

/// Remembers what `on_started` was told.
#[derive(Default, Clone)]
struct Seen(Arc<Mutex<Option<Started>>>);

impl Seen {
    fn hook(&self) -> impl Fn(&Started) + Send + Sync {
        let seen = self.0.clone();
        move |s: &Started| *seen.lock().unwrap() = Some(s.clone())
    }

    #[track_caller]
    fn profile_is_gone(&self) {
        let started = self.0.lock().unwrap().clone().expect("the browser started");
        assert!(
            !started.profile.exists(),
            "the temporary profile {} is still there",
            started.profile.display()
        );
    }
}

#[tokio::test]
async fn the_form_is_filled_headless_and_its_cookie_opens_the_api() {
    let emu = emulator().await;
    let seen = Seen::default();
    let cookies = login(
        &emu.page(),
        Mode::Fill {
            username: "demo",
            password: "demo",
        },
        &headless(),
        &seen.hook(),
        &CancellationToken::new(),
    )
    .await
    .expect("logged in");
    assert!(
        cookies.header.starts_with(&format!("{SESSION_COOKIE}=sa_")),
        "the Cookie header has the console's session (count {})",
        cookies.count
    );
    assert!(cookies.url.contains("#/overview"), "{}", cookies.url);
    assert_eq!(cookies.user.as_deref(), Some("Demo Developer"));
    let answer = emu.versions_with(&cookies.header).await;
    assert_eq!(answer["success"], true, "{answer}");
    seen.profile_is_gone();
    // Without the cookie the same query is the lost session: the cookie is what made it work.
    let lost = emu.versions_with("").await;
    assert_eq!(lost["errorCode"], "401", "{lost}");
}

#[tokio::test]
async fn a_wrong_password_is_the_pages_refusal() {
    let emu = emulator().await;
    let seen = Seen::default();
    let err = login(
        &emu.page(),
        Mode::Fill {
            username: "demo",
            password: "not-the-password",
        },
        &headless(),
        &seen.hook(),
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    match &err {
        BrowserError::Refused { message } => {
            assert_eq!(message, "Wrong username or password.")
        }
        other => panic!("not a refusal: {other:?}"),
    }
    assert!(!err.to_string().contains("not-the-password"), "{err}");
    seen.profile_is_gone();
}

#[tokio::test]
async fn a_page_without_the_fields_is_named() {
    let emu = emulator().await;
    let mut page = emu.page();
    // The overview redirects to /login without a session: use a page that has no form.
    page.url = format!("{}/rest/intercnn/app/version/query", emu.url());
    let options = Options {
        fields_timeout: Duration::from_secs(2),
        ..headless()
    };
    let err = login(
        &page,
        Mode::Fill {
            username: "demo",
            password: "demo",
        },
        &options,
        &|_: &Started| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, BrowserError::FormNotFound { missing, .. } if missing == "`#username` and `#password`"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("/rest/intercnn/app/version/query"),
        "{err}"
    );
}

/// A user at the keyboard: a second DevTools client on the same browser finds the login tab
/// and types into it.
async fn type_as_a_user(devtools_url: String, username: &str, password: &str) {
    let (mut browser, mut handler) = Browser::connect(devtools_url).await.expect("connect");
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
    let tab = loop {
        let _ = browser.fetch_targets().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut found = None;
        for p in browser.pages().await.unwrap() {
            if p.url()
                .await
                .ok()
                .flatten()
                .is_some_and(|u| u.ends_with("/login"))
            {
                found = Some(p);
            }
        }
        if let Some(tab) = found {
            break tab;
        }
    };
    let field = loop {
        if let Ok(f) = tab.find_element("#username").await {
            break f;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    field
        .click()
        .await
        .unwrap()
        .type_str(username)
        .await
        .unwrap();
    tab.find_element("#password")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(password)
        .await
        .unwrap();
    tab.find_element("#login-submit")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    events.abort();
}

#[tokio::test]
async fn the_interactive_login_waits_for_the_user_and_takes_the_cookie() {
    let emu = emulator().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Started>();
    let seen = Seen::default();
    let hook = seen.hook();
    let on_started = move |s: &Started| {
        hook(s);
        let _ = tx.send(s.clone());
    };
    // The window headless (no display here); everything else is the interactive path.
    let options = Options {
        window: Window::Headless,
        executable: Some(chromium()),
        timeout: Duration::from_secs(120),
        ..Options::interactive()
    };
    let user = tokio::spawn(async move {
        let started = rx.recv().await.expect("started");
        type_as_a_user(started.devtools_url, "demo", "demo").await;
    });
    let cookies = login(
        &emu.page(),
        Mode::Interactive,
        &options,
        &on_started,
        &CancellationToken::new(),
    )
    .await
    .expect("logged in by the user");
    user.await.unwrap();
    assert!(cookies.url.contains("#/overview"), "{}", cookies.url);
    assert_eq!(cookies.user.as_deref(), Some("Demo Developer"));
    let answer = emu.versions_with(&cookies.header).await;
    assert_eq!(answer["success"], true, "{answer}");
    seen.profile_is_gone();
}

#[tokio::test]
async fn a_cancel_stops_the_wait_and_closes_the_browser() {
    let emu = emulator().await;
    let cancel = CancellationToken::new();
    let seen = Seen::default();
    let hook = seen.hook();
    let on_started = {
        let cancel = cancel.clone();
        move |s: &Started| {
            hook(s);
            cancel.cancel();
        }
    };
    let options = Options {
        window: Window::Headless,
        executable: Some(chromium()),
        ..Options::interactive()
    };
    let err = login(
        &emu.page(),
        Mode::Interactive,
        &options,
        &on_started,
        &cancel,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, BrowserError::Cancelled), "{err:?}");
    seen.profile_is_gone();
}

#[tokio::test]
async fn a_missing_browser_is_named_before_anything_starts() {
    let emu = emulator().await;
    let options = Options {
        executable: Some("/nonexistent/chromium".into()),
        ..Options::headless()
    };
    let err = login(
        &emu.page(),
        Mode::Fill {
            username: "demo",
            password: "demo",
        },
        &options,
        &|_: &Started| panic!("nothing starts"),
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(err.no_browser(), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/chromium"), "{err}");
}

/// Issue #20 item 5: a login page that redirects to another origin (here the emulator's own
/// login form, on another port) gets no password typed into it.
#[tokio::test]
async fn a_login_page_on_another_origin_gets_no_password() {
    let emu = emulator().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let portal = format!("http://{}", listener.local_addr().unwrap());
    let elsewhere = format!("{}/login", emu.url());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut conn, _)) = listener.accept().await {
            let to = elsewhere.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    let mut page = emu.page();
    page.url = format!("{portal}/login");
    let seen = Seen::default();
    let err = login(
        &page,
        Mode::Fill {
            username: "demo",
            password: "demo",
        },
        &headless(),
        &seen.hook(),
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, BrowserError::OtherOrigin { found, .. } if found.starts_with(emu.url())),
        "{err:?}"
    );
    seen.profile_is_gone();
}
