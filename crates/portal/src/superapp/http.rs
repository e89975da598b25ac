//! Every HTTP detail of talking to a SuperApp console: URLs, the headers the observed client
//! sends (`Accept: application/json`, the console's `Origin` and `Referer`, `Bx-V`), the
//! session cookie, timeouts, proxies (from the environment), retries of reads with the one
//! [`RetryPolicy`], and the multipart upload streamed from disk. Answers go through
//! [`super::envelope::decode`].

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, COOKIE, ORIGIN, REFERER};
use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::envelope;
use crate::backend::{PlannedHeader, PlannedRequest, UploadProgress};
use crate::error::PortalError;
use crate::native::client::network_error;
use crate::retry::RetryPolicy;

/// The `Bx-V` header value the observed client sends (the default; the console's front end
/// may move on, so a binding's `bxV` or `GOPAY_MINIAPP_BX_V` replaces it).
pub const BX_V: &str = "2.5.36";
const JSON_TIMEOUT: Duration = Duration::from_secs(30);
/// One request carries the whole package: allow a slow uplink.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

pub struct Http {
    base_url: String,
    http: reqwest::Client,
    /// The `Cookie` header of the session. Never logged.
    cookie: RwLock<Option<String>>,
    retry: RetryPolicy,
    /// The `Bx-V` header sent with every request.
    bx_v: HeaderValue,
}

impl Http {
    pub fn new(base_url: &str) -> Result<Self, PortalError> {
        let parsed = crate::http_client::parse_portal_url(base_url)?;
        let base_url = base_url.trim_end_matches('/').to_string();
        let origin = parsed.origin().ascii_serialization();
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let origin_value = HeaderValue::from_str(&origin).map_err(|e| PortalError::Local {
            message: format!("the portal URL `{base_url}` cannot be an Origin header: {e}"),
        })?;
        headers.insert(ORIGIN, origin_value);
        if let Ok(referer) = HeaderValue::from_str(&format!("{origin}/")) {
            headers.insert(REFERER, referer);
        }
        let http = crate::http_client::client(headers)?;
        Ok(Http {
            base_url,
            http,
            cookie: RwLock::new(None),
            retry: RetryPolicy::default(),
            bx_v: HeaderValue::from_static(BX_V),
        })
    }

    /// Sends `value` as `Bx-V` instead of [`BX_V`] (a header value: visible ASCII).
    pub fn with_bx_v(mut self, value: &str) -> Result<Self, PortalError> {
        let value = value.trim();
        self.bx_v = HeaderValue::from_str(value)
            .ok()
            .filter(|_| !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| PortalError::Local {
                message: format!(
                    "the Bx-V value `{}` is not a header value (visible ASCII, e.g. {BX_V})",
                    gopay_miniapp_guard::text::Line(value)
                ),
            })?;
        Ok(self)
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn set_cookie(&self, cookie: Option<String>) {
        *self.cookie.write().expect("cookie lock") = cookie;
    }

    pub(crate) fn cookie(&self) -> Result<String, PortalError> {
        self.cookie
            .read()
            .expect("cookie lock")
            .clone()
            .ok_or_else(|| PortalError::NotLoggedIn {
                portal: self.base_url.clone(),
            })
    }

    fn request(&self, method: Method, path: &str, cookie: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("Bx-V", self.bx_v.clone())
            .header(COOKIE, cookie)
    }

    /// A read with the session, retried on network failures.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, PortalError> {
        let cookie = self.cookie()?;
        self.get_with(path, query, &cookie).await
    }

    /// A read with the given cookie (to check one before keeping it).
    pub async fn get_with(
        &self,
        path: &str,
        query: &[(&str, &str)],
        cookie: &str,
    ) -> Result<Value, PortalError> {
        // Reads are not cancellable from here; a token nobody cancels keeps one retry loop.
        self.retry
            .run(&CancellationToken::new(), || {
                let request = self
                    .request(Method::GET, path, cookie)
                    .query(query)
                    .timeout(JSON_TIMEOUT);
                self.send(request, path)
            })
            .await
    }

