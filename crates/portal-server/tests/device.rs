//! The device login end to end: start, poll, the HTML approval page and its form, deny,
//! expiry, and HTML escaping of hostile input.

mod common;

use common::{portal, Portal};
use reqwest::Method;
use serde_json::{json, Value};

async fn start_device(p: &Portal, client_name: &str) -> Value {
    p.send(
        Method::POST,
        "/api/v1/auth/device",
        None,
        Some(json!({"clientName": client_name})),
    )
    .await
    .ok()
}

async fn poll(p: &Portal, device_code: &str) -> common::Resp {
    p.send(
        Method::POST,
        "/api/v1/auth/device/token",
        None,
        Some(json!({"deviceCode": device_code})),
    )
    .await
}

async fn submit_form(p: &Portal, fields: &[(&str, &str)]) -> (u16, String) {
    let resp = p
        .http
        .post(p.url("/device"))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    (status, resp.text().await.unwrap())
}

#[tokio::test]
async fn device_login_end_to_end_through_the_html_form() {
    let p = portal().await;
    let start = start_device(&p, "gopay-miniapp on test-laptop").await;
    let device_code = start["deviceCode"].as_str().unwrap().to_string();
    let user_code = start["userCode"].as_str().unwrap().to_string();
    assert!(device_code.starts_with("gpm_dc_"));
    assert_eq!(user_code.len(), 9, "{user_code}");
    assert_eq!(&user_code[4..5], "-");
    assert_eq!(start["verificationUri"], format!("{}/device", p.url));
    assert_eq!(
        start["verificationUriComplete"],
        format!("{}/device?user_code={user_code}", p.url)
    );
    assert_eq!(start["expiresIn"], 600);
    assert_eq!(start["interval"], 1);

    let err = poll(&p, &device_code)
        .await
        .err(400, "authorization_pending");
    assert_eq!(err["retryable"], true);

    // The approval page: plain HTML, prefilled, no script, strict headers.
    let page = p
        .http
        .get(start["verificationUriComplete"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(page.headers().get("set-cookie").is_none());
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{user_code}\"")), "{html}");
    assert!(html.contains("gopay-miniapp on test-laptop"));
    assert!(html.contains("name=\"password\""));
    assert!(html.contains("value=\"approve\"") && html.contains("value=\"deny\""));
    assert!(!html.to_lowercase().contains("<script"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no remote assets"
    );

    // Wrong password: the form again, with an error; still pending.
    let (status, html) = submit_form(
        &p,
        &[
            ("user_code", &user_code),
            ("username", "demo"),
            ("password", "nope"),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert!(html.contains("Wrong username or password"), "{html}");
    assert!(!html.contains("nope"), "the password is not echoed");
    poll(&p, &device_code)
        .await
        .err(400, "authorization_pending");

    // Right password (code typed in lower case without the dash): approved.
    let typed = user_code.replace('-', "").to_lowercase();
    let (status, html) = submit_form(
        &p,
        &[
            ("user_code", &typed),
            ("username", "demo"),
            ("password", "demo"),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Device approved"), "{html}");

    let pair = poll(&p, &device_code).await.ok();
    assert_eq!(pair["user"]["username"], "demo");
    let access = pair["accessToken"].as_str().unwrap();
    assert!(access.starts_with("gpm_at_"));
    p.get(access, "/api/v1/me").await.ok();

    // Once only.
    poll(&p, &device_code).await.err(400, "device_code_expired");
    // The code is no longer waiting.
    let (status, _) = submit_form(
        &p,
        &[
            ("user_code", &user_code),
            ("username", "demo"),
            ("password", "demo"),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn denied_expired_and_unknown_device_codes() {
    let p = portal().await;

    let denied = start_device(&p, "cli").await;
    let (status, html) = submit_form(
        &p,
        &[
            ("user_code", denied["userCode"].as_str().unwrap()),
            ("action", "deny"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Login denied"));
    poll(&p, denied["deviceCode"].as_str().unwrap())
        .await
        .err(400, "access_denied");

    // Expiry: age the code in the database (waiting ten minutes is no test).
    let expiring = start_device(&p, "cli").await;
    let db = rusqlite::Connection::open(p.dir.path().join("portal.sqlite3")).unwrap();
    db.execute(
        "UPDATE device_codes SET expires_ms = 0 WHERE user_code = ?1",
        [expiring["userCode"].as_str().unwrap()],
    )
    .unwrap();
    poll(&p, expiring["deviceCode"].as_str().unwrap())
        .await
        .err(400, "device_code_expired");
    let (status, html) = submit_form(
        &p,
        &[
            ("user_code", expiring["userCode"].as_str().unwrap()),
            ("username", "demo"),
            ("password", "demo"),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 404);
    assert!(html.contains("expired"), "{html}");

    let err = poll(&p, "gpm_dc_unknown").await.err(400, "invalid_request");
    assert_eq!(err["field"], "deviceCode");
    let (status, _) = submit_form(&p, &[("user_code", "not a code"), ("action", "approve")]).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_device_page_escapes_hostile_input() {
    let p = portal().await;
    let hostile = "\"><script>alert(1)</script><img src=x onerror=alert(2)>'&";
    let resp = p
        .http
        .get(p.url("/device"))
        .query(&[("user_code", hostile)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    // `'` needs no escape: every attribute value is double-quoted.
    assert!(
        html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;'&amp;\""),
        "{html}"
    );

    // A hostile client name is shown escaped too, and so is a hostile username on a refusal.
    let start = start_device(&p, "<b onmouseover=alert(3)>evil</b>").await;
    let html = p
        .http
        .get(start["verificationUriComplete"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<b onmouseover"), "{html}");
    assert!(html.contains("&lt;b onmouseover=alert(3)&gt;evil&lt;/b&gt;"));

    let (status, html) = submit_form(
        &p,
        &[
            ("user_code", start["userCode"].as_str().unwrap()),
            ("username", "\"><script>alert(4)</script>"),
            ("password", "x"),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(4)"));
}
