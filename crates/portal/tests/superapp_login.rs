//! The superapp backend's password login through the `Portal` trait: the console has no known
//! password API, so a headless browser (Debian's Chromium: GOPAY_MINIAPP_BROWSER, or the
//! usual names on PATH) fills its login page on the emulator over real HTTP on loopback; the
//! session then works for the API. A wrong password is the typed refusal.

use gopay_miniapp_portal::domain::AppRef;
use gopay_miniapp_portal::{Backend, Login, LoginKind, PortalError, PortalOptions};
use gopay_miniapp_portal_server::{start, PortalConfig, RunningPortal};

/// The emulator's fixed demo ids (docs/portal-superapp.md).
const SA_DEMO_SPACE: &str = "1532000000000000000001";
const SA_HELLO: &str = "1512000000000000000001";

async fn emulator(dir: &std::path::Path) -> RunningPortal {
    start(PortalConfig {
        data_dir: dir.to_path_buf(),
        seed_demo: true,
        backend: Backend::Superapp,
        ..PortalConfig::default()
    })
    .await
    .expect("the emulator starts")
}

#[tokio::test]
async fn a_password_login_fills_the_console_page_and_its_session_reads_versions() {
    let dir = tempfile::tempdir().unwrap();
    let emu = emulator(dir.path()).await;
    let portal =
        gopay_miniapp_portal::open(Backend::Superapp, &emu.url, PortalOptions::default()).unwrap();
    assert_eq!(
        portal.capabilities().login,
        [LoginKind::Browser, LoginKind::Password, LoginKind::Cookie]
    );
    let logged_in = portal
        .login(Login::Password {
            username: "demo",
            password: "demo",
        })
        .await
        .expect("the headless browser logs in");
    assert_eq!(logged_in.user.username, "demo");
    let state = logged_in.session.state().to_string();
    assert!(
        state.contains("SA_CONSOLE_SESSION=sa_"),
        "the session keeps the console's cookie"
    );
    portal.set_session(Some(logged_in.session)).await;
    assert_eq!(portal.me().await.unwrap().username, "demo");
    let app = AppRef {
        space_id: SA_DEMO_SPACE.into(),
        app_id: SA_HELLO.into(),
    };
    // Without a live session this is the lost-session answer (SessionExpired).
    portal
        .versions(&app)
        .await
        .expect("the session reads versions");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_as_invalid_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let emu = emulator(dir.path()).await;
    let portal =
        gopay_miniapp_portal::open(Backend::Superapp, &emu.url, PortalOptions::default()).unwrap();
    let err = portal
        .login(Login::Password {
            username: "demo",
            password: "wrong-password",
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PortalError::InvalidCredentials { message } if message.contains("Wrong username or password.")),
        "{err:?}"
    );
    assert!(err.is_auth());
    assert!(!err.to_string().contains("wrong-password"));
    emu.shutdown().await;
}
