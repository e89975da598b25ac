//! Everything a workflow needs to know about where it runs: the user's home (credentials,
//! locks), the project, which portal, and a client for it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gopay_miniapp_portal::{Backend, Portal, PortalOptions, TokenSource};

use crate::binding::{Binding, BINDING_FILE};
use crate::credentials::{portal_key, CredentialStore, PORTAL_ENV, TOKEN_ENV};
use crate::error::CoreError;
use crate::hint::Hint;

/// Where the portal of a command came from, strongest first (the one rule:
/// [`Context::portal_choice_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PortalFrom {
    /// Given for this command only (the CLI's `--portal`, a sidecar command's `portal`): it
    /// wins even over the binding, with a warning when the two disagree.
    Given,
    /// The project's binding: a bound project always talks to the portal it was bound on.
    Binding,
    /// The user's default for unbound projects (`GOPAY_MINIAPP_PORTAL`, an editor's setting,
    /// the sidecar's `--portal`).
    Setting,
    /// The portal last logged in to.
    LastLogin,
}

/// The portal a command talks to and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalChoice {
    pub url: String,
    pub from: PortalFrom,
    /// The binding's portal, when a given portal disagrees with it (the front end warns).
    pub bound_elsewhere: Option<String>,
}

/// The `Bx-V` header for a SuperApp console, when the binding has no `bxV`.
pub const BX_V_ENV: &str = "GOPAY_MINIAPP_BX_V";

/// Upload chunk size in bytes (default 8 MiB).
pub const CHUNK_SIZE_ENV: &str = "GOPAY_MINIAPP_CHUNK_SIZE";

/// The portal (URL and backend) a client was made for, and the client.
type CachedPortal = (
    (
        String,
        Backend,
        Vec<gopay_miniapp_portal::domain::TargetApp>,
        Option<String>,
        // The fingerprint of the recipes learned on the portal (issue #22): a recipe learned,
        // changed or forgotten makes a new backend.
        String,
    ),
    Arc<dyn Portal>,
);

#[derive(Clone)]
pub struct Context {
    pub home: PathBuf,
    pub project: PathBuf,
    /// `--portal` (the CLI) or a command's `portal` (the sidecar): for this command only,
    /// wins over the binding (with a warning when they disagree). A URL or a preset's id.
    pub portal_override: Option<String>,
    /// `GOPAY_MINIAPP_PORTAL`, an editor's setting or the sidecar's `--portal`: the portal of
    /// unbound projects; a binding's portal wins over it. A URL or a preset's id.
    pub portal_setting: Option<String>,
    /// `--backend`: wins over the binding and the stored session.
    pub backend_override: Option<Backend>,
    /// `GOPAY_MINIAPP_TOKEN`: a CI access token that bypasses stored credentials.
    pub env_token: Option<String>,
    /// Where `env_token` came from: the environment, or (the sidecar's) a command's argument.
    pub token_from: TokenSource,
    /// One backend per portal, kept warm (the sidecar answers many requests).
    portal_cache: Arc<Mutex<Option<CachedPortal>>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("home", &self.home)
            .field("project", &self.project)
            .field("portal_override", &self.portal_override)
            .field("portal_setting", &self.portal_setting)
            .field("backend_override", &self.backend_override)
            .field("env_token", &self.env_token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// `url` unless it carries a user name or password (`http://user:pw@host`): every portal URL
/// passes here on its way in (a flag, the environment, the sidecar's `portal`, a binding), so
/// none with a password is ever used, stored or echoed. Refused, not stripped: the password
/// is in a file or a shell history and should be taken out there. The message shows the URL
/// redacted (guard::url).
fn without_credentials(url: String, from: &str) -> Result<String, CoreError> {
    match gopay_miniapp_guard::url::Url::parse(&url) {
        Ok(parsed) if gopay_miniapp_guard::url::has_credentials(&parsed) => {
            Err(CoreError::invalid(
                format!(
                    "the portal URL {from} {}",
                    gopay_miniapp_guard::url::UrlError::Credentials {
                        shown: gopay_miniapp_guard::url::redact_url(&parsed)
                    }
                ),
                Hint::CheckPortalUrl,
            ))
        }
        _ => Ok(url),
    }
}

/// How the current portal's credentials were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSource {
    EnvToken,
    Stored { username: String },
    None,
}

impl Context {
    pub fn new(home: PathBuf, project: PathBuf) -> Self {
        Context {
            home,
            project,
            portal_override: None,
            portal_setting: None,
            backend_override: None,
            env_token: None,
            token_from: TokenSource::Environment,
            portal_cache: Arc::new(Mutex::new(None)),
        }
    }

    /// Reads `GOPAY_MINIAPP_PORTAL` (the user's setting) and `GOPAY_MINIAPP_TOKEN`; `portal`
    /// is a flag given for this command.
    pub fn with_env(mut self, portal: Option<String>) -> Self {
        self.portal_override = portal.filter(|p| !p.trim().is_empty());
        self.portal_setting = std::env::var(PORTAL_ENV)
            .ok()
            .filter(|p| !p.trim().is_empty());
        self.env_token = std::env::var(TOKEN_ENV)
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        self
    }

