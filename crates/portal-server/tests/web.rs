//! The web pages over real HTTP, as a browser without script would use them: login and the
//! session cookie's flags, CSRF refusals, the upload form's validations, escaping of hostile
//! names, notes and reasons on every page, page steps checked by the lifecycle table, and a
//! version uploaded by the page next to one uploaded by the client the CLI uses.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{make_zip, package, portal, portal_with, Portal};
use gopay_miniapp_portal::native::{Credentials, PortalClient};
use gopay_miniapp_portal::VersionNumber;
use reqwest::header::{HeaderMap, CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::Value;

/// A cookie-keeping, non-redirecting client of the pages.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

#[derive(Debug)]
struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first `<input … name="NAME" value="…">` (unescaped).
    fn input(&self, name: &str) -> String {
        let needle = format!("name=\"{name}\"");
        let at = self
            .body
            .find(&needle)
            .unwrap_or_else(|| panic!("no input {name} in:\n{}", self.body));
        let tag_end = self.body[at..].find('>').unwrap() + at;
        let tag = &self.body[at..tag_end];
        let start = tag.find("value=\"").expect("a value") + "value=\"".len();
        let end = tag[start..].find('"').unwrap() + start;
        tag[start..end].replace("&amp;", "&")
    }

    fn csrf(&self) -> String {
        self.input("csrf")
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }

    #[track_caller]
    fn assert_html(&self) {
        let ct = self.headers.get(CONTENT_TYPE).unwrap().to_str().unwrap();
        assert!(ct.starts_with("text/html"), "{ct}");
        let csp = self
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(!csp.contains("script-src"), "no script at all: {csp}");
    }
}

impl Browser {
    fn new(p: &Portal) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            base: p.url.clone(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let body = resp.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    /// A same-origin form POST, as a browser sends it.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(path, fields, Some(&self.base.clone())).await
    }

    async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Page {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(fields);
        if let Some(origin) = origin {
            req = req.header(ORIGIN, origin);
        }
        let resp = req.send().await.unwrap();
        self.finish(resp).await
    }

