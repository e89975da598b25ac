//! Everything a workflow needs to know about where it runs: the user's home (credentials,
//! locks), the project, which portal, and a client for it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gopay_miniapp_portal::client::Credentials;
use gopay_miniapp_portal::PortalClient;

use crate::binding::Binding;
use crate::credentials::{portal_key, CredentialStore, StoredSession, PORTAL_ENV, TOKEN_ENV};
use crate::error::CoreError;

/// The default portal: the local portal's default address (`gopay-miniapp portal serve`).
pub const DEFAULT_PORTAL_URL: &str = "http://127.0.0.1:8780";

/// Upload chunk size in bytes (default 8 MiB).
pub const CHUNK_SIZE_ENV: &str = "GOPAY_MINIAPP_CHUNK_SIZE";

/// The portal URL a client was made for, and the client.
type CachedClient = (String, Arc<PortalClient>);

#[derive(Clone)]
pub struct Context {
    pub home: PathBuf,
    pub project: PathBuf,
    /// `--portal` or `GOPAY_MINIAPP_PORTAL`: wins over the binding.
    pub portal_override: Option<String>,
    /// `GOPAY_MINIAPP_TOKEN`: a CI access token that bypasses stored credentials.
    pub env_token: Option<String>,
    /// One client per portal URL, kept warm (the sidecar answers many requests).
    client_cache: Arc<Mutex<Option<CachedClient>>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("home", &self.home)
            .field("project", &self.project)
            .field("portal_override", &self.portal_override)
            .field("env_token", &self.env_token.as_ref().map(|_| "<set>"))
            .finish()
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
            env_token: None,
            client_cache: Arc::new(Mutex::new(None)),
        }
    }

    /// Reads `GOPAY_MINIAPP_PORTAL` and `GOPAY_MINIAPP_TOKEN`; `portal` (a flag) wins.
    pub fn with_env(mut self, portal: Option<String>) -> Self {
        self.portal_override = portal
            .or_else(|| std::env::var(PORTAL_ENV).ok())
            .filter(|p| !p.trim().is_empty());
        self.env_token = std::env::var(TOKEN_ENV)
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
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

    /// `--portal`/env, else the binding's portal, else the last one logged in to, else the
    /// local portal's default address.
    pub fn portal_url(&self) -> Result<String, CoreError> {
        if let Some(url) = &self.portal_override {
            return Ok(portal_key(url));
        }
        if let Ok(Some(binding)) = self.binding() {
            return Ok(portal_key(&binding.portal));
        }
        if let Some(last) = self.credentials().last_portal()? {
            return Ok(last);
        }
        Ok(DEFAULT_PORTAL_URL.to_string())
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

    fn current_credentials(&self, portal: &str) -> Result<Credentials, CoreError> {
        if let Some(token) = &self.env_token {
            return Ok(Credentials::AccessToken(token.clone()));
        }
        Ok(match self.credentials().get(portal)? {
            Some(StoredSession {
                access_token,
                refresh_token,
                ..
            }) => Credentials::Session {
                access_token,
                refresh_token,
            },
            None => Credentials::None,
        })
    }

    /// A client for the current portal, with the current credentials (re-read every time,
    /// so `gopay-miniapp login` in a terminal logs a running editor in). Refreshed tokens
    /// are written back to the credentials file.
    pub async fn client(&self) -> Result<Arc<PortalClient>, CoreError> {
        let portal = self.portal_url()?;
        let credentials = self.current_credentials(&portal)?;
        let cached = {
            let cache = self.client_cache.lock().expect("client cache");
            cache
                .as_ref()
                .filter(|(url, _)| *url == portal)
                .map(|(_, client)| client.clone())
        };
        let client = match cached {
            Some(client) => client,
            None => {
                let store = self.credentials();
                let key = portal.clone();
                let mut client = PortalClient::new(&portal, Credentials::None)?;
                // A tuning knob for slow or flaky links (and for tests of resuming).
                if let Some(size) = std::env::var(CHUNK_SIZE_ENV)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    client = client.with_chunk_size(size);
                }
                let client = Arc::new(client.on_refresh(Arc::new(move |pair| {
                    if let Err(e) = store.update_tokens(
                        &key,
                        &pair.access_token,
                        &pair.refresh_token,
                        &pair.expires_at,
                    ) {
                        tracing::warn!("could not save the refreshed session: {e}");
                    }
                })));
                *self.client_cache.lock().expect("client cache") =
                    Some((portal.clone(), client.clone()));
                client
            }
        };
        client.set_credentials(credentials).await;
        Ok(client)
    }
}