    pub fn with_backend(mut self, backend: Option<Backend>) -> Self {
        self.backend_override = backend;
        self
    }

    pub fn with_project(&self, project: PathBuf) -> Self {
        let mut ctx = self.clone();
        ctx.project = project;
        ctx
    }

    pub fn credentials(&self) -> CredentialStore {
        CredentialStore::new(&self.home)
    }

    pub fn binding(&self) -> Result<Option<Binding>, CoreError> {
        Binding::read(&self.project)
    }

    pub fn project(&self) -> &Path {
        &self.project
    }

    /// The portal of this command: [`Self::portal_choice_of`]'s URL.
    pub fn portal_url(&self) -> Result<String, CoreError> {
        self.portal_url_of(self.binding().ok().flatten().as_ref())
    }

    /// [`Self::portal_url`] with the binding already read (`None`: unbound or unreadable).
    /// Every question a call asks of the project answers from one read of its binding.
    pub fn portal_url_of(&self, binding: Option<&Binding>) -> Result<String, CoreError> {
        Ok(self.portal_choice_of(binding)?.url)
    }

    /// [`Self::portal_choice_of`] for the project's binding.
    pub fn portal_choice(&self) -> Result<PortalChoice, CoreError> {
        self.portal_choice_of(self.binding().ok().flatten().as_ref())
    }

