//! The HTTP client of the native portal contract. Every HTTP detail of talking to a native
//! portal lives here: URLs, headers, bearer tokens and their refresh, timeouts, proxies (from
//! the environment: `HTTPS_PROXY`, `NO_PROXY`), retries with backoff, and the chunked,
//! resumable upload. Callers see wire values and [`PortalError`]; workflows see neither, they
//! use [`super::NativePortal`] through the `Portal` trait.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::routes::{self, Route};
use super::wire::*;
pub use crate::backend::UploadProgress;
use crate::backend::{PlannedHeader, PlannedRequest};
use crate::domain::StepInput;
use crate::error::{codes, PortalError, Refusal};
use crate::retry::RetryPolicy;
use crate::version_number::VersionNumber;
use gopay_miniapp_guard::text::Line;

/// How the client authenticates.
#[derive(Clone, Default)]
pub enum Credentials {
    #[default]
    None,
    /// An interactive session: refreshed transparently when the access token expires.
    Session {
        access_token: String,
        refresh_token: String,
    },
    /// A long-lived access token (CI): never refreshed.
    AccessToken(String),
}

// Tokens never reach logs, not even through Debug.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Session { .. } => f.write_str("Session(..)"),
            Credentials::AccessToken(_) => f.write_str("AccessToken(..)"),
        }
    }
}

/// Called with the new token pair after a transparent refresh, so it can be persisted.
pub type TokenListener = Arc<dyn Fn(&TokenPair) + Send + Sync>;

/// Where the refreshed tokens are kept, shared with other processes: a refresh token works
/// once, so only one process refreshes at a time and the others take what it saved
/// (the native contract's advice: re-read the stored pair after a refused refresh).
pub trait RefreshCoordinator: Send + Sync {
    /// Blocks until this caller alone refreshes (across processes); held until dropped.
    fn exclusive(&self) -> Box<dyn Send>;
    /// The credentials stored now.
    fn stored(&self) -> Option<Credentials>;
}

/// Result of one poll of a device login.
#[derive(Debug)]
pub enum DevicePoll {
    Pending,
    Approved(Box<TokenPair>),
}

/// One request of a release step, a rollback or a temporary code: its route, path arguments
/// and JSON body, built here once and either sent ([`PortalClient::send_call`]) or shown by
/// `--dry-run` ([`Call::planned`]), so the two cannot differ.
#[derive(Debug, Clone)]
pub struct Call {
    pub route: Route,
    pub args: Vec<String>,
    pub body: serde_json::Value,
}

impl Call {
    fn new(route: Route, arg: &str, body: impl Serialize) -> Call {
        Call {
            route,
            args: vec![arg.to_string()],
            body: serde_json::to_value(body).expect("serializable"),
        }
    }

    pub fn step(release_id: &str, input: &StepInput) -> Call {
        let empty = serde_json::json!({});
        match input {
            StepInput::Apply { notes } => Call::new(
                routes::RELEASE_APPLY,
                release_id,
                ApplyRequest {
                    notes: notes.clone(),
                },
            ),
            StepInput::Withdraw => Call::new(routes::RELEASE_WITHDRAW, release_id, empty),
            StepInput::Approve => Call::new(routes::RELEASE_APPROVE, release_id, empty),
            StepInput::Reject { reason } => Call::new(
                routes::RELEASE_REJECT,
                release_id,
                RejectRequest {
                    reason: reason.clone(),
                },
            ),
            StepInput::Whitelist { user_ids } => Call::new(
                routes::RELEASE_WHITELIST,
                release_id,
                WhitelistRequest {
                    user_ids: user_ids.clone(),
                },
            ),
            StepInput::Grayscale { ratio } => Call::new(
                routes::RELEASE_GRAYSCALE,
                release_id,
                GrayscaleRequest { ratio: *ratio },
            ),
            StepInput::Official => Call::new(routes::RELEASE_OFFICIAL, release_id, empty),
            StepInput::Cancel => Call::new(routes::RELEASE_CANCEL, release_id, empty),
        }
    }

    pub fn rollback(app_id: &str, target_app_id: &str) -> Call {
        Call::new(
            routes::ROLLBACK,
            app_id,
            RollbackRequest {
                target_app_id: target_app_id.to_string(),
            },
        )
    }

    pub fn temporary_code(release_id: &str, path: Option<&str>) -> Call {
        Call::new(
            routes::RELEASE_TEMPORARY_CODE,
            release_id,
            TemporaryCodeRequest {
                path: path.map(str::to_string),
            },
        )
    }

