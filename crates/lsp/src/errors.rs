//! How failures reach the client: a JSON-RPC error whose `data` is core's
//! `{code, message, hint, retryable}`, with a JSON-RPC code from [`RPC_ERROR_CODES`].

use gopay_miniapp_core::{CoreError, ErrorReport};
use serde_json::json;
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
        CommandError { rpc_code, report }
    }

    pub fn to_jsonrpc(&self) -> Error {
        Error {
            code: ErrorCode::from(self.rpc_code),
            message: self.report.message.clone().into(),
            data: Some(json!(self.report)),
        }
    }
}

impl From<CoreError> for CommandError {
    fn from(err: CoreError) -> Self {
        CommandError::from_core(&err, false)
    }
}
