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
mod throttle;
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
pub use throttle::{
    FIRST_DELAY_SECS as LOGIN_FIRST_DELAY_SECS,
    FREE_FAILURES_PER_ACCOUNT as LOGIN_FREE_FAILURES_PER_ACCOUNT,
    FREE_FAILURES_PER_ADDRESS as LOGIN_FREE_FAILURES_PER_ADDRESS,
    MAX_DELAY_SECS as LOGIN_MAX_DELAY_SECS,
};
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
    /// Which invented console the emulator's pages and ASSUMED routes follow
    /// (`docs/portal-superapp.md`, "The console pages"); ignored by the native portal.
    pub console_variant: superapp::ConsoleVariant,
    /// **Test only**: expiry (tokens, sessions, device codes) on a clock the test advances
    /// instead of the system clock. None (the default, and always outside tests) unless
    /// `GOPAY_MINIAPP_PORTAL_TEST_CLOCK` names its file ([`TEST_CLOCK_ENV`]).
    pub test_clock: Option<TestClock>,
    /// How long a client may take to send a request's head (request line and headers), and
    /// so also how long a connection may sit idle waiting for its next request: past it the
    /// connection is closed. Half-sent requests and idle connections (slowloris) cannot hold
    /// the portal's connections. Default [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// The longest pause between two pieces of a request body; past it the request fails
    /// and the connection is closed. Default [`DEFAULT_BODY_READ_TIMEOUT`].
    pub body_read_timeout: Duration,
}

/// [`PortalConfig::header_read_timeout`]'s default: generous for any real client, short
/// enough that a slowloris holds a connection for seconds, not minutes.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// [`PortalConfig::body_read_timeout`]'s default: a chunk's bytes may trickle on a slow
/// uplink, but never stop for a minute.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);

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
            console_variant: superapp::ConsoleVariant::A,
            test_clock: None,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
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
        Backend::Superapp => superapp::router(state, config.console_variant),
    };
    let (tx, rx) = oneshot::channel::<()>();
    let timeouts = Timeouts {
        header: config.header_read_timeout,
        body: config.body_read_timeout,
    };
    let task = tokio::spawn(serve(listener, app, timeouts, rx));
    tracing::info!(%url, ?backend, data_dir = %config.data_dir.display(), "local portal listening");
    Ok(RunningPortal {
        url,
        local_addr,
        store,
        shutdown: Some(tx),
        task,
    })
}

#[derive(Debug, Clone, Copy)]
struct Timeouts {
    header: Duration,
    body: Duration,
}

/// The accept loop: what `axum::serve` does, plus the timeouts it does not set (a
/// half-sent or idle connection is closed, issue #20 item 11) and the client's address for
/// the login throttle ([`axum::extract::ConnectInfo`]). HTTP/1 only: no client of the portal
/// speaks HTTP/2 over plain HTTP, and the protocol sniffing of an HTTP/1+2 server has no
/// timeout of its own (a silent connection would wait there forever).
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    timeouts: Timeouts,
    mut stop: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little instead of spinning
                    // (what axum::serve does too); a connection reset before accept is nothing.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let body_timeout = timeouts.body;
        let service =
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let mut request = request.map(|body| {
                    axum::body::Body::new(tower_http::timeout::TimeoutBody::new(body_timeout, body))
                });
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                let mut app = app.clone();
                async move { tower_service::Service::call(&mut app, request).await }
            });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
