//! The `superapp` backend: the REST API of Alibaba Cloud's SuperApp console, which GoPay's
//! MiniApp portal runs on (`docs/portal-superapp.md`, "The client backend"). Only the routes
//! seen on a real tenant (OBSERVED) are called: [`routes`] lists them, [`http`] holds every
//! HTTP detail, [`envelope`] the answers' envelope, `wire.rs` reads the console's items as
//! domain values, and `probe.rs` is `doctor`'s read probe; [`SuperappPortal`] adapts them to
//! the [`Portal`] trait. What the console's API is not known to do is
//! [`PortalError::NotAvailable`], and left out of [`capabilities`].
//!
//! The API has no lists of spaces, MiniApps or target apps: the user gives their ids when
//! binding, and the target apps come in through [`crate::PortalOptions::target_apps`].
//!
//! What the user's own console pages do beyond the observed routes (whitelist, grayscale,
//! temporary code, rollback, withdraw, cancel; the lists) this backend does only through the
//! route recipes learned there (issue #22, `learned.rs`, [`SuperappPortal::with_recipes`]):
//! each is a capability marked learned, replayed to the console's origin with the session.

#[cfg(feature = "browser-login")]
mod browser;
pub mod envelope;
pub mod http;
mod learned;
mod probe;
pub mod routes;
mod wire;

use std::sync::RwLock;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// The capability a learned recipe of that feature gives.
pub use self::learned::capability as recipe_capability;
pub use self::learned::learnable;
pub(crate) use self::probe::probe_reads;

use self::envelope::{items, raw_status, state_of};
use self::http::Http;
use self::wire::{release_again, release_of, text, version_of, ParsedId, ReleaseKey};
use crate::backend::*;
use crate::domain::*;
use crate::error::{PortalError, Refusal};
use crate::lifecycle::{ReleaseState, Step};
use gopay_miniapp_recipes::replay::Code;
use gopay_miniapp_recipes::{Feature as RecipeFeature, Values};

const PAGE_SIZE: usize = 50;

/// What this backend can do through the console's known API.
pub fn capabilities() -> Capabilities {
    Capabilities {
        steps: vec![Step::Apply, Step::Official],
        // The `changelog` of publish/version/create (OBSERVED); startApprove has no notes.
        release_notes: NotesAt::Release,
        list_spaces: false,
        list_apps: false,
        list_target_apps: false,
        // No password API is known: a password login fills the console's login page in a
        // headless browser (built with the `browser-login` feature, as the binary is).
        login: if cfg!(feature = "browser-login") {
            vec![LoginKind::Browser, LoginKind::Password, LoginKind::Cookie]
        } else {
            vec![LoginKind::Cookie]
        },
        access_tokens: false,
        audit: false,
        reviews: false,
        learned: Vec::new(),
    }
}

/// The opaque session: the `Cookie` header and who it is (when known).
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SuperappSession {
    cookie: String,
    username: String,
}

/// The username of a session made from a pasted cookie (or a browser login whose page did
/// not say who): the console has no known route that says who is logged in.
pub const COOKIE_USER: &str = "(cookie login)";

pub struct SuperappPortal {
    http: Http,
    capabilities: Capabilities,
    target_apps: Vec<TargetApp>,
    username: RwLock<Option<String>>,
    /// The route recipes learned on this console (issue #22): the steps and lists the
    /// observed API lacks.
    learned: learned::Learned,
}

impl SuperappPortal {
    /// `target_apps`: the ones the user gave (the console cannot list them); releases are
    /// looked up on these.
    pub fn new(base_url: &str, target_apps: Vec<TargetApp>) -> Result<Self, PortalError> {
        Ok(SuperappPortal {
            http: Http::new(base_url)?,
            capabilities: capabilities(),
            target_apps,
            username: RwLock::new(None),
            learned: learned::Learned::default(),
        })
    }

