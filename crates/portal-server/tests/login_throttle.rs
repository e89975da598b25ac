//! Failed logins back off per account and per address, on every way of logging in, with a
//! 429 and `Retry-After`; good logins are never slowed (issue #20 item 9). Real HTTP; the
//! wait passes on the portal's test clock, not in a sleep.

mod common;

use std::time::Duration;

use gopay_miniapp_portal::Backend;
use gopay_miniapp_portal_server::{
    LOGIN_FIRST_DELAY_SECS, LOGIN_FREE_FAILURES_PER_ACCOUNT, LOGIN_FREE_FAILURES_PER_ADDRESS,
};
use reqwest::Method;
use serde_json::json;

async fn api_login(p: &common::Portal, username: &str, password: &str) -> common::Resp {
    p.send(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": username, "password": password})),
    )
    .await
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> u64 {
    headers
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn failed_api_logins_back_off_per_account_and_good_ones_never_do() {
    let (p, clock) = common::portal_on_test_clock().await;
    // Many good logins: never a 429.
    for _ in 0..10 {
        api_login(&p, "demo", "demo").await.ok();
    }
    for _ in 0..LOGIN_FREE_FAILURES_PER_ACCOUNT {
        api_login(&p, "demo", "wrong")
            .await
            .err(401, "invalid_credentials");
    }
    // Closed now, even for the right password (a guess there would tell nothing).
    let closed = api_login(&p, "Demo", "demo").await;
    let wait = retry_after(&closed.headers);
    assert_eq!(wait, LOGIN_FIRST_DELAY_SECS);
    let error = closed.err(429, "too_many_attempts");
    assert_eq!(error["retryable"], true);
    assert!(!error.to_string().contains("wrong"), "{error}");
    // Another account is not closed (this address has failed only a few times).
    api_login(&p, "admin", "admin").await.ok();

    clock.advance(Duration::from_secs(wait)).unwrap();
    api_login(&p, "demo", "demo").await.ok();
    // The good login cleared the account's count.
    api_login(&p, "demo", "wrong")
        .await
        .err(401, "invalid_credentials");
}

#[tokio::test]
async fn failed_logins_from_one_address_back_off_whatever_the_account() {
    let (p, clock) = common::portal_on_test_clock().await;
    for i in 0..LOGIN_FREE_FAILURES_PER_ADDRESS {
        api_login(&p, &format!("nobody{i}"), "guess")
            .await
            .err(401, "invalid_credentials");
    }
    let closed = api_login(&p, "someone-else", "guess").await;
    let wait = retry_after(&closed.headers);
    closed.err(429, "too_many_attempts");
    clock.advance(Duration::from_secs(wait)).unwrap();
    api_login(&p, "demo", "demo").await.ok();
}

/// A login form of the pages: `(status, Retry-After, body)`.
async fn form_login(
    http: &reqwest::Client,
    url: &str,
    fields: &[(&str, &str)],
) -> (u16, Option<u64>, String) {
    let resp = http.post(url).form(fields).send().await.unwrap();
    let status = resp.status().as_u16();
    let wait = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, wait, resp.text().await.unwrap())
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\"").expect("a csrf input");
    let tag = &html[at..at + html[at..].find('>').unwrap()];
    let start = tag.find("value=\"").unwrap() + "value=\"".len();
    tag[start..start + tag[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn the_web_page_and_the_device_approval_back_off_too() {
    let (p, clock) = common::portal_on_test_clock().await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Each form carries its own token (a new one with each rendering): fetch, then send.
    let web = |password: &'static str| {
        let (browser, url) = (browser.clone(), p.url("/web/login"));
        async move {
            let page = browser
                .get(&url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = csrf_of(&page);
            form_login(
                &browser,
                &url,
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "demo"),
                    ("password", password),
                    ("next", "/web"),
                ],
            )
            .await
        }
    };
    for _ in 0..LOGIN_FREE_FAILURES_PER_ACCOUNT {
        assert_eq!(web("wrong").await.0, 401);
    }
    let (status, wait, html) = web("demo").await;
    assert_eq!((status, wait), (429, Some(LOGIN_FIRST_DELAY_SECS)));
    assert!(html.contains("Too many failed logins"), "{html}");

    // The device approval page shares the account's count.
    let start = p
        .send(
            Method::POST,
            "/api/v1/auth/device",
            None,
            Some(json!({"clientName": "test"})),
        )
        .await
        .ok();
    let user_code = start["userCode"].as_str().unwrap().to_string();
    let approve = |password: &'static str| {
        let (http, url, code) = (p.http.clone(), p.url("/device"), user_code.clone());
        async move {
            form_login(
                &http,
                &url,
                &[
                    ("user_code", code.as_str()),
                    ("username", "demo"),
                    ("password", password),
                    ("action", "approve"),
                ],
            )
            .await
        }
    };
    let (status, wait, _) = approve("demo").await;
    assert_eq!((status, wait), (429, Some(LOGIN_FIRST_DELAY_SECS)));
    clock
        .advance(Duration::from_secs(LOGIN_FIRST_DELAY_SECS))
        .unwrap();
    assert_eq!(approve("demo").await.0, 200);
    // The good approval cleared the count: the web page takes the password again.
    assert_eq!(web("demo").await.0, 303);
}

#[tokio::test]
async fn the_console_emulators_login_backs_off_too() {
    let mut clock = None;
    let p = common::portal_with(|c| {
        c.backend = Backend::Superapp;
        let test = gopay_miniapp_portal_server::TestClock::at(c.data_dir.join("test-clock"));
        c.test_clock = Some(test.clone());
        clock = Some(test);
    })
    .await;
    let clock = clock.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = p.url("/login");
    let login = |password: &'static str| {
        let (http, url) = (http.clone(), url.clone());
        async move { form_login(&http, &url, &[("username", "demo"), ("password", password)]).await }
    };
    for _ in 0..LOGIN_FREE_FAILURES_PER_ACCOUNT {
        assert_eq!(login("wrong").await.0, 401);
    }
    let (status, wait, html) = login("demo").await;
    assert_eq!((status, wait), (429, Some(LOGIN_FIRST_DELAY_SECS)));
    assert!(html.contains("Too many failed logins"), "{html}");
    clock
        .advance(Duration::from_secs(LOGIN_FIRST_DELAY_SECS))
        .unwrap();
    assert_eq!(login("demo").await.0, 303);
}
