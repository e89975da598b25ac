//! The JSON documents of the native portal contract (`docs/portal-api.md`). Field names are
//! camelCase on the wire; timestamps are RFC 3339 strings in UTC; ids are opaque strings.
//! Where a document has exactly the shape of a domain type, the domain type is sent as it is.

use serde::{Deserialize, Serialize};

pub use crate::domain::{
    AccessToken, AuditEntry, CreatedAccessToken, MiniApp, Space, TargetApp, TemporaryCode, User,
    Version,
};
use crate::lifecycle::{ReleaseState, Step};
use crate::version_number::VersionNumber;

// ---------------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// What a successful login, refresh or device approval returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token stays valid from now.
    pub expires_in: u64,
    /// When the access token expires (RFC 3339).
    pub expires_at: String,
    pub user: User,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceAuthorizationRequest {
    /// Shown on the approval page ("gopay-miniapp on Alice's laptop").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
}

/// The start of a browser/device login (shape borrowed from RFC 8628).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceAuthorization {
    /// Secret the client polls with; never shown to the user.
    pub device_code: String,
    /// Short code the user checks on the approval page, e.g. `WDJB-MJHT`.
    pub user_code: String,
    pub verification_uri: String,
    /// The approval page with the user code filled in.
    pub verification_uri_complete: String,
    pub expires_in: u64,
    /// Seconds the client waits between polls.
    pub interval: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceTokenRequest {
    pub device_code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAccessTokenRequest {
    pub name: String,
    /// None: the token does not expire (it can always be revoked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenList {
    pub tokens: Vec<AccessToken>,
}

// ---------------------------------------------------------------------------------------------
// Spaces, MiniApps, target apps
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceList {
    pub spaces: Vec<Space>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MiniAppList {
    pub apps: Vec<MiniApp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetAppList {
    pub target_apps: Vec<TargetApp>,
}

// ---------------------------------------------------------------------------------------------
// Versions and uploads
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionList {
    /// Newest first.
    pub versions: Vec<Version>,
}

/// Opens (or, when the same package is uploaded again, reopens) an upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUploadRequest {
    pub version: VersionNumber,
    #[serde(default)]
    pub description: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Bytes are still arriving; `received` says how many the portal has.
    Open,
    /// The version was created; `versionId` names it.
    Complete,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Upload {
    pub id: String,
    pub app_id: String,
    pub version: VersionNumber,
    pub description: String,
    pub size: u64,
    pub sha256: String,
    /// Bytes the portal holds and has verified; the next chunk starts here.
    pub received: u64,
    pub state: UploadState,
    /// Largest chunk the portal accepts.
    pub max_chunk_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChunkReceipt {
    pub received: u64,
}

// ---------------------------------------------------------------------------------------------
// Releases
// ---------------------------------------------------------------------------------------------

/// A release as the native portal sends it: the facts, plus the steps the portal would
/// accept now from the caller (computed by the portal from the lifecycle table and the
/// caller's roles; clients compute their own offer from the facts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    #[serde(flatten)]
    pub release: crate::domain::Release,
    pub allowed_steps: Vec<Step>,
}

impl std::ops::Deref for Release {
    type Target = crate::domain::Release;
    fn deref(&self) -> &Self::Target {
        &self.release
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseList {
    pub releases: Vec<Release>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateReleaseRequest {
    pub version_id: String,
    pub target_app_id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryCodeRequest {
    /// A page inside the MiniApp to open, e.g. `pages/index/index`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyRequest {
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectRequest {
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhitelistRequest {
    pub user_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrayscaleRequest {
    pub ratio: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollbackRequest {
    pub target_app_id: String,
}

/// Result of an official release or a rollback: the release that is live now and the one
/// that stopped being live (archived), if any.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveChange {
    pub released: Release,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<Release>,
}

// ---------------------------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
}

// ---------------------------------------------------------------------------------------------
// Errors on the wire
// ---------------------------------------------------------------------------------------------

/// Every non-2xx response carries `{"error": ErrorBody}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Stable machine-readable code; see [`crate::error::codes`].
    pub code: String,
    pub message: String,
    pub hint: String,
    pub retryable: bool,
    /// For lifecycle refusals: the release's current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ReleaseState>,
    /// For lifecycle refusals: what is allowed instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_steps: Option<Vec<Step>>,
    /// For validation refusals: the request field at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For upload refusals: bytes the portal holds (resume from here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<u64>,
}
