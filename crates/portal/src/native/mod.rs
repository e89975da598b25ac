//! The `native` backend: our own portal contract (`docs/portal-api.md`), served by
//! `gopay-miniapp portal serve`. [`client`] is its HTTP client, [`routes`] its route table,
//! [`wire`] its JSON documents; [`NativePortal`] adapts them to the [`Portal`] trait. The
//! local portal (`crates/portal-server`) serves exactly these routes and documents.

pub mod client;
pub mod routes;
pub mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use client::Call;
pub use client::{Credentials, PortalClient};

use crate::backend::*;
use crate::domain::*;
use crate::error::PortalError;
use crate::lifecycle::Step;
use crate::probe::{AnswerKind, ProbeIds, ProbeRoute, RouteAnswer};

/// What the native backend keeps between runs, as its opaque [`Session`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum NativeSession {
    #[serde(rename_all = "camelCase")]
    Tokens {
        access_token: String,
        refresh_token: String,
        expires_at: String,
    },
    /// A CI access token (never stored by core; kept in memory for the run).
    AccessToken {
        token: String,
        #[serde(default)]
        source: crate::backend::TokenSource,
    },
}

impl NativeSession {
    fn from_pair(pair: &wire::TokenPair) -> Self {
        NativeSession::Tokens {
            access_token: pair.access_token.clone(),
            refresh_token: pair.refresh_token.clone(),
            expires_at: pair.expires_at.clone(),
        }
    }

    fn to_session(&self) -> Session {
        Session::new(serde_json::to_value(self).expect("serializable"))
    }

    fn credentials(&self) -> Credentials {
        match self {
            NativeSession::Tokens {
                access_token,
                refresh_token,
                ..
            } => Credentials::Session {
                access_token: access_token.clone(),
                refresh_token: refresh_token.clone(),
            },
            NativeSession::AccessToken { token, .. } => Credentials::AccessToken(token.clone()),
        }
    }
}

/// The tokens of a session saved by an earlier version of this tool (`credentials.json`
/// entries with `accessToken`/`refreshToken` at the top level), as a native session.
pub fn legacy_session(access_token: &str, refresh_token: &str, expires_at: &str) -> Session {
    NativeSession::Tokens {
        access_token: access_token.to_string(),
        refresh_token: refresh_token.to_string(),
        expires_at: expires_at.to_string(),
    }
    .to_session()
}

impl NativeSession {
    /// The bearer token of requests.
    fn bearer(&self) -> &str {
        match self {
            NativeSession::Tokens { access_token, .. } => access_token,
            NativeSession::AccessToken { token, .. } => token,
        }
    }
}

/// The native contract's READ routes, for `doctor`: health (no session), then who is logged
/// in, the lists, and the bound MiniApp's versions.
fn probe_routes(ids: &ProbeIds) -> Vec<ProbeRoute> {
    let route = |path: String, purpose: &'static str, with_session_too: bool| ProbeRoute {
        path,
        purpose,
        query: Vec::new(),
        with_session_too,
    };
    let mut out = vec![
        route(
            routes::HEALTH.path.into(),
            "liveness and contract version",
            false,
        ),
        route(routes::ME.path.into(), "who is logged in", true),
        route(
            routes::SPACES.path.into(),
            "spaces the user belongs to",
            true,
        ),
        route(routes::TARGET_APPS.path.into(), "target apps", true),
    ];
    if let Some(app) = &ids.app_id {
        out.push(route(
            routes::VERSIONS.fill(&[app]),
            "versions of the bound MiniApp",
            true,
        ));
    }
    out
}

/// The row of one native answer: `{"error": {code, message}}` on refusals.
fn native_answer(route: &ProbeRoute, with_session: bool, status: u16, body: &[u8]) -> RouteAnswer {
    let value: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let error = value
        .as_ref()
        .and_then(|v| v.get("error"))
        .filter(|e| e.is_object());
    let kind = match (&value, error) {
        (None, _) => AnswerKind::Unexpected,
        (Some(_), None) if (200..300).contains(&status) => AnswerKind::Ok,
        (Some(_), Some(_)) if status == 401 => AnswerKind::LostSession,
        (Some(_), Some(_)) => AnswerKind::Refused,
        (Some(_), None) => AnswerKind::Unexpected,
    };
    let field = |name: &str| {
        error
            .and_then(|e| e.get(name))
            .and_then(serde_json::Value::as_str)
            .map(crate::probe::short)
    };
    RouteAnswer {
        status: Some(status),
        success: None,
        error_code: field("code"),
        message: match value {
            None => Some(format!("not JSON ({} bytes)", body.len())),
            Some(_) => field("message"),
        },
        ..RouteAnswer::of(route, with_session, kind)
    }
}

