//! `miniapp.login` on the SuperApp console (the emulator over real HTTP on loopback): with a
//! username and password the sidecar fills the console's login page in a headless browser
//! (Debian's Chromium, found on PATH); a wrong password is `invalid_credentials` with the
//! page's words.

mod support;

use gopay_miniapp_lsp::Options;
use gopay_miniapp_portal::Backend;
use serde_json::{json, Value};
use support::*;

async fn emulator() -> (
    gopay_miniapp_portal_server::RunningPortal,
    tempfile::TempDir,
) {
    let data = tempfile::tempdir().unwrap();
    let running = gopay_miniapp_portal_server::start(gopay_miniapp_portal_server::PortalConfig {
        data_dir: data.path().to_path_buf(),
        seed_demo: true,
        backend: Backend::Superapp,
        ..Default::default()
    })
    .await
    .expect("the emulator");
    (running, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_login_fills_the_console_page_in_a_headless_browser() {
    let (emu, _data) = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let (_d, project) = project();
    let ctx = context(home.path(), &project, &emu.url).with_backend(Some(Backend::Superapp));
    let client = TestClient::start(ctx, Options::default(), scripted(vec![]));
    client
        .initialize(&project, full_window(), Value::Null)
        .await;

    let err = client
        .execute(
            "miniapp.login",
            json!({"username": "demo", "password": "not-the-password"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err["data"]["code"], "invalid_credentials", "{err}");
    assert!(
        err["data"]["message"]
            .as_str()
            .unwrap()
            .contains("Wrong username or password."),
        "{err}"
    );
    assert!(!err.to_string().contains("not-the-password"));

    let login = client
        .execute(
            "miniapp.login",
            json!({"username": "demo", "password": "demo"}),
        )
        .await
        .unwrap();
    assert_eq!(login["username"], "demo");
    assert_eq!(login["backend"], "superapp");
    let stored = std::fs::read_to_string(home.path().join("credentials.json")).unwrap();
    assert!(
        stored.contains("SA_CONSOLE_SESSION="),
        "the console's cookie is the session"
    );
    let status = client.execute("miniapp.status", Value::Null).await.unwrap();
    assert_eq!(status["loggedIn"], true, "{status}");
}
