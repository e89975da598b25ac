//! Shared test helpers: a real portal on an ephemeral loopback port, talked to over real HTTP
//! with reqwest as a raw client.
#![allow(dead_code)]

use std::io::Write;
use std::time::Duration;

use gopay_miniapp_portal_server::{start, PortalConfig, RunningPortal, TestClock};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub struct Portal {
    pub running: Option<RunningPortal>,
    pub url: String,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

pub fn config(dir: &std::path::Path) -> PortalConfig {
    PortalConfig {
        data_dir: dir.to_path_buf(),
        seed_demo: true,
        ..PortalConfig::default()
    }
}

pub async fn portal() -> Portal {
    portal_with(|_| {}).await
}

/// A data dir seeded once per build of this test binary (argon2 is slow in debug builds) and
/// shared by its processes (nextest runs each test in its own); each test gets a copy of its
/// database. It is kept in cargo's tmp folder for tests, not in a `TempDir` held by a static:
/// statics are never dropped, and every test process left a seeded folder in /tmp.
fn seeded_template() -> &'static std::path::Path {
    static TEMPLATE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        let exe = std::env::current_exe().expect("the test binary's path");
        let built = std::fs::metadata(&exe)
            .and_then(|m| m.modified())
            .expect("the test binary's modification time")
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos();
        let prefix = format!(
            "portal-seeded-{}-",
            exe.file_name().expect("a file name").to_string_lossy()
        );
        let template = root.join(format!("{prefix}{built}"));
        if template.is_dir() {
            return template;
        }
        // The templates of earlier builds of this binary (not this build's: another test
        // process may have just made it, and be copying from it).
        for stale in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let name = stale.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) && stale.path() != template {
                let _ = std::fs::remove_dir_all(stale.path());
            }
        }
        let staging = tempfile::tempdir_in(root).expect("tempdir");
        let store = gopay_miniapp_portal_server::Store::open(staging.path()).expect("store");
        gopay_miniapp_portal_server::seed_demo(&store).expect("seed");
        // Closing checkpoints the WAL into the database file.
        drop(store);
        // Complete or absent: a rename is atomic. A process that lost the race uses the
        // winner's template, as good as its own (dropping `staging` removes it).
        let _ = std::fs::rename(staging.path(), &template);
        assert!(
            template.is_dir(),
            "the seeded template {}",
            template.display()
        );
        template
    })
}

pub async fn portal_with(adjust: impl FnOnce(&mut PortalConfig)) -> Portal {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        seeded_template().join("portal.sqlite3"),
        dir.path().join("portal.sqlite3"),
    )
    .expect("copy the seeded database");
    let mut cfg = config(dir.path());
    adjust(&mut cfg);
    let running = start(cfg).await.expect("portal starts");
    Portal {
        url: running.url.clone(),
        running: Some(running),
        dir,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
    }
}

/// A portal whose expiry runs on a test clock (its file in the data directory), and the clock.
pub async fn portal_on_test_clock() -> (Portal, TestClock) {
    let mut clock = None;
    let p = portal_with(|c| {
        let test = TestClock::at(c.data_dir.join("test-clock"));
        c.test_clock = Some(test.clone());
        clock = Some(test);
    })
    .await;
    (p, clock.expect("set by the adjustment"))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A ZIP with the given files.
pub fn make_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, data) in files {
            zip.start_file(*name, opts).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

/// A MiniApp package; `salt` makes its bytes (and sha256) differ.
pub fn package(salt: &str) -> Vec<u8> {
    make_zip(&[
        (
            "index.html",
            format!("<html><body>{salt}</body></html>").as_bytes(),
        ),
        ("app.js", b"console.log('hi')"),
    ])
}

pub struct Resp {
    pub status: StatusCode,
    pub json: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// `error.code` of an error response.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(
            self.status.is_success(),
            "expected success, got {}: {}",
            self.status,
            self.json
        );
        self.json
    }

    #[track_caller]
    pub fn err(self, status: u16, code: &str) -> Value {
        assert_eq!(
            (self.status.as_u16(), self.code()),
            (status, code),
            "unexpected response: {}",
            self.json
        );
        let error = &self.json["error"];
        for key in ["message", "hint"] {
            assert!(error[key].is_string(), "error.{key} missing: {}", self.json);
        }
        assert!(error["retryable"].is_boolean(), "{}", self.json);
        self.json["error"].clone()
    }
}

