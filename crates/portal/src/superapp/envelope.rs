//! The SuperApp console's envelope, `{success, errorCode, errorMsg, traceId, data}`
//! (OBSERVED shape), decoded into `data` or a typed [`PortalError`].

use gopay_miniapp_guard::text::Line;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{PortalError, Refusal};
use crate::lifecycle::ReleaseState;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    success: Option<bool>,
    #[serde(default)]
    error_code: Option<Value>,
    #[serde(default)]
    error_msg: Option<String>,
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    data: Option<Value>,
}

/// True when `body` is the console's envelope (has `success` or `errorCode`): how `detect`
/// tells a SuperApp console from anything else.
pub fn is_envelope(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.as_object()
                .map(|o| o.contains_key("success") || o.contains_key("errorCode"))
        })
        .unwrap_or(false)
}

/// What the pages of Alibaba Cloud's anti-bot firewall carry (its "punish" page, the
/// `x5sec` slider, the WAF's block page), as seen in public reports of scripts against
/// Alibaba-hosted consoles (`/work/shared/research`): a body holding one of them is the
/// firewall's browser check, not the API's answer.
pub const CHALLENGE_MARKERS: &[&str] = &["rgv587", "x5secdata", "_____tmd_____", "aliyun_waf"];

/// True when `body` is the firewall's browser check instead of an answer.
pub fn is_challenge(body: &[u8]) -> bool {
    CHALLENGE_MARKERS.iter().any(|m| {
        body.windows(m.len())
            .any(|w| w.eq_ignore_ascii_case(m.as_bytes()))
    })
}

