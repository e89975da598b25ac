//! The SuperApp console emulator (`Backend::Superapp`) over real HTTP on loopback: a reqwest
//! client with a cookie jar logs in at the login page like a browser would, uploads a real ZIP
//! as multipart, and walks the observed deploy script's story; plus the lost-session answer
//! on every route, refusals in the envelope, the review page, and a restart.

mod common;

use std::time::Duration;

use common::{make_zip, package, portal_with, Portal};
use gopay_miniapp_portal_server::superapp::{
    self, ConsoleVariant, DirectoryEntry, CONSOLE_ROUTES, SESSION_COOKIE, SUPERAPP_ROUTES,
};
use gopay_miniapp_portal_server::{start, Backend, PortalConfig};
use reqwest::{redirect, StatusCode};
use serde_json::{json, Value};

const REST: &str = "/rest/intercnn/app";

async fn emulator() -> Portal {
    emulator_with(|_| {}).await
}

async fn emulator_with(adjust: impl FnOnce(&mut PortalConfig)) -> Portal {
    portal_with(|c| {
        c.backend = Backend::Superapp;
        adjust(c);
    })
    .await
}

/// The console ids of the demo data, by name.
async fn ids(p: &Portal) -> Ids {
    let store = p.running.as_ref().unwrap().store();
    Ids(superapp::directory_async(store).await.unwrap())
}

struct Ids(Vec<DirectoryEntry>);

impl Ids {
    #[track_caller]
    fn of(&self, kind: &str, name: &str) -> String {
        self.0
            .iter()
            .find(|e| e.kind == kind && e.name == name)
            .unwrap_or_else(|| panic!("no {kind} {name} in {:?}", self.0))
            .id
            .clone()
    }
}

/// A browser-like client: a cookie jar, no automatic redirects (so a test sees them).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

struct Console {
    http: reqwest::Client,
    url: String,
}

/// The envelope of an answer; asserts its shape.
#[track_caller]
fn envelope(status: StatusCode, text: &str) -> Value {
    let body: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}), {status}: {text}"));
    for key in ["success", "errorCode", "errorMsg", "traceId", "data"] {
        assert!(body.get(key).is_some(), "no `{key}` in {body}");
    }
    assert!(body["success"].is_boolean(), "{body}");
    let trace = body["traceId"].as_str().unwrap();
    assert_eq!(trace.len(), 32, "{body}");
    body
}

impl Console {
    fn new(p: &Portal) -> Console {
        Console {
            http: browser(),
            url: p.url.clone(),
        }
    }

    async fn login(p: &Portal, username: &str, password: &str) -> Console {
        let c = Console::new(p);
        let resp = c
            .form("/login", &[("username", username), ("password", password)])
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        assert_eq!(resp.headers()["location"], "/#/overview");
        c
    }