    /// THE rule for which portal a command talks to: a portal given for this command, else
    /// the binding's, else the user's setting, else the last one logged in to. Nothing is
    /// assumed beyond that: with none of them, [`CoreError::NoPortal`] (the front end asks,
    /// offering [`crate::presets::PRESETS`]). Preset ids (`gopay`, `local`, …) are accepted
    /// wherever a URL is.
    pub fn portal_choice_of(&self, binding: Option<&Binding>) -> Result<PortalChoice, CoreError> {
        let bound = match binding {
            Some(binding) => {
                let from = format!("in {}", self.project.join(BINDING_FILE).display());
                Some(without_credentials(portal_key(&binding.portal), &from)?)
            }
            None => None,
        };
        if let Some(given) = self
            .portal_override
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            let url = without_credentials(portal_key(&crate::presets::expand(given)), "given")?;
            let bound_elsewhere = bound.filter(|b| b != &url);
            return Ok(PortalChoice {
                url,
                from: PortalFrom::Given,
                bound_elsewhere,
            });
        }
        if let Some(url) = bound {
            return Ok(PortalChoice {
                url,
                from: PortalFrom::Binding,
                bound_elsewhere: None,
            });
        }
        if let Some(setting) = self
            .portal_setting
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            let url = without_credentials(
                portal_key(&crate::presets::expand(setting)),
                "of the settings",
            )?;
            return Ok(PortalChoice {
                url,
                from: PortalFrom::Setting,
                bound_elsewhere: None,
            });
        }
        if let Some(last) = self.credentials().last_portal()? {
            return Ok(PortalChoice {
                url: last,
                from: PortalFrom::LastLogin,
                bound_elsewhere: None,
            });
        }
        Err(CoreError::NoPortal)
    }

    /// The backend `--backend` names, else the binding's (for its portal), else the stored
    /// session's, else its preset's; `None` when nothing says (a portal never used).
    pub fn known_backend(&self) -> Result<Option<Backend>, CoreError> {
        let binding = self.binding().ok().flatten();
        let portal = self.portal_url_of(binding.as_ref())?;
        self.known_backend_of(&portal, binding.as_ref())
    }

    /// [`Self::known_backend`] for `portal`, with the binding already read.
    fn known_backend_of(
        &self,
        portal: &str,
        binding: Option<&Binding>,
    ) -> Result<Option<Backend>, CoreError> {
        if let Some(backend) = self.backend_override {
            return Ok(Some(backend));
        }
        if let Some(binding) = binding.filter(|b| portal_key(&b.portal) == portal) {
            return Ok(Some(binding.backend));
        }
        if let Some(stored) = self.credentials().get(portal)? {
            return Ok(Some(stored.backend));
        }
        Ok(crate::presets::by_url(portal).map(|p| p.backend))
    }

    /// [`Self::known_backend`], else native (the default the local portal speaks).
    pub fn backend(&self) -> Result<Backend, CoreError> {
        Ok(self.known_backend()?.unwrap_or(Backend::Native))
    }

    /// [`Self::backend`] for `portal`, with the binding already read.
    pub fn backend_of(
        &self,
        portal: &str,
        binding: Option<&Binding>,
    ) -> Result<Backend, CoreError> {
        Ok(self
            .known_backend_of(portal, binding)?
            .unwrap_or(Backend::Native))
    }

    pub fn auth_source(&self) -> Result<AuthSource, CoreError> {
        if self.env_token.is_some() {
            return Ok(AuthSource::EnvToken);
        }
        Ok(match self.credentials().get(&self.portal_url()?)? {
            Some(s) => AuthSource::Stored {
                username: s.username,
            },
            None => AuthSource::None,
        })
    }

    /// The current portal's backend, with the current session (re-read every time, so
    /// `gopay-miniapp login` in a terminal logs a running editor in). Sessions the backend
    /// renews by itself are written back to the credentials file.
    pub async fn portal(&self) -> Result<Arc<dyn Portal>, CoreError> {
        let binding = self.binding().ok().flatten();
        let url = self.portal_url_of(binding.as_ref())?;
        let backend = self.backend_of(&url, binding.as_ref())?;
        self.portal_of(&url, backend, binding.as_ref()).await
    }

    /// The backend `backend` for `url`, with the session stored for it (or the CI token).
    pub async fn portal_for(
        &self,
        url: &str,
        backend: Backend,
    ) -> Result<Arc<dyn Portal>, CoreError> {
        self.portal_of(url, backend, self.binding().ok().flatten().as_ref())
            .await
    }

    /// The recipes learned on `url`'s origin that read and check (`crate::recipes::load`).
    /// The user's own first; then the project's (`learn --scope project`), for the binding's
    /// portal only and once confirmed, for the features the user has none of.
    pub fn recipes_for(&self, url: &str) -> Vec<gopay_miniapp_recipes::Recipe> {
        let Ok(origin) = crate::recipes::origin_of(url) else {
            return Vec::new();
        };
        let mut recipes = crate::recipes::load(&self.home, &origin);
        let bound_here = self
            .binding()
            .ok()
            .flatten()
            .is_some_and(|b| portal_key(&b.portal) == portal_key(url));
        if bound_here {
            for recipe in crate::recipes::load_project(&self.home, &self.project, &origin) {
                if !recipes.iter().any(|r| r.feature == recipe.feature) {
                    recipes.push(recipe);
                }
            }
        }
        recipes
    }

    /// The fingerprint of the recipes learned on `url`'s origin (the sidecar compares it to
    /// notice a `learn` or a forgotten recipe in a terminal).
    pub fn recipes_fingerprint(&self, url: &str) -> String {
        gopay_miniapp_recipes::fingerprint(&self.recipes_for(url))
    }

    /// [`Self::portal_for`] with the binding already read.
    pub async fn portal_of(
        &self,
        url: &str,
        backend: Backend,
        binding: Option<&Binding>,
    ) -> Result<Arc<dyn Portal>, CoreError> {
        // A backend that cannot list target apps is told the binding's (part of the key, so
        // a new `bind` in a running sidecar is seen).
        let binding = binding.filter(|b| portal_key(&b.portal) == portal_key(url));
        let target_apps: Vec<gopay_miniapp_portal::domain::TargetApp> =
            binding.map(|b| b.given_target_apps()).unwrap_or_default();
        // The binding's, else the environment's, else the observed default.
        let bx_v = binding
            .and_then(|b| b.bx_v.clone())
            .or_else(|| std::env::var(BX_V_ENV).ok())
            .filter(|v| !v.trim().is_empty());
        // The recipes learned on this origin (a few small files, read on each call, so a
        // running sidecar sees a `learn` in a terminal); only the superapp backend replays.
        let recipes = match backend {
            Backend::Superapp => self.recipes_for(url),
            Backend::Native => Vec::new(),
        };
        let fingerprint = gopay_miniapp_recipes::fingerprint(&recipes);
        let key = (portal_key(url), backend, target_apps, bx_v, fingerprint);
        let cached = {
            let cache = self.portal_cache.lock().expect("portal cache");
            cache
                .as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, portal)| portal.clone())
        };
        let portal = match cached {
            Some(portal) => portal,
            None => {
                let store = self.credentials();
                let saved_for = key.0.clone();
                let options = PortalOptions {
                    on_session_changed: Some(Arc::new(move |session| {
                        if let Err(e) = store.update_session(&saved_for, session) {
                            tracing::warn!("could not save the renewed session: {e}");
                        }
                    })),
                    // Not for a CI token (it is never refreshed, nor stored).
                    renewal: self.env_token.is_none().then(|| {
                        Arc::new(crate::credentials::StoredRenewal {
                            home: self.home.clone(),
                            portal: key.0.clone(),
                            backend,
                        }) as Arc<dyn gopay_miniapp_portal::SessionRenewal>
                    }),
                    // A tuning knob for slow or flaky links (and for tests of resuming).
                    chunk_size: std::env::var(CHUNK_SIZE_ENV)
                        .ok()
                        .and_then(|v| v.parse::<u64>().ok()),
                    target_apps: key.2.clone(),
                    bx_v: key.3.clone(),
                    recipes,
                };
                let portal = gopay_miniapp_portal::open(backend, &key.0, options)?;
                *self.portal_cache.lock().expect("portal cache") =
                    Some((key.clone(), portal.clone()));
                portal
            }
        };
        let session = match &self.env_token {
            Some(token) => Some(portal.access_token_session(token, self.token_from)?),
            None => self
                .credentials()
                .get(&key.0)?
                .filter(|stored| stored.backend == backend)
                .map(|stored| stored.session),
        };
        portal.set_session(session).await;
        Ok(portal)
    }
}