impl Portal {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.http.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("not JSON ({e}), status {status}: {text}"))
        };
        Resp {
            status,
            json,
            headers,
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Resp {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> Resp {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    pub async fn login_pair(&self, username: &str, password: &str) -> Value {
        self.send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
        .ok()
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        self.login_pair(username, password).await["accessToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// (space id, [(app name, app id)]) of the first space the user sees.
    pub async fn first_space(&self, token: &str) -> (String, Vec<(String, String)>) {
        let spaces = self.get(token, "/api/v1/spaces").await.ok();
        let space = spaces["spaces"][0]["id"].as_str().unwrap().to_string();
        let apps = self
            .get(token, &format!("/api/v1/spaces/{space}/apps"))
            .await
            .ok();
        let apps = apps["apps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_string(),
                    a["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        (space, apps)
    }

    pub async fn app_id(&self, token: &str, name: &str) -> String {
        let (_, apps) = self.first_space(token).await;
        apps.into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id)
            .unwrap_or_else(|| panic!("no app {name}"))
    }

    pub async fn target_id(&self, token: &str, name: &str) -> String {
        let list = self.get(token, "/api/v1/target-apps").await.ok();
        list["targetApps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .and_then(|t| t["id"].as_str())
            .unwrap_or_else(|| panic!("no target app {name}"))
            .to_string()
    }

    pub async fn open_upload(&self, token: &str, app: &str, version: &str, bytes: &[u8]) -> Resp {
        self.post(
            token,
            &format!("/api/v1/apps/{app}/uploads"),
            json!({
                "version": version,
                "description": format!("version {version}"),
                "size": bytes.len(),
                "sha256": sha256_hex(bytes),
            }),
        )
        .await
    }

    pub async fn put_chunk(&self, token: &str, upload: &str, offset: usize, chunk: &[u8]) -> Resp {
        self.put_chunk_with_sha(token, upload, offset, chunk, &sha256_hex(chunk))
            .await
    }

    pub async fn put_chunk_with_sha(
        &self,
        token: &str,
        upload: &str,
        offset: usize,
        chunk: &[u8],
        sha: &str,
    ) -> Resp {
        let resp = self
            .http
            .put(self.url(&format!("/api/v1/uploads/{upload}/chunks/{offset}")))
            .bearer_auth(token)
            .header("X-Chunk-Sha256", sha)
            .body(chunk.to_vec())
            .send()
            .await
            .expect("chunk sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let json = resp.json().await.unwrap_or(Value::Null);
        Resp {
            status,
            json,
            headers,
        }
    }

    pub async fn complete(&self, token: &str, upload: &str) -> Resp {
        self.send(
            Method::POST,
            &format!("/api/v1/uploads/{upload}/complete"),
            Some(token),
            None,
        )
        .await
    }

    /// Uploads a whole package in chunks of `chunk` bytes; returns the Version.
    pub async fn upload_chunked(
        &self,
        token: &str,
        app: &str,
        version: &str,
        bytes: &[u8],
        chunk: usize,
    ) -> Value {
        let upload = self.open_upload(token, app, version, bytes).await.ok();
        let id = upload["id"].as_str().unwrap().to_string();
        let mut offset = upload["received"].as_u64().unwrap() as usize;
        while offset < bytes.len() {
            let end = (offset + chunk).min(bytes.len());
            let receipt = self
                .put_chunk(token, &id, offset, &bytes[offset..end])
                .await
                .ok();
            offset = receipt["received"].as_u64().unwrap() as usize;
            assert_eq!(offset, end);
        }
        self.complete(token, &id).await.ok()
    }

    pub async fn upload(&self, token: &str, app: &str, version: &str) -> Value {
        let bytes = package(&format!("{app} {version}"));
        self.upload_chunked(token, app, version, &bytes, 1 << 20)
            .await
    }

    pub async fn shutdown(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }
}