    /// A JSON POST with the session, sent once (changes are not retried blindly).
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, PortalError> {
        let cookie = self.cookie()?;
        let request = self
            .request(Method::POST, path, &cookie)
            .json(body)
            .timeout(JSON_TIMEOUT);
        self.send(request, path).await
    }

    /// A [`Http::post`] as `--dry-run` shows it (nothing is sent; the cookie named).
    pub fn planned_post(&self, path: &str, body: &Value) -> PlannedRequest {
        PlannedRequest {
            method: "POST".into(),
            url: self.url(path),
            headers: vec![
                PlannedHeader::new("bx-v", self.bx_v()),
                super::learned::session_cookie(),
                PlannedHeader::new("content-type", "application/json"),
            ],
            body: Some(body.clone()),
            learned: false,
        }
    }

    /// `path_and_query` (a learned request's: starts with `/`) on the portal's origin.
    pub fn origin_url(&self, path_and_query: &str) -> String {
        let origin = url::Url::parse(&self.base_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| self.base_url.clone());
        format!("{origin}{path_and_query}")
    }

    /// The `Bx-V` value sent (a learned recipe's `bx_v` slot says the same).
    pub fn bx_v(&self) -> &str {
        self.bx_v.to_str().unwrap_or(BX_V)
    }

    /// The current value of the session's cookie `name` (a learned recipe's CSRF header
    /// echoes it); `None` when not logged in or the session has no such cookie.
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let cookie = self.cookie.read().expect("cookie lock").clone()?;
        cookie.split(';').find_map(|pair| {
            let (n, v) = pair.trim().split_once('=')?;
            (n.trim() == name).then(|| v.trim().to_string())
        })
    }

    /// One request of a learned recipe (`crates/recipes::replay`), sent once with the session
    /// to this console's origin ONLY: `path_and_query` is absolute on the origin, and is
    /// refused if it would leave it. The status and body as they came (bounded), for the
    /// recipe's own success check.
    pub async fn send_learned(
        &self,
        prepared: &gopay_miniapp_recipes::Prepared,
    ) -> Result<(u16, Vec<u8>), PortalError> {
        let cookie = self.cookie()?;
        let origin = url::Url::parse(&self.base_url)
            .map_err(|e| PortalError::Local {
                message: format!("the portal URL `{}` is not a URL: {e}", self.base_url),
            })?
            .origin()
            .ascii_serialization();
        let path = &prepared.path_and_query;
        let url = url::Url::parse(&format!("{origin}{path}"))
            .ok()
            .filter(|_| path.starts_with('/') && !path.starts_with("//"))
            .filter(|u| u.origin().ascii_serialization() == origin)
            .ok_or_else(|| PortalError::Local {
                message: format!(
                    "a learned request's path `{}` does not stay on {origin}; refused",
                    gopay_miniapp_guard::text::Line(path)
                ),
            })?;
        let method = match prepared.method {
            gopay_miniapp_recipes::Method::Get => Method::GET,
            gopay_miniapp_recipes::Method::Post => Method::POST,
            gopay_miniapp_recipes::Method::Put => Method::PUT,
            gopay_miniapp_recipes::Method::Patch => Method::PATCH,
            gopay_miniapp_recipes::Method::Delete => Method::DELETE,
        };
        let mut request = self
            .http
            .request(method, url.clone())
            .header(COOKIE, cookie)
            .timeout(JSON_TIMEOUT);
        for (name, value) in &prepared.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &prepared.body {
            request = request.body(body.to_string());
        }
        let shown = format!("{origin}{}", url.path());
        let response = request.send().await.map_err(|e| network_error(&shown, e))?;
        let status = response.status().as_u16();
        let body = crate::http_client::read_answer(response).await?;
        Ok((status, body.to_vec()))
    }

    /// `GET path` without a session: the status and body, for `detect`.
    pub async fn probe(&self, path: &str) -> Result<(u16, Vec<u8>), PortalError> {
        self.probe_with(path, &[], None).await
    }

    /// `GET path?query`, with `cookie` or without a session, once (no retry): the status and
    /// body as they came, for `detect` and `doctor`.
    pub async fn probe_with(
        &self,
        path: &str,
        query: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Result<(u16, Vec<u8>), PortalError> {
        let url = self.url(path);
        let mut request = self
            .http
            .get(&url)
            .header("Bx-V", self.bx_v.clone())
            .query(query)
            .timeout(JSON_TIMEOUT);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.map_err(|e| network_error(&url, e))?;
        let status = response.status().as_u16();
        let body = crate::http_client::read_page(response).await?;
        Ok((status, body.to_vec()))
    }

    /// The multipart upload: text `fields`, then `file` streamed from `package` (never read
    /// into memory), counted as it goes out for `progress`. Retried on network failures
    /// (the console keeps one resource per name: sending it again replaces it). Answers the
    /// console's data and the sha256 of the bytes that went out (hashed as they were sent:
    /// the package is read once).
    pub async fn upload(
        &self,
        path: &str,
        fields: &[(&'static str, String)],
        file_name: &str,
        package: &Path,
        progress: &(dyn Fn(UploadProgress) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<(Value, String), PortalError> {
        let cookie = self.cookie()?;
        let total = tokio::fs::metadata(package)
            .await
            .map_err(|e| local_io(package, e))?
            .len();
        let cookie = &cookie;
        let (data, sha256) = self
            .retry
            .run(cancel, || async move {
                let sent = Arc::new(AtomicU64::new(0));
                // A new hash for every attempt: only the one that arrived counts.
                let hasher = Arc::new(Mutex::new(Sha256::new()));
                let form = multipart_form(
                    fields,
                    file_name,
                    package,
                    total,
                    sent.clone(),
                    hasher.clone(),
                )
                .await?;
                let request = self
                    .request(Method::POST, path, cookie)
                    .multipart(form)
                    .timeout(UPLOAD_TIMEOUT);
                progress(UploadProgress { sent: 0, total });
                let send = self.send(request, path);
                tokio::pin!(send);
                let mut ticks = tokio::time::interval(PROGRESS_EVERY);
                let data = loop {
                    tokio::select! {
                        r = &mut send => break r,
                        _ = ticks.tick() => progress(UploadProgress {
                            sent: sent.load(Ordering::Relaxed).min(total),
                            total,
                        }),
                    }
                }?;
                let digest = hasher.lock().expect("upload hash").clone().finalize();
                Ok((data, hex::encode(digest)))
            })
            .await?;
        progress(UploadProgress { sent: total, total });
        Ok((data, sha256))
    }

    async fn send(&self, request: RequestBuilder, path: &str) -> Result<Value, PortalError> {
        let url = self.url(path);
        let response = request.send().await.map_err(|e| network_error(&url, e))?;
        let status = response.status().as_u16();
        // A console that sends a lost session to its login page instead of answering.
        let landed_on_login = response.url().path().ends_with("/login");
        let body = crate::http_client::read_answer(response).await?;
        match envelope::decode(status, &body, &url) {
            Err(PortalError::Protocol { .. }) if landed_on_login => {
                Err(PortalError::SessionExpired {
                    message: format!("{url} sent the login page instead of an answer"),
                })
            }
            other => other,
        }
    }
}

async fn multipart_form(
    fields: &[(&'static str, String)],
    file_name: &str,
    package: &Path,
    total: u64,
    sent: Arc<AtomicU64>,
    hasher: Arc<Mutex<Sha256>>,
) -> Result<reqwest::multipart::Form, PortalError> {
    let file = tokio::fs::File::open(package)
        .await
        .map_err(|e| local_io(package, e))?;
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024).map(move |chunk| {
        if let Ok(bytes) = &chunk {
            sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            hasher.lock().expect("upload hash").update(bytes);
        }
        chunk
    });
    let part =
        reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), total)
            .file_name(file_name.to_string())
            .mime_str("application/zip")
            .expect("a valid MIME type");
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text(*name, value.clone());
    }
    Ok(form.part("file", part))
}

fn local_io(path: &Path, err: std::io::Error) -> PortalError {
    PortalError::Local {
        message: format!("cannot read the package {}: {err}", path.display()),
    }
}