    /// The request as `--dry-run` shows it: the bearer token is named, not shown.
    pub fn planned(&self, base_url: &str) -> PlannedRequest {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut headers = Vec::new();
        if self.route.authenticated {
            headers.push(PlannedHeader::new(
                "authorization",
                "Bearer <session access token>",
            ));
        }
        headers.push(PlannedHeader::new("content-type", "application/json"));
        PlannedRequest {
            method: self.route.method.to_string(),
            url: format!("{base_url}{}", self.route.fill(&args)),
            headers,
            body: Some(self.body.clone()),
            learned: false,
        }
    }
}

pub struct PortalClient {
    base_url: String,
    http: reqwest::Client,
    credentials: Mutex<Credentials>,
    /// Where an access token in use came from (named by a refusal of it).
    token_source: std::sync::Mutex<crate::backend::TokenSource>,
    on_refresh: Option<TokenListener>,
    coordinator: Option<Arc<dyn RefreshCoordinator>>,
    retry: RetryPolicy,
    chunk_size: u64,
}

const JSON_TIMEOUT: Duration = Duration::from_secs(30);
/// A chunk may take a while on a slow uplink; 16 MiB at 200 KiB/s is ~80 s.
const CHUNK_TIMEOUT: Duration = Duration::from_secs(180);
const DEFAULT_CHUNK_SIZE: u64 = 8 * 1024 * 1024;

impl PortalClient {
    pub fn new(base_url: &str, credentials: Credentials) -> Result<Self, PortalError> {
        crate::http_client::parse_portal_url(base_url)?;
        let http = crate::http_client::client(Default::default())?;
        Ok(PortalClient {
            base_url: base_url.trim_end_matches('/').to_string(),
            http,
            credentials: Mutex::new(credentials),
            token_source: Default::default(),
            on_refresh: None,
            coordinator: None,
            retry: RetryPolicy::default(),
            chunk_size: DEFAULT_CHUNK_SIZE,
        })
    }

