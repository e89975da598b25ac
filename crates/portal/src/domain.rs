//! The domain every backend speaks: facts about users, spaces, MiniApps, target apps,
//! versions and releases. No backend's wire shapes and no server-computed UI fields live
//! here: what a user may do next is computed by the caller from the lifecycle table, the
//! user's roles and the backend's [`crate::Capabilities`].
//!
//! Field names are camelCase when serialized (the native contract sends several of these
//! types as they are; the CLI's `--json` and the sidecar's results use them too). Timestamps
//! are RFC 3339 strings in UTC; ids are opaque strings.

use serde::{Deserialize, Serialize};

use crate::lifecycle::ReleaseState;
use crate::version_number::VersionNumber;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// Target apps this user administers (may approve or reject releases to them). Empty
    /// when the backend cannot tell.
    #[serde(default)]
    pub admin_of: Vec<String>,
}

impl User {
    /// Whether the user reviews releases to `target_app_id`.
    pub fn administers(&self, target_app_id: &str) -> bool {
        self.admin_of.iter().any(|t| t == target_app_id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Space {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MiniApp {
    /// The `app_id` of deeplinks.
    pub id: String,
    pub space_id: String,
    pub name: String,
}

/// Which MiniApp an operation is about. Some backends address a MiniApp by its id alone,
/// others need its space too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRef {
    pub space_id: String,
    pub app_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetApp {
    pub id: String,
    pub name: String,
    /// Deeplink scheme of the host app: `gopay` or `gopaystaging`; empty when not known.
    pub scheme: String,
    /// Whether real users get what is released here: a fact the portal states (the native
    /// portal does) or the user gives when binding by ids; `None` when nobody said (the
    /// SuperApp console has no route that tells). Never inferred from the scheme or the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub id: String,
    pub app_id: String,
    pub version: VersionNumber,
    pub description: String,
    /// Package size in bytes (0 when the backend does not say).
    pub size: u64,
    /// Hex sha256 of the package (the ZIP); empty when the backend does not say.
    pub sha256: String,
    pub created_at: String,
    pub created_by: String,
}

/// One version released to one target app, as facts.
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
    /// The backend's own words for the state when it has them (e.g. a SuperApp status that
    /// has no lifecycle state of ours is shown raw, never guessed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_text: Option<String>,
    /// The id the host app loads this release by (`publish_id` in deeplinks); empty when
    /// the backend does not say.
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
    pub created_at: String,
    pub updated_at: String,
}

impl Release {
    pub fn context(&self) -> crate::lifecycle::ReleaseContext {
        crate::lifecycle::ReleaseContext {
            first_release: self.first_release,
        }
    }
}

/// Result of an official release or a rollback: the release that is live now and the one
/// that stopped being live (archived), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveChange {
    pub released: Release,
    pub archived: Option<Release>,
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
pub struct CreatedAccessToken {
    #[serde(flatten)]
    pub token: AccessToken,
    /// The secret itself; the portal keeps only its hash.
    pub secret: String,
}

/// A package to make into a new version.
#[derive(Clone)]
pub struct NewVersion<'a> {
    pub version: VersionNumber,
    pub description: &'a str,
    /// The ZIP on disk; backends stream it (memory stays flat whatever its size).
    pub package: &'a std::path::Path,
    pub size: u64,
    /// The package's sha256 when the caller has it already (publish: the packer hashed the
    /// bytes as it wrote them). Without it, each backend hashes when it needs to: native
    /// before opening the upload (its contract asks for it), superapp while the bytes stream
    /// out, so the package is not read twice. The created version carries it either way.
    pub sha256: Option<&'a str>,
    /// Hears the portal's id for the upload as soon as it is opened (for backends whose
    /// uploads have one), so a publish journal can abandon it after a crash.
    pub on_opened: Option<&'a (dyn Fn(&str) + Send + Sync)>,
}

impl std::fmt::Debug for NewVersion<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewVersion")
            .field("version", &self.version)
            .field("description", &self.description)
            .field("package", &self.package)
            .field("size", &self.size)
            .field("sha256", &self.sha256)
            .field("on_opened", &self.on_opened.is_some())
            .finish()
    }
}

/// A step on a release with what it needs. Which steps exist is the lifecycle table's
/// business ([`crate::Step`]); this carries their inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepInput {
    Apply { notes: String },
    Withdraw,
    Approve,
    Reject { reason: String },
    Whitelist { user_ids: Vec<String> },
    Grayscale { ratio: u8 },
    Official,
    Cancel,
}

impl StepInput {
    pub fn step(&self) -> crate::Step {
        use crate::Step;
        match self {
            StepInput::Apply { .. } => Step::Apply,
            StepInput::Withdraw => Step::Withdraw,
            StepInput::Approve => Step::Approve,
            StepInput::Reject { .. } => Step::Reject,
            StepInput::Whitelist { .. } => Step::Whitelist,
            StepInput::Grayscale { .. } => Step::Grayscale,
            StepInput::Official => Step::Official,
            StepInput::Cancel => Step::Cancel,
        }
    }
}

/// What a step did: the release afterwards, and for an official release the one archived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    pub release: Release,
    pub archived: Option<Release>,
}