    async fn form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    async fn page(&self, path: &str) -> (StatusCode, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    async fn read(resp: reqwest::Response) -> Value {
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = envelope(status, &text);
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .query(query)
            .header("Accept", "application/json")
            .header("Bx-V", "2.5.36")
            .send()
            .await
            .unwrap();
        Console::read(resp).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .header("Accept", "application/json")
            .header("Origin", &self.url)
            .header("Referer", format!("{}/superapp", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        Console::read(resp).await
    }

    async fn upload(
        &self,
        space: &str,
        app: &str,
        version: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Value {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_string())
            .mime_str("application/zip")
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .text("spaceId", space.to_string())
            .text("appId", app.to_string())
            .text("version", version.to_string())
            .part("file", part);
        let resp = self
            .http
            .post(format!("{}{REST}/version/uploadResource", self.url))
            .header("Origin", &self.url)
            .multipart(form)
            .send()
            .await
            .unwrap();
        Console::read(resp).await
    }

    /// uploadResource + version/create of a fresh package; returns the artifact path.
    async fn publish(&self, space: &str, app: &str, version: &str) -> String {
        let name = format!("{app}_v{version}_emu.zip");
        let up = ok(self
            .upload(
                space,
                app,
                version,
                &name,
                package(&format!("{app} {version}")),
            )
            .await);
        let path = up["path"].as_str().unwrap().to_string();
        assert_eq!(path, format!("app/version/{app}/{version}/{name}"));
        let created = ok(self
            .post(
                &format!("{REST}/version/create"),
                json!({"appId": app, "artifactList": [path], "artifactType": "FILE",
                       "name": version, "source": "UPLOAD", "version": version}),
            )
            .await);
        assert_eq!(created["version"], version);
        path
    }

    /// The history query of a release (`data`) and its items' types, newest first.
    async fn history(&self, app: &str, channel: &str, version: &str) -> (Value, Vec<String>) {
        let history = ok(self
            .get(
                &format!("{REST}/publish/version/history/query"),
                &[
                    ("appId", app),
                    ("channelCode", channel),
                    ("version", version),
                ],
            )
            .await);
        let types = history["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["type"].as_str().unwrap().to_string())
            .collect();
        (history, types)
    }

    async fn status(&self, app: &str, channel: &str, version: &str) -> Value {
        let got = ok(self
            .get(
                &format!("{REST}/publish/version/query"),
                &[
                    ("appId", app),
                    ("channelCode", channel),
                    ("version", version),
                    ("currentPage", "1"),
                    ("pageSize", "20"),
                ],
            )
            .await);
        got["list"][0].clone()
    }
}

/// `data` of a success.
#[track_caller]
fn ok(body: Value) -> Value {
    assert_eq!(body["success"], true, "expected success: {body}");
    assert!(body["errorCode"].is_null(), "{body}");
    body["data"].clone()
}

/// A refusal with this code; returns the whole envelope.
#[track_caller]
fn refused(body: Value, code: &str) -> Value {
    assert_eq!(body["success"], false, "expected a refusal: {body}");
    assert_eq!(body["errorCode"], code, "{body}");
    assert!(!body["errorMsg"].as_str().unwrap().is_empty(), "{body}");
    body
}

#[track_caller]
fn lost_session(body: &Value) {
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["errorCode"], "401", "{body}");
    assert!(
        body["errorMsg"].as_str().unwrap().contains("not login"),
        "{body}"
    );
    assert!(
        body["data"]["loginUrl"]
            .as_str()
            .unwrap()
            .ends_with("/login"),
        "{body}"
    );
}

fn step_body(app: &str, space: &str, channel: &str, version: &str) -> Value {
    json!({"appId": app, "sourceSpaceId": space, "channelCode": channel, "version": version})
}

#[tokio::test]
async fn the_observed_story_runs_end_to_end() {
    let p = emulator().await;
    let ids = ids(&p).await;
    let space = ids.of("space", "Demo Space");
    let app = ids.of("app", "Hello MiniApp");
    let gopay = ids.of("target-app", "GoPay");
    assert_eq!(space, "1532000000000000000001");
    assert_eq!(app, "1512000000000000000001");
    assert_eq!(gopay, "1611000000000000000001");

    // The login page, as a browser sees it.
    let dev = Console::new(&p);
    let (status, html) = dev.page("/login").await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "id=\"username\"",
        "id=\"password\"",
        "type=\"submit\"",
        "action=\"/login\"",
    ] {
        assert!(html.contains(needle), "{needle} not in {html}");
    }
    let resp = dev
        .form("/login", &[("username", "demo"), ("password", "demo")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/#/overview");
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set_cookie.starts_with(&format!("{SESSION_COOKIE}=sa_")),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    let (status, overview) = dev.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        overview.contains("Overview") && overview.contains("Demo Developer"),
        "{overview}"
    );
    assert!(
        overview.contains(&app) && overview.contains(&gopay),
        "{overview}"
    );
    // Logged in, the login page goes to the overview.
    let resp = dev
        .http
        .get(format!("{}/login", p.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["location"], "/#/overview");

    // Versions: none yet; publish 1.0.0 (upload + create).
    let versions = ok(dev
        .get(
            &format!("{REST}/version/query"),
            &[
                ("currentPage", "1"),
                ("pageSize", "10"),
                ("appId", &app),
                ("spaceId", &space),
            ],
        )
        .await);
    assert_eq!(versions["list"], json!([]));
    assert_eq!(versions["total"], 0);
    let artifact = dev.publish(&space, &app, "1.0.0").await;
    let versions = ok(dev
        .get(
            &format!("{REST}/version/query"),
            &[("appId", &app), ("spaceId", &space)],
        )
        .await);
    assert_eq!(versions["list"][0]["version"], "1.0.0");
    assert_eq!(versions["list"][0]["artifactList"], json!([artifact]));
    assert_eq!(versions["total"], 1);

    // Release → GoPay: INIT.
    let created = ok(dev
        .post(
            &format!("{REST}/publish/version/create"),
            json!({"appId": app, "channelCode": gopay, "version": "1.0.0", "changelog": "First <release>",
                   "artifactType": "FILE", "artifactList": [artifact]}),
        )
        .await);
    assert_eq!(created["versionStatus"], "INIT");
    assert_eq!(created["versionStatusDesc"], "Version Creation");
    assert_eq!(created["channelCode"], gopay);
    assert!(created["publishId"]
        .as_str()
        .unwrap()
        .bytes()
        .all(|b| b.is_ascii_digit()));

    // Not approved yet: skipBeta is refused naming the state.
    let body = step_body(&app, &space, &gopay, "1.0.0");
    let early = refused(
        dev.post(
            &format!("{REST}/publish/version/gray/skipBeta"),
            body.clone(),
        )
        .await,
        "ILLEGAL_STEP",
    );
    assert!(
        early["errorMsg"].as_str().unwrap().contains("INIT"),
        "{early}"
    );

    // Apply Release: APPROVE.
    let applied = ok(dev
        .post(
            &format!("{REST}/publish/version/startApprove"),
            body.clone(),
        )
        .await);
    assert_eq!(applied["versionStatus"], "APPROVE");
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["versionStatus"],
        "APPROVE"
    );
    let waiting = refused(
        dev.post(
            &format!("{REST}/publish/version/gray/skipBeta"),
            body.clone(),
        )
        .await,
        "ILLEGAL_STEP",
    );
    assert!(
        waiting["errorMsg"].as_str().unwrap().contains("APPROVE"),
        "{waiting}"
    );
    assert_eq!(waiting["data"]["versionStatus"], "APPROVE");
    // A developer is no reviewer.
    let review =
        json!({"appId": app, "channelCode": gopay, "version": "1.0.0", "decision": "APPROVE"});
    refused(
        dev.post("/emulator/review", review.clone()).await,
        "FORBIDDEN",
    );
    // Another space's developer does not even see it.
    let other = Console::login(&p, "other", "other").await;
    let unseen = refused(
        other.post("/emulator/review", review.clone()).await,
        "NOT_FOUND",
    );
    assert!(
        !unseen["errorMsg"].as_str().unwrap().contains("rel_"),
        "{unseen}"
    );
    refused(
        other
            .post(
                &format!("{REST}/publish/version/startApprove"),
                body.clone(),
            )
            .await,
        "NOT_FOUND",
    );

    // The target-app admin approves: PASSED.
    let admin = Console::login(&p, "admin", "admin").await;
    let approved = ok(admin.post("/emulator/review", review.clone()).await);
    assert_eq!(approved["versionStatus"], "PASSED");
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["versionStatus"],
        "PASSED"
    );
    refused(admin.post("/emulator/review", review).await, "ILLEGAL_STEP");

    // online needs skipBeta first; then ONLINE.
    refused(
        dev.post(&format!("{REST}/publish/online"), body.clone())
            .await,
        "BETA_NOT_SKIPPED",
    );
    let skipped = ok(dev
        .post(
            &format!("{REST}/publish/version/gray/skipBeta"),
            body.clone(),
        )
        .await);
    assert_eq!(skipped["versionStatus"], "PASSED");
    assert_eq!(skipped["betaSkipped"], true);
    let online = ok(dev
        .post(&format!("{REST}/publish/online"), body.clone())
        .await);
    assert_eq!(online["versionStatus"], "ONLINE");
    assert_eq!(online["versionStatusDesc"], "Released");
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["versionStatus"],
        "ONLINE"
    );
    let again = refused(
        dev.post(&format!("{REST}/publish/online"), body.clone())
            .await,
        "ILLEGAL_STEP",
    );
    assert!(
        again["errorMsg"].as_str().unwrap().contains("ONLINE"),
        "{again}"
    );

    // The history, newest first.
    let (history, types) = dev.history(&app, &gopay, "1.0.0").await;
    assert_eq!(
        types,
        [
            "ONLINE",
            "SKIP_BETA",
            "APPROVE_PASS",
            "START_APPROVE",
            "CREATE"
        ]
    );
    assert_eq!(history["list"][2]["operator"], "admin");
    assert_eq!(history["list"][4]["memo"], "First <release>");

    // A second version through the same story archives the first (OFFLINE).
    let next = dev.publish(&space, &app, "1.0.1").await;
    ok(dev
        .post(
            &format!("{REST}/publish/version/create"),
            json!({"appId": app, "channelCode": gopay, "version": "1.0.1", "changelog": "",
                   "artifactType": "FILE", "artifactList": [next]}),
        )
        .await);
    let body2 = step_body(&app, &space, &gopay, "1.0.1");
    ok(dev
        .post(
            &format!("{REST}/publish/version/startApprove"),
            body2.clone(),
        )
        .await);
    ok(admin
        .post(
            "/emulator/review",
            json!({"appId": app, "channelCode": gopay, "version": "1.0.1", "decision": "APPROVE"}),
        )
        .await);
    ok(dev
        .post(
            &format!("{REST}/publish/version/gray/skipBeta"),
            body2.clone(),
        )
        .await);
    assert_eq!(
        ok(dev.post(&format!("{REST}/publish/online"), body2).await)["versionStatus"],
        "ONLINE"
    );
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["versionStatus"],
        "OFFLINE"
    );
    let all = ok(dev
        .get(&format!("{REST}/publish/version/query"), &[("appId", &app)])
        .await);
    assert_eq!(all["total"], 2);
    assert_eq!(all["list"][0]["version"], "1.0.1");
    let old = ok(dev
        .get(
            &format!("{REST}/publish/version/history/query"),
            &[
                ("appId", &app),
                ("channelCode", &gopay),
                ("version", "1.0.0"),
            ],
        )
        .await);
    assert_eq!(old["list"][0]["type"], "OFFLINE");
}

#[tokio::test]
async fn every_rest_route_without_a_live_session_gets_the_lost_session_answer() {
    let p = emulator().await;
    let anonymous = Console::new(&p);
    let stranger = Console::new(&p);
    let rest: Vec<_> = SUPERAPP_ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/rest/") || r.path == "/emulator/review")
        .collect();
    assert_eq!(rest.len(), 10);
    let send =
        |c: &Console, method: &'static str, path: &'static str, cookie: Option<&'static str>| {
            let url = format!("{}{path}", c.url);
            let mut req = if method == "GET" {
                c.http.get(url).query(&[
                    ("appId", "1512000000000000000001"),
                    ("spaceId", "1532000000000000000001"),
                ])
            } else if path.ends_with("uploadResource") {
                let form = reqwest::multipart::Form::new()
                    .text("appId", "1512000000000000000001")
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(package("x")).file_name("a.zip"),
                    );
                c.http.post(url).multipart(form)
            } else {
                c.http
                    .post(url)
                    .json(&json!({"appId": "1512000000000000000001"}))
            };
            if let Some(cookie) = cookie {
                req = req.header("Cookie", cookie);
            }
            req.send()
        };
    for route in &rest {
        for cookie in [
            None,
            Some("SA_CONSOLE_SESSION=sa_not-a-session"),
            Some("SA_CONSOLE_SESSION="),
        ] {
            let c = if cookie.is_some() {
                &stranger
            } else {
                &anonymous
            };
            let resp = send(c, route.method, route.path, cookie).await.unwrap();
            let status = resp.status();
            let body = envelope(status, &resp.text().await.unwrap());
            assert_eq!(status, StatusCode::OK, "{route:?}");
            lost_session(&body);
        }
    }
    // The pages send the browser to the login page.
    for path in ["/", "/emulator/reviews"] {
        let (status, _) = anonymous.page(path).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
    }

    // A session that logs out is lost too.
    let dev = Console::login(&p, "demo", "demo").await;
    let query = [
        ("appId", "1512000000000000000001"),
        ("spaceId", "1532000000000000000001"),
    ];
    ok(dev.get(&format!("{REST}/version/query"), &query).await);
    let resp = dev.form("/logout", &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    lost_session(&dev.get(&format!("{REST}/version/query"), &query).await);
}

