//! The console's JSON as this client reads it (OBSERVED fields, a few ASSUMED where noted):
//! version and release items as domain values, and the release ids this backend makes up.

use serde_json::Value;

use super::envelope::{raw_status, state_of};
use crate::domain::*;
use crate::error::PortalError;
use crate::lifecycle::ReleaseState;
use crate::version_number::VersionNumber;

pub(super) struct ReleaseKey<'a> {
    pub space_id: String,
    pub app_id: &'a str,
    pub version_id: &'a str,
    pub version: VersionNumber,
    pub target: &'a TargetApp,
}

/// A release's id: `{spaceId}/{channelCode}/{version}/{item id}`, so a step can name the
/// space (`sourceSpaceId`) and [`crate::backend::Portal::release`] can query it again.
pub(super) fn release_id(space_id: &str, channel: &str, version: &str, item_id: &str) -> String {
    format!("{space_id}/{channel}/{version}/{item_id}")
}

pub(super) struct ParsedId {
    pub space_id: String,
    pub item_id: String,
}

impl ParsedId {
    pub fn parse(id: &str) -> Result<Self, PortalError> {
        let parts: Vec<&str> = id.split('/').collect();
        match parts.as_slice() {
            [space, _channel, _version, item] => Ok(ParsedId {
                space_id: space.to_string(),
                item_id: item.to_string(),
            }),
            _ => Err(PortalError::Local {
                message: format!("`{id}` is not a release id of the superapp backend"),
            }),
        }
    }
}

pub(super) fn text(item: &Value, key: &str) -> String {
    match item.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// `gmtCreate` (epoch milliseconds, ASSUMED) as RFC 3339; empty when absent.
fn timestamp(value: Option<&Value>) -> String {
    let Some(ms) = value.and_then(Value::as_i64) else {
        return String::new();
    };
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub(super) fn version_of(item: &Value, app_id: &str) -> Result<Version, PortalError> {
    let raw = text(item, "version");
    let version = raw.parse().map_err(|_| PortalError::Protocol {
        message: format!(
            "the console sent a version `{}` that is not x.y.z",
            gopay_miniapp_guard::text::Shown(&raw)
        ),
    })?;
    Ok(Version {
        id: text(item, "id"),
        app_id: match text(item, "appId") {
            a if a.is_empty() => app_id.to_string(),
            a => a,
        },
        version,
        description: text(item, "description"),
        size: item.get("size").and_then(Value::as_u64).unwrap_or(0),
        sha256: text(item, "sha256"),
        created_at: timestamp(item.get("gmtCreate")),
        created_by: text(item, "creator"),
    })
}

/// A release item as a [`Release`]. A status without a lifecycle state is
/// [`ReleaseState::Unknown`] with the console's own words in `status_text` (never guessed,
/// never left out: the release stays in `versions`, `status` and the sidebar).
pub(super) fn release_of(item: &Value, key: ReleaseKey<'_>, first_release: bool) -> Release {
    let raw = raw_status(item).unwrap_or_default().to_string();
    let state = state_of(&raw).unwrap_or(ReleaseState::Unknown);
    let status_text = match (state, text(item, "versionStatusDesc")) {
        (ReleaseState::Unknown, desc) if !desc.is_empty() && desc != raw => {
            format!("{raw} ({desc})")
        }
        _ => raw,
    };
    let item_id = text(item, "id");
    let version = text(item, "version");
    let version: VersionNumber = version.parse().unwrap_or(key.version);
    let channel = key.target.id.clone();
    let name = match text(item, "channelName") {
        n if n.is_empty() => key.target.name.clone(),
        n => n,
    };
    let publish_id = match text(item, "publishId") {
        p if p.is_empty() => item_id.clone(),
        p => p,
    };
    Release {
        id: release_id(&key.space_id, &channel, &version.to_string(), &item_id),
        app_id: key.app_id.to_string(),
        version_id: key.version_id.to_string(),
        version,
        target_app_id: channel,
        target_app_name: name,
        state,
        status_text: Some(status_text),
        publish_id,
        notes: non_empty(text(item, "changelog")),
        reject_reason: non_empty(text(item, "rejectReason")),
        whitelist: Vec::new(),
        ratio: None,
        first_release,
        created_at: timestamp(item.get("gmtCreate")),
        updated_at: timestamp(item.get("gmtModified").or(item.get("gmtCreate"))),
    }
}

/// `item` as the release `release` is now (same MiniApp, version and target app; `space_id`
/// from its id); a status without a lifecycle state is an error naming the raw status.
pub(super) fn release_again(item: &Value, release: &Release, space_id: String) -> Release {
    let target = TargetApp {
        id: release.target_app_id.clone(),
        name: release.target_app_name.clone(),
        scheme: String::new(),
        production: None,
    };
    release_of(
        item,
        ReleaseKey {
            space_id,
            app_id: &release.app_id,
            version_id: &release.version_id,
            version: release.version,
            target: &target,
        },
        release.first_release,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_ids_round_trip() {
        let id = release_id("1532", "1611", "1.0.1", "5000");
        let parsed = ParsedId::parse(&id).unwrap();
        assert_eq!(
            (parsed.space_id.as_str(), parsed.item_id.as_str()),
            ("1532", "5000")
        );
        assert!(ParsedId::parse("42").is_err());
    }

    #[test]
    fn a_status_this_client_does_not_know_is_kept_with_the_consoles_words() {
        let target = TargetApp {
            id: "1611".into(),
            name: "GoPay Staging".into(),
            scheme: String::new(),
            production: None,
        };
        let key = || ReleaseKey {
            space_id: "1532".into(),
            app_id: "3000",
            version_id: "v1",
            version: "1.0.1".parse().unwrap(),
            target: &target,
        };
        let unknown = serde_json::json!({
            "id": "5000", "version": "1.0.1", "versionStatus": "GRAY_RUNNING",
            "versionStatusDesc": "Gray releasing"
        });
        let release = release_of(&unknown, key(), false);
        assert_eq!(release.state, ReleaseState::Unknown);
        assert_eq!(
            release.status_text.as_deref(),
            Some("GRAY_RUNNING (Gray releasing)")
        );
        assert_eq!(release.version.to_string(), "1.0.1");
        let known =
            serde_json::json!({"id": "5001", "version": "1.0.1", "versionStatus": "APPROVE"});
        let release = release_of(&known, key(), false);
        assert_eq!(release.state, ReleaseState::InReview);
        assert_eq!(release.status_text.as_deref(), Some("APPROVE"));
    }
}
