//! What the sidecar logs of the messages it passes: never a secret, at any level.
//!
//! tower-lsp logs every raw message at `trace` (its `codec` and client targets): a
//! `miniapp.login` carries a password, any session command may carry a `token`. Those targets
//! are dropped whatever `RUST_LOG` says ([`QUIET_LOG_TARGETS`], applied by the CLI's log
//! filter with the browser's), and the sidecar logs the messages itself instead, at `trace`,
//! with every secret-bearing field replaced ([`redacted`]).

use serde_json::Value;

/// Log targets that print raw protocol messages; never shown.
pub const QUIET_LOG_TARGETS: &[&str] = &["tower_lsp_server::codec", "tower_lsp_server::service"];

/// What a secret's value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Whether a log event of `target` must be dropped (see [`QUIET_LOG_TARGETS`]).
pub fn is_quiet_target(target: &str) -> bool {
    QUIET_LOG_TARGETS.iter().any(|quiet| {
        target == *quiet
            || target
                .strip_prefix(quiet)
                .is_some_and(|rest| rest.starts_with("::"))
    })
}

/// Whether a field of this name holds a secret: passwords, tokens (not LSP's progress
/// tokens), secrets, cookies, authorization headers, sessions.
pub fn is_secret_key(key: &str) -> bool {
    let key: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const NOT_SECRET: &[&str] = &["workdonetoken", "partialresulttoken", "progresstoken"];
    if NOT_SECRET.contains(&key.as_str()) {
        return false;
    }
    [
        "password",
        "passwd",
        "secret",
        "cookie",
        "authorization",
        "session",
    ]
    .iter()
    .any(|word| key.contains(word))
        || key.ends_with("token")
}

/// `value` with every secret-bearing field's value replaced by [`REDACTED`], at any depth.
pub fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if !is_secret_key(key) {
                        redacted(value)
                    } else {
                        Value::String(REDACTED.into())
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

/// A message body (JSON bytes) as it may be logged.
pub fn loggable(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => redacted(&value).to_string(),
        Err(_) => format!("<{} bytes that are not JSON>", body.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_replaced_at_any_depth() {
        let message = json!({"method": "workspace/executeCommand", "params": {
            "command": "miniapp.login",
            "arguments": [{"username": "demo", "password": "hunter2", "token": "gpm_pat_x",
                           "nested": {"accessToken": "a", "refresh_token": "r", "Cookie": "c"}}],
            "workDoneToken": "publish-1"}});
        let text = redacted(&message).to_string();
        for secret in ["hunter2", "gpm_pat_x", "\"a\"", "\"r\"", "\"c\""] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(
            text.contains("demo") && text.contains("publish-1"),
            "{text}"
        );
    }

    #[test]
    fn protocol_targets_are_quiet() {
        assert!(is_quiet_target("tower_lsp_server::codec"));
        assert!(is_quiet_target("tower_lsp_server::service::client"));
        assert!(!is_quiet_target("tower_lsp_server"));
        assert!(!is_quiet_target("gopay_miniapp_lsp::framing"));
    }
}
