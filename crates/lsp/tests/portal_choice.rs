//! Issue #21 items 4 and 5 through the sidecar, against the local portal over loopback: with
//! nothing naming a portal the snapshot has none (no silent default) and commands fail with
//! `no_portal`; `miniapp.checkPortal` checks a portal before any login; a bound project's
//! binding wins over the editor's setting (`defaultPortal`); a `portal` given for one command
//! wins for it, with a warning; the presets are exported in the command table.

mod support;

use gopay_miniapp_core::Context;
use gopay_miniapp_lsp::Options;
use serde_json::{json, Value};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_portal_is_assumed_and_the_binding_wins_over_the_setting() {
    let portal = portal().await;
    let home = tempfile::tempdir().unwrap();
    let (_d, project) = project();
    // `gopay-miniapp lsp` with no --portal, a fresh home: nothing names a portal.
    let client = TestClient::start(
        Context::new(home.path().to_path_buf(), project.clone()),
        Options::default(),
        scripted(vec![("Select the MiniApp", "Hello MiniApp")]),
    );
    client
        .initialize(&project, full_window(), Value::Null)
        .await;

    let status = client.execute("miniapp.status", Value::Null).await.unwrap();
    assert!(
        status.get("portal").is_none(),
        "no portal is made up: {status}"
    );
    assert_eq!(status["loggedIn"], false);
    let err = client
        .execute("miniapp.checkPortal", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err["data"]["code"], "no_portal", "{err}");
    assert_eq!(err["data"]["hint"]["kind"], "choosePortal", "{err}");

    // The login's first step: the chosen portal answers, like a native portal.
    let check = client
        .execute("miniapp.checkPortal", json!({"portal": portal.url}))
        .await
        .unwrap();
    assert_eq!(check["backend"], "native");
    assert_eq!(check["from"], "given");
    let down = client
        .execute(
            "miniapp.checkPortal",
            json!({"portal": "http://127.0.0.1:9"}),
        )
        .await
        .unwrap_err();
    assert_eq!(down["data"]["code"], "network", "{down}");

    client
        .execute(
            "miniapp.login",
            json!({"username": "demo", "password": "demo", "portal": portal.url}),
        )
        .await
        .unwrap();
    let bound = client.execute("miniapp.bind", Value::Null).await.unwrap();
    assert_eq!(bound["binding"]["portal"], portal.url.trim_end_matches('/'));

    // The editor's setting points elsewhere: the bound project keeps its binding's portal.
    let status = client
        .execute(
            "miniapp.status",
            json!({"defaultPortal": "http://127.0.0.1:9"}),
        )
        .await
        .unwrap();
    assert_eq!(status["portal"], portal.url.trim_end_matches('/'));
    assert_eq!(status["portalFrom"], "binding");
    assert_eq!(status["loggedIn"], true);
    assert!(status.get("problem").is_none(), "{status}");

    // A portal given for one command wins for it, and a warning says it is not the binding's.
    client.clear_log();
    let status = client
        .execute("miniapp.status", json!({"portal": "http://127.0.0.1:9"}))
        .await
        .unwrap();
    assert_eq!(status["portalFrom"], "given");
    assert_eq!(status["boundElsewhere"], portal.url.trim_end_matches('/'));
    let warned = client
        .wait_for("the warning", |m| {
            m["method"] == "window/logMessage"
                && m["params"]["type"] == 2
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|t| t.contains("not on this project's portal"))
        })
        .await;
    assert!(warned["params"]["message"]
        .as_str()
        .unwrap()
        .contains("http://127.0.0.1:9"));
}

#[test]
fn the_presets_are_in_the_exported_table() {
    let table = gopay_miniapp_lsp::handlers::export();
    let presets = table["portalPresets"].as_array().unwrap();
    let names: Vec<&str> = presets
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["GoPay", "GoPay Staging", "Local portal"]);
    assert_eq!(presets[0]["url"], "https://miniapp.midtrans.com");
    assert_eq!(presets[0]["preselected"], true);
    assert_eq!(presets[1]["url"], "https://miniapp.stg.midtrans.com");
    assert_eq!(presets[0]["backend"], "superapp");
}