fn code_text(code: &Option<Value>) -> String {
    match code {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Decodes one answer: `data` on success (`Null` when absent), else the typed error.
/// `status` is the HTTP status, `url` the request's URL (for messages; no query secrets are
/// ever in it).
pub fn decode(status: u16, body: &[u8], url: &str) -> Result<Value, PortalError> {
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(e) => e,
        Err(e) => {
            // Checked only on what is not JSON: an envelope may quote anything in a message.
            if is_challenge(body) {
                return Err(PortalError::BrowserCheck {
                    url: url.to_string(),
                });
            }
            if status == 413 {
                return Err(crate::http_client::too_large_answer(url, body));
            }
            if status >= 500 {
                return Err(PortalError::Network {
                    message: format!("{url} answered HTTP {status}"),
                });
            }
            return Err(PortalError::Protocol {
                message: format!(
                    "{url} answered HTTP {status} with something that is not the console's JSON envelope ({e})"
                ),
            });
        }
    };
    let code = code_text(&envelope.error_code);
    // The console's words reach terminals, logs and editors: one line, shown, cut.
    let message = Line(envelope.error_msg.as_deref().unwrap_or_default()).to_string();
    let data = envelope.data.unwrap_or(Value::Null);
    let login_url = data.get("loginUrl").and_then(Value::as_str);
    // The lost session (OBSERVED): errorCode "401", "not login" in errorMsg, or a loginUrl.
    if (envelope.success != Some(true)
        && (code == "401" || message.to_ascii_lowercase().contains("not login")))
        || login_url.is_some()
    {
        let message = if message.is_empty() {
            "the SuperApp console says the session is not logged in".to_string()
        } else {
            message
        };
        return Err(PortalError::SessionExpired { message });
    }
    if envelope.success == Some(true) {
        return Ok(data);
    }
    if status >= 500 {
        return Err(PortalError::Network {
            message: format!("{url} answered HTTP {status}: {message}"),
        });
    }
    let message = if message.is_empty() {
        format!("the console refused the request ({url}, errorCode {code:?})")
    } else {
        message
    };
    let hint = Line(data.get("hint").and_then(Value::as_str).unwrap_or_default()).to_string();
    let field = data
        .get("field")
        .and_then(Value::as_str)
        .map(str::to_string);
    Err(match code.to_ascii_uppercase().as_str() {
        "ILLEGAL_STEP" => {
            let state = data
                .get("versionStatus")
                .and_then(Value::as_str)
                .and_then(state_of);
            PortalError::IllegalStep {
                message,
                state,
                // The console does not say which steps it would allow; core computes what
                // to offer from the lifecycle table and our capabilities.
                allowed: Vec::new(),
                first_release: false,
            }
        }
        "VERSION_NOT_HIGHER" => PortalError::VersionNotHigher { message },
        "NOT_FOUND" => PortalError::NotFound { message },
        "FORBIDDEN" | "403" => PortalError::Forbidden { message },
        // The emulator's own code for its Origin check (not a refusal of the user's rights).
        "FOREIGN_ORIGIN" => PortalError::ForeignOrigin { message },
        "TOO_LARGE" => PortalError::TooLarge { message },
        _ => {
            tracing::debug!(trace_id = ?envelope.trace_id, "console refusal {code}");
            PortalError::Refused(Box::new(Refusal {
                status,
                code: if code.is_empty() {
                    crate::codes::REFUSED.to_string()
                } else {
                    code.to_ascii_lowercase()
                },
                message,
                hint,
                retryable: false,
                field,
            }))
        }
    })
}

/// The items of a list answer: `data.list`, or `data` itself when it is a list, or the one
/// object `data` is (all three OBSERVED).
pub fn items(data: Value) -> Vec<Value> {
    match data {
        Value::Array(list) => list,
        Value::Object(mut o) => match o.remove("list") {
            Some(Value::Array(list)) => list,
            Some(Value::Null) => Vec::new(),
            Some(other) => vec![other],
            None if o.is_empty() => Vec::new(),
            None => vec![Value::Object(o)],
        },
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// The raw release status of an item: `versionStatus`, else `status`, `approveStatus`,
/// `publishStatus` (the observed client's fallbacks).
pub fn raw_status(item: &Value) -> Option<&str> {
    ["versionStatus", "status", "approveStatus", "publishStatus"]
        .iter()
        .find_map(|k| item.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

/// Our lifecycle state for a console status, only where it is known; `None` for anything
/// else (never guessed).
pub fn state_of(status: &str) -> Option<ReleaseState> {
    Some(match status.to_ascii_uppercase().as_str() {
        // OBSERVED on real tenants.
        "APPROVE" => ReleaseState::InReview,
        "PASSED" | "PASS" | "APPROVED" => ReleaseState::PilotTest,
        "REJECTED" | "FAILED" => ReleaseState::Rejected,
        "CANCELLED" => ReleaseState::Cancelled,
        // ASSUMED: the emulator's words (docs/portal-superapp.md, "States"); nobody has seen
        // what a real console sends in these states.
        "INIT" => ReleaseState::VersionCreation,
        "BETA" => ReleaseState::WhitelistTesting,
        "GRAY" => ReleaseState::Grayscale,
        "ONLINE" => ReleaseState::Released,
        "OFFLINE" => ReleaseState::Archived,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {

    /// Issue #21 item 23: the firewall's challenge page is its own typed error, whichever
    /// marker it carries; an envelope that merely quotes a marker is still an answer.
    #[test]
    fn the_firewalls_browser_check_is_recognised() {
        for marker in CHALLENGE_MARKERS {
            let page = format!(
                "<html><script>var {} = 1;</script></html>",
                marker.to_uppercase()
            );
            let err = decode(200, page.as_bytes(), "https://c.example/rest/x").unwrap_err();
            assert!(
                matches!(err, PortalError::BrowserCheck { .. }),
                "{marker}: {err:?}"
            );
            assert_eq!(err.code(), "browser_check");
            assert!(err.is_auth());
        }
        let quoted = br#"{"success":true,"data":{"note":"rgv587"}}"#;
        assert!(decode(200, quoted, "u").is_ok());
        let other = decode(200, b"<html>maintenance</html>", "u").unwrap_err();
        assert!(matches!(other, PortalError::Protocol { .. }));
    }

    use super::*;

    fn dec(body: &str) -> Result<Value, PortalError> {
        decode(200, body.as_bytes(), "http://x/rest/a")
    }

    #[test]
    fn success_gives_data_and_lists_come_in_three_shapes() {
        let data =
            dec(r#"{"success":true,"errorCode":null,"data":{"list":[{"a":1},{"a":2}]}}"#).unwrap();
        assert_eq!(items(data).len(), 2);
        assert_eq!(items(serde_json::json!([{"a": 1}])).len(), 1);
        assert_eq!(items(serde_json::json!({"a": 1})).len(), 1);
        assert!(items(Value::Null).is_empty());
        assert!(items(serde_json::json!({"list": null})).is_empty());
    }

    #[test]
    fn each_sign_of_a_lost_session_is_session_expired() {
        for body in [
            r#"{"success":false,"errorCode":"401","errorMsg":"x"}"#,
            r#"{"success":false,"errorCode":401,"errorMsg":"x"}"#,
            r#"{"success":false,"errorCode":"E1","errorMsg":"User Not Login"}"#,
            r#"{"success":false,"errorCode":"E1","data":{"loginUrl":"http://x/login"}}"#,
        ] {
            let err = dec(body).unwrap_err();
            assert!(
                matches!(err, PortalError::SessionExpired { .. }) && err.is_auth(),
                "{body}: {err:?}"
            );
        }
    }

    #[test]
    fn refusals_map_to_typed_errors() {
        match dec(
            r#"{"success":false,"errorCode":"ILLEGAL_STEP","errorMsg":"no","data":{"versionStatus":"APPROVE"}}"#,
        ) {
            Err(PortalError::IllegalStep { state, .. }) => {
                assert_eq!(state, Some(ReleaseState::InReview))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            dec(r#"{"success":false,"errorCode":"VERSION_NOT_HIGHER","errorMsg":"1.0.0"}"#),
            Err(PortalError::VersionNotHigher { .. })
        ));
        match dec(
            r#"{"success":false,"errorCode":"RELEASE_EXISTS","errorMsg":"m","data":{"hint":"h","field":"version"}}"#,
        ) {
            Err(PortalError::Refused(r)) => {
                assert_eq!(
                    (r.code.as_str(), r.hint.as_str(), r.field.as_deref()),
                    ("release_exists", "h", Some("version"))
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode(500, b"<html>", "u"),
            Err(PortalError::Network { .. })
        ));
        assert!(matches!(
            decode(200, b"<html>", "u"),
            Err(PortalError::Protocol { .. })
        ));
    }

    #[test]
    fn only_known_statuses_have_a_state() {
        assert_eq!(state_of("PASS"), Some(ReleaseState::PilotTest));
        assert_eq!(state_of("ONLINE"), Some(ReleaseState::Released));
        assert_eq!(state_of("WAIT_SOMETHING"), None);
        let item = serde_json::json!({"status": "FAILED"});
        assert_eq!(raw_status(&item), Some("FAILED"));
    }
}
