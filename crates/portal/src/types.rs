//! The JSON documents exchanged with a portal. Field names are camelCase on the wire.
//! Timestamps are RFC 3339 strings in UTC; ids are opaque strings.

use serde::{Deserialize, Serialize};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// Target apps this user administers (may approve or reject releases to them).
    #[serde(default)]
    pub admin_of: Vec<String>,
}

/// A long-lived access token for CI (`GOPAY_MINIAPP_TOKEN`). The secret is shown once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessToken {
    pub id: String,
    pub name: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
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
pub struct CreatedAccessToken {
    #[serde(flatten)]
    pub token: AccessToken,
    /// The secret itself; the portal keeps only its hash.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenList {
    pub tokens: Vec<AccessToken>,
}

// ---------------------------------------------------------------------------------------------
// Spaces, MiniApps, target apps
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Space {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceList {
    pub spaces: Vec<Space>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MiniApp {
    /// The `app_id` of deeplinks.
    pub id: String,
    pub space_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MiniAppList {
    pub apps: Vec<MiniApp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetApp {
    pub id: String,
    pub name: String,
    /// Deeplink scheme of the host app: `gopay` or `gopaystaging`.
    pub scheme: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetAppList {
    pub target_apps: Vec<TargetApp>,
}

// ---------------------------------------------------------------------------------------------
// Versions and uploads
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub id: String,
    pub app_id: String,
    pub version: VersionNumber,
    pub description: String,
    /// Package size in bytes.
    pub size: u64,
    /// Hex sha256 of the package (the ZIP).
    pub sha256: String,
    pub created_at: String,
    pub created_by: String,
}

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub id: String,
    pub app_id: String,
    pub version_id: String,
    pub version: VersionNumber,
    pub target_app_id: String,
    pub target_app_name: String,
    pub state: ReleaseState,
    /// The id the host app loads this release by (`publish_id` in deeplinks).
    pub publish_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub whitelist: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<u8>,
    /// True when no version of this MiniApp was ever officially released to this target
    /// app: such a release may only go straight to official.
    pub first_release: bool,
    /// Steps the portal would accept now (from the lifecycle table, for the caller's role).
    pub allowed_steps: Vec<Step>,
    pub created_at: String,
    pub updated_at: String,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryCode {
    pub release_id: String,
    pub app_id: String,
    pub publish_id: String,
    /// `gopay://mini-app/windvane?app_id=…&publish_id=…[&mini_app_path=…]`.
    pub deeplink: String,
    pub expires_at: String,
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
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    /// Username of whoever acted.
    pub actor: String,
    /// e.g. `version.create`, `release.apply`, `release.approve`.
    pub action: String,
    /// Human-readable detail ("1.0.2 → GoPay Staging: ratio 10 → 50").
    pub detail: String,
}

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