#[tokio::test]
async fn the_native_api_is_not_served_and_a_probe_tells_the_backends_apart() {
    let p = emulator().await;
    let http = browser();
    for path in [
        "/api/v1/health",
        "/web",
        "/web/login",
        "/rest/intercnn/app/nothing",
    ] {
        let resp = http.get(format!("{}{path}", p.url)).send().await.unwrap();
        let status = resp.status();
        let body = envelope(status, &resp.text().await.unwrap());
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["errorCode"], "404", "{body}");
    }
    let resp = http.get(format!("{}/login", p.url)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let resp = http
        .delete(format!("{}/login", p.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);

    // And the native portal has no console.
    let native = portal_with(|_| {}).await;
    let resp = http
        .get(format!("{}/rest/intercnn/app/version/query", native.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = http
        .get(format!("{}/api/v1/health", native.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_with_the_username_and_no_cookie() {
    let p = emulator().await;
    let c = Console::new(&p);
    let resp = c
        .form("/login", &[("username", "demo<b>"), ("password", "nope")])
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().get("set-cookie").is_none());
    let html = resp.text().await.unwrap();
    assert!(html.contains("Wrong username or password."), "{html}");
    assert!(
        html.contains("value=\"demo&lt;b&gt;\""),
        "the username is kept, escaped: {html}"
    );
    assert!(!html.contains("demo<b>"), "{html}");
    let resp = c
        .form("/login", &[("username", "demo"), ("password", "")])
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // A login form posted from another site is refused.
    let resp = c
        .http
        .post(format!("{}/login", p.url))
        .header("Origin", "https://evil.example")
        .form(&[("username", "demo"), ("password", "demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn refusals_come_in_the_envelope_naming_the_field_or_the_state() {
    let p = emulator_with(|c| c.max_package_size = 64 * 1024).await;
    let ids = ids(&p).await;
    let space = ids.of("space", "Demo Space");
    let other_space = ids.of("space", "Other Space");
    let app = ids.of("app", "Hello MiniApp");
    let other_app = ids.of("app", "Other App");
    let gopay = ids.of("target-app", "GoPay");
    let dev = Console::login(&p, "demo", "demo").await;

    // Parameters.
    let bad = refused(
        dev.get(&format!("{REST}/version/query"), &[("appId", &app)])
            .await,
        "INVALID_REQUEST",
    );
    assert_eq!(bad["data"]["field"], "spaceId");
    let bad = refused(
        dev.get(
            &format!("{REST}/version/query"),
            &[("appId", "12ab"), ("spaceId", &space)],
        )
        .await,
        "INVALID_REQUEST",
    );
    assert_eq!(bad["data"]["field"], "appId");
    refused(
        dev.get(
            &format!("{REST}/version/query"),
            &[("appId", &app), ("spaceId", &other_space)],
        )
        .await,
        "NOT_FOUND",
    );
    refused(
        dev.get(
            &format!("{REST}/version/query"),
            &[("appId", &other_app), ("spaceId", &other_space)],
        )
        .await,
        "NOT_FOUND",
    );
    refused(
        dev.get(
            &format!("{REST}/version/query"),
            &[("appId", &app), ("spaceId", &space), ("pageSize", "0")],
        )
        .await,
        "INVALID_REQUEST",
    );

    // Uploads: not a ZIP, not a MiniApp, too large, bad names and versions.
    let name = format!("{app}_v1.0.0_emu.zip");
    let r = refused(
        dev.upload(&space, &app, "1.0.0", &name, b"not a zip".to_vec())
            .await,
        "INVALID_PACKAGE",
    );
    assert!(r["errorMsg"].as_str().unwrap().contains("ZIP"), "{r}");
    refused(
        dev.upload(
            &space,
            &app,
            "1.0.0",
            &name,
            make_zip(&[("dist/index.html", b"x")]),
        )
        .await,
        "INVALID_PACKAGE",
    );
    let big: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    refused(
        dev.upload(
            &space,
            &app,
            "1.0.0",
            &name,
            make_zip(&[("index.html", &big)]),
        )
        .await,
        "TOO_LARGE",
    );
    refused(
        dev.upload(&space, &app, "1.0.0", "../x.zip", package("a"))
            .await,
        "INVALID_REQUEST",
    );
    refused(
        dev.upload(&space, &app, "1.0.0", "x.wgt", package("a"))
            .await,
        "INVALID_REQUEST",
    );
    refused(
        dev.upload(&space, &app, "v1", &name, package("a")).await,
        "INVALID_VERSION",
    );
    refused(
        dev.upload(&other_space, &other_app, "1.0.0", &name, package("a"))
            .await,
        "NOT_FOUND",
    );

    // A version needs an upload first.
    let missing = format!("app/version/{app}/1.0.0/{name}");
    refused(
        dev.post(&format!("{REST}/version/create"), json!({"appId": app, "artifactList": [missing], "artifactType": "FILE", "name": "1.0.0", "source": "UPLOAD", "version": "1.0.0"})).await,
        "ARTIFACT_NOT_FOUND",
    );
    let path = dev.publish(&space, &app, "1.0.0").await;
    // Creating it again from the same resource answers the same version.
    let again = ok(dev
        .post(&format!("{REST}/version/create"), json!({"appId": app, "artifactList": [path], "artifactType": "FILE", "name": "1.0.0", "source": "UPLOAD", "version": "1.0.0"}))
        .await);
    assert_eq!(again["version"], "1.0.0");
    // Version numbers only go up.
    let low = refused(
        dev.upload(
            &space,
            &app,
            "0.9.0",
            &format!("{app}_v0.9.0_emu.zip"),
            package("b"),
        )
        .await,
        "VERSION_NOT_HIGHER",
    );
    assert_eq!(low["data"]["field"], "version");
    refused(
        dev.post(&format!("{REST}/version/create"), json!({"appId": app, "artifactList": [path], "artifactType": "DIR", "version": "1.0.0"})).await,
        "INVALID_REQUEST",
    );

    // Releases.
    let body = step_body(&app, &space, &gopay, "1.0.0");
    refused(
        dev.post(
            &format!("{REST}/publish/version/startApprove"),
            body.clone(),
        )
        .await,
        "NOT_FOUND",
    );
    refused(
        dev.post(
            &format!("{REST}/publish/version/create"),
            json!({"appId": app, "channelCode": gopay, "version": "2.0.0"}),
        )
        .await,
        "NOT_FOUND",
    );
    refused(
        dev.post(
            &format!("{REST}/publish/version/create"),
            json!({"appId": app, "channelCode": "1611999999999999999999", "version": "1.0.0"}),
        )
        .await,
        "NOT_FOUND",
    );
    refused(
        dev.post(&format!("{REST}/publish/version/create"), json!({"appId": app, "channelCode": gopay, "version": "1.0.0", "artifactList": ["app/version/other.zip"]})).await,
        "INVALID_REQUEST",
    );
    let create = json!({"appId": app, "channelCode": gopay, "version": "1.0.0", "changelog": "x", "artifactType": "FILE", "artifactList": [path]});
    ok(dev
        .post(&format!("{REST}/publish/version/create"), create.clone())
        .await);
    let exists = refused(
        dev.post(&format!("{REST}/publish/version/create"), create)
            .await,
        "RELEASE_EXISTS",
    );
    assert!(
        exists["errorMsg"].as_str().unwrap().contains("INIT"),
        "{exists}"
    );
    let mut wrong_space = body.clone();
    wrong_space["sourceSpaceId"] = json!(other_space);
    let r = refused(
        dev.post(&format!("{REST}/publish/version/startApprove"), wrong_space)
            .await,
        "NOT_FOUND",
    );
    assert_eq!(r["data"]["field"], "sourceSpaceId");
    refused(
        dev.post(&format!("{REST}/publish/online"), body.clone())
            .await,
        "ILLEGAL_STEP",
    );
    let admin = Console::login(&p, "admin", "admin").await;
    let review =
        json!({"appId": app, "channelCode": gopay, "version": "1.0.0", "decision": "APPROVE"});
    let r = refused(admin.post("/emulator/review", review).await, "ILLEGAL_STEP");
    assert_eq!(r["data"]["versionStatus"], "INIT");
    ok(dev
        .post(
            &format!("{REST}/publish/version/startApprove"),
            body.clone(),
        )
        .await);
    let twice = refused(
        dev.post(
            &format!("{REST}/publish/version/startApprove"),
            body.clone(),
        )
        .await,
        "ILLEGAL_STEP",
    );
    assert!(
        twice["errorMsg"].as_str().unwrap().contains("APPROVE"),
        "{twice}"
    );

    // A rejection needs a reason; then REJECTED with the reason, and the developer re-applies.
    let reject = json!({"appId": app, "channelCode": gopay, "version": "1.0.0", "decision": "REJECT", "reason": ""});
    refused(
        admin.post("/emulator/review", reject).await,
        "INVALID_REQUEST",
    );
    let reject = json!({"appId": app, "channelCode": gopay, "version": "1.0.0", "decision": "REJECT", "reason": "Blurry icon"});
    let r = ok(admin.post("/emulator/review", reject).await);
    assert_eq!(r["versionStatus"], "REJECTED");
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["rejectReason"],
        "Blurry icon"
    );
    ok(dev
        .post(
            &format!("{REST}/publish/version/startApprove"),
            body.clone(),
        )
        .await);
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["versionStatus"],
        "APPROVE"
    );

    // A POST from another site changes nothing.
    let resp = dev
        .http
        .post(format!("{}{REST}/publish/version/startApprove", p.url))
        .header("Origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let forged = envelope(status, &text);
    // Its own code: the client tells "made for another address" from "you may not" (issue
    // #20 item 28: it was worded "ask an owner of the space for access").
    refused(forged, "FOREIGN_ORIGIN");
    let client =
        gopay_miniapp_portal::superapp::envelope::decode(status.as_u16(), text.as_bytes(), &p.url)
            .unwrap_err();
    assert!(
        matches!(
            client,
            gopay_miniapp_portal::PortalError::ForeignOrigin { .. }
        ),
        "{client:?}"
    );
    assert_eq!(client.code(), "foreign_origin");
    // A body that is not JSON names the problem.
    let resp = dev
        .http
        .post(format!("{}{REST}/publish/online", p.url))
        .body("{not json")
        .send()
        .await
        .unwrap();
    refused(
        envelope(resp.status(), &resp.text().await.unwrap()),
        "INVALID_REQUEST",
    );
}

/// `version` of Wallet Tools, published by demo, released to GoPay Staging with `changelog`
/// and submitted for review; demo's console, the app's id and staging's channel code.
async fn wallet_tools_in_review(
    p: &Portal,
    version: &str,
    changelog: &str,
) -> (Console, String, String) {
    let ids = ids(p).await;
    let (space, app, staging) = (
        ids.of("space", "Demo Space"),
        ids.of("app", "Wallet Tools"),
        ids.of("target-app", "GoPay Staging"),
    );
    let dev = Console::login(p, "demo", "demo").await;
    let path = dev.publish(&space, &app, version).await;
    ok(dev
        .post(
            &format!("{REST}/publish/version/create"),
            json!({"appId": app, "channelCode": staging, "version": version, "changelog": changelog, "artifactList": [path]}),
        )
        .await);
    ok(dev
        .post(
            &format!("{REST}/publish/version/startApprove"),
            step_body(&app, &space, &staging, version),
        )
        .await);
    (dev, app, staging)
}

/// `superapp::ConsoleSession`, the emulator's own client (the demo's): a form login, and a
/// review decision as a target-app admin, with the emulator's refusals in its error.
/// Issue #20 item 10, on the console emulator's upload: the same entry rules as the native
/// portal (links, drive letters, NUL, a 1 GiB bomb in about 1 MiB), nothing stored.
#[tokio::test]
async fn the_emulator_refuses_escaping_entries_links_and_zip_bombs() {
    use gopay_miniapp_guard::entries::testing::{raw_zip, zero_bomb, RawEntry};
    let p = emulator().await;
    let ids = ids(&p).await;
    let space = ids.of("space", "Demo Space");
    let app = ids.of("app", "Hello MiniApp");
    let dev = Console::login(&p, "demo", "demo").await;
    let index = || RawEntry::stored(b"index.html", b"<html></html>");
    let mut link = RawEntry::stored(b"secrets", b"/etc/passwd");
    link.unix_mode = 0o120777;
    let cases: [(Vec<u8>, &str); 4] = [
        (raw_zip(&[index(), link]), "symbolic link"),
        (
            raw_zip(&[index(), RawEntry::stored(b"D:\\x", b"x")]),
            "backslash",
        ),
        (
            raw_zip(&[index(), RawEntry::stored(b"a\x00b", b"x")]),
            "control character",
        ),
        (
            raw_zip(&[index(), zero_bomb(b"bomb.bin", 1024, None)]),
            "over the limit",
        ),
    ];
    let name = format!("{app}_v1.0.0_emu.zip");
    for (bytes, why) in cases {
        let r = refused(
            dev.upload(&space, &app, "1.0.0", &name, bytes).await,
            "INVALID_PACKAGE",
        );
        assert!(r["errorMsg"].as_str().unwrap().contains(why), "{why}: {r}");
    }
    // Nothing was stored: the version is still free.
    ok(dev
        .upload(&space, &app, "1.0.0", &name, package("fine"))
        .await);
}

#[tokio::test]
async fn the_console_client_logs_in_and_decides_a_review() {
    let p = emulator().await;
    let (dev, app, staging) = wallet_tools_in_review(&p, "2.7.1", "").await;

    let wrong = superapp::ConsoleSession::log_in(&p.url, "admin", "nope")
        .await
        .unwrap_err();
    assert_eq!(
        wrong.to_string(),
        "the emulator's login as admin set no session cookie (HTTP 401 Unauthorized)"
    );
    let admin = superapp::ConsoleSession::log_in(&p.url, "admin", "admin")
        .await
        .unwrap();
    assert!(admin.cookie().starts_with(&format!("{SESSION_COOKIE}=sa_")));
    assert!(!format!("{admin:?}").contains(admin.cookie()));
    let approve = superapp::Decision::Approve;
    let state = admin
        .review(&app, &staging, "2.7.1", approve, "")
        .await
        .unwrap();
    assert_eq!(state, "PASSED");
    assert_eq!(
        dev.status(&app, &staging, "2.7.1").await["versionStatus"],
        "PASSED"
    );
    let again = admin
        .review(&app, &staging, "2.7.1", approve, "")
        .await
        .unwrap_err();
    assert!(
        again
            .to_string()
            .starts_with("the emulator refused the approval: "),
        "{again}"
    );
}

#[tokio::test]
async fn the_review_page_approves_with_its_token_only() {
    let p = emulator().await;
    let (dev, app, staging) =
        wallet_tools_in_review(&p, "3.1.4", "<script>alert(1)</script>").await;

    let (_, dev_page) = dev.page("/emulator/reviews").await;
    assert!(
        dev_page.contains("You administer no target app"),
        "{dev_page}"
    );

    let admin = Console::login(&p, "admin", "admin").await;
    let (status, html) = admin.page("/emulator/reviews").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Wallet Tools") && html.contains("3.1.4") && html.contains(&staging),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script>"),
        "{html}"
    );
    let publish_id = dev.status(&app, &staging, "3.1.4").await["publishId"]
        .as_str()
        .unwrap()
        .to_string();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();

    // Without the token nothing changes.
    let resp = admin
        .form(
            "/emulator/reviews",
            &[
                ("csrf", "wrong"),
                ("publishId", &publish_id),
                ("decision", "APPROVE"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        dev.status(&app, &staging, "3.1.4").await["versionStatus"],
        "APPROVE"
    );

    let resp = admin
        .form(
            "/emulator/reviews",
            &[
                ("csrf", &csrf),
                ("publishId", &publish_id),
                ("decision", "APPROVE"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        resp.headers()["location"],
        "/emulator/reviews?done=approved"
    );
    assert_eq!(
        dev.status(&app, &staging, "3.1.4").await["versionStatus"],
        "PASSED"
    );
    let (_, after) = admin.page("/emulator/reviews?done=approved").await;
    assert!(
        after.contains("No release is waiting for review."),
        "{after}"
    );
    // Deciding again is refused with the lifecycle's words.
    let resp = admin
        .form(
            "/emulator/reviews",
            &[
                ("csrf", &csrf),
                ("publishId", &publish_id),
                ("decision", "APPROVE"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_restart_keeps_the_data_the_ids_and_the_sessions() {
    let mut p = emulator().await;
    let before = ids(&p).await;
    let (space, app) = (
        before.of("space", "Demo Space"),
        before.of("app", "Hello MiniApp"),
    );
    let dev = Console::new(&p);
    let resp = dev
        .form("/login", &[("username", "demo"), ("password", "demo")])
        .await;
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    let secret = set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap();
    assert!(secret.len() > 40, "{set_cookie}");
    dev.publish(&space, &app, "1.2.3").await;
    let addr = p.running.as_ref().unwrap().local_addr;
    p.shutdown().await;

    let running = start(PortalConfig {
        addr,
        data_dir: p.dir.path().to_path_buf(),
        seed_demo: true,
        backend: Backend::Superapp,
        ..PortalConfig::default()
    })
    .await
    .expect("the emulator starts again on the same address");
    assert_eq!(running.url, p.url);
    p.running = Some(running);
    let after = ids(&p).await;
    assert_eq!(before.0, after.0, "the console ids stay");
    // The same cookie (in the jar of the first run) still works.
    let versions = ok(dev
        .get(
            &format!("{REST}/version/query"),
            &[("appId", &app), ("spaceId", &space)],
        )
        .await);
    assert_eq!(versions["list"][0]["version"], "1.2.3");
    // The session is stored hashed: the cookie's secret is nowhere in the data directory.
    for entry in std::fs::read_dir(p.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "the session secret is stored in clear in {}",
                path.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The console pages' ASSUMED routes (issue #22), both variants
// ---------------------------------------------------------------------------------------------

/// An emulator of a console variant with demo's console and the demo ids the console tests
/// use (Demo Space, Hello MiniApp, GoPay).
struct Demo {
    p: Portal,
    ids: Ids,
    space: String,
    app: String,
    gopay: String,
    dev: Console,
}

impl Demo {
    async fn open(variant: ConsoleVariant) -> Demo {
        let p = emulator_with(|c| c.console_variant = variant).await;
        let ids = ids(&p).await;
        let dev = Console::login(&p, "demo", "demo").await;
        Demo {
            space: ids.of("space", "Demo Space"),
            app: ids.of("app", "Hello MiniApp"),
            gopay: ids.of("target-app", "GoPay"),
            ids,
            dev,
            p,
        }
    }
}

/// The value a response's `Set-Cookie` gives the cookie `name`.
fn set_cookie_value(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

/// A console user of the pages' routes: the variant's shapes, and (b) the XSRF token the
/// console page set.
struct Pages {
    c: Console,
    variant: ConsoleVariant,
    xsrf: String,
}

impl Pages {
    /// Opens `/console` (as the browser would before any XHR): b's page sets `XSRF-TOKEN`.
    async fn open(c: Console, variant: ConsoleVariant) -> Pages {
        let resp = c
            .http
            .get(format!("{}/console", c.url))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let xsrf = set_cookie_value(&resp, "XSRF-TOKEN").unwrap_or_default();
        assert_eq!(xsrf.is_empty(), variant == ConsoleVariant::A, "{variant}");
        Pages { c, variant, xsrf }
    }

    /// One request; b's get the cache-buster, and its POSTs the echoed token (`xsrf`).
    async fn send(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        xsrf: Option<&str>,
    ) -> Value {
        let url = format!("{}{path}", self.c.url);
        let mut req = if method == "GET" {
            self.c.http.get(url)
        } else {
            self.c.http.post(url).header("Origin", &self.c.url)
        };
        req = req.query(query).header("Accept", "application/json");
        if self.variant == ConsoleVariant::B {
            req = req.query(&[("_", "1767225600000")]);
        }
        if let Some(token) = xsrf {
            req = req.header("X-XSRF-TOKEN", token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        Console::read(req.send().await.unwrap()).await
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        self.send("GET", path, query, None, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let token = self.xsrf.clone();
        let xsrf = (self.variant == ConsoleVariant::B).then_some(token.as_str());
        self.send("POST", path, &[], Some(body), xsrf).await
    }

    /// A list route's items and total, from the variant's item path.
    fn items(&self, data: &Value) -> (Vec<Value>, u64) {
        let list = match self.variant {
            ConsoleVariant::A => data,
            ConsoleVariant::B => &data["result"],
        };
        let items = match self.variant {
            ConsoleVariant::A => &list["list"],
            ConsoleVariant::B => &list["items"],
        };
        (
            items.as_array().unwrap().clone(),
            list["total"].as_u64().unwrap(),
        )
    }

    async fn spaces(&self) -> (Vec<Value>, u64) {
        let data = match self.variant {
            ConsoleVariant::A => {
                self.get(
                    "/rest/intercnn/space/list",
                    &[("currentPage", "1"), ("pageSize", "20")],
                )
                .await
            }
            ConsoleVariant::B => {
                self.get(
                    "/api/console/v2/spaces",
                    &[("page_no", "1"), ("page_size", "20")],
                )
                .await
            }
        };
        self.items(&ok(data))
    }

    /// The MiniApps of `space`, one page of `size`.
    async fn apps(&self, space: &str, page: &str, size: &str) -> Value {
        match self.variant {
            ConsoleVariant::A => {
                self.get(
                    "/rest/intercnn/app/list",
                    &[
                        ("spaceId", space),
                        ("currentPage", page),
                        ("pageSize", size),
                    ],
                )
                .await
            }
            ConsoleVariant::B => {
                self.get(
                    &format!("/api/console/v2/spaces/{space}/mini-apps"),
                    &[("page_no", page), ("page_size", size)],
                )
                .await
            }
        }
    }

    async fn target_apps(&self) -> (Vec<Value>, u64) {
        let data = match self.variant {
            ConsoleVariant::A => self.get("/rest/intercnn/channel/list", &[]).await,
            ConsoleVariant::B => self.get("/api/console/v2/target-apps", &[]).await,
        };
        self.items(&ok(data))
    }

    async fn release(&self, app: &str, publish: &str) -> Value {
        match self.variant {
            ConsoleVariant::A => {
                self.get(
                    "/rest/intercnn/app/publish/detail",
                    &[("appId", app), ("publishId", publish)],
                )
                .await
            }
            ConsoleVariant::B => {
                self.get(
                    &format!("/api/console/v2/releases/{publish}"),
                    &[("app_id", app)],
                )
                .await
            }
        }
    }

    /// `(path, body)` of a step on one release.
    fn step(&self, feature: &str, app: &str, publish: &str, extra: Value) -> (String, Value) {
        let mut body = match self.variant {
            ConsoleVariant::A => json!({"appId": app, "publishId": publish}),
            ConsoleVariant::B => json!({"app_id": app}),
        };
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let path = match (self.variant, feature) {
            (ConsoleVariant::A, "whitelist") => "/rest/intercnn/app/publish/whitelist/start".into(),
            (ConsoleVariant::A, "grayscale") => "/rest/intercnn/app/publish/gray/start".into(),
            (ConsoleVariant::A, "temporary-code") => "/rest/intercnn/app/publish/tempCode".into(),
            (ConsoleVariant::A, other) => format!("/rest/intercnn/app/publish/{other}"),
            (ConsoleVariant::B, "whitelist") => {
                format!("/api/console/v2/releases/{publish}/whitelist")
            }
            (ConsoleVariant::B, "grayscale") => format!("/api/console/v2/releases/{publish}/gray"),
            (ConsoleVariant::B, "temporary-code") => {
                format!("/api/console/v2/releases/{publish}/temp-code")
            }
            (ConsoleVariant::B, other) => format!("/api/console/v2/releases/{publish}/{other}"),
        };
        (path, body)
    }

    async fn act(&self, feature: &str, app: &str, publish: &str, extra: Value) -> Value {
        let (path, body) = self.step(feature, app, publish, extra);
        self.post(&path, body).await
    }

    async fn whitelist(&self, app: &str, publish: &str, users: &[&str]) -> Value {
        let extra = match self.variant {
            ConsoleVariant::A => json!({"userIds": users}),
            ConsoleVariant::B => json!({"user_ids": users.join(";")}),
        };
        self.act("whitelist", app, publish, extra).await
    }

    async fn grayscale(&self, app: &str, publish: &str, ratio: u8) -> Value {
        let extra = match self.variant {
            ConsoleVariant::A => json!({"ratio": ratio}),
            ConsoleVariant::B => json!({"gray_ratio": ratio.to_string()}),
        };
        self.act("grayscale", app, publish, extra).await
    }

    /// Roll Back: one request (a) or the plan and its operation (b).
    async fn rollback(&self, app: &str, channel: &str) -> Value {
        match self.variant {
            ConsoleVariant::A => {
                self.post(
                    "/rest/intercnn/app/publish/rollback",
                    json!({"appId": app, "channelCode": channel}),
                )
                .await
            }
            ConsoleVariant::B => {
                let plan = ok(self
                    .get(
                        &format!("/api/console/v2/apps/{app}/channels/{channel}/rollback-plan"),
                        &[],
                    )
                    .await);
                let op = plan["result"]["operation_id"].as_str().unwrap().to_string();
                self.post("/api/console/v2/rollback", json!({"operation_id": op}))
                    .await
            }
        }
    }

    /// The release in the variant's answer: `(status word, item)`.
    fn status_of(&self, data: &Value) -> (String, Value) {
        match self.variant {
            ConsoleVariant::A => (
                data["versionStatus"].as_str().unwrap().to_string(),
                data.clone(),
            ),
            ConsoleVariant::B => (
                data["result"]["release_status"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                data["result"].clone(),
            ),
        }
    }

    /// The variant's word for a state the observed table calls `observed`.
    fn word(&self, observed: &'static str) -> &'static str {
        match (self.variant, observed) {
            (ConsoleVariant::B, "INIT") => "DRAFT",
            (ConsoleVariant::B, "BETA") => "TESTING_WHITELIST",
            (ConsoleVariant::B, "GRAY") => "GRAY_RUNNING",
            _ => observed,
        }
    }
}

/// Publishes `version` of `app` and releases it to `channel` (`INIT`); its publish id.
async fn console_release(
    dev: &Console,
    space: &str,
    app: &str,
    channel: &str,
    version: &str,
) -> String {
    let path = dev.publish(space, app, version).await;
    let created = ok(dev
        .post(
            &format!("{REST}/publish/version/create"),
            json!({"appId": app, "channelCode": channel, "version": version, "changelog": "", "artifactList": [path]}),
        )
        .await);
    created["publishId"].as_str().unwrap().to_string()
}

/// Releases `version` of `app` to `channel` and submits it; its publish id.
async fn console_release_in_review(
    dev: &Console,
    space: &str,
    app: &str,
    channel: &str,
    version: &str,
) -> String {
    let publish = console_release(dev, space, app, channel, version).await;
    ok(dev
        .post(
            &format!("{REST}/publish/version/startApprove"),
            step_body(app, space, channel, version),
        )
        .await);
    publish
}

/// "Officially Release" through the observed routes: skipBeta, then online.
async fn console_official(dev: &Console, body: Value) {
    ok(dev
        .post(
            &format!("{REST}/publish/version/gray/skipBeta"),
            body.clone(),
        )
        .await);
    ok(dev.post(&format!("{REST}/publish/online"), body).await);
}

async fn console_approve(admin: &Console, app: &str, channel: &str, version: &str) {
    ok(admin
        .post(
            "/emulator/review",
            json!({"appId": app, "channelCode": channel, "version": version, "decision": "APPROVE"}),
        )
        .await);
}

/// Every feature of the console pages' routes, on one variant: lists with paging, then on
/// Hello MiniApp → GoPay: 1.0.0 live; 1.0.1 temporary code, apply, withdraw, apply, approve,
/// whitelist, grayscale up (and down refused), official; rollback to 1.0.0; 1.0.2 cancelled.
/// Each state change is checked in the variant's release query and the observed one.
async fn every_console_feature_works(variant: ConsoleVariant) {
    let Demo {
        p,
        ids,
        space,
        app,
        gopay,
        dev,
    } = Demo::open(variant).await;
    let admin = Console::login(&p, "admin", "admin").await;
    let pages = Pages::open(Console::login(&p, "demo", "demo").await, variant).await;
    let (id_key, name_key) = match variant {
        ConsoleVariant::A => (("spaceId", "spaceName"), ("appId", "appName")),
        ConsoleVariant::B => (("space_id", "space_name"), ("mini_app_id", "mini_app_name")),
    };

    // Lists: demo's one space; its two MiniApps one per page; both target apps.
    let (spaces, total) = pages.spaces().await;
    assert_eq!(total, 1);
    assert_eq!(spaces[0][id_key.0], space);
    assert_eq!(spaces[0][id_key.1], "Demo Space");
    let mut names = Vec::new();
    for page in ["1", "2"] {
        let (items, total) = pages.items(&ok(pages.apps(&space, page, "1").await));
        assert_eq!((items.len(), total), (1, 2), "page {page}");
        names.push(items[0][name_key.1].as_str().unwrap().to_string());
        if items[0][name_key.1] == "Hello MiniApp" {
            assert_eq!(items[0][name_key.0], app);
        }
    }
    names.sort();
    assert_eq!(names, ["Hello MiniApp", "Wallet Tools"]);
    let (targets, total) = pages.target_apps().await;
    assert_eq!(total, 2);
    let code_key = match variant {
        ConsoleVariant::A => "channelCode",
        ConsoleVariant::B => "channel_code",
    };
    assert!(targets.iter().any(|t| t[code_key] == gopay), "{targets:?}");
    // Another user's space is not there.
    let other_space = ids.of("space", "Other Space");
    let refusal = refused(pages.apps(&other_space, "1", "10").await, "NOT_FOUND");
    assert_eq!(refusal["data"]["field"], "spaceId", "{refusal}");

    // 1.0.0 live on GoPay (the first release may only go straight to official).
    let first = console_release_in_review(&dev, &space, &app, &gopay, "1.0.0").await;
    console_approve(&admin, &app, &gopay, "1.0.0").await;
    let refusal = refused(
        pages.whitelist(&app, &first, &["1001"]).await,
        "FIRST_RELEASE_OFFICIAL_ONLY",
    );
    assert_eq!(refusal["data"]["versionStatus"], "PASSED", "{refusal}");
    let body = step_body(&app, &space, &gopay, "1.0.0");
    console_official(&dev, body).await;

    // 1.0.1: created, its temporary code gives its publish id.
    let second = console_release(&dev, &space, &app, &gopay, "1.0.1").await;
    let (status, item) = pages.status_of(&ok(pages.release(&app, &second).await));
    assert_eq!(status, pages.word("INIT"));
    assert_eq!(item["version"], "1.0.1");
    let code = ok(pages.act("temporary-code", &app, &second, json!({})).await);
    match variant {
        ConsoleVariant::A => assert_eq!(code["publishId"], json!(second), "{code}"),
        // A QR image of the deeplink, no publish id.
        ConsoleVariant::B => {
            assert!(code["result"].get("publish_id").is_none(), "{code}");
            let deeplink = decode_qr_data_url(code["result"]["qr_code"].as_str().unwrap());
            assert!(
                deeplink.contains(&format!("app_id={app}&publish_id={second}")),
                "{deeplink}"
            );
        }
    }

    // Apply, withdraw (back to creation), apply again, approve.
    let body = step_body(&app, &space, &gopay, "1.0.1");
    ok(dev
        .post(
            &format!("{REST}/publish/version/startApprove"),
            body.clone(),
        )
        .await);
    let withdrawn = ok(pages.act("withdraw", &app, &second, json!({})).await);
    assert_eq!(pages.status_of(&withdrawn).0, pages.word("INIT"));
    assert_eq!(
        dev.status(&app, &gopay, "1.0.1").await["versionStatus"],
        "INIT"
    );
    ok(dev
        .post(
            &format!("{REST}/publish/version/startApprove"),
            body.clone(),
        )
        .await);
    // Withdraw again is fine; cancel in review is not.
    let refusal = refused(
        pages.act("cancel", &app, &second, json!({})).await,
        "ILLEGAL_STEP",
    );
    assert_eq!(refusal["data"]["versionStatus"], "APPROVE", "{refusal}");
    console_approve(&admin, &app, &gopay, "1.0.1").await;

    // Whitelist testing with two user IDs.
    let tested = ok(pages.whitelist(&app, &second, &["1001", "1002"]).await);
    let (status, item) = pages.status_of(&tested);
    assert_eq!(status, pages.word("BETA"));
    match variant {
        ConsoleVariant::A => assert_eq!(item["whitelist"], json!(["1001", "1002"])),
        ConsoleVariant::B => assert_eq!(item["whitelist_users"], "1001;1002"),
    }
    let (status, _) = pages.status_of(&ok(pages.release(&app, &second).await));
    assert_eq!(status, pages.word("BETA"));
    // The observed query keeps its own words in both variants.
    assert_eq!(
        dev.status(&app, &gopay, "1.0.1").await["versionStatus"],
        "BETA"
    );

    // Grayscale 10, down to 5 refused, up to 20.
    let gray = ok(pages.grayscale(&app, &second, 10).await);
    let (status, item) = pages.status_of(&gray);
    assert_eq!(status, pages.word("GRAY"));
    match variant {
        ConsoleVariant::A => assert_eq!(item["grayRatio"], 10),
        ConsoleVariant::B => assert_eq!(item["gray_ratio"], "10"),
    }
    let down = refused(pages.grayscale(&app, &second, 5).await, "RATIO_NOT_HIGHER");
    assert_eq!(down["data"]["field"], "ratio", "{down}");
    let (status, item) = pages.status_of(&ok(pages.grayscale(&app, &second, 20).await));
    assert_eq!(status, pages.word("GRAY"));
    assert_eq!(item["version"], "1.0.1");
    assert_eq!(
        dev.status(&app, &gopay, "1.0.1").await["versionStatus"],
        "GRAY"
    );

    // Official (observed routes), then Roll Back to 1.0.0.
    console_official(&dev, body).await;
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["versionStatus"],
        "OFFLINE"
    );
    let rolled = ok(pages.rollback(&app, &gopay).await);
    let change = match variant {
        ConsoleVariant::A => rolled.clone(),
        ConsoleVariant::B => rolled["result"].clone(),
    };
    let status_key = match variant {
        ConsoleVariant::A => "versionStatus",
        ConsoleVariant::B => "release_status",
    };
    assert_eq!(change["released"]["version"], "1.0.0", "{rolled}");
    assert_eq!(change["released"][status_key], "ONLINE", "{rolled}");
    assert_eq!(change["archived"]["version"], "1.0.1", "{rolled}");
    assert_eq!(change["archived"][status_key], "OFFLINE", "{rolled}");
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["versionStatus"],
        "ONLINE"
    );
    assert_eq!(
        dev.status(&app, &gopay, "1.0.1").await["versionStatus"],
        "OFFLINE"
    );
    // Nothing archived is left to come back.
    refused(
        pages.rollback_refusal(&app, &gopay).await,
        "NOTHING_TO_ROLL_BACK",
    );

    // 1.0.2: created, cancelled.
    let third = console_release(&dev, &space, &app, &gopay, "1.0.2").await;
    let cancelled = ok(pages.act("cancel", &app, &third, json!({})).await);
    assert_eq!(pages.status_of(&cancelled).0, "CANCELLED");
    assert_eq!(
        dev.status(&app, &gopay, "1.0.2").await["versionStatus"],
        "CANCELLED"
    );

    // Every step is in the observed history.
    let (_, types) = dev.history(&app, &gopay, "1.0.1").await;
    for kind in ["WITHDRAW", "WHITELIST", "GRAYSCALE", "ROLLBACK"] {
        assert!(types.iter().any(|t| t == kind), "{kind} not in {types:?}");
    }

    // Bad ids and another user's release.
    let (path, mut bad) = pages.step("withdraw", &app, &third, json!({}));
    let app_key = if variant == ConsoleVariant::A {
        "appId"
    } else {
        "app_id"
    };
    bad[app_key] = json!("15x2");
    let refusal = refused(pages.post(&path, bad).await, "INVALID_REQUEST");
    assert_eq!(refusal["data"]["field"], app_key, "{refusal}");
    let refusal = refused(pages.release(&app, "12;drop").await, "INVALID_REQUEST");
    assert_eq!(refusal["data"]["field"], "publishId", "{refusal}");
    refused(pages.release(&app, "999999").await, "NOT_FOUND");
    let stranger = Pages::open(Console::login(&p, "other", "other").await, variant).await;
    refused(stranger.release(&app, &second).await, "NOT_FOUND");
    refused(
        stranger.act("cancel", &app, &third, json!({})).await,
        "NOT_FOUND",
    );
}

impl Pages {
    /// A rollback expected to be refused: a's one request, or b's plan.
    async fn rollback_refusal(&self, app: &str, channel: &str) -> Value {
        match self.variant {
            ConsoleVariant::A => self.rollback(app, channel).await,
            ConsoleVariant::B => {
                self.get(
                    &format!("/api/console/v2/apps/{app}/channels/{channel}/rollback-plan"),
                    &[],
                )
                .await
            }
        }
    }
}

#[tokio::test]
async fn variant_a_console_routes_do_every_step() {
    every_console_feature_works(ConsoleVariant::A).await;
}

#[tokio::test]
async fn variant_b_console_routes_do_every_step() {
    every_console_feature_works(ConsoleVariant::B).await;
}

#[tokio::test]
async fn the_console_page_loads_its_own_script_under_a_strict_csp() {
    for variant in [ConsoleVariant::A, ConsoleVariant::B] {
        let p = emulator_with(|c| c.console_variant = variant).await;
        let anonymous = Console::new(&p);
        let (status, _) = anonymous.page("/console").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let dev = Console::login(&p, "demo", "demo").await;
        let resp = dev
            .http
            .get(format!("{}/console", p.url))
            .send()
            .await
            .unwrap();
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline'; script") && !csp.contains("script-src 'unsafe"),
            "{csp}"
        );
        let html = resp.text().await.unwrap();
        assert!(
            html.contains(&format!("data-variant=\"{variant}\"")),
            "{html}"
        );
        assert!(
            html.contains("<script src=\"/console/console.js\"></script>"),
            "{html}"
        );
        assert_eq!(
            html.matches("<script").count(),
            1,
            "no inline script: {html}"
        );
        assert!(html.contains("id=\"space-switcher\""), "{html}");
        let resp = anonymous
            .http
            .get(format!("{}/console/console.js", p.url))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript"));
        let script = resp.text().await.unwrap();
        assert!(script.contains("fetch(") && !script.contains("innerHTML"));
    }
}

/// A console route's path with the demo's ids in its parameters.
fn console_path(route: &superapp::ConsoleRoute) -> String {
    route
        .path
        .replace("{publishId}", "5000000000000001")
        .replace("{spaceId}", "1532000000000000000001")
        .replace("{appId}", "1512000000000000000001")
        .replace("{channelCode}", "1611000000000000000001")
}

#[tokio::test]
async fn every_console_route_needs_the_session_and_only_its_variant_is_mounted() {
    for variant in [ConsoleVariant::A, ConsoleVariant::B] {
        let p = emulator_with(|c| c.console_variant = variant).await;
        let anonymous = Console::new(&p);
        for route in CONSOLE_ROUTES {
            let path = console_path(route);
            let url = format!("{}{path}", p.url);
            let req = if route.method == "GET" {
                anonymous.http.get(url)
            } else {
                anonymous.http.post(url).json(&json!({}))
            };
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let body = envelope(status, &resp.text().await.unwrap());
            if route.variant == variant {
                assert_eq!(status, StatusCode::OK, "{route:?}");
                lost_session(&body);
            } else {
                assert_eq!(status, StatusCode::NOT_FOUND, "{route:?} on {variant}");
            }
        }
        // The firewall's browser check stands in front of them as of the observed routes.
        let switch = |on: bool| {
            anonymous
                .http
                .post(format!("{}/emulator/firewall", p.url))
                .json(&json!({ "challenge": on }))
                .send()
        };
        assert_eq!(switch(true).await.unwrap().status(), StatusCode::OK);
        for route in CONSOLE_ROUTES
            .iter()
            .filter(|r| r.variant == variant && r.method == "GET")
        {
            let path = console_path(route);
            let page = anonymous
                .http
                .get(format!("{}{path}", p.url))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(page.contains("x5secdata"), "{route:?}: {page}");
        }
        switch(false).await.unwrap();
    }
}

#[tokio::test]
async fn variant_a_refuses_b_shapes() {
    let Demo {
        p,
        space,
        app,
        gopay,
        dev,
        ..
    } = Demo::open(ConsoleVariant::A).await;
    let admin = Console::login(&p, "admin", "admin").await;
    let pages = Pages::open(Console::login(&p, "demo", "demo").await, ConsoleVariant::A).await;
    let publish = console_release_in_review(&dev, &space, &app, &gopay, "1.0.0").await;
    console_approve(&admin, &app, &gopay, "1.0.0").await;
    let refusal = refused(
        pages
            .act("whitelist", &app, &publish, json!({"userIds": "1001;1002"}))
            .await,
        "INVALID_REQUEST",
    );
    assert_eq!(refusal["data"]["field"], "userIds", "{refusal}");
    let refusal = refused(
        pages
            .act("grayscale", &app, &publish, json!({"ratio": "10"}))
            .await,
        "INVALID_RATIO",
    );
    assert_eq!(refusal["data"]["field"], "ratio", "{refusal}");
    // Nothing changed.
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["versionStatus"],
        "PASSED"
    );
}

#[tokio::test]
async fn variant_b_refuses_without_the_echoed_xsrf_token_and_a_shapes() {
    let Demo {
        p,
        space,
        app,
        gopay,
        dev,
        ..
    } = Demo::open(ConsoleVariant::B).await;
    let pages = Pages::open(Console::login(&p, "demo", "demo").await, ConsoleVariant::B).await;
    let publish = console_release(&dev, &space, &app, &gopay, "1.0.0").await;
    let (path, body) = pages.step("cancel", &app, &publish, json!({}));

    // No header; a header that is not the cookie; the token of another session.
    let other = Pages::open(Console::login(&p, "demo", "demo").await, ConsoleVariant::B).await;
    assert_ne!(other.xsrf, pages.xsrf);
    for token in [None, Some("not-the-cookie"), Some(other.xsrf.as_str())] {
        let refusal = refused(
            pages
                .send("POST", &path, &[], Some(body.clone()), token)
                .await,
            "XSRF_TOKEN_INVALID",
        );
        assert!(
            !refusal.to_string().contains(&pages.xsrf),
            "the token is not echoed: {refusal}"
        );
    }
    // The right header without the cookie it echoes (a client with just the session).
    let http = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{}/login", p.url))
        .form(&[("username", "demo"), ("password", "demo")])
        .send()
        .await
        .unwrap();
    let set_cookie = |resp: &reqwest::Response, name: &str| set_cookie_value(resp, name).unwrap();
    let session = format!("{SESSION_COOKIE}={}", set_cookie(&login, SESSION_COOKIE));
    let page = http
        .get(format!("{}/console", p.url))
        .header("Cookie", &session)
        .send()
        .await
        .unwrap();
    let token = set_cookie(&page, "XSRF-TOKEN");
    let resp = http
        .post(format!("{}{path}", p.url))
        .header("Cookie", &session)
        .header("Origin", &p.url)
        .header("X-XSRF-TOKEN", &token)
        .json(&body)
        .send()
        .await
        .unwrap();
    refused(Console::read(resp).await, "XSRF_TOKEN_INVALID");
    // And with both, that client's step would be taken: the refusals were the token's.
    let both = format!("{session}; XSRF-TOKEN={token}");
    let resp = http
        .post(format!("{}{path}", p.url))
        .header("Cookie", &both)
        .header("Origin", &p.url)
        .header("X-XSRF-TOKEN", &token)
        .json(&json!({"app_id": "15x2"}))
        .send()
        .await
        .unwrap();
    refused(Console::read(resp).await, "INVALID_REQUEST");
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["versionStatus"],
        "INIT"
    );

    // a's shapes: user IDs as an array, the ratio as a number.
    let refusal = refused(
        pages
            .act(
                "whitelist",
                &app,
                &publish,
                json!({"user_ids": ["1001", "1002"]}),
            )
            .await,
        "INVALID_REQUEST",
    );
    assert_eq!(refusal["data"]["field"], "user_ids", "{refusal}");
    let refusal = refused(
        pages
            .act("grayscale", &app, &publish, json!({"gray_ratio": 10}))
            .await,
        "INVALID_RATIO",
    );
    assert_eq!(refusal["data"]["field"], "gray_ratio", "{refusal}");

    // An operation id: malformed, unknown.
    let refusal = refused(
        pages
            .post(
                "/api/console/v2/rollback",
                json!({"operation_id": "rb_../x"}),
            )
            .await,
        "INVALID_REQUEST",
    );
    assert_eq!(refusal["data"]["field"], "operation_id", "{refusal}");
    refused(
        pages
            .post(
                "/api/console/v2/rollback",
                json!({"operation_id": "rb_0000000000000000000000000000000"}),
            )
            .await,
        "NOT_FOUND",
    );

    // With the token the step is taken.
    let cancelled = ok(pages.post(&path, body).await);
    assert_eq!(cancelled["result"]["release_status"], "CANCELLED");
}

#[tokio::test]
async fn variant_b_operation_ids_work_once_and_for_their_user_only() {
    let Demo {
        p,
        space,
        app,
        gopay,
        dev,
        ..
    } = Demo::open(ConsoleVariant::B).await;
    let admin = Console::login(&p, "admin", "admin").await;
    for version in ["1.0.0", "1.0.1"] {
        console_release_in_review(&dev, &space, &app, &gopay, version).await;
        console_approve(&admin, &app, &gopay, version).await;
        let body = step_body(&app, &space, &gopay, version);
        console_official(&dev, body).await;
    }
    let pages = Pages::open(Console::login(&p, "demo", "demo").await, ConsoleVariant::B).await;
    let plan = ok(pages
        .get(
            &format!("/api/console/v2/apps/{app}/channels/{gopay}/rollback-plan"),
            &[],
        )
        .await);
    assert_eq!(plan["result"]["from_version"], "1.0.1");
    assert_eq!(plan["result"]["to_version"], "1.0.0");
    let op = plan["result"]["operation_id"].as_str().unwrap().to_string();
    // The plan changed nothing.
    assert_eq!(
        dev.status(&app, &gopay, "1.0.1").await["versionStatus"],
        "ONLINE"
    );
    // Another user (an admin of GoPay, not a developer) cannot use it.
    let admin_pages = Pages::open(admin, ConsoleVariant::B).await;
    refused(
        admin_pages
            .post("/api/console/v2/rollback", json!({"operation_id": op}))
            .await,
        "NOT_FOUND",
    );
    let rolled = ok(pages
        .post("/api/console/v2/rollback", json!({"operation_id": op}))
        .await);
    assert_eq!(rolled["result"]["released"]["version"], "1.0.0");
    refused(
        pages
            .post("/api/console/v2/rollback", json!({"operation_id": op}))
            .await,
        "NOT_FOUND",
    );
    assert_eq!(
        dev.status(&app, &gopay, "1.0.0").await["versionStatus"],
        "ONLINE"
    );
}

/// The text of the QR in a `data:image/png;base64,…` URL.
fn decode_qr_data_url(url: &str) -> String {
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD
        .decode(
            url.strip_prefix("data:image/png;base64,")
                .expect("a PNG data URL"),
        )
        .unwrap();
    let image = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    grids.first().expect("a QR code").decode().unwrap().1
}