/// Every READ route of the native contract, without a session and (when given) with it.
pub(crate) async fn probe_reads(
    url: &str,
    session: Option<&Session>,
    ids: &ProbeIds,
) -> Result<Vec<RouteAnswer>, PortalError> {
    let client = PortalClient::new(url, Credentials::None)?;
    let bearer = session
        .and_then(Session::decode::<NativeSession>)
        .map(|s| s.bearer().to_string());
    Ok(crate::probe::ask_all(
        |_: &()| probe_routes(ids),
        &mut (),
        bearer.is_some(),
        |path, _query, with_session| {
            let client = &client;
            let bearer = bearer.clone().filter(|_| with_session);
            async move { client.probe_get(&path, bearer.as_deref()).await }
        },
        |route, with_session, status, body, _| native_answer(route, with_session, status, body),
    )
    .await)
}

/// Everything the native contract offers.
pub fn capabilities() -> Capabilities {
    Capabilities {
        release_notes: NotesAt::Apply,
        steps: Step::ALL.to_vec(),
        list_spaces: true,
        list_apps: true,
        list_target_apps: true,
        login: vec![LoginKind::Password, LoginKind::Browser, LoginKind::Token],
        access_tokens: true,
        audit: true,
        reviews: true,
        learned: Vec::new(),
    }
}

pub struct NativePortal {
    client: PortalClient,
    capabilities: Capabilities,
}

impl NativePortal {
    /// `on_session_changed` hears of transparent token refreshes, to save them.
    pub fn new(
        base_url: &str,
        on_session_changed: Option<SessionListener>,
    ) -> Result<Self, PortalError> {
        let mut client = PortalClient::new(base_url, Credentials::None)?;
        if let Some(listener) = on_session_changed {
            client = client.on_refresh(Arc::new(move |pair| {
                listener(&NativeSession::from_pair(pair).to_session())
            }));
        }
        Ok(NativePortal {
            client,
            capabilities: capabilities(),
        })
    }

    /// Renew the stored session in turn with other processes (see [`SessionRenewal`]).
    pub fn with_renewal(mut self, renewal: Option<Arc<dyn SessionRenewal>>) -> Self {
        if let Some(renewal) = renewal {
            self.client = self
                .client
                .with_refresh_coordinator(Arc::new(NativeRenewal(renewal)));
        }
        self
    }

    pub fn with_chunk_size(mut self, chunk_size: u64) -> Self {
        self.client = self.client.with_chunk_size(chunk_size);
        self
    }

    pub fn with_retry(mut self, retry: crate::retry::RetryPolicy) -> Self {
        self.client = self.client.with_retry(retry);
        self
    }

    /// The HTTP client, for what only the native contract has (health, device pages).
    pub fn client(&self) -> &PortalClient {
        &self.client
    }
}

/// The stored session as the client's tokens.
struct NativeRenewal(Arc<dyn SessionRenewal>);

impl client::RefreshCoordinator for NativeRenewal {
    fn exclusive(&self) -> Box<dyn Send> {
        self.0.exclusive()
    }

    fn stored(&self) -> Option<Credentials> {
        self.0
            .stored()
            .and_then(|s| s.decode::<NativeSession>())
            .map(|s| s.credentials())
    }
}

fn live_change(change: wire::LiveChange) -> LiveChange {
    LiveChange {
        released: change.released.release,
        archived: change.archived.map(|r| r.release),
    }
}

fn stepped(release: wire::Release) -> StepOutcome {
    StepOutcome {
        release: release.release,
        archived: None,
    }
}

#[async_trait]
impl Portal for NativePortal {
    fn backend(&self) -> Backend {
        Backend::Native
    }