    /// Replays `recipes` (learned on this console's origin, checked by whoever read them) for
    /// the steps and lists they make; each becomes a capability marked learned.
    pub fn with_recipes(mut self, recipes: Vec<gopay_miniapp_recipes::Recipe>) -> Self {
        self.learned = learned::Learned::new(self.http.base_url(), recipes);
        self.capabilities = capabilities();
        self.learned.extend(&mut self.capabilities);
        self
    }

    /// Sends `value` as the `Bx-V` header instead of the observed default.
    pub fn with_bx_v(mut self, value: &str) -> Result<Self, PortalError> {
        self.http = self.http.with_bx_v(value)?;
        Ok(self)
    }

    pub fn with_retry(mut self, retry: crate::retry::RetryPolicy) -> Self {
        self.http = self.http.with_retry(retry);
        self
    }

    /// Whether `cookie` is a live session. No route says who is logged in; the versions
    /// query without ids (OBSERVED route) tells a live session (a refusal about the missing
    /// ids) from a lost one.
    async fn check_cookie(&self, cookie: &str) -> Result<(), PortalError> {
        match self
            .http
            .get_with(
                routes::VERSION_QUERY,
                &[("currentPage", "1"), ("pageSize", "1")],
                cookie,
            )
            .await
        {
            Ok(_) | Err(PortalError::Refused(_) | PortalError::NotFound { .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    fn not_available(&self, feature: Feature) -> PortalError {
        PortalError::NotAvailable {
            feature,
            portal: self.http.base_url().to_string(),
        }
    }

    fn check_app(&self, app: &AppRef) -> Result<(), PortalError> {
        self.check_id(&app.space_id)?;
        self.check_id(&app.app_id)
    }

    /// Every page of a list route (until a page comes back short).
    async fn all_pages(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<Value>, PortalError> {
        let mut all = Vec::new();
        let size = PAGE_SIZE.to_string();
        for page in 1.. {
            let page = page.to_string();
            let mut q: Vec<(&str, &str)> = vec![("currentPage", &page), ("pageSize", &size)];
            q.extend_from_slice(query);
            let list = items(self.http.get(path, &q).await?);
            let short = list.len() < PAGE_SIZE;
            all.extend(list);
            if short {
                break;
            }
        }
        Ok(all)
    }

    async fn raw_versions(&self, app: &AppRef) -> Result<Vec<Value>, PortalError> {
        self.check_app(app)?;
        self.all_pages(
            routes::VERSION_QUERY,
            &[("appId", &app.app_id), ("spaceId", &app.space_id)],
        )
        .await
    }

    async fn raw_releases(
        &self,
        app_id: &str,
        channel: &str,
        version: &str,
    ) -> Result<Vec<Value>, PortalError> {
        self.all_pages(
            routes::RELEASE_QUERY,
            &[
                ("appId", app_id),
                ("channelCode", channel),
                ("version", version),
            ],
        )
        .await
    }

    /// Every release item of `app` to `target`, over `versions`, and whether none of them
    /// was ever officially released (ASSUMED: `ONLINE`/`OFFLINE` mean it was).
    async fn target_releases(
        &self,
        app: &AppRef,
        target: &TargetApp,
        versions: &[Version],
    ) -> Result<(Vec<(Value, String)>, bool), PortalError> {
        let mut found = Vec::new();
        for v in versions {
            let version = v.version.to_string();
            for item in self.raw_releases(&app.app_id, &target.id, &version).await? {
                found.push((item, v.id.clone()));
            }
        }
        let first = !found.iter().any(|(item, _)| {
            matches!(
                raw_status(item).and_then(state_of),
                Some(ReleaseState::Released | ReleaseState::Archived)
            )
        });
        Ok((found, first))
    }

    /// The release a step's answer describes (`data` is the release item), else re-read.
    async fn after_step(&self, release: &Release, data: Value) -> Result<Release, PortalError> {
        let key = ParsedId::parse(&release.id)?;
        match items(data).into_iter().next() {
            Some(item) if raw_status(&item).is_some() => {
                Ok(release_again(&item, release, key.space_id))
            }
            _ => self.release(release).await,
        }
    }

    /// The target apps whose releases are read: the ones given when binding, else the
    /// console's own list where it was learned.
    async fn release_targets(&self) -> Result<Vec<TargetApp>, PortalError> {
        if self.target_apps.is_empty() && self.learned.get(RecipeFeature::TargetApps).is_some() {
            return self.target_apps().await;
        }
        Ok(self.target_apps.clone())
    }

    /// A step through its learned recipe; the release is read again afterwards (through the
    /// observed release query: a status word it does not know stays the console's word).
    async fn learned_step(
        &self,
        release: &Release,
        input: StepInput,
    ) -> Result<StepOutcome, PortalError> {
        let feature = learned::recipe_feature(input.step()).expect("a learned step");
        let values = step_values(release, Some(&input))?;
        self.learned.run(&self.http, feature, &values).await?;
        Ok(StepOutcome {
            release: self.release(release).await?,
            archived: None,
        })
    }

    fn step_body(&self, release: &Release) -> Result<Value, PortalError> {
        let key = ParsedId::parse(&release.id)?;
        Ok(json!({
            "appId": release.app_id,
            "sourceSpaceId": key.space_id,
            "channelCode": release.target_app_id,
            "version": release.version.to_string(),
        }))
    }
}

/// The values a learned step of `release` is filled with: the release's ids (the release item's
/// id as `release_id`) and the step's own input. `learn` records with the same values, so a
/// recipe's placeholders mean the same thing when it is learned and when it is replayed.
pub fn step_values(release: &Release, input: Option<&StepInput>) -> Result<Values, PortalError> {
    let key = ParsedId::parse(&release.id)?;
    let mut values = Values {
        space_id: Some(key.space_id),
        app_id: Some(release.app_id.clone()),
        channel_code: Some(release.target_app_id.clone()),
        version: Some(release.version.to_string()),
        release_id: Some(key.item_id),
        version_id: Some(release.version_id.clone()).filter(|v| !v.is_empty()),
        ..Values::default()
    };
    match input {
        Some(StepInput::Whitelist { user_ids }) => values.user_ids = Some(user_ids.clone()),
        Some(StepInput::Grayscale { ratio }) => values.ratio = Some(ratio.to_string()),
        _ => {}
    }
    Ok(values)
}

/// The observed routes a built-in step posts to, in order (the release's ids as the body).
fn built_in_routes(input: &StepInput) -> &'static [&'static str] {
    match input {
        // Notes went in when the release was made (core never asks for them here).
        StepInput::Apply { .. } => &[routes::START_APPROVE],
        // The observed client's official release: skip pilot and grayscale, then put it online.
        StepInput::Official => &[routes::SKIP_BETA, routes::ONLINE],
        _ => unreachable!("capabilities hold only Apply, Official and learned steps"),
    }
}

/// The values a learned rollback on `target` is filled with.
fn rollback_values(app: &AppRef, target: &TargetApp) -> Values {
    Values {
        space_id: Some(app.space_id.clone()),
        app_id: Some(app.app_id.clone()),
        channel_code: Some(target.id.clone()),
        ..Values::default()
    }
}

/// The `publish_id` of a temporary code's deeplink (`…://mini-app/windvane?app_id&publish_id`)
/// a console answered with; anything else is refused, naming what it was.
fn publish_id_of(link: &str) -> Result<String, PortalError> {
    let refused = || {
        PortalError::Learned {
        message: format!(
            "temporary_code (learned): the console's code is `{}`, not a MiniApp deeplink with a publish_id",
            gopay_miniapp_guard::text::Shown(link)
        ),
    }
    };
    let url = url::Url::parse(link).map_err(|_| refused())?;
    url.query_pairs()
        .find(|(k, _)| k == "publish_id")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(refused)
}

/// The text of the QR in an image the console answered with.
fn decode_qr(bytes: &[u8]) -> Result<String, PortalError> {
    let refused = |why: String| PortalError::Learned {
        message: format!("temporary_code (learned): the console's QR image cannot be read: {why}"),
    };
    let image = image::load_from_memory(bytes)
        .map_err(|e| refused(e.to_string()))?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    let grid = grids
        .first()
        .ok_or_else(|| refused("no QR code in it".into()))?;
    let (_, text) = grid.decode().map_err(|e| refused(e.to_string()))?;
    Ok(text)
}

/// A `Cookie` header as given: `Cookie: a=b; c=d` or `a=b; c=d`.
fn cookie_header(given: &str) -> Result<String, PortalError> {
    let value = given.trim();
    let value = value
        .strip_prefix("Cookie:")
        .or_else(|| value.strip_prefix("cookie:"))
        .unwrap_or(value)
        .trim();
    if value.is_empty() || !value.contains('=') || value.chars().any(|c| c.is_control()) {
        return Err(PortalError::InvalidCredentials {
            message: "the cookie is not a Cookie header (name=value; name2=value2 on one line)"
                .into(),
        });
    }
    Ok(value.to_string())
}

#[async_trait]
impl Portal for SuperappPortal {
    fn backend(&self) -> Backend {
        Backend::Superapp
    }

    fn base_url(&self) -> &str {
        self.http.base_url()
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// The console's ids are long decimal strings (OBSERVED).
    fn check_id(&self, id: &str) -> Result<(), PortalError> {
        if (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(());
        }
        Err(PortalError::Refused(Box::new(Refusal {
            status: 0,
            code: crate::codes::INVALID_REQUEST.into(),
            message: format!(
                "`{id}` is not a SuperApp console id: those are 1 to 32 digits (e.g. 1512032299590111735808)"
            ),
            hint: "copy the id from the console's page of that space, MiniApp or target app".into(),
            retryable: false,
            field: None,
        })))
    }

    async fn set_session(&self, session: Option<Session>) {
        let session = session.and_then(|s| s.decode::<SuperappSession>());
        self.http
            .set_cookie(session.as_ref().map(|s| s.cookie.clone()));
        *self.username.write().expect("username lock") = session.map(|s| s.username);
    }

    fn access_token_session(
        &self,
        _token: &str,
        _source: crate::backend::TokenSource,
    ) -> Result<Session, PortalError> {
        Err(self.not_available(Feature::Login(LoginKind::Token)))
    }

    async fn login(&self, login: Login<'_>) -> Result<LoggedIn, PortalError> {
        let (cookie, username) = match login {
            Login::Cookie(given) => (cookie_header(given)?, COOKIE_USER.to_string()),
            #[cfg(feature = "browser-login")]
            Login::Password { username, password } => {
                let how = browser::How::Form { username, password };
                let got = browser::log_in(self.base_url(), how, &self.capabilities.login).await?;
                (got.cookie, username.to_string())
            }
            #[cfg(feature = "browser-login")]
            Login::Browser { show, cancel, .. } => {
                let how = browser::How::Window { show, cancel };
                let got = browser::log_in(self.base_url(), how, &self.capabilities.login).await?;
                (got.cookie, got.user.unwrap_or_else(|| COOKIE_USER.into()))
            }
            other => return Err(self.not_available(Feature::Login(other.kind()))),
        };
        self.check_cookie(&cookie).await?;
        let session = SuperappSession { cookie, username };
        Ok(LoggedIn {
            user: User {
                id: String::new(),
                username: session.username.clone(),
                display_name: session.username.clone(),
                admin_of: Vec::new(),
            },
            session: Session::new(serde_json::to_value(&session).expect("serializable")),
            expires_at: None,
        })
    }

    /// No logout route is known: the cookie is forgotten here, the console's session lives
    /// on until it expires.
    async fn logout(&self) -> Result<(), PortalError> {
        self.set_session(None).await;
        Ok(())
    }

    async fn me(&self) -> Result<User, PortalError> {
        let username = self
            .username
            .read()
            .expect("username lock")
            .clone()
            .ok_or_else(|| PortalError::NotLoggedIn {
                portal: self.base_url().to_string(),
            })?;
        Ok(User {
            id: String::new(),
            display_name: username.clone(),
            username,
            admin_of: Vec::new(),
        })
    }

    /// Through a learned list only (the observed API has none).
    async fn spaces(&self) -> Result<Vec<Space>, PortalError> {
        let items = self
            .learned
            .list(&self.http, RecipeFeature::Spaces, &Values::default())
            .await?;
        Ok(items
            .into_iter()
            .map(|i| Space {
                id: i.id,
                name: i.name,
            })
            .collect())
    }

    async fn apps(&self, space_id: &str) -> Result<Vec<MiniApp>, PortalError> {
        self.check_id(space_id)?;
        let values = Values {
            space_id: Some(space_id.to_string()),
            ..Values::default()
        };
        let items = self
            .learned
            .list(&self.http, RecipeFeature::Apps, &values)
            .await?;
        Ok(items
            .into_iter()
            .map(|i| MiniApp {
                id: i.id,
                space_id: space_id.to_string(),
                name: i.name,
            })
            .collect())
    }

    /// The console's list says nothing of a target app's scheme or audience: both unknown.
    async fn target_apps(&self) -> Result<Vec<TargetApp>, PortalError> {
        let items = self
            .learned
            .list(&self.http, RecipeFeature::TargetApps, &Values::default())
            .await?;
        Ok(items
            .into_iter()
            .map(|i| TargetApp {
                id: i.id,
                name: i.name,
                scheme: String::new(),
                production: None,
            })
            .collect())
    }

    async fn versions(&self, app: &AppRef) -> Result<Vec<Version>, PortalError> {
        let mut versions = Vec::new();
        for item in self.raw_versions(app).await? {
            match version_of(&item, &app.app_id) {
                Ok(v) => versions.push(v),
                Err(e) => tracing::warn!("skipping a version of {}: {e}", app.app_id),
            }
        }
        Ok(versions)
    }

    async fn latest_version(&self, app: &AppRef) -> Result<Option<Version>, PortalError> {
        self.check_app(app)?;
        let data = self
            .http
            .get(
                routes::VERSION_QUERY,
                &[
                    ("currentPage", "1"),
                    ("pageSize", "1"),
                    ("appId", &app.app_id),
                    ("spaceId", &app.space_id),
                ],
            )
            .await?;
        items(data)
            .first()
            .map(|item| version_of(item, &app.app_id))
            .transpose()
    }

    async fn upload(
        &self,
        app: &AppRef,
        new: NewVersion<'_>,
        progress: &(dyn Fn(UploadProgress) + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<Version, PortalError> {
        self.check_app(app)?;
        let version = new.version.to_string();
        // The observed client names the file `{appId}_v{version}_poc.zip`: the suffix is the
        // client's to choose. A known sha256's prefix tells packages apart in the console;
        // without one, the package is not read an extra time just for a name.
        let suffix: String = match new.sha256 {
            Some(sha256) => sha256.chars().take(12).collect(),
            None => "pkg".into(),
        };
        let file_name = format!("{}_v{version}_{suffix}.zip", app.app_id);
        let fields = [
            ("spaceId", app.space_id.clone()),
            ("appId", app.app_id.clone()),
            ("version", version.clone()),
        ];
        let (uploaded, sent_sha256) = self
            .http
            .upload(
                routes::VERSION_UPLOAD,
                &fields,
                &file_name,
                new.package,
                progress,
                cancel,
            )
            .await?;
        let artifact = match text(&uploaded, "path") {
            p if p.is_empty() => format!("app/version/{}/{version}/{file_name}", app.app_id),
            p => p,
        };
        // What went out must be the package the caller meant: a version is made of it only
        // then.
        if let Some(meant) = new.sha256.filter(|s| *s != sent_sha256) {
            return Err(PortalError::Local {
                message: format!(
                    "the package {} changed while it was uploaded (sha256 {sent_sha256}, not {meant})",
                    new.package.display()
                ),
            });
        }
        if cancel.is_cancelled() {
            return Err(PortalError::Cancelled);
        }
        let data = self
            .http
            .post(
                routes::VERSION_CREATE,
                &json!({
                    "appId": app.app_id,
                    "artifactList": [artifact],
                    "artifactType": "FILE",
                    "name": version,
                    "source": "UPLOAD",
                    "version": version,
                }),
            )
            .await?;
        let mut made = match items(data).first() {
            Some(item) if !text(item, "version").is_empty() => version_of(item, &app.app_id)?,
            _ => self
                .versions(app)
                .await?
                .into_iter()
                .find(|v| v.version == new.version)
                .ok_or_else(|| PortalError::Protocol {
                    message: format!("the console accepted version {version} but does not list it"),
                })?,
        };
        // What the console keeps must be what went out.
        if !made.sha256.is_empty() && made.sha256 != sent_sha256 {
            return Err(PortalError::Protocol {
                message: format!(
                    "the console keeps version {version} with sha256 {}, not the package's {sent_sha256}",
                    made.sha256
                ),
            });
        }
        if made.sha256.is_empty() {
            made.sha256 = sent_sha256;
        }
        Ok(made)
    }

    async fn releases(&self, app: &AppRef) -> Result<Vec<Release>, PortalError> {
        let targets = self.release_targets().await?;
        if targets.is_empty() {
            tracing::warn!(
                "no target apps are known for {} (give them when binding, or learn the console's target-app list): no releases to show",
                app.app_id
            );
            return Ok(Vec::new());
        }
        let versions = self.versions(app).await?;
        let mut releases = Vec::new();
        for target in &targets {
            let (found, first) = self.target_releases(app, target, &versions).await?;
            for (item, version_id) in found {
                let Some(version) = versions
                    .iter()
                    .find(|v| v.id == version_id)
                    .map(|v| v.version)
                else {
                    continue;
                };
                let key = ReleaseKey {
                    space_id: app.space_id.clone(),
                    app_id: &app.app_id,
                    version_id: &version_id,
                    version,
                    target,
                };
                let release = release_of(&item, key, first);
                if release.state == ReleaseState::Unknown {
                    tracing::info!(
                        "the release of {} to {} has a console status this client does not know: {:?}",
                        version,
                        target.name,
                        release.status_text
                    );
                }
                releases.push(release);
            }
        }
        Ok(releases)
    }

    async fn release(&self, release: &Release) -> Result<Release, PortalError> {
        let key = ParsedId::parse(&release.id)?;
        let found = self
            .raw_releases(
                &release.app_id,
                &release.target_app_id,
                &release.version.to_string(),
            )
            .await?;
        let item = found
            .iter()
            .find(|i| text(i, "id") == key.item_id)
            .or(found.first())
            .ok_or_else(|| PortalError::NotFound {
                message: format!(
                    "the console has no release of {} to {} any more",
                    release.version, release.target_app_name
                ),
            })?;
        Ok(release_again(item, release, key.space_id))
    }

    async fn create_release(
        &self,
        app: &AppRef,
        version: &Version,
        target: &TargetApp,
        notes: Option<&str>,
    ) -> Result<Release, PortalError> {
        self.check_id(&target.id)?;
        let raw = self.raw_versions(app).await?;
        let number = version.version.to_string();
        let artifacts = raw
            .iter()
            .find(|v| text(v, "version") == number)
            .and_then(|v| v.get("artifactList").cloned())
            .filter(|a| a.as_array().is_some_and(|a| !a.is_empty()));
        let versions: Vec<Version> = raw
            .iter()
            .filter_map(|item| version_of(item, &app.app_id).ok())
            .collect();
        let (_, first) = self.target_releases(app, target, &versions).await?;
        let mut body = json!({
            "appId": app.app_id,
            "channelCode": target.id,
            "version": number,
            // The console takes the notes here, not at Apply (default: the version's
            // description).
            "changelog": notes.unwrap_or(&version.description),
            "artifactType": "FILE",
        });
        if let Some(artifacts) = artifacts {
            body["artifactList"] = artifacts;
        }
        let data = self.http.post(routes::RELEASE_CREATE, &body).await?;
        let item = items(data).into_iter().next().unwrap_or(Value::Null);
        let key = ReleaseKey {
            space_id: app.space_id.clone(),
            app_id: &app.app_id,
            version_id: &version.id,
            version: version.version,
            target,
        };
        // A status this client does not know is kept as the console's word (Unknown).
        Ok(release_of(&item, key, first))
    }

    async fn take_step(
        &self,
        release: &Release,
        input: StepInput,
    ) -> Result<StepOutcome, PortalError> {
        let step = input.step();
        self.capabilities
            .require(Feature::Step(step), self.base_url())?;
        if self.learned.has_step(step) {
            return self.learned_step(release, input).await;
        }
        let body = self.step_body(release)?;
        let mut data = Value::Null;
        for route in built_in_routes(&input) {
            data = self.http.post(route, &body).await?;
        }
        Ok(StepOutcome {
            release: self.after_step(release, data).await?,
            // The console does not say which release it archived.
            archived: None,
        })
    }

    /// Through a learned recipe only. The console's answer is not read for which release
    /// went live: the releases are read again, and the one live on `target` is it.
    async fn rollback(&self, app: &AppRef, target: &TargetApp) -> Result<LiveChange, PortalError> {
        self.check_app(app)?;
        self.check_id(&target.id)?;
        self.learned
            .run(
                &self.http,
                RecipeFeature::Rollback,
                &rollback_values(app, target),
            )
            .await?;
        let versions = self.versions(app).await?;
        let (found, first) = self.target_releases(app, target, &versions).await?;
        let live = found.iter().find_map(|(item, version_id)| {
            let version = versions.iter().find(|v| &v.id == version_id)?;
            let key = ReleaseKey {
                space_id: app.space_id.clone(),
                app_id: &app.app_id,
                version_id,
                version: version.version,
                target,
            };
            Some(release_of(item, key, first)).filter(|r| r.state == ReleaseState::Released)
        });
        let released = live.ok_or_else(|| PortalError::Learned {
            message: format!(
                "rollback (learned): the console accepted it, but no release is live on {} afterwards",
                target.name
            ),
        })?;
        // The console does not say which release it archived.
        Ok(LiveChange {
            released,
            archived: None,
        })
    }

    /// Through a learned recipe only: the answer's publish id gives the deeplink; a URL or a
    /// QR image is read for the deeplink it holds, else refused.
    async fn temporary_code(
        &self,
        release: &Release,
        path: Option<&str>,
    ) -> Result<TemporaryCode, PortalError> {
        self.capabilities
            .require(Feature::Step(Step::TemporaryCode), self.base_url())?;
        let values = step_values(release, None)?;
        let answers = self
            .learned
            .run(&self.http, RecipeFeature::TemporaryCode, &values)
            .await?;
        let scheme = self
            .target_apps
            .iter()
            .find(|t| t.id == release.target_app_id && !t.scheme.is_empty())
            .map(|t| t.scheme.as_str())
            .unwrap_or("gopay");
        let publish_id = match self.learned.code(&answers)? {
            Code::PublishId(id) => id,
            Code::Url(url) => publish_id_of(&url)?,
            Code::Image(bytes) => publish_id_of(&decode_qr(&bytes)?)?,
        };
        Ok(TemporaryCode {
            release_id: release.id.clone(),
            app_id: release.app_id.clone(),
            deeplink: crate::deeplink::temporary_code_deeplink(
                scheme,
                &release.app_id,
                &publish_id,
                path,
            ),
            publish_id,
            // The console's answer is not known to say.
            expires_at: String::new(),
        })
    }

    fn plan(&self, planned: Planned<'_>) -> Result<Vec<PlannedRequest>, PortalError> {
        let (feature, values) = match planned {
            Planned::Step { release, input } => {
                let step = input.step();
                self.capabilities
                    .require(Feature::Step(step), self.base_url())?;
                if !self.learned.has_step(step) {
                    let body = self.step_body(release)?;
                    return Ok(built_in_routes(input)
                        .iter()
                        .map(|route| self.http.planned_post(route, &body))
                        .collect());
                }
                let feature = learned::recipe_feature(step).expect("a learned step");
                (feature, step_values(release, Some(input))?)
            }
            Planned::Rollback { app, target } => {
                (RecipeFeature::Rollback, rollback_values(app, target))
            }
            Planned::TemporaryCode { release, .. } => {
                (RecipeFeature::TemporaryCode, step_values(release, None)?)
            }
        };
        self.learned.plan(&self.http, feature, &values)
    }

    async fn reviews(&self, _all: bool) -> Result<Vec<Release>, PortalError> {
        Err(self.not_available(Feature::Reviews))
    }

    async fn audit(&self, _app: &AppRef) -> Result<Vec<AuditEntry>, PortalError> {
        Err(self.not_available(Feature::Audit))
    }

    async fn create_access_token(
        &self,
        _name: &str,
        _expires_in_days: Option<u32>,
    ) -> Result<CreatedAccessToken, PortalError> {
        Err(self.not_available(Feature::AccessTokens))
    }

    async fn access_tokens(&self) -> Result<Vec<AccessToken>, PortalError> {
        Err(self.not_available(Feature::AccessTokens))
    }

    async fn revoke_access_token(&self, _token_id: &str) -> Result<(), PortalError> {
        Err(self.not_available(Feature::AccessTokens))
    }

    async fn record_pages(&self, record: RecordPages<'_>) -> Result<RecordedPages, PortalError> {
        let cookie = self.http.cookie()?;
        #[cfg(feature = "browser-login")]
        {
            browser::record(self.http.base_url(), &cookie, record).await
        }
        #[cfg(not(feature = "browser-login"))]
        {
            let _ = (cookie, record);
            Err(PortalError::RecordingUnavailable {
                message: "this build records no browser (built without `browser-login`)".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_and_named() {
        let p = SuperappPortal::new("http://127.0.0.1:1", Vec::new()).unwrap();
        assert!(p.check_id("1512032299590111735808").is_ok());
        for bad in ["", "12a", "1512-1", &"1".repeat(33), "１２"] {
            let err = p.check_id(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }

    /// Issue #21 item 23: the Bx-V value is configurable; what is not a header value is
    /// refused, naming it.
    #[test]
    fn bx_v_is_configurable_and_checked() {
        let p = SuperappPortal::new("http://127.0.0.1:1", Vec::new()).unwrap();
        assert!(p.with_bx_v("2.6.0").is_ok());
        for bad in ["", "2.6 0", "2.6\n0", "ü"] {
            let p = SuperappPortal::new("http://127.0.0.1:1", Vec::new()).unwrap();
            let err = p.with_bx_v(bad).err().expect(bad);
            assert!(err.to_string().contains("Bx-V"), "{err}");
        }
    }

    /// Issue #21 item 7: a step the API lacks is named in our words, never the portal's
    /// label ("Whitelist Test").
    #[test]
    fn not_available_names_the_step_in_our_words() {
        let p = SuperappPortal::new("http://127.0.0.1:1", Vec::new()).unwrap();
        let err = p.not_available(Feature::Step(Step::Whitelist)).to_string();
        assert!(
            err.starts_with("setting a whitelist is not available on this portal"),
            "{err}"
        );
        for step in Step::ALL {
            let text = Feature::Step(step).to_string();
            assert!(
                !text.contains(step.label()) || step.label() == "Grayscale",
                "{text}"
            );
        }
    }

    #[test]
    fn a_cookie_header_is_taken_with_or_without_its_name() {
        assert_eq!(cookie_header("Cookie: a=b; c=d\n").unwrap(), "a=b; c=d");
        assert_eq!(cookie_header("SA=x").unwrap(), "SA=x");
        assert!(cookie_header("  ").is_err());
        assert!(cookie_header("nonsense").is_err());
    }

    #[test]
    fn the_session_never_shows_in_debug() {
        let s = Session::new(
            serde_json::to_value(SuperappSession {
                cookie: "SA_CONSOLE_SESSION=secret".into(),
                username: "u".into(),
            })
            .unwrap(),
        );
        assert!(!format!("{s:?}").contains("secret"));
    }
}
