//! The local GoPay MiniApp portal: the portal contract of `gopay_miniapp_portal` served over
//! HTTP (axum), with a SQLite store (WAL) and a package store on disk, both in one data
//! directory, so it survives restarts.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gopay_miniapp_portal_server::ServerError> {
//! use gopay_miniapp_portal_server::{start, PortalConfig};
//! let portal = start(PortalConfig {
//!     data_dir: "portal-data".into(),
//!     seed_demo: true,
//!     ..PortalConfig::default()
//! })
//! .await?;
//! println!("portal at {}", portal.url);
//! tokio::signal::ctrl_c().await.ok();
//! portal.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The HTTP surface is documented in `docs/portal-api.md`; the web pages (log in, upload a
//! version, release, review) in `docs/portal-web.md`. With [`Backend::Superapp`] the portal
//! answers instead as the SuperApp console GoPay's real portal is a tenant of (the
//! [`superapp`] emulator, `docs/portal-superapp.md`), on the same store and rules.

mod apps;
mod auth;
mod clock;
mod device;
mod error;
mod extract;
mod releases;
mod router;
mod state;
mod store;
pub mod superapp;
mod uploads;
mod web;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::{TestClock, TEST_CLOCK_ENV};
pub use error::{ApiError, ServerError};
pub use releases::TEMPORARY_CODE_TTL_SECS;
pub use store::{seed_demo, Store};
pub use uploads::{CHUNK_SHA256_HEADER, MAX_CHUNK_SIZE};
pub use web::{WebRoute, WEB_ROUTES};

/// Seconds a device login waits for approval, and the poll interval it asks for.
pub const DEVICE_CODE_TTL_SECS: u64 = auth::DEVICE_CODE_TTL_SECS;
pub const DEVICE_POLL_INTERVAL_SECS: u64 = auth::DEVICE_POLL_INTERVAL_SECS;

/// Which API the portal speaks: our contract (`/api/v1`, `docs/portal-api.md`, and the web
/// pages under `/web`), or the SuperApp console emulator (`/login`, `/rest/intercnn/...`,
/// `docs/portal-superapp.md`; no `/api/v1`, no `/web`). The contract crate's one enum.
pub use gopay_miniapp_portal::Backend;

/// How to run the local portal.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// Where to listen. Default `127.0.0.1:0` (an ephemeral loopback port).
    pub addr: SocketAddr,
    /// The SQLite database, the package store and partial uploads live here.
    pub data_dir: PathBuf,
    /// Create the demo users, spaces, MiniApps and target apps unless present.
    pub seed_demo: bool,
    /// Largest package accepted (bytes).
    pub max_package_size: u64,
    /// Lifetime of a login's access token.
    pub access_token_ttl: Duration,
    /// Lifetime of a login's refresh token.
    pub refresh_token_ttl: Duration,
    /// The URL users reach the portal at, when not `http://<addr>` (e.g. behind a proxy).
    /// Used in device-login links.
    pub public_url: Option<String>,
    /// The API served: native (default) or the SuperApp console emulator.
    pub backend: Backend,
    /// **Test only**: expiry (tokens, sessions, device codes) on a clock the test advances
    /// instead of the system clock. None (the default, and always outside tests) unless
    /// `GOPAY_MINIAPP_PORTAL_TEST_CLOCK` names its file ([`TEST_CLOCK_ENV`]).
    pub test_clock: Option<TestClock>,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            data_dir: PathBuf::from("portal-data"),
            seed_demo: false,
            max_package_size: gopay_miniapp_portal::DEFAULT_MAX_PACKAGE_SIZE,
            access_token_ttl: Duration::from_secs(60 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            public_url: None,
            backend: Backend::Native,
            test_clock: None,
        }
    }
}

/// A portal that is serving. Dropping it begins a graceful shutdown too.
pub struct RunningPortal {
    /// `http://127.0.0.1:PORT` (or the configured public URL), no trailing slash.
    pub url: String,
    /// The address actually bound (the port is known even when 0 was asked for).
    pub local_addr: SocketAddr,
    store: Store,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for RunningPortal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningPortal")
            .field("url", &self.url)
            .field("local_addr", &self.local_addr)
            .finish()
    }
}

impl RunningPortal {
    /// The portal's store (to seed or inspect it from the same process).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stops accepting connections, lets requests in progress finish (at most 10 s), and
    /// returns when the server is down and the database is closed.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let abort = self.task.abort_handle();
        match tokio::time::timeout(Duration::from_secs(10), &mut self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(err))) => tracing::error!(error = %err, "the portal stopped with an error"),
            Ok(Err(err)) => tracing::error!(error = %err, "the portal task failed"),
            Err(_) => {
                tracing::warn!("requests still running after 10 s; stopping them");
                abort.abort();
            }
        }
    }

    /// Serves until the server stops by itself (it only does on a fatal error); for a
    /// Ctrl-C, race this with `tokio::signal::ctrl_c()` or call [`RunningPortal::shutdown`].
    pub async fn wait(mut self) {
        let _keep_serving = self.shutdown.take();
        match (&mut self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::error!(error = %err, "the portal stopped with an error"),
            Err(err) => tracing::error!(error = %err, "the portal task failed"),
        }
    }
}

/// Opens the store in `config.data_dir` (seeding it if asked), binds `config.addr` and
/// serves in a spawned task.
pub async fn start(config: PortalConfig) -> Result<RunningPortal, ServerError> {
    let data_dir = config.data_dir.clone();
    let seed = config.seed_demo;
    let backend = config.backend;
    let store = tokio::task::spawn_blocking(move || -> Result<Store, ServerError> {
        let store = Store::open(&data_dir)?;
        if seed {
            seed_demo(&store)?;
        }
        if backend == Backend::Superapp {
            superapp::prepare(&store)?;
        }
        Ok(store)
    })
    .await
    .map_err(|e| ServerError::Other(format!("opening the store failed: {e}")))??;

    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.addr,
            source,
        })?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| ServerError::io("cannot read the bound address", e))?;
    let url = match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let shown = if local_addr.ip().is_unspecified() {
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), local_addr.port())
            } else {
                local_addr
            };
            format!("http://{shown}")
        }
    };

    let state = state::AppState::new(
        store.clone(),
        url.clone(),
        config.max_package_size,
        config.access_token_ttl,
        config.refresh_token_ttl,
        clock::Clock::new(config.test_clock.clone().or_else(|| {
            std::env::var_os(TEST_CLOCK_ENV)
                .filter(|file| !file.is_empty())
                .map(TestClock::at)
        })),
    );
    let app = match backend {
        Backend::Native => router::build(state),
        Backend::Superapp => superapp::router(state),
    };
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(%url, ?backend, data_dir = %config.data_dir.display(), "local portal listening");
    Ok(RunningPortal {
        url,
        local_addr,
        store,
        shutdown: Some(tx),
        task,
    })
}