    fn base_url(&self) -> &str {
        self.client.base_url()
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// The native portal's web pages (`/web/apps/{app}/versions[/{version}]`, ours: see
    /// docs/portal-web.md).
    fn page_url(&self, page: PortalPage<'_>) -> Option<String> {
        // `url` escapes `/`, `?` and `#` in a segment but takes `.` and `..` as steps: an id
        // like that names no page of ours.
        let ids: &[&str] = match page {
            PortalPage::App(app) => &[&app.app_id],
            PortalPage::Version { app, version_id } => &[&app.app_id, version_id],
        };
        if ids.iter().any(|id| matches!(*id, "" | "." | "..")) {
            return None;
        }
        let mut url = url::Url::parse(self.base_url()).ok()?;
        {
            let mut path = url.path_segments_mut().ok()?;
            path.pop_if_empty();
            match page {
                PortalPage::App(app) => {
                    path.extend(["web", "apps", app.app_id.as_str(), "versions"]);
                }
                PortalPage::Version { app, version_id } => {
                    path.extend(["web", "apps", app.app_id.as_str(), "versions", version_id]);
                }
            }
        }
        Some(url.into())
    }

    async fn set_session(&self, session: Option<Session>) {
        let session = session.and_then(|s| s.decode::<NativeSession>());
        let source = match &session {
            Some(NativeSession::AccessToken { source, .. }) => *source,
            _ => Default::default(),
        };
        let credentials = session.map_or(Credentials::None, |s| s.credentials());
        self.client.set_credentials(credentials).await;
        self.client.set_token_source(source);
    }

    fn access_token_session(
        &self,
        token: &str,
        source: crate::backend::TokenSource,
    ) -> Result<Session, PortalError> {
        Ok(NativeSession::AccessToken {
            token: token.to_string(),
            source,
        }
        .to_session())
    }

    async fn login(&self, login: Login<'_>) -> Result<LoggedIn, PortalError> {
        let pair = match login {
            Login::Password { username, password } => self.client.login(username, password).await?,
            Login::Browser {
                show,
                client_name,
                cancel,
            } => {
                let auth = self.client.device_start(client_name).await?;
                show(&BrowserLogin {
                    url: auth.verification_uri_complete.clone(),
                    user_code: Some(auth.user_code.clone()),
                    browser_started: false,
                });
                self.client.device_wait(&auth, cancel).await?
            }
            Login::Token(token) => {
                let session = self.access_token_session(token, Default::default())?;
                self.set_session(Some(session.clone())).await;
                let user = self.client.me().await?;
                return Ok(LoggedIn {
                    user,
                    session,
                    expires_at: None,
                });
            }
            Login::Cookie(_) => {
                return Err(PortalError::NotAvailable {
                    feature: Feature::Login(LoginKind::Cookie),
                    portal: self.base_url().to_string(),
                })
            }
        };
        Ok(LoggedIn {
            session: NativeSession::from_pair(&pair).to_session(),
            expires_at: Some(pair.expires_at),
            user: pair.user,
        })
    }

    async fn logout(&self) -> Result<(), PortalError> {
        self.client.logout().await
    }

    async fn me(&self) -> Result<User, PortalError> {
        self.client.me().await
    }

    async fn spaces(&self) -> Result<Vec<Space>, PortalError> {
        self.client.spaces().await
    }

    async fn apps(&self, space_id: &str) -> Result<Vec<MiniApp>, PortalError> {
        self.client.apps(space_id).await
    }

    async fn target_apps(&self) -> Result<Vec<TargetApp>, PortalError> {
        self.client.target_apps().await
    }

    async fn versions(&self, app: &AppRef) -> Result<Vec<Version>, PortalError> {
        self.client.versions(&app.app_id).await
    }

    async fn latest_version(&self, app: &AppRef) -> Result<Option<Version>, PortalError> {
        self.client.latest_version(&app.app_id).await
    }

    async fn upload(
        &self,
        app: &AppRef,
        new: NewVersion<'_>,
        progress: &(dyn Fn(UploadProgress) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<Version, PortalError> {
        // The native contract opens an upload with the package's sha256.
        let sha256 = match new.sha256 {
            Some(sha256) => sha256.to_string(),
            None => client::hash_package(new.package, new.size).await?,
        };
        self.client
            .upload_package(
                &app.app_id,
                new.package,
                &sha256,
                new.version,
                new.description,
                new.on_opened,
                progress,
                cancel,
            )
            .await
    }

    async fn abandon_upload(&self, upload_id: &str) -> Result<(), PortalError> {
        self.client.abort_upload(upload_id).await
    }

    async fn releases(&self, app: &AppRef) -> Result<Vec<Release>, PortalError> {
        Ok(self
            .client
            .releases(&app.app_id)
            .await?
            .into_iter()
            .map(|r| r.release)
            .collect())
    }

    async fn release(&self, release: &Release) -> Result<Release, PortalError> {
        Ok(self.client.release(&release.id).await?.release)
    }

    async fn create_release(
        &self,
        app: &AppRef,
        version: &Version,
        target: &TargetApp,
        // Its notes go with Apply (`NotesAt::Apply`): core never gives any here.
        _notes: Option<&str>,
    ) -> Result<Release, PortalError> {
        Ok(self
            .client
            .create_release(&app.app_id, &version.id, &target.id)
            .await?
            .release)
    }

    async fn take_step(
        &self,
        release: &Release,
        input: StepInput,
    ) -> Result<StepOutcome, PortalError> {
        let call = Call::step(&release.id, &input);
        Ok(match input {
            StepInput::Official => {
                let change = live_change(self.client.send_call(&call).await?);
                StepOutcome {
                    release: change.released,
                    archived: change.archived,
                }
            }
            _ => stepped(self.client.send_call(&call).await?),
        })
    }

    async fn rollback(&self, app: &AppRef, target: &TargetApp) -> Result<LiveChange, PortalError> {
        let call = Call::rollback(&app.app_id, &target.id);
        Ok(live_change(self.client.send_call(&call).await?))
    }

    async fn temporary_code(
        &self,
        release: &Release,
        path: Option<&str>,
    ) -> Result<TemporaryCode, PortalError> {
        let call = Call::temporary_code(&release.id, path);
        self.client.send_call(&call).await
    }

    fn plan(&self, planned: Planned<'_>) -> Result<Vec<PlannedRequest>, PortalError> {
        let call = match planned {
            Planned::Step { release, input } => Call::step(&release.id, input),
            Planned::Rollback { app, target } => Call::rollback(&app.app_id, &target.id),
            Planned::TemporaryCode { release, path } => Call::temporary_code(&release.id, path),
        };
        Ok(vec![call.planned(self.base_url())])
    }

    async fn reviews(&self, all: bool) -> Result<Vec<Release>, PortalError> {
        Ok(self
            .client
            .reviews(all)
            .await?
            .into_iter()
            .map(|r| r.release)
            .collect())
    }

    async fn audit(&self, app: &AppRef) -> Result<Vec<AuditEntry>, PortalError> {
        self.client.audit(&app.app_id).await
    }

    async fn create_access_token(
        &self,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<CreatedAccessToken, PortalError> {
        self.client.create_access_token(name, expires_in_days).await
    }

    async fn access_tokens(&self) -> Result<Vec<AccessToken>, PortalError> {
        self.client.list_access_tokens().await
    }

    async fn revoke_access_token(&self, token_id: &str) -> Result<(), PortalError> {
        self.client.revoke_access_token(token_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AppRef;

    #[test]
    fn pages_are_on_the_portals_origin_with_ids_as_escaped_segments() {
        let portal = NativePortal::new("http://127.0.0.1:8780/base", None).unwrap();
        let app = AppRef {
            space_id: "spc".into(),
            app_id: "app 1/../x?y#z".into(),
        };
        assert_eq!(
            portal.page_url(PortalPage::App(&app)).unwrap(),
            "http://127.0.0.1:8780/base/web/apps/app%201%2F..%2Fx%3Fy%23z/versions"
        );
        let page = portal.page_url(PortalPage::Version {
            app: &app,
            version_id: "..",
        });
        assert_eq!(
            page, None,
            "a `..` id names no page (url would take it as a step up)"
        );
        let page = portal
            .page_url(PortalPage::Version {
                app: &app,
                version_id: "ver_1",
            })
            .unwrap();
        let parsed = url::Url::parse(&page).unwrap();
        assert_eq!(
            parsed.origin(),
            url::Url::parse("http://127.0.0.1:8780").unwrap().origin()
        );
        assert!(parsed.path().ends_with("/versions/ver_1"), "{page}");
    }
}
