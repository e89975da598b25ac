//! How failures reach the client: a JSON-RPC error whose `data` is core's
//! `{code, message, hint, retryable}`, with a JSON-RPC code from [`RPC_ERROR_CODES`].
//! Some failures add facts an editor words itself (see [`details`]): a failed build names
//! its command and its first error line, and says the whole output is in the log; a failure
//! after the bump says which version package.json was restored to.

use gopay_miniapp_core::project::build::BuildError;
use gopay_miniapp_core::{CoreError, ErrorReport};
use gopay_miniapp_portal::PortalError;
use serde_json::{json, Map, Value};
use tower_lsp_server::jsonrpc::{Error, ErrorCode};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
pub const SERVER_NOT_INITIALIZED: i64 = -32002;
pub const REQUEST_CANCELLED: i64 = -32800;
pub const REQUEST_FAILED: i64 = -32803;

/// Every JSON-RPC error code the sidecar answers with, and when (documented in
/// `docs/protocol.md`; a test keeps both in agreement).
pub const RPC_ERROR_CODES: &[(i64, &str, &str)] = &[
    (
        PARSE_ERROR,
        "ParseError",
        "A frame whose header or body could not be read: invalid JSON, invalid UTF-8, a missing or bad Content-Length, a header over 8 KiB.",
    ),
    (
        INVALID_REQUEST,
        "InvalidRequest",
        "Valid JSON that is not one JSON-RPC 2.0 message: a batch array, a non-object, a wrong `jsonrpc`, a bad `id` or `method`, a body over the size limit; a second `initialize`; a request after `shutdown`.",
    ),
    (
        METHOD_NOT_FOUND,
        "MethodNotFound",
        "A request for a method the sidecar does not serve (unknown notifications are ignored).",
    ),
    (
        INVALID_PARAMS,
        "InvalidParams",
        "Bad params or command arguments: an unknown command, an unknown argument, a wrong type, a name that matches nothing, an answer needed but not askable.",
    ),
    (
        INTERNAL_ERROR,
        "InternalError",
        "A bug in the sidecar (a handler panicked); `data` says so.",
    ),
    (
        SERVER_NOT_INITIALIZED,
        "ServerNotInitialized",
        "A request before `initialize`.",
    ),
    (
        REQUEST_CANCELLED,
        "RequestCancelled",
        "The client cancelled the request (`$/cancelRequest` or `window/workDoneProgress/cancel`); sent after the cleanup finished.",
    ),
    (
        REQUEST_FAILED,
        "RequestFailed",
        "The workflow failed: `data.code` says why (not_logged_in, busy, build_failed, …).",
    ),
];

/// A failed command, ready for the wire.
#[derive(Debug, Clone)]
pub struct CommandError {
    pub rpc_code: i64,
    pub report: ErrorReport,
    /// Extra fields of `data`, next to the report's (camelCase).
    pub details: Map<String, Value>,
}

impl CommandError {
    pub fn new(
        rpc_code: i64,
        code: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        CommandError {
            rpc_code,
            report: ErrorReport {
                code: code.into(),
                message: message.into(),
                hint: hint.into(),
                retryable: false,
            },
            details: Map::new(),
        }
    }

    pub fn invalid_params(code: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, code, message, hint)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            INTERNAL_ERROR,
            "internal",
            message,
            "this is a bug in the GoPay MiniApp sidecar: please report it with the sidecar's log",
        )
    }

    /// `client_cancelled`: the client asked to stop (not the user dismissing a question).
    pub fn from_core(err: &CoreError, client_cancelled: bool) -> Self {
        let report = err.report(&crate::words::hint);
        let rpc_code = if err.is_cancelled() {
            if client_cancelled {
                REQUEST_CANCELLED
            } else {
                REQUEST_FAILED
            }
        } else {
            match err.root() {
                CoreError::NeedsInput { .. } | CoreError::UnknownName { .. } => INVALID_PARAMS,
                _ => REQUEST_FAILED,
            }
        };
        CommandError {
            rpc_code,
            report,
            details: details(err),
        }
    }

    pub fn to_jsonrpc(&self) -> Error {
        let mut data = json!(self.report);
        if let Value::Object(fields) = &mut data {
            fields.extend(self.details.clone());
        }
        Error {
            code: ErrorCode::from(self.rpc_code),
            message: self.report.message.clone().into(),
            data: Some(data),
        }
    }
}

impl From<CoreError> for CommandError {
    fn from(err: CoreError) -> Self {
        CommandError::from_core(&err, false)
    }
}

/// The facts of a failure beyond `{code, message, hint, retryable}`:
/// `buildCommand`, `firstErrorLine` and `buildOutputAvailable` (every line of the build went
/// to the client as `window/logMessage`) for a failed build; `restoredVersion` when
/// package.json was put back; `portalUrl` and `feature` (`{kind, value}`) for a step the
/// portal's API does not have (`not_available_on_portal`: it is done on the portal's pages).
pub fn details(err: &CoreError) -> Map<String, Value> {
    let mut out = Map::new();
    if let CoreError::Portal(PortalError::NotAvailable { feature, portal }) = err.root() {
        out.insert("portalUrl".into(), json!(portal));
        out.insert("feature".into(), json!(feature));
    }
    if let CoreError::Restored {
        restored_version, ..
    } = err
    {
        out.insert("restoredVersion".into(), json!(restored_version));
    }
    if let CoreError::Build(build) = err.root() {
        let (command, tail) = match build {
            BuildError::Failed { command, tail, .. }
            | BuildError::CommandNotFound { command, tail, .. } => (command, tail.as_slice()),
            _ => return out,
        };
        out.insert("buildCommand".into(), json!(command));
        out.insert("buildOutputAvailable".into(), json!(true));
        if let Some(line) = first_error_line(tail) {
            out.insert("firstErrorLine".into(), json!(line));
        }
    }
    out
}

/// The line of a build's output that says what went wrong: the first that looks like an
/// error (`error`, `ERR!`, `failed`, `cannot`, `not found`), else the last non-empty one.
pub fn first_error_line(tail: &[String]) -> Option<String> {
    let lines = || tail.iter().map(|l| l.trim()).filter(|l| !l.is_empty());
    let looks_like_error = |line: &&str| {
        let lower = line.to_lowercase();
        [
            "error",
            "err!",
            "failed",
            "cannot",
            "not found",
            "exception",
        ]
        .iter()
        .any(|w| lower.contains(w))
    };
    lines()
        .find(looks_like_error)
        .or_else(|| lines().next_back())
        .map(|l| l.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_error_line_is_the_first_that_says_error() {
        let tail: Vec<String> = [
            "> build",
            "",
            "compiling…",
            "Error: Cannot find module 'x'",
            "    at foo",
            "npm ERR! code 1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            first_error_line(&tail).as_deref(),
            Some("Error: Cannot find module 'x'")
        );
        let quiet: Vec<String> = vec!["one".into(), "two".into(), "  ".into()];
        assert_eq!(first_error_line(&quiet).as_deref(), Some("two"));
        assert_eq!(first_error_line(&[]), None);
    }
}
