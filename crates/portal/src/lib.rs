//! The GoPay MiniApp portal seam.
//!
//! Workflows talk to a [`Portal`] (an `Arc<dyn Portal>`) with the [`domain`] types, never to
//! an HTTP client. Each backend is an adapter behind that trait: [`native`] (our own contract,
//! served by `crates/portal-server`) and [`superapp`] (the SuperApp console's REST API, which
//! GoPay's portal runs on). A backend declares what it can do
//! ([`Capabilities`]); what the user may do next comes from the one [`lifecycle`] table, the
//! user's roles and those capabilities. Sessions are opaque ([`Session`]): tokens for one
//! backend, cookies for another.

pub mod backend;
pub mod deeplink;
pub mod domain;
pub mod error;
mod http_client;
pub mod lifecycle;
pub mod native;
pub mod pause;
pub mod probe;
pub mod qr;
pub mod retry;
pub mod superapp;
pub mod version_number;

use std::sync::Arc;

pub use backend::{
    Backend, BrowserLogin, Capabilities, Feature, LoggedIn, Login, LoginKind, NotesAt,
    PagesStopped, Planned, PlannedHeader, PlannedRequest, Portal, PortalPage, RecordPages,
    RecordedPages, Session, SessionListener, SessionRenewal, TokenSource, UploadProgress,
};
pub use error::{codes, PortalError, Refusal};
pub use lifecycle::{ReleaseState, Step};
pub use version_number::{BumpKind, BumpOverflow, VersionNumber, VersionParseError};

/// Version of the native portal contract (`GET /api/v1/health`).
pub const CONTRACT_VERSION: &str = "1";

/// Default size limit of one package.
pub const DEFAULT_MAX_PACKAGE_SIZE: u64 = 50 * 1024 * 1024;

/// How to set up a backend.
#[derive(Default, Clone)]
pub struct PortalOptions {
    /// Hears of sessions the backend renewed by itself, to save them.
    pub on_session_changed: Option<SessionListener>,
    /// Serialises renewals of the stored session across processes (see [`SessionRenewal`]).
    pub renewal: Option<Arc<dyn SessionRenewal>>,
    /// Upload chunk size, for backends that upload in chunks.
    pub chunk_size: Option<u64>,
    /// The target apps the user gave, for backends that cannot list them (superapp).
    pub target_apps: Vec<domain::TargetApp>,
    /// The `Bx-V` header a SuperApp console's client sends (`None`: the observed default,
    /// `superapp::http::BX_V`).
    pub bx_v: Option<String>,
    /// The route recipes learned on this portal's origin (issue #22, `docs/recipes.md`), for
    /// backends that replay them (superapp); checked against the origin by whoever read them.
    pub recipes: Vec<gopay_miniapp_recipes::Recipe>,
}

/// The backend `backend` for the portal at `url`.
pub fn open(
    backend: Backend,
    url: &str,
    options: PortalOptions,
) -> Result<Arc<dyn Portal>, PortalError> {
    match backend {
        Backend::Native => {
            let mut portal = native::NativePortal::new(url, options.on_session_changed)?
                .with_renewal(options.renewal);
            if let Some(size) = options.chunk_size {
                portal = portal.with_chunk_size(size);
            }
            Ok(Arc::new(portal))
        }
        Backend::Superapp => {
            let mut portal = superapp::SuperappPortal::new(url, options.target_apps)?
                .with_recipes(options.recipes);
            if let Some(bx_v) = options.bx_v.as_deref() {
                portal = portal.with_bx_v(bx_v)?;
            }
            Ok(Arc::new(portal))
        }
    }
}

/// Which API the portal at `url` speaks, by probing it: the native contract's health route
/// first (it names the contract), then the other backends' own signs.
pub async fn detect(url: &str) -> Result<Backend, PortalError> {
    let native = native::PortalClient::new(url, native::Credentials::None)?;
    match native.health().await {
        Ok(health) if health.get("contractVersion").is_some() => return Ok(Backend::Native),
        Ok(_) => {}
        Err(err @ PortalError::Network { .. }) => return Err(err),
        Err(_) => {}
    }
    // A SuperApp console answers its REST routes, even without a session, in its envelope.
    let console = superapp::http::Http::new(url)?;
    let (_, body) = console.probe(superapp::routes::VERSION_QUERY).await?;
    if superapp::envelope::is_envelope(&body) {
        return Ok(Backend::Superapp);
    }
    // The firewall in front of a console stops a plain client before the console answers.
    if superapp::envelope::is_challenge(&body) {
        return Err(PortalError::BrowserCheck {
            url: console.url(superapp::routes::VERSION_QUERY),
        });
    }
    Err(PortalError::Protocol {
        message: format!("{url} answers neither as a native portal nor as a SuperApp console"),
    })
}
