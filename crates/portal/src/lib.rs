//! The GoPay MiniApp portal contract.
//!
//! The vendor portal's HTTP API is unpublished, so this crate *is* the contract: the domain
//! types exchanged over HTTP ([`types`]), every route ([`routes`]), the release lifecycle
//! rules as one table ([`lifecycle`]), the error codes ([`error`]) and the HTTP client
//! ([`client`]). Every HTTP detail of talking to a portal lives in `client`; retargeting the
//! product at the real portal is a change to that module.

pub mod client;
pub mod deeplink;
pub mod error;
pub mod lifecycle;
pub mod routes;
pub mod types;
pub mod version_number;

pub use client::{Credentials, PortalClient, UploadProgress};
pub use error::{codes, PortalError};
pub use lifecycle::{ReleaseState, Step};
pub use version_number::{BumpKind, BumpOverflow, VersionNumber, VersionParseError};

/// Version of the portal contract this crate speaks (`GET /api/v1/health`).
pub const CONTRACT_VERSION: &str = "1";

/// Default size limit of one package.
pub const DEFAULT_MAX_PACKAGE_SIZE: u64 = 50 * 1024 * 1024;