    /// A multipart form POST: text fields, then the file `package`.
    async fn upload(
        &mut self,
        app_id: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Page {
        let boundary = "----gpm-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        if let Some((filename, bytes)) = file {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"package\"; filename=\"{filename}\"\r\nContent-Type: application/zip\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let resp = self
            .http
            .post(format!("{}/web/apps/{app_id}/versions", self.base))
            .header(COOKIE, self.cookie_header())
            .header(ORIGIN, self.base.clone())
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    async fn login(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/web/login").await;
        let token = form.csrf();
        let page = self
            .post(
                "/web/login",
                &[
                    ("csrf", &token),
                    ("username", username),
                    ("password", password),
                    ("next", "/web"),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        page
    }

    /// The CSRF token of the signed-in session (from any page's logout form).
    async fn csrf(&mut self) -> String {
        self.get("/web").await.csrf()
    }
}

const HOSTILE: &str = "<script>alert(\"x\")</script>\"><img src=x onerror=alert(1)></textarea><svg onload=alert(2)>'&";

/// [`HOSTILE`] as the pages must show it. `'` needs no escape: every attribute value is
/// double-quoted.
const HOSTILE_ESCAPED: &str = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;/textarea&gt;&lt;svg onload=alert(2)&gt;'&amp;";

/// [`HOSTILE`] is on the page exactly as escaped text, and none of it as markup.
#[track_caller]
fn assert_escaped(page: &Page, what: &str) {
    assert_shown_as(page, what, HOSTILE_ESCAPED);
}

/// No fragment of [`HOSTILE`] reached the page as markup, and `shown` is on it.
#[track_caller]
fn assert_shown_as(page: &Page, what: &str, shown: &str) {
    assert_no_markup(page, what);
    assert!(
        page.body.contains(shown),
        "{what}: the hostile text is not shown as `{shown}`:\n{}",
        page.body
    );
}

async fn upload_ok(
    b: &mut Browser,
    app_id: &str,
    version: &str,
    description: &str,
    bytes: &[u8],
) -> String {
    let csrf = b.csrf().await;
    let page = b
        .upload(
            app_id,
            &[
                ("csrf", &csrf),
                ("version", version),
                ("description", description),
            ],
            Some(("app.zip", bytes)),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location().to_string();
    assert!(
        location.starts_with(&format!("/web/apps/{app_id}/versions?uploaded=ver_")),
        "{location}"
    );
    location
        .split("uploaded=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn pages_need_a_login_and_the_session_cookie_is_httponly_and_samesite_strict() {
    let p = portal().await;
    let mut b = Browser::new(&p);

    let page = b.get("/").await;
    assert_eq!((page.status, page.location()), (303, "/web"));
    assert_eq!(b.get("/web/").await.location(), "/web");
    let page = b.get("/web/no/such/page").await;
    assert_eq!(page.status, 404);
    page.assert_html();
    let page = b.get("/web/apps/3000000000000001/versions").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        "/web/login?next=%2Fweb%2Fapps%2F3000000000000001%2Fversions"
    );

    let form = b.get("/web/login").await;
    assert_eq!(form.status, 200);
    form.assert_html();
    let login_cookie = form.set_cookies().join("\n");
    assert!(login_cookie.contains("gpm_web_login="), "{login_cookie}");
    assert!(login_cookie.contains("HttpOnly"), "{login_cookie}");
    assert!(login_cookie.contains("SameSite=Strict"), "{login_cookie}");

    // Wrong password: the form again, 401, nothing set.
    let page = b
        .post(
            "/web/login",
            &[
                ("csrf", &form.csrf()),
                ("username", "demo"),
                ("password", "nope"),
            ],
        )
        .await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("Wrong username or password."));
    assert!(!b.cookies.contains_key("gpm_web_session"));

    let page = b.login("demo", "demo").await;
    assert_eq!(page.location(), "/web");
    let session = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("gpm_web_session="))
        .expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(session.contains(flag), "{flag} missing: {session}");
    }
    assert!(!session.contains("Secure"), "http portal: {session}");
    let secret = b.cookies["gpm_web_session"].clone();
    assert!(
        secret.starts_with("gpm_ws_") && secret.len() > 40,
        "{secret}"
    );

    // The session is not an API token.
    let api = p
        .http
        .get(p.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);

    let home = b.get("/web").await;
    assert_eq!(home.status, 200);
    home.assert_html();
    assert!(home.body.contains("Demo Space") && home.body.contains("Hello MiniApp"));
    assert!(!home.body.contains("Other Space"), "only the user's spaces");
    // After login, the login page sends you on.
    assert_eq!(
        b.get("/web/login?next=/web/reviews").await.location(),
        "/web/reviews"
    );

    // Logout revokes the session: the old cookie no longer works.
    let csrf = home.csrf();
    let page = b.post("/web/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        (page.status, page.location()),
        (303, "/web/login?logged_out=1")
    );
    assert!(page
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("gpm_web_session=;") && c.contains("Max-Age=0")));
    b.cookies.insert("gpm_web_session".into(), secret);
    assert_eq!(b.get("/web").await.status, 303);
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_another_site_change_nothing() {
    let p = portal().await;
    let token = p.login("demo", "demo").await;
    let app = p.app_id(&token, "Hello MiniApp").await;
    let staging = p.target_id(&token, "GoPay Staging").await;
    let version = p.upload(&token, &app, "1.0.0").await;
    let release = p
        .post(
            &token,
            &format!("/api/v1/apps/{app}/releases"),
            serde_json::json!({"versionId": version["id"], "targetAppId": staging}),
        )
        .await
        .ok();
    let rid = release["id"].as_str().unwrap();

    let mut b = Browser::new(&p);
    b.login("demo", "demo").await;
    let csrf = b.csrf().await;
    let apply = format!("/web/releases/{rid}/apply");
    let notes = ("notes", "submit");

    // No token, a wrong token, the right token from another site.
    let page = b.post(&apply, &[notes]).await;
    assert_eq!(page.status, 403, "{}", page.body);
    page.assert_html();
    assert!(page.body.contains("Nothing was changed"));
    assert_eq!(
        b.post(&apply, &[("csrf", "x".repeat(43).as_str()), notes])
            .await
            .status,
        403
    );
    let page = b
        .post_with(
            &apply,
            &[("csrf", &csrf), notes],
            Some("http://evil.example"),
        )
        .await;
    assert_eq!(page.status, 403);
    let page = b
        .post_with(&apply, &[("csrf", &csrf), notes], Some("null"))
        .await;
    assert_eq!(page.status, 403);
    // Another session's token does not work in this one.
    let mut other = Browser::new(&p);
    other.login("demo", "demo").await;
    let other_csrf = other.csrf().await;
    assert_ne!(other_csrf, csrf);
    assert_eq!(
        b.post(&apply, &[("csrf", &other_csrf), notes]).await.status,
        403
    );

    let now = p.get(&token, &format!("/api/v1/releases/{rid}")).await.ok();
    assert_eq!(now["state"], "version_creation", "nothing changed");

    // The other forms too: release, logout, upload (nothing written), login.
    let page = b
        .post(
            &format!(
                "/web/apps/{app}/versions/{}/releases",
                version["id"].as_str().unwrap()
            ),
            &[("target_app_id", &staging)],
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(b.post("/web/logout", &[]).await.status, 403);
    let page = b
        .upload(
            &app,
            &[("csrf", "wrong"), ("version", "2.0.0")],
            Some(("a.zip", &package("x"))),
        )
        .await;
    assert_eq!(page.status, 403);
    let page = b
        .upload(
            &app,
            &[("version", "2.0.0")],
            Some(("a.zip", &package("x"))),
        )
        .await;
    assert_eq!(page.status, 403);
    let versions = p
        .get(&token, &format!("/api/v1/apps/{app}/versions"))
        .await
        .ok();
    assert_eq!(versions["versions"].as_array().unwrap().len(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(p.dir.path().join("uploads"))
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let mut fresh = Browser::new(&p);
    let page = fresh
        .post(
            "/web/login",
            &[
                ("csrf", "guess"),
                ("username", "demo"),
                ("password", "demo"),
            ],
        )
        .await;
    assert_eq!(page.status, 403, "a login without the login form's cookie");
    assert!(!fresh.cookies.contains_key("gpm_web_session"));

    // With the token, from the page itself: it works.
    let page = b.post(&apply, &[("csrf", &csrf), notes]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let now = p.get(&token, &format!("/api/v1/releases/{rid}")).await.ok();
    assert_eq!(now["state"], "in_review");
}

#[tokio::test]
async fn the_upload_form_validates_like_the_api() {
    let p = portal_with(|cfg| cfg.max_package_size = 4096).await;
    let token = p.login("demo", "demo").await;
    let app = p.app_id(&token, "Hello MiniApp").await;
    let mut b = Browser::new(&p);
    b.login("demo", "demo").await;

    let add = b.get(&format!("/web/apps/{app}/versions/new")).await;
    assert_eq!(add.status, 200);
    assert!(
        add.body.contains("Upload by Files")
            && add.body.contains("enctype=\"multipart/form-data\"")
    );
    assert_eq!(
        add.input("version"),
        "1.0.0",
        "the first version is suggested"
    );
    let csrf = add.csrf();

    let refused = |page: &Page, status: u16, text: &str| {
        assert_eq!(page.status, status, "{}", page.body);
        page.assert_html();
        assert!(page.body.contains("class=\"error\""), "{}", page.body);
        assert!(page.body.contains(text), "`{text}` not in:\n{}", page.body);
    };

    // Too large (the limit is 4096 bytes here).
    let big = vec![7u8; 10_000];
    let page = b
        .upload(
            &app,
            &[
                ("csrf", &csrf),
                ("version", "1.0.0"),
                ("description", "big"),
            ],
            Some(("big.zip", &big)),
        )
        .await;
    refused(
        &page,
        413,
        "but the portal accepts at most 4.0 KiB (4096 bytes)",
    );
    assert!(
        page.body.contains("The package is 9.8 KiB (10000 bytes)"),
        "{}",
        page.body
    );
    // Far too large (past what the form may send): cut off, still a clear message.
    let huge = vec![7u8; 1536 * 1024];
    let page = b
        .upload(
            &app,
            &[("csrf", &csrf), ("version", "1.0.0")],
            Some(("huge.zip", &huge)),
        )
        .await;
    assert_eq!(page.status, 413, "{}", page.body);
    assert!(
        page.body
            .contains("far larger than the portal accepts: at most 4.0 KiB"),
        "{}",
        page.body
    );

    // Not a ZIP; a ZIP without index.html or app.json at its root; an entry escaping the root.
    let page = b
        .upload(
            &app,
            &[("csrf", &csrf), ("version", "1.0.0")],
            Some(("notes.zip", b"plain text")),
        )
        .await;
    refused(&page, 422, "The package is not a readable ZIP archive");
    let nested = make_zip(&[("dist/index.html", b"<html></html>")]);
    let page = b
        .upload(
            &app,
            &[("csrf", &csrf), ("version", "1.0.0")],
            Some(("nested.zip", &nested)),
        )
        .await;
    refused(
        &page,
        422,
        "no index.html or app.json at its root (it has `dist/index.html`",
    );
    let escaping = make_zip(&[("index.html", b"x"), ("../evil", b"x")]);
    let page = b
        .upload(
            &app,
            &[("csrf", &csrf), ("version", "1.0.0")],
            Some(("evil.zip", &escaping)),
        )
        .await;
    refused(&page, 422, "points outside the package");

    // Version numbers: format, missing, not higher.
    let good = package("page");
    let page = b
        .upload(
            &app,
            &[
                ("csrf", &csrf),
                ("version", "v1.0"),
                ("description", "kept"),
            ],
            Some(("a.zip", &good)),
        )
        .await;
    refused(&page, 400, "v1.0");
    assert_eq!(
        page.input("version"),
        "v1.0",
        "the form keeps what was typed"
    );
    assert!(page.body.contains(">kept</textarea>"));
    let page = b
        .upload(
            &app,
            &[("csrf", &csrf), ("version", "")],
            Some(("a.zip", &good)),
        )
        .await;
    refused(&page, 400, "`version` is missing");
    let page = b
        .upload(&app, &[("csrf", &csrf), ("version", "1.0.0")], None)
        .await;
    refused(&page, 400, "Choose the ZIP file");
    let page = b
        .upload(
            &app,
            &[
                ("csrf", &csrf),
                ("version", "1.0.0"),
                ("description", &"d".repeat(2001)),
            ],
            Some(("a.zip", &good)),
        )
        .await;
    refused(&page, 400, "longer than 2000 characters");

    upload_ok(&mut b, &app, "1.2.0", "first", &good).await;
    let page = b
        .upload(
            &app,
            &[("csrf", &csrf), ("version", "1.1.9")],
            Some(("b.zip", &package("other"))),
        )
        .await;
    refused(
        &page,
        409,
        "Version 1.1.9 of Hello MiniApp is not higher than the latest version 1.2.0",
    );
    let page = b
        .upload(
            &app,
            &[("csrf", &csrf), ("version", "1.2.0")],
            Some(("b.zip", &package("other"))),
        )
        .await;
    refused(&page, 409, "not higher than the latest version 1.2.0");
    let add = b.get(&format!("/web/apps/{app}/versions/new")).await;
    assert_eq!(
        add.input("version"),
        "1.2.1",
        "the next patch version is suggested"
    );

    // Only the good one became a version; refused uploads left no bytes behind.
    let versions = p
        .get(&token, &format!("/api/v1/apps/{app}/versions"))
        .await
        .ok();
    assert_eq!(versions["versions"].as_array().unwrap().len(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(p.dir.path().join("uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Another space's MiniApp is not found, as in the API.
    let other = p.login("other", "other").await;
    let other_app = p.app_id(&other, "Other App").await;
    let page = b.get(&format!("/web/apps/{other_app}/versions/new")).await;
    assert_eq!(page.status, 404);
    let page = b
        .upload(
            &other_app,
            &[("csrf", &csrf), ("version", "1.0.0")],
            Some(("a.zip", &good)),
        )
        .await;
    assert_eq!(page.status, 404);
}

#[tokio::test]
async fn a_page_upload_and_a_client_upload_are_the_same_kind_of_version() {
    let p = portal().await;
    let token = p.login("demo", "demo").await;
    let app = p.app_id(&token, "Hello MiniApp").await;
    // Over the router's 1 MiB JSON limit: the form's body is streamed, not refused.
    let noise: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let bytes = make_zip(&[
        ("index.html", b"<html>same bytes</html>"),
        ("assets/blob.bin", &noise),
    ]);
    assert!(bytes.len() > 3 * 1024 * 1024);
    let mut b = Browser::new(&p);
    b.login("demo", "demo").await;
    upload_ok(&mut b, &app, "1.0.0", "Wallet balance page", &bytes).await;

    // The client `gopay-miniapp publish` and `upload` use.
    let file = p.dir.path().join("client.zip");
    std::fs::write(&file, &bytes).unwrap();
    let client = PortalClient::new(&p.url, Credentials::AccessToken(token.clone())).unwrap();
    client
        .upload_package(
            &app,
            &file,
            &common::sha256_hex(&bytes),
            "1.0.1".parse::<VersionNumber>().unwrap(),
            "Wallet balance page",
            None,
            &|_| {},
            &tokio_util::sync::CancellationToken::new(),
        )
        .await
        .unwrap();

    let versions = p
        .get(&token, &format!("/api/v1/apps/{app}/versions"))
        .await
        .ok();
    let list = versions["versions"].as_array().unwrap();
    let strip = |v: &Value| {
        let mut v = v.clone();
        for key in ["id", "createdAt", "version", "sha256"] {
            v.as_object_mut().unwrap().remove(key);
        }
        v
    };
    assert_eq!(list.len(), 2);
    assert_eq!(strip(&list[0]), strip(&list[1]), "{list:?}");
    assert_eq!(list[1]["createdBy"], "demo");
    assert_eq!(list[0]["sha256"], list[1]["sha256"]);

    // The same audit entries, and the same package in the store.
    let audit = p
        .get(&token, &format!("/api/v1/apps/{app}/audit"))
        .await
        .ok();
    let entries = |version: &str| -> Vec<String> {
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["detail"].as_str().unwrap().starts_with(version))
            .map(|e| {
                format!(
                    "{} {} {}",
                    e["actor"].as_str().unwrap(),
                    e["action"].as_str().unwrap(),
                    e["detail"].as_str().unwrap().replacen(version, "V", 1)
                )
            })
            .collect()
    };
    assert_eq!(entries("1.0.0").len(), 2, "{audit}");
    assert_eq!(entries("1.0.0"), entries("1.0.1"));
    let stored = p
        .running
        .as_ref()
        .unwrap()
        .store()
        .package_path(list[0]["sha256"].as_str().unwrap());
    assert_eq!(std::fs::read(stored).unwrap(), bytes);
}

#[tokio::test]
async fn hostile_names_notes_and_reasons_are_escaped_on_every_page() {
    let p = portal().await;
    // Hostile names straight into the store: space, MiniApp, target app, display name.
    let store = p.running.as_ref().unwrap().store().clone();
    let eve = store.ensure_user("eve", HOSTILE, "eve").unwrap();
    let space = store.ensure_space(HOSTILE).unwrap();
    store.add_member(&space, &eve).unwrap();
    let app = store.ensure_app(&space, HOSTILE).unwrap();
    let target = store.ensure_target_app(HOSTILE, "gopay", None).unwrap();
    let admin = store
        .ensure_user("admin", "Target App Admin", "admin")
        .unwrap();
    store.add_target_admin(&target, &admin).unwrap();

    let mut dev = Browser::new(&p);
    dev.login("eve", "eve").await;
    let home = dev.get("/web").await;
    assert_escaped(&home, "home");

    let version = upload_ok(&mut dev, &app, "1.0.0", HOSTILE, &package("hostile")).await;
    let versions = dev
        .get(&format!("/web/apps/{app}/versions?uploaded={version}"))
        .await;
    assert_eq!(versions.status, 200);
    assert_escaped(&versions, "versions");

    // A refused upload repeats the hostile description in the form: escaped there too.
    let csrf = dev.csrf().await;
    let refused = dev
        .upload(
            &app,
            &[
                ("csrf", &csrf),
                ("version", "0.0.1"),
                ("description", HOSTILE),
            ],
            Some(("a.zip", &package("older"))),
        )
        .await;
    assert_eq!(refused.status, 409);
    assert_escaped(&refused, "refused upload");

    let page = dev
        .post(
            &format!("/web/apps/{app}/versions/{version}/releases"),
            &[("csrf", &csrf), ("target_app_id", &target)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let detail = dev.get(page.location()).await;
    assert_escaped(&detail, "detail");
    let rid = detail
        .body
        .split("data-release=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    let apply = dev.get(&format!("/web/releases/{rid}/apply")).await;
    assert_escaped(&apply, "apply page");
    let page = dev
        .post(
            &format!("/web/releases/{rid}/apply"),
            &[("csrf", &csrf), ("notes", HOSTILE)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let applied = dev.get(page.location()).await;
    assert_escaped(&applied, "after apply");

    // The admin sees hostile names and notes in the queue and rejects with a hostile reason.
    let mut adm = Browser::new(&p);
    adm.login("admin", "admin").await;
    let queue = adm.get("/web/reviews").await;
    assert_escaped(&queue, "review queue");
    let admin_csrf = queue.csrf();
    let page = adm
        .post(
            &format!("/web/releases/{rid}/reject"),
            &[
                ("csrf", &admin_csrf),
                ("from", "reviews"),
                ("reason", HOSTILE),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(
        page.location().starts_with("/web/reviews?done=reject"),
        "{}",
        page.location()
    );
    let queue = adm.get(page.location()).await;
    assert_escaped(&queue, "review queue after reject");
    assert!(
        queue.body.contains("is now in “Rejected”"),
        "{}",
        queue.body
    );

    // The developer sees the reason, escaped, on every page that shows it.
    for path in [
        format!("/web/apps/{app}/versions/{version}"),
        format!("/web/releases/{rid}/apply"),
        format!("/web/apps/{app}/audit"),
    ] {
        let page = dev.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_escaped(&page, &path);
    }
    let detail = dev
        .get(&format!("/web/apps/{app}/versions/{version}"))
        .await;
    assert!(detail.body.contains("reject-reason"), "the reason is shown");
}

/// A path segment with every byte but letters and digits percent-encoded.
fn encode_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// No fragment of [`HOSTILE`] reached the page as markup.
#[track_caller]
fn assert_no_markup(page: &Page, what: &str) {
    for raw in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "</textarea><svg",
    ] {
        assert!(
            !page.body.contains(raw),
            "{what}: `{raw}` reached the page unescaped:\n{}",
            page.body
        );
    }
}

/// How a refusal that quotes [`HOSTILE`] in its own way (Rust-escaped, `\"` for `"`) shows it.
const HOSTILE_QUOTED: &str = "&lt;script&gt;alert(";

/// Uploads `version`, releases it to the target app, applies (developer) and approves (admin)
/// it, all through the pages; returns the version's and the release's ids.
async fn released_and_approved(
    dev: &mut Browser,
    adm: &mut Browser,
    (app, target, csrf, admin_csrf): (&str, &str, &str, &str),
    version: &str,
) -> (String, String) {
    let id = upload_ok(dev, app, version, "d", &package(version)).await;
    let page = dev
        .post(
            &format!("/web/apps/{app}/versions/{id}/releases"),
            &[("csrf", csrf), ("target_app_id", target)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let rid = page
        .location()
        .split("released=")
        .nth(1)
        .unwrap()
        .to_string();
    for (browser, step, token) in [
        (&mut *dev, "apply", csrf),
        (&mut *adm, "approve", admin_csrf),
    ] {
        let page = browser
            .post(&format!("/web/releases/{rid}/{step}"), &[("csrf", token)])
            .await;
        assert_eq!(page.status, 303, "{step}: {}", page.body);
    }
    (id, rid)
}

/// The fields the first hostile test does not reach: a hostile username (header, uploader,
/// audit log, a refused login repeating it), whitelist user IDs (detail and step pages, the
/// form repeating them), and every refusal that echoes what was typed or asked for: a
/// version number, a grayscale ratio, a user ID, a step, version or release id in the URL.
#[tokio::test]
async fn hostile_usernames_whitelists_and_echoed_input_are_escaped_on_every_page() {
    let p = portal().await;
    let store = p.running.as_ref().unwrap().store().clone();
    let mallory = store.ensure_user(HOSTILE, HOSTILE, "pw").unwrap();
    let space = store.ensure_space("Mallory's space").unwrap();
    store.add_member(&space, &mallory).unwrap();
    let app = store.ensure_app(&space, "Mallory's app").unwrap();
    let target = store
        .ensure_target_app("Mallory's target", "gopay", None)
        .unwrap();
    let admin = store
        .ensure_user("admin", "Target App Admin", "admin")
        .unwrap();
    store.add_target_admin(&target, &admin).unwrap();

    // A refused login repeats the username in the form.
    let mut dev = Browser::new(&p);
    let form = dev.get("/web/login").await;
    let refused = dev
        .post(
            "/web/login",
            &[
                ("csrf", &form.csrf()),
                ("username", HOSTILE),
                ("password", "wrong"),
            ],
        )
        .await;
    assert_eq!(refused.status, 401);
    assert_escaped(&refused, "refused login");

    dev.login(HOSTILE, "pw").await;
    let home = dev.get("/web").await;
    assert_escaped(&home, "home (username in the header)");
    let csrf = home.csrf();

    // A hostile version number: the refusal quotes it, the form repeats it.
    let refused = dev
        .upload(
            &app,
            &[("csrf", &csrf), ("version", HOSTILE), ("description", "d")],
            Some(("a.zip", &package("bad version"))),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("is not a version number"));
    assert_escaped(&refused, "refused version number");

    // The first release goes straight to official; the second one gets the whitelist.
    let mut adm = Browser::new(&p);
    adm.login("admin", "admin").await;
    let admin_csrf = adm.csrf().await;
    let world = (
        app.as_str(),
        target.as_str(),
        csrf.as_str(),
        admin_csrf.as_str(),
    );
    let (_, first) = released_and_approved(&mut dev, &mut adm, world, "1.0.0").await;
    let page = dev
        .post(
            &format!("/web/releases/{first}/official"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (version, rid) = released_and_approved(&mut dev, &mut adm, world, "1.0.1").await;

    let whitelisted = dev
        .post(
            &format!("/web/releases/{rid}/whitelist"),
            &[("csrf", &csrf), ("user_ids", &format!("100001\n{HOSTILE}"))],
        )
        .await;
    assert_eq!(whitelisted.status, 303, "{}", whitelisted.body);
    for path in [
        format!("/web/apps/{app}/versions/{version}"),
        format!("/web/releases/{rid}/whitelist"),
        format!("/web/releases/{rid}/grayscale"),
        format!("/web/apps/{app}/versions"),
        format!("/web/apps/{app}/audit"),
    ] {
        let page = dev.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_escaped(&page, &path);
    }

    // A user ID too long to be one: the refusal quotes it (Rust-escaped), the form repeats it.
    let too_long = format!("{HOSTILE}{}", "x".repeat(128));
    let refused = dev
        .post(
            &format!("/web/releases/{rid}/whitelist"),
            &[("csrf", &csrf), ("user_ids", &too_long)],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("is not a user ID"),
        "{}",
        refused.body
    );
    assert_shown_as(&refused, "refused user ID", HOSTILE_QUOTED);

    // A ratio that is not a number: the refusal quotes it, the form repeats it.
    let refused = dev
        .post(
            &format!("/web/releases/{rid}/grayscale"),
            &[("csrf", &csrf), ("ratio", HOSTILE)],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("is not a whole percentage"));
    assert_escaped(&refused, "refused ratio");

    // A hostile page path for the temporary code reaches the deeplink, the QR's label.
    let page = dev
        .post(
            &format!("/web/releases/{rid}/temporary_code"),
            &[("csrf", &csrf), ("path", HOSTILE)],
        )
        .await;
    assert!(page.body.contains("id=\"temporary-code\""), "{}", page.body);
    assert_no_markup(&page, "temporary code");

    // Ids and step names from the URL, quoted by the refusal.
    let hostile = encode_segment(HOSTILE);
    for path in [
        format!("/web/releases/{rid}/{hostile}"),
        format!("/web/apps/{app}/versions/{hostile}"),
        format!("/web/releases/{hostile}/apply"),
        format!("/web/apps/{hostile}/versions"),
    ] {
        let page = dev.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        page.assert_html();
        assert_shown_as(&page, &path, HOSTILE_QUOTED);
    }
}

#[tokio::test]
async fn page_steps_follow_the_lifecycle_table() {
    let p = portal().await;
    let token = p.login("demo", "demo").await;
    let app = p.app_id(&token, "Hello MiniApp").await;
    let staging = p.target_id(&token, "GoPay Staging").await;
    let mut dev = Browser::new(&p);
    dev.login("demo", "demo").await;
    let version = upload_ok(&mut dev, &app, "1.0.0", "first", &package("one")).await;
    let csrf = dev.csrf().await;

    let page = dev
        .post(
            &format!("/web/apps/{app}/versions/{version}/releases"),
            &[
                ("csrf", &csrf),
                ("target_app_id", &staging),
                ("from", "versions"),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    assert!(page
        .location()
        .starts_with(&format!("/web/apps/{app}/versions?released=rel_")));
    let rid = page
        .location()
        .split("released=")
        .nth(1)
        .unwrap()
        .to_string();
    // Releasing again to the same target app: the API's refusal, on the page.
    let again = dev
        .post(
            &format!("/web/apps/{app}/versions/{version}/releases"),
            &[("csrf", &csrf), ("target_app_id", &staging)],
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(
        again
            .body
            .contains("already has a release to GoPay Staging"),
        "{}",
        again.body
    );

    // The versions table offers exactly the steps the table allows in Version Creation.
    let table = dev.get(&format!("/web/apps/{app}/versions")).await;
    for step in ["temporary_code", "apply", "cancel"] {
        assert!(
            table.body.contains(&format!("data-step=\"{step}\"")),
            "{step}"
        );
    }
    for step in ["approve", "official", "withdraw"] {
        assert!(
            !table.body.contains(&format!("data-step=\"{step}\"")),
            "{step}"
        );
    }

    // An illegal step gets the API's refusal: state and what is allowed.
    let page = dev.get(&format!("/web/releases/{rid}/official")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Officially Release is not possible now"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<button type=\"submit\">OK</button>"));
    let page = dev
        .post(&format!("/web/releases/{rid}/official"), &[("csrf", &csrf)])
        .await;
    assert_eq!(page.status, 409);
    assert!(
        page.body.contains("Cannot official a release in state"),
        "{}",
        page.body
    );
    // A developer cannot approve; an unknown step is not found.
    let page = dev
        .post(
            &format!("/web/releases/{rid}/apply"),
            &[("csrf", &csrf), ("notes", "n")],
        )
        .await;
    assert_eq!(page.status, 303);
    let page = dev
        .post(&format!("/web/releases/{rid}/approve"), &[("csrf", &csrf)])
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.body
            .contains("Only a target-app administrator may approve"),
        "{}",
        page.body
    );
    assert_eq!(
        dev.post(&format!("/web/releases/{rid}/launch"), &[("csrf", &csrf)])
            .await
            .status,
        404
    );
    // Someone who cannot see the release gets 404.
    let mut other = Browser::new(&p);
    other.login("other", "other").await;
    assert_eq!(
        other
            .get(&format!("/web/releases/{rid}/apply"))
            .await
            .status,
        404
    );
    assert_eq!(
        other.get(&format!("/web/apps/{app}/versions")).await.status,
        404
    );
    let page = other.get("/web/reviews").await;
    assert!(page.body.contains("You administer no target app"));

    // The admin: a reason is required to reject; approve is one click.
    let mut adm = Browser::new(&p);
    adm.login("admin", "admin").await;
    let admin_csrf = adm.csrf().await;
    let page = adm
        .post(
            &format!("/web/releases/{rid}/reject"),
            &[("csrf", &admin_csrf), ("reason", "  ")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("A rejection needs a reason"),
        "{}",
        page.body
    );
    let page = adm
        .post(
            &format!("/web/releases/{rid}/approve"),
            &[("csrf", &admin_csrf), ("from", "reviews")],
        )
        .await;
    assert_eq!(page.status, 303);
    let now = p.get(&token, &format!("/api/v1/releases/{rid}")).await.ok();
    assert_eq!(now["state"], "pilot_test");

    // First release: whitelist is refused with the table's rule; official works.
    let page = dev
        .post(
            &format!("/web/releases/{rid}/whitelist"),
            &[("csrf", &csrf), ("user_ids", "628111\n628222")],
        )
        .await;
    assert_eq!(page.status, 409);
    assert!(
        page.body.contains("may only go straight to official"),
        "{}",
        page.body
    );
    let page = dev
        .post(&format!("/web/releases/{rid}/official"), &[("csrf", &csrf)])
        .await;
    assert_eq!(page.status, 303);
    let now = p.get(&token, &format!("/api/v1/releases/{rid}")).await.ok();
    assert_eq!(now["state"], "released");

    // Temporary code where the table allows it: the page answers with the QR.
    let v2 = upload_ok(&mut dev, &app, "1.1.0", "second", &package("two")).await;
    let page = dev
        .post(
            &format!("/web/apps/{app}/versions/{v2}/releases"),
            &[("csrf", &csrf), ("target_app_id", &staging)],
        )
        .await;
    let rid2 = page
        .location()
        .split("released=")
        .nth(1)
        .unwrap()
        .to_string();
    let page = dev
        .post(
            &format!("/web/releases/{rid2}/temporary_code"),
            &[("csrf", &csrf), ("path", "pages/index/index")],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(
        page.body.contains(&format!(
            "gopaystaging://mini-app/windvane?app_id={app}&amp;publish_id=5000000000000002&amp;mini_app_path=pages%2Findex%2Findex"
        )),
        "{}",
        page.body
    );
    // Second release: whitelist and grayscale through the pages, the ratio only going up.
    dev.post(&format!("/web/releases/{rid2}/apply"), &[("csrf", &csrf)])
        .await;
    adm.post(
        &format!("/web/releases/{rid2}/approve"),
        &[("csrf", &admin_csrf)],
    )
    .await;
    let page = dev
        .post(
            &format!("/web/releases/{rid2}/whitelist"),
            &[("csrf", &csrf), ("user_ids", "628111, 628222\n628111")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = dev
        .post(
            &format!("/web/releases/{rid2}/grayscale"),
            &[("csrf", &csrf), ("ratio", "20")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = dev
        .post(
            &format!("/web/releases/{rid2}/grayscale"),
            &[("csrf", &csrf), ("ratio", "10")],
        )
        .await;
    assert_eq!(page.status, 409);
    assert!(
        page.body.contains("The grayscale ratio only goes up"),
        "{}",
        page.body
    );
    let page = dev
        .post(
            &format!("/web/releases/{rid2}/grayscale"),
            &[("csrf", &csrf), ("ratio", "lots")],
        )
        .await;
    assert_eq!(page.status, 400);
    let now = p
        .get(&token, &format!("/api/v1/releases/{rid2}"))
        .await
        .ok();
    assert_eq!(
        (now["state"].as_str(), now["ratio"].as_u64()),
        (Some("grayscale"), Some(20))
    );
    assert_eq!(now["whitelist"], serde_json::json!(["628111", "628222"]));
    // Official archives 1.0.0; rollback from the page brings it back.
    assert_eq!(
        dev.post(
            &format!("/web/releases/{rid2}/official"),
            &[("csrf", &csrf)]
        )
        .await
        .status,
        303
    );
    let page = dev.get(&format!("/web/releases/{rid2}/rollback")).await;
    assert!(
        page.body
            .contains("<button type=\"submit\" class=\"danger\">OK</button>"),
        "{}",
        page.body
    );
    assert_eq!(
        dev.post(
            &format!("/web/releases/{rid2}/rollback"),
            &[("csrf", &csrf)]
        )
        .await
        .status,
        303
    );
    let first = p.get(&token, &format!("/api/v1/releases/{rid}")).await.ok();
    assert_eq!(first["state"], "released");

    // Every step taken by the pages is in the audit log, by who took it.
    let audit = p
        .get(&token, &format!("/api/v1/apps/{app}/audit"))
        .await
        .ok();
    let actions: Vec<String> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "demo release.create",
        "demo release.apply",
        "admin release.approve",
        "demo release.official",
        "demo release.temporary_code",
        "demo release.whitelist",
        "demo release.grayscale",
        "demo release.archive",
        "demo release.rollback",
    ] {
        assert!(
            actions.contains(&expected.to_string()),
            "{expected} missing: {actions:?}"
        );
    }
}

#[test]
fn every_web_route_is_documented() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/portal-web.md"
    ))
    .expect("docs/portal-web.md");
    for route in gopay_miniapp_portal_server::WEB_ROUTES {
        let needle = format!("`{} {}`", route.method, route.path);
        assert!(
            doc.lines()
                .any(|l| l.starts_with('#') && l.contains(&needle)),
            "docs/portal-web.md has no section for {needle}"
        );
    }
}

#[test]
fn files_the_upload_form_left_behind_are_removed_on_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("uploads")).unwrap();
    let orphan = dir.path().join("uploads/web-abc.tmp");
    let part = dir.path().join("uploads/up_abc.part");
    std::fs::write(&orphan, b"half a form").unwrap();
    std::fs::write(&part, b"a resumable API upload").unwrap();
    drop(gopay_miniapp_portal_server::Store::open(dir.path()).unwrap());
    assert!(!orphan.exists());
    assert!(part.exists(), "partial API uploads stay resumable");
}
