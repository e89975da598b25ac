//! `miniapp.login` on the SuperApp console (the emulator over real HTTP on loopback): with a
//! username and password the sidecar fills the console's login page in a headless browser
//! (Debian's Chromium, found on PATH); a wrong password is `invalid_credentials` with the
//! page's words. Recipes learned in a terminal (issue #22) reach the editor by themselves.

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

/// A recipe learned (or forgotten) in a terminal while the editor shows the project: the
/// sidecar notices it by itself and pushes the status again, the step now in
/// `capabilities.learned` (and gone again once forgotten).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipe_learned_in_a_terminal_reaches_the_editor() {
    let (emu, _data) = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let (_d, project) = project();
    // The console's cookie, as the login form gives it; logged in as a terminal would.
    let form = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/login", emu.url))
        .form(&[("username", "demo"), ("password", "demo")])
        .send()
        .await
        .unwrap();
    let cookie = form
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|v| v.starts_with("SA_CONSOLE_SESSION="))
        .expect("the session cookie");
    let ctx = || context(home.path(), &project, &emu.url).with_backend(Some(Backend::Superapp));
    gopay_miniapp_core::workflows::account::login(
        &ctx(),
        gopay_miniapp_portal::Login::Cookie(&cookie),
    )
    .await
    .unwrap();
    let client = TestClient::start(ctx(), Options::default(), scripted(vec![]));
    client
        .initialize(&project, full_window(), Value::Null)
        .await;
    client
        .execute(
            "miniapp.bind",
            json!({"space": "1532000000000000000001", "app": "1512000000000000000001",
                   "targetApps": ["GoPay Staging=1611000000000000000002"], "yes": true}),
        )
        .await
        .unwrap();
    let bound = client
        .wait_for("the bound status", |m| {
            m["method"] == "miniapp/didChangeStatus" && m["params"]["binding"].is_object()
        })
        .await;
    assert!(
        bound["params"]["capabilities"].get("learned").is_none(),
        "{bound}"
    );

    // `gopay-miniapp learn withdraw …` in a terminal saves a recipe for this console.
    let origin = url::Url::parse(&emu.url).unwrap();
    let recipe = json!({
        "format": 1, "feature": "withdraw", "origin": emu.url, "learned_at": "2026-12-05T21:00:00Z",
        "requests": [{"method": "POST",
            "path": [{"slot": "literal", "value": "rest"}, {"slot": "literal", "value": "withdraw"}],
            "success": {"equals": [{"path": ["success"], "value": true}]}}],
    });
    let recipe =
        gopay_miniapp_recipes::Recipe::from_json(recipe.to_string().as_bytes(), &origin).unwrap();
    gopay_miniapp_core::recipes::save(home.path(), &recipe).unwrap();
    let learned = client
        .wait_for("the learned step, pushed", |m| {
            m["method"] == "miniapp/didChangeStatus"
                && m["params"]["capabilities"]["learned"]
                    == json!([{"kind": "step", "value": "withdraw"}])
        })
        .await;
    let steps = &learned["params"]["capabilities"]["steps"];
    assert!(
        steps.as_array().unwrap().contains(&json!("withdraw")),
        "{learned}"
    );

    gopay_miniapp_core::recipes::forget(
        home.path(),
        &origin,
        gopay_miniapp_recipes::Feature::Withdraw,
    )
    .unwrap();
    client
        .wait_for("the forgotten step, pushed", |m| {
            m["method"] == "miniapp/didChangeStatus"
                && m["params"]["capabilities"].is_object()
                && m["params"]["capabilities"].get("learned").is_none()
                && m["params"]["binding"].is_object()
                && !m["params"]["capabilities"]["steps"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("withdraw"))
        })
        .await;
}