    /// Persist refreshed tokens (the CLI writes them to the credentials file).
    pub fn on_refresh(mut self, listener: TokenListener) -> Self {
        self.on_refresh = Some(listener);
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Refresh in turn with other processes sharing the stored tokens.
    pub fn with_refresh_coordinator(mut self, coordinator: Arc<dyn RefreshCoordinator>) -> Self {
        self.coordinator = Some(coordinator);
        self
    }

    pub fn with_chunk_size(mut self, chunk_size: u64) -> Self {
        self.chunk_size = chunk_size.max(1);
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub async fn credentials(&self) -> Credentials {
        self.credentials.lock().await.clone()
    }

    /// Where the access token of [`Credentials::AccessToken`] came from.
    pub fn set_token_source(&self, source: crate::backend::TokenSource) {
        *self.token_source.lock().unwrap_or_else(|e| e.into_inner()) = source;
    }

    pub async fn set_credentials(&self, credentials: Credentials) {
        *self.credentials.lock().await = credentials;
    }

    // -----------------------------------------------------------------------------------------
    // Auth
    // -----------------------------------------------------------------------------------------

    /// Logs in and keeps the session for the following calls.
    pub async fn login(&self, username: &str, password: &str) -> Result<TokenPair, PortalError> {
        let body = LoginRequest {
            username: username.to_string(),
            password: password.to_string(),
        };
        let pair: TokenPair = self.call_anonymous(routes::LOGIN, &[], Some(&body)).await?;
        self.adopt(&pair).await;
        Ok(pair)
    }

    /// Revokes the session on the portal and forgets it here.
    pub async fn logout(&self) -> Result<(), PortalError> {
        let _: serde_json::Value = self
            .call(routes::LOGOUT, &[], Some(&serde_json::json!({})))
            .await?;
        *self.credentials.lock().await = Credentials::None;
        Ok(())
    }

    pub async fn device_start(
        &self,
        client_name: Option<String>,
    ) -> Result<DeviceAuthorization, PortalError> {
        self.call_anonymous(
            routes::DEVICE_START,
            &[],
            Some(&DeviceAuthorizationRequest { client_name }),
        )
        .await
    }

    pub async fn device_poll(&self, device_code: &str) -> Result<DevicePoll, PortalError> {
        let body = DeviceTokenRequest {
            device_code: device_code.to_string(),
        };
        match self
            .call_anonymous::<TokenPair, _>(routes::DEVICE_TOKEN, &[], Some(&body))
            .await
        {
            Ok(pair) => {
                self.adopt(&pair).await;
                Ok(DevicePoll::Approved(Box::new(pair)))
            }
            Err(PortalError::Refused(refusal)) if refusal.code == codes::AUTHORIZATION_PENDING => {
                Ok(DevicePoll::Pending)
            }
            Err(other) => Err(other),
        }
    }

    /// Polls a device login until it is approved, denied, expired or cancelled.
    pub async fn device_wait(
        &self,
        auth: &DeviceAuthorization,
        cancel: &CancellationToken,
    ) -> Result<TokenPair, PortalError> {
        let interval = Duration::from_secs(auth.interval.max(1));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(auth.expires_in);
        loop {
            match self.device_poll(&auth.device_code).await {
                Ok(DevicePoll::Approved(pair)) => return Ok(*pair),
                Ok(DevicePoll::Pending) => {}
                Err(err) if err.retryable() => {
                    tracing::debug!("device poll failed, will retry: {err}");
                }
                Err(err) => return Err(err),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(PortalError::SessionExpired {
                    message: "the browser login was not approved in time".into(),
                });
            }
            tokio::select! {
                _ = cancel.cancelled() => return Err(PortalError::Cancelled),
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }

    pub async fn create_access_token(
        &self,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<CreatedAccessToken, PortalError> {
        let body = CreateAccessTokenRequest {
            name: name.to_string(),
            expires_in_days,
        };
        self.call(routes::TOKENS_CREATE, &[], Some(&body)).await
    }

    pub async fn list_access_tokens(&self) -> Result<Vec<AccessToken>, PortalError> {
        let list: AccessTokenList = self.get(routes::TOKENS_LIST, &[]).await?;
        Ok(list.tokens)
    }

    pub async fn revoke_access_token(&self, token_id: &str) -> Result<(), PortalError> {
        let _: serde_json::Value = self
            .call(routes::TOKENS_REVOKE, &[token_id], None::<&()>)
            .await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Reads
    // -----------------------------------------------------------------------------------------

    /// `GET path` once, with `bearer` or without credentials, never refreshed: the status and
    /// body as they came (`doctor`'s read probe).
    pub async fn probe_get(
        &self,
        path: &str,
        bearer: Option<&str>,
    ) -> Result<(u16, Vec<u8>), PortalError> {
        let url = format!("{}{}", self.base_url, path);
        let mut request = self.http.get(&url).timeout(JSON_TIMEOUT);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| network_error(&url, e))?;
        let status = response.status().as_u16();
        let body = crate::http_client::read_page(response).await?;
        Ok((status, body.to_vec()))
    }

    pub async fn health(&self) -> Result<serde_json::Value, PortalError> {
        self.get(routes::HEALTH, &[]).await
    }

    pub async fn me(&self) -> Result<User, PortalError> {
        self.get(routes::ME, &[]).await
    }

    pub async fn spaces(&self) -> Result<Vec<Space>, PortalError> {
        Ok(self.get::<SpaceList>(routes::SPACES, &[]).await?.spaces)
    }

    pub async fn apps(&self, space_id: &str) -> Result<Vec<MiniApp>, PortalError> {
        Ok(self
            .get::<MiniAppList>(routes::SPACE_APPS, &[space_id])
            .await?
            .apps)
    }

    pub async fn app(&self, app_id: &str) -> Result<MiniApp, PortalError> {
        self.get(routes::APP, &[app_id]).await
    }

    pub async fn target_apps(&self) -> Result<Vec<TargetApp>, PortalError> {
        Ok(self
            .get::<TargetAppList>(routes::TARGET_APPS, &[])
            .await?
            .target_apps)
    }

    /// Newest first.
    pub async fn versions(&self, app_id: &str) -> Result<Vec<Version>, PortalError> {
        Ok(self
            .get::<VersionList>(routes::VERSIONS, &[app_id])
            .await?
            .versions)
    }

    /// `None` when the MiniApp has no version yet.
    pub async fn latest_version(&self, app_id: &str) -> Result<Option<Version>, PortalError> {
        match self.get(routes::VERSION_LATEST, &[app_id]).await {
            Ok(v) => Ok(Some(v)),
            Err(PortalError::NotFound { .. }) => {
                // Tell "no versions" from "no such app": the app lookup fails loudly.
                self.app(app_id).await?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub async fn releases(&self, app_id: &str) -> Result<Vec<Release>, PortalError> {
        Ok(self
            .get::<ReleaseList>(routes::RELEASES, &[app_id])
            .await?
            .releases)
    }

    pub async fn release(&self, release_id: &str) -> Result<Release, PortalError> {
        self.get(routes::RELEASE_GET, &[release_id]).await
    }

    /// Releases on target apps the caller administers; `all` includes every state, else
    /// only those waiting for review.
    pub async fn reviews(&self, all: bool) -> Result<Vec<Release>, PortalError> {
        let route = routes::REVIEWS;
        let path = if all {
            format!("{}?state=all", route.fill(&[]))
        } else {
            route.fill(&[])
        };
        let list: ReleaseList = self
            .request_path(route, &path, None::<&()>, JSON_TIMEOUT)
            .await?;
        Ok(list.releases)
    }

    pub async fn audit(&self, app_id: &str) -> Result<Vec<AuditEntry>, PortalError> {
        Ok(self
            .get::<AuditLog>(routes::AUDIT, &[app_id])
            .await?
            .entries)
    }

    // -----------------------------------------------------------------------------------------
    // Release steps
    // -----------------------------------------------------------------------------------------

    pub async fn create_release(
        &self,
        app_id: &str,
        version_id: &str,
        target_app_id: &str,
    ) -> Result<Release, PortalError> {
        let body = CreateReleaseRequest {
            version_id: version_id.to_string(),
            target_app_id: target_app_id.to_string(),
        };
        self.call(routes::RELEASE_CREATE, &[app_id], Some(&body))
            .await
    }

    /// Sends one step's request (a [`Call`]) and decodes its answer.
    pub async fn send_call<T: DeserializeOwned>(&self, call: &Call) -> Result<T, PortalError> {
        let args: Vec<&str> = call.args.iter().map(String::as_str).collect();
        self.call(call.route, &args, Some(&call.body)).await
    }

    // -----------------------------------------------------------------------------------------
    // Upload
    // -----------------------------------------------------------------------------------------

    /// Uploads a package and creates the version. Chunked; each chunk carries its sha256;
    /// after a dropped connection, a timeout or a 5xx it asks the portal how many bytes it
    /// holds and resumes from there, with backoff. Re-running it for the same package never
    /// creates a second version (the portal matches version + sha256). On failure or cancel
    /// the open upload is abandoned on the portal, so nothing half-made stays there.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_package(
        &self,
        app_id: &str,
        package: &Path,
        sha256: &str,
        version: VersionNumber,
        description: &str,
        on_opened: Option<&(dyn Fn(&str) + Send + Sync)>,
        progress: &(dyn Fn(UploadProgress) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<Version, PortalError> {
        let size = std::fs::metadata(package)
            .map_err(|e| PortalError::Local {
                message: format!("cannot read the package {}: {e}", package.display()),
            })?
            .len();
        let request = CreateUploadRequest {
            version,
            description: description.to_string(),
            size,
            sha256: sha256.to_string(),
        };
        let app_args = [app_id];
        let upload: Upload = self
            .with_retries(cancel, || {
                self.call(routes::UPLOAD_CREATE, &app_args, Some(&request))
            })
            .await?;
        if let Some(on_opened) = on_opened {
            on_opened(&upload.id);
        }
        let result = self
            .send_chunks_and_complete(&upload, package, progress, cancel)
            .await;
        if result.is_err() {
            // Best effort: a fresh run starts a fresh upload anyway (same id, idempotent).
            if let Err(e) = self.abort_upload(&upload.id).await {
                tracing::debug!("could not abandon upload {}: {e}", upload.id);
            }
        }
        result
    }

    /// Abandons an open upload: its bytes are freed and it can never become a version. An
    /// upload that is gone already is fine; a complete one is refused (its version exists).
    pub async fn abort_upload(&self, upload_id: &str) -> Result<(), PortalError> {
        let abort: Result<serde_json::Value, _> = self
            .call(routes::UPLOAD_ABORT, &[upload_id], None::<&()>)
            .await;
        match abort {
            Ok(_) | Err(PortalError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn send_chunks_and_complete(
        &self,
        upload: &Upload,
        package: &Path,
        progress: &(dyn Fn(UploadProgress) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<Version, PortalError> {
        let total = upload.size;
        let chunk_size = self.chunk_size.min(upload.max_chunk_size.max(1));
        let mut received = upload.received;
        progress(UploadProgress {
            sent: received,
            total,
        });
        let mut delays = self.retry.delays();
        // The sha256 of the next chunk is computed while the current one is on the wire.
        let mut next_hash: Option<(u64, tokio::task::JoinHandle<Result<String, PortalError>>)> =
            None;
        while upload.state != UploadState::Complete && received < total {
            if cancel.is_cancelled() {
                return Err(PortalError::Cancelled);
            }
            let len = chunk_size.min(total - received);
            let chunk_sha = match next_hash.take() {
                Some((at, task)) if at == received => {
                    task.await.map_err(|e| PortalError::Local {
                        message: format!("hashing the package failed: {e}"),
                    })??
                }
                _ => hash_region(package.to_path_buf(), received, len).await?,
            };
            let following = received + len;
            if following < total {
                let path = package.to_path_buf();
                let following_len = chunk_size.min(total - following);
                next_hash = Some((
                    following,
                    tokio::task::spawn_blocking(move || {
                        hash_region_blocking(&path, following, following_len)
                    }),
                ));
            }
            let offset = received.to_string();
            let outcome = tokio::select! {
                _ = cancel.cancelled() => return Err(PortalError::Cancelled),
                r = self.put_chunk(&upload.id, &offset, &chunk_sha, package, received, len) => r,
            };
            match outcome {
                Ok(ChunkOutcome::Stored(receipt)) => {
                    received = receipt.received;
                    delays = self.retry.delays();
                    progress(UploadProgress {
                        sent: received,
                        total,
                    });
                }
                // The portal knows better where we are (e.g. after our own retry).
                Ok(ChunkOutcome::ResumeAt(at)) => received = at,
                Err(err) if err.retryable() => {
                    let Some(delay) = delays.next() else {
                        return Err(err);
                    };
                    tracing::warn!("upload chunk at {received} failed ({err}); resuming");
                    tokio::select! {
                        _ = cancel.cancelled() => return Err(PortalError::Cancelled),
                        _ = tokio::time::sleep(delay) => {}
                    }
                    // Ask the portal how much it holds; a cut chunk counts for nothing.
                    if let Ok(state) = self.get::<Upload>(routes::UPLOAD_GET, &[&upload.id]).await {
                        received = state.received;
                    }
                }
                Err(err) => return Err(err),
            }
        }
        let upload_args = [upload.id.as_str()];
        let empty = serde_json::json!({});
        self.with_retries(cancel, || {
            self.call(routes::UPLOAD_COMPLETE, &upload_args, Some(&empty))
        })
        .await
    }

    /// Sends one chunk, streamed from the package file (memory stays flat however large
    /// the chunk), retrying once with a refreshed token if the session expired.
    async fn put_chunk(
        &self,
        upload_id: &str,
        offset: &str,
        chunk_sha: &str,
        package: &Path,
        start: u64,
        len: u64,
    ) -> Result<ChunkOutcome, PortalError> {
        let route = routes::UPLOAD_CHUNK;
        let url = format!("{}{}", self.base_url, route.fill(&[upload_id, offset]));
        let mut refreshed = false;
        loop {
            let token = self.bearer().await?;
            let body = region_body(package, start, len).await?;
            let response = self
                .http
                .request(Method::PUT, &url)
                .bearer_auth(&token)
                .header("X-Chunk-Sha256", chunk_sha)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .header(reqwest::header::CONTENT_LENGTH, len)
                .timeout(CHUNK_TIMEOUT)
                .body(body)
                .send()
                .await
                .map_err(|e| network_error(&url, e))?;
            match self.decode_wire::<ChunkReceipt>(response).await {
                Ok(receipt) => return Ok(ChunkOutcome::Stored(receipt)),
                Err(WireFailure::Refused(_, body, _)) if body.code == codes::OFFSET_MISMATCH => {
                    return Ok(ChunkOutcome::ResumeAt(body.received.unwrap_or(0)));
                }
                Err(failure) => match failure.into_error() {
                    PortalError::SessionExpired { .. }
                        if !refreshed && self.refresh_if_possible(&token).await? =>
                    {
                        refreshed = true;
                    }
                    other => return Err(other),
                },
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Plumbing
    // -----------------------------------------------------------------------------------------

    async fn with_retries<T, F, Fut>(
        &self,
        cancel: &CancellationToken,
        op: F,
    ) -> Result<T, PortalError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, PortalError>>,
    {
        self.retry.run(cancel, op).await
    }

    async fn get<T: DeserializeOwned>(
        &self,
        route: Route,
        args: &[&str],
    ) -> Result<T, PortalError> {
        self.call(route, args, None::<&()>).await
    }

    /// An authenticated call; refreshes an expired session once and retries.
    async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        route: Route,
        args: &[&str],
        body: Option<&B>,
    ) -> Result<T, PortalError> {
        let path = route.fill(args);
        self.request_path(route, &path, body, JSON_TIMEOUT).await
    }

    async fn request_path<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        route: Route,
        path: &str,
        body: Option<&B>,
        timeout: Duration,
    ) -> Result<T, PortalError> {
        let token = if route.authenticated {
            Some(self.bearer().await?)
        } else {
            None
        };
        let first = self
            .send_once(route, path, body, token.as_deref(), timeout)
            .await;
        match (first, token) {
            (Err(PortalError::SessionExpired { .. }), Some(token))
                if self.refresh_if_possible(&token).await? =>
            {
                let token = self.bearer().await?;
                self.send_once(route, path, body, Some(&token), timeout)
                    .await
            }
            (other, _) => other,
        }
    }

    async fn call_anonymous<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        route: Route,
        args: &[&str],
        body: Option<&B>,
    ) -> Result<T, PortalError> {
        self.send_once(route, &route.fill(args), body, None, JSON_TIMEOUT)
            .await
    }

    async fn send_once<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        route: Route,
        path: &str,
        body: Option<&B>,
        token: Option<&str>,
        timeout: Duration,
    ) -> Result<T, PortalError> {
        let url = format!("{}{}", self.base_url, path);
        let method = Method::from_bytes(route.method.as_bytes()).expect("valid method");
        let mut request = self.http.request(method, &url).timeout(timeout);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| network_error(&url, e))?;
        self.decode(response).await
    }

    async fn decode<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, PortalError> {
        self.decode_wire(response)
            .await
            .map_err(WireFailure::into_error)
    }

    async fn decode_wire<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, WireFailure> {
        let status = response.status();
        let url = response.url().to_string();
        // Seconds only (what the portal sends); an HTTP date is left out.
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = crate::http_client::read_answer(response)
            .await
            .map_err(WireFailure::Other)?;
        if status.is_success() {
            let bytes = if bytes.is_empty() {
                Bytes::from_static(b"null")
            } else {
                bytes
            };
            return serde_json::from_slice(&bytes).map_err(|e| {
                WireFailure::Other(PortalError::Protocol {
                    message: format!("{url}: {e}"),
                })
            });
        }
        Err(match serde_json::from_slice::<ErrorEnvelope>(&bytes) {
            Ok(envelope) => WireFailure::Refused(status.as_u16(), envelope.error, retry_after),
            Err(_) if status == StatusCode::PAYLOAD_TOO_LARGE => {
                WireFailure::Other(crate::http_client::too_large_answer(&url, &bytes))
            }
            Err(_) if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => {
                WireFailure::Other(PortalError::Network {
                    message: format!("the portal answered {status}"),
                })
            }
            Err(_) => WireFailure::Other(PortalError::Protocol {
                message: format!(
                    "{url} answered {status} with {}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                ),
            }),
        })
    }

    async fn bearer(&self) -> Result<String, PortalError> {
        match &*self.credentials.lock().await {
            Credentials::None => Err(PortalError::NotLoggedIn {
                portal: self.base_url.clone(),
            }),
            Credentials::Session { access_token, .. } => Ok(access_token.clone()),
            Credentials::AccessToken(token) => Ok(token.clone()),
        }
    }

    /// Refreshes the session if `used_token` is still the current access token (another
    /// task may have refreshed meanwhile). Returns whether a retry makes sense.
    async fn refresh_if_possible(&self, used_token: &str) -> Result<bool, PortalError> {
        let mut credentials = self.credentials.lock().await;
        let refresh_token = match &*credentials {
            Credentials::Session {
                access_token,
                refresh_token,
            } => {
                if access_token != used_token {
                    return Ok(true);
                }
                refresh_token.clone()
            }
            Credentials::AccessToken(_) => {
                return Err(PortalError::AccessTokenRefused {
                    from: *self.token_source.lock().unwrap_or_else(|e| e.into_inner()),
                })
            }
            Credentials::None => return Ok(false),
        };
        // One refresh at a time across processes; a sibling's refresh is taken as it is.
        let _exclusive = match &self.coordinator {
            Some(coordinator) => {
                let waiting = coordinator.clone();
                let guard = tokio::task::spawn_blocking(move || waiting.exclusive())
                    .await
                    .map_err(|e| PortalError::Local {
                        message: format!("waiting for another refresh of the session failed: {e}"),
                    })?;
                if adopt_stored(&mut credentials, coordinator.as_ref(), &refresh_token) {
                    tracing::debug!(
                        "the session was refreshed by another process; using its tokens"
                    );
                    return Ok(true);
                }
                Some(guard)
            }
            None => None,
        };
        let body = RefreshRequest {
            refresh_token: refresh_token.clone(),
        };
        let refreshed: Result<TokenPair, _> = self
            .send_once(
                routes::REFRESH,
                &routes::REFRESH.fill(&[]),
                Some(&body),
                None,
                JSON_TIMEOUT,
            )
            .await;
        match refreshed {
            Ok(pair) => {
                *credentials = Credentials::Session {
                    access_token: pair.access_token.clone(),
                    refresh_token: pair.refresh_token.clone(),
                };
                drop(credentials);
                if let Some(listener) = &self.on_refresh {
                    listener(&pair);
                }
                tracing::debug!("session refreshed");
                Ok(true)
            }
            Err(err) if err.retryable() => Err(err),
            Err(err) => {
                // A process that refreshes without the lock (an older version of this tool)
                // may have spent the token: what it saved is the live session.
                if let Some(coordinator) = &self.coordinator {
                    if adopt_stored(&mut credentials, coordinator.as_ref(), &refresh_token) {
                        return Ok(true);
                    }
                }
                Err(PortalError::SessionExpired {
                    message: format!("the session ended ({err}); log in again"),
                })
            }
        }
    }

    async fn adopt(&self, pair: &TokenPair) {
        *self.credentials.lock().await = Credentials::Session {
            access_token: pair.access_token.clone(),
            refresh_token: pair.refresh_token.clone(),
        };
    }
}

/// Takes the stored session when it is a newer one than ours (its refresh token is not the
/// one we hold); whether it did.
fn adopt_stored(
    credentials: &mut Credentials,
    coordinator: &dyn RefreshCoordinator,
    our_refresh_token: &str,
) -> bool {
    match coordinator.stored() {
        Some(stored @ Credentials::Session { .. }) => {
            let newer = matches!(&stored, Credentials::Session { refresh_token, .. } if refresh_token != our_refresh_token);
            if newer {
                *credentials = stored;
            }
            newer
        }
        _ => false,
    }
}

/// What a chunk upload achieved.
enum ChunkOutcome {
    Stored(ChunkReceipt),
    /// The portal holds a different amount than we thought: continue from there.
    ResumeAt(u64),
}

/// A failed answer, before it becomes a [`PortalError`] (the upload looks at the wire body).
enum WireFailure {
    /// Status, body, `Retry-After` seconds.
    Refused(u16, ErrorBody, Option<u64>),
    Other(PortalError),
}

impl WireFailure {
    fn into_error(self) -> PortalError {
        match self {
            WireFailure::Refused(status, body, retry_after) => {
                from_wire_after(status, body, retry_after)
            }
            WireFailure::Other(err) => err,
        }
    }
}

/// Maps a native wire error into the typed error.
pub fn from_wire(status: u16, body: ErrorBody) -> PortalError {
    from_wire_after(status, body, None)
}

/// [`from_wire`], with the answer's `Retry-After` seconds.
pub fn from_wire_after(status: u16, mut body: ErrorBody, retry_after: Option<u64>) -> PortalError {
    // The portal's words reach terminals, logs and editors: one line each, shown, cut.
    body.message = Line(&body.message).to_string();
    body.hint = Line(&body.hint).to_string();
    let message = body.message.clone();
    match body.code.as_str() {
        codes::TOO_MANY_ATTEMPTS => PortalError::TooManyAttempts {
            message,
            retry_after_secs: retry_after,
        },
        codes::TOKEN_EXPIRED | codes::TOKEN_REVOKED | codes::UNAUTHENTICATED => {
            PortalError::SessionExpired { message }
        }
        codes::INVALID_CREDENTIALS => PortalError::InvalidCredentials { message },
        codes::FORBIDDEN => PortalError::Forbidden { message },
        codes::NOT_FOUND => PortalError::NotFound { message },
        codes::ILLEGAL_STEP | codes::FIRST_RELEASE_OFFICIAL_ONLY => PortalError::IllegalStep {
            message,
            state: body.state,
            allowed: body.allowed_steps.clone().unwrap_or_default(),
            first_release: body.code == codes::FIRST_RELEASE_OFFICIAL_ONLY,
        },
        codes::VERSION_NOT_HIGHER => PortalError::VersionNotHigher { message },
        codes::TOO_LARGE => PortalError::TooLarge { message },
        codes::INVALID_RATIO | codes::RATIO_NOT_HIGHER => PortalError::BadRatio {
            message,
            not_higher: body.code == codes::RATIO_NOT_HIGHER,
        },
        _ if status >= 500 => PortalError::Network {
            message: format!("the portal failed ({status}): {message}"),
        },
        _ => PortalError::Refused(Box::new(Refusal {
            status,
            code: body.code,
            message: body.message,
            hint: body.hint,
            retryable: body.retryable,
            field: body.field,
        })),
    }
}

/// sha256 of `len` bytes of the package from `start`, read in 1 MiB pieces.
fn hash_region_blocking(package: &Path, start: u64, len: u64) -> Result<String, PortalError> {
    let io_error = |e: std::io::Error| PortalError::Local {
        message: format!("cannot read the package {}: {e}", package.display()),
    };
    let mut file = std::fs::File::open(package).map_err(io_error)?;
    file.seek(SeekFrom::Start(start)).map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    let mut left = len;
    while left > 0 {
        let n = (left as usize).min(buf.len());
        file.read_exact(&mut buf[..n]).map_err(io_error)?;
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(hex::encode(hasher.finalize()))
}

async fn hash_region(
    package: std::path::PathBuf,
    start: u64,
    len: u64,
) -> Result<String, PortalError> {
    tokio::task::spawn_blocking(move || hash_region_blocking(&package, start, len))
        .await
        .map_err(|e| PortalError::Local {
            message: format!("hashing the package failed: {e}"),
        })?
}

/// sha256 of the whole package (`size` bytes), off the async threads.
pub async fn hash_package(package: &Path, size: u64) -> Result<String, PortalError> {
    hash_region(package.to_path_buf(), 0, size).await
}

/// A request body that streams `len` bytes of the package from `start`.
async fn region_body(package: &Path, start: u64, len: u64) -> Result<reqwest::Body, PortalError> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let io_error = |e: std::io::Error| PortalError::Local {
        message: format!("cannot read the package {}: {e}", package.display()),
    };
    let mut file = tokio::fs::File::open(package).await.map_err(io_error)?;
    file.seek(SeekFrom::Start(start)).await.map_err(io_error)?;
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(len), 256 * 1024);
    Ok(reqwest::Body::wrap_stream(stream))
}

pub(crate) fn network_error(url: &str, err: reqwest::Error) -> PortalError {
    if err.is_redirect() {
        // A refused redirect (http_client::redirect_policy) is the portal's doing, not the
        // network's: not worth retrying.
        return PortalError::Protocol {
            message: root_cause(&err),
        };
    }
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    };
    // reqwest's Display includes the URL but never headers, so no token can leak here.
    PortalError::Network {
        message: format!("{what}: {url} ({})", root_cause(&err)),
    }
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #20 items 4 and 32: the portal's words reach every front end as one line, shown
    /// and cut, however long and whatever they hold.
    #[test]
    fn a_portals_message_is_cleaned_and_cut() {
        let body = ErrorBody {
            code: "invalid_version".into(),
            message: format!("\u{1b}]0;pwned\u{7}version {} refused", "9".repeat(10_000)),
            hint: "line one\nline two\u{1b}[2J".into(),
            retryable: false,
            state: None,
            allowed_steps: None,
            field: None,
            received: None,
        };
        let PortalError::Refused(refusal) = from_wire(400, body) else {
            panic!("a refusal")
        };
        assert!(refusal.message.starts_with(r"\x1b]0;pwned\x07version 999"));
        assert!(refusal.message.chars().count() <= gopay_miniapp_guard::text::LINE_CHARS + 40);
        assert!(refusal.message.contains("…[+"), "{}", refusal.message);
        assert_eq!(refusal.hint, r"line one\nline two\x1b[2J");
    }
}
