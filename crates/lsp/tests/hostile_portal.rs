//! A hostile portal and what the sidecar does with what it says (issue #20): the page a device
//! login names is opened only on the portal's own origin (item 6), and what the sidecar tells
//! the editor carries no control character from it (item 4).

mod support;

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A native portal that starts every device login with `page` as the page to open, and
/// whose user then denies it.
async fn hostile_portal(page: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, body) = match path.as_str() {
                    "/api/v1/health" => (200, json!({"status": "ok", "contractVersion": "1"})),
                    "/api/v1/auth/device" => (
                        200,
                        json!({
                            "deviceCode": "dev-code",
                            "userCode": "ABCD-EFGH",
                            "verificationUri": page,
                            "verificationUriComplete": page,
                            "expiresIn": 60,
                            "interval": 1
                        }),
                    ),
                    "/api/v1/auth/device/token" => (
                        400,
                        json!({"error": {"code": "access_denied", "message": "denied", "hint": "", "retryable": false}}),
                    ),
                    _ => (
                        404,
                        json!({"error": {"code": "not_found", "message": "no", "hint": "", "retryable": false}}),
                    ),
                };
                let body = body.to_string();
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

async fn device_login_on(page: &'static str) -> (Vec<Value>, Vec<Value>) {
    let portal = hostile_portal(page).await;
    let home = tempfile::tempdir().unwrap();
    let (_d, project) = project();
    let opened: Arc<Mutex<Vec<Value>>> = Default::default();
    let handler: Handler = {
        let opened = opened.clone();
        Arc::new(move |method, params| match method {
            "window/showDocument" => {
                opened.lock().unwrap().push(params.clone());
                Reply::Result(json!({"success": true}))
            }
            "window/workDoneProgress/create" => Reply::Result(Value::Null),
            _ => Reply::Error(-32601, "no".into()),
        })
    };
    let client = TestClient::start(
        context(home.path(), &project, &portal),
        gopay_miniapp_lsp::Options::default(),
        handler,
    );
    client
        .initialize(&project, full_window(), Value::Null)
        .await;
    let err = client
        .execute("miniapp.login", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err["data"]["code"], "access_denied", "{err}");
    let shown = opened.lock().unwrap().clone();
    let told: Vec<Value> = client
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|m| {
            m["method"]
                .as_str()
                .is_some_and(|m| m.starts_with("window/") && m != "window/showDocument")
        })
        .cloned()
        .collect();
    client.close().await;
    (shown, told)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_off_the_portals_origin_is_not_opened() {
    for page in [
        "https://phishing.example/device?user_code=ABCD-EFGH",
        "file:///etc/passwd\u{1b}]0;pwned\u{7}",
        "javascript:alert(1)",
    ] {
        let (shown, told) = device_login_on(page).await;
        assert!(shown.is_empty(), "{page}: opened {shown:?}");
        let text = serde_json::to_string(&told).unwrap();
        assert!(
            text.contains("not opened"),
            "{page}: the user is not told: {text}"
        );
        // Item 4: no control character of the portal's reaches the editor.
        assert!(
            !text.contains("\\u001b") && !text.contains("\\u0007"),
            "{text}"
        );
    }
}

/// Item 33: `project` as a `file://` URI with a host names a folder on another machine: it is
/// refused, never taken as the same path here. `localhost` and no host are this machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_uri_of_another_host_is_refused() {
    let portal = portal().await;
    let home = tempfile::tempdir().unwrap();
    let (_d, project) = project();
    let client = TestClient::start(
        context(home.path(), &project, &portal.url),
        gopay_miniapp_lsp::Options::default(),
        scripted(vec![]),
    );
    client
        .initialize(&project, full_window(), Value::Null)
        .await;
    let remote = format!("file://fileserver{}", project.display());
    let err = client
        .execute("miniapp.status", json!({ "project": remote }))
        .await
        .unwrap_err();
    assert_eq!(err["data"]["code"], "bad_project", "{err}");
    let message = err["data"]["message"].as_str().unwrap();
    assert!(
        message.contains("another machine (host `fileserver`)"),
        "{message}"
    );
    for local in [
        format!("file://localhost{}", project.display()),
        format!("file://{}", project.display()),
    ] {
        if let Err(err) = client
            .execute("miniapp.status", json!({ "project": local }))
            .await
        {
            assert_ne!(err["data"]["code"], "bad_project", "{local}: {err}");
        }
    }
    client.close().await;
}

/// Item 34: a wrong `token` argument is named as such, not blamed on GOPAY_MINIAPP_TOKEN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_argument_is_named_as_the_argument() {
    let portal = portal().await;
    let home = tempfile::tempdir().unwrap();
    let (_d, project) = project();
    let client = TestClient::start(
        context(home.path(), &project, &portal.url),
        gopay_miniapp_lsp::Options::default(),
        scripted(vec![]),
    );
    client
        .initialize(&project, full_window(), Value::Null)
        .await;
    let err = client
        .execute(
            "miniapp.listSpaces",
            json!({ "token": "gpm_pat_not-a-real-token" }),
        )
        .await
        .unwrap_err();
    let data = &err["data"];
    assert_eq!(data["code"], "session_expired", "{err}");
    assert_eq!(data["hint"]["kind"], "replaceAccessToken", "{err}");
    assert_eq!(data["hint"]["from"], "argument", "{err}");
    let said = format!("{} {}", data["message"], data["hint"]["text"]);
    assert!(!said.contains("GOPAY_MINIAPP_TOKEN"), "{said}");
    assert!(said.contains("`token`"), "{said}");
    client.close().await;
}
