//! How failures reach the client: a JSON-RPC error whose `data` is core's
//! `{code, message, hint, retryable}`, with a JSON-RPC code from [`RPC_ERROR_CODES`].
//! Some failures add facts an editor words itself (see [`details`]): a failed build names
//! its command and its first error line, and says the whole output is in the log; a failure
//! after the bump says which version package.json was restored to.

use gopay_miniapp_core::codes::ErrorCode;
use gopay_miniapp_core::error::HintReport;
use gopay_miniapp_core::project::build::BuildError;
use gopay_miniapp_core::{CoreError, ErrorReport, Hint};
use gopay_miniapp_portal::PortalError;
use serde_json::{json, Map, Value};
use tower_lsp_server::jsonrpc::Error;

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

/// The sidecar's own error codes (core's are in `gopay_miniapp_core::codes`).
pub mod codes {
    pub const UNKNOWN_COMMAND: &str = "unknown_command";
    pub const INVALID_PARAMS: &str = "invalid_params";
    pub const BAD_PROJECT: &str = "bad_project";
    pub const SHUTTING_DOWN: &str = "shutting_down";
    /// A bug in the sidecar; the same word as the portal contract's `internal` (documented
    /// once, with core's list).
    pub const INTERNAL: &str = gopay_miniapp_portal::codes::INTERNAL;
    pub const QR_FAILED: &str = "qr_failed";
    pub const PROMPT_TIMEOUT: &str = "prompt_timeout";
    pub const PROMPT_FAILED: &str = "prompt_failed";
}

/// The sidecar's own codes and when they happen, after core's.
const SIDECAR_CODES: &[ErrorCode] = &[
    ErrorCode {
        code: codes::UNKNOWN_COMMAND,
        meaning: "`workspace/executeCommand` for a command the sidecar does not serve.",
    },
    ErrorCode {
        code: codes::INVALID_PARAMS,
        meaning: "An unknown argument, a wrong type, or not one object argument.",
    },
    ErrorCode {
        code: codes::BAD_PROJECT,
        meaning: "`project` is neither a path nor a file:// URI, or the folder does not exist.",
    },
    ErrorCode {
        code: codes::SHUTTING_DOWN,
        meaning: "A command after `shutdown`, or while the client is going away.",
    },
    ErrorCode {
        code: codes::QR_FAILED,
        meaning: "The temporary code's QR could not be drawn (the deeplink still works).",
    },
    ErrorCode {
        code: codes::PROMPT_TIMEOUT,
        meaning: "A question to the user got no answer within the prompt timeout.",
    },
    ErrorCode {
        code: codes::PROMPT_FAILED,
        meaning: "A question to the user could not be shown (the client answered with an error).",
    },
];

/// Every `data.code` a user can meet from the sidecar, in `docs/protocol.md`'s order: core's
/// and the portals', then the sidecar's own.
pub fn user_facing_codes() -> Vec<ErrorCode> {
    let mut all = gopay_miniapp_core::codes::all();
    all.extend_from_slice(SIDECAR_CODES);
    all
}

/// A failed command, ready for the wire.
#[derive(Debug, Clone)]
pub struct CommandError {
    pub rpc_code: i64,
    /// Boxed: a `Result` carrying it stays small.
    pub report: Box<ErrorReport>,
    /// Extra fields of `data`, next to the report's (camelCase).
    pub details: Map<String, Value>,
}

impl CommandError {
    pub fn new(rpc_code: i64, code: &str, message: impl Into<String>, hint: Hint) -> Self {
        CommandError {
            rpc_code,
            report: Box::new(ErrorReport {
                code: code.into(),
                message: message.into(),
                hint: HintReport::new(hint, &crate::words::hint),
                retryable: false,
            }),
            details: Map::new(),
        }
    }

    pub fn invalid_params(code: &str, message: impl Into<String>, hint: Hint) -> Self {
        Self::new(INVALID_PARAMS, code, message, hint)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(INTERNAL_ERROR, codes::INTERNAL, message, Hint::ReportBug)
    }

    /// `client_cancelled`: the client asked to stop (not the user dismissing a question).
    pub fn from_core(err: &CoreError, client_cancelled: bool) -> Self {
        let mut report = err.report(&crate::words::hint);
        // What package.json was put back to is a field of its own (`restoredVersion`), not
        // words appended to the cause's message.
        if let CoreError::Restored { source, .. } = err {
            report.message = source.to_string();
        }
        // Messages carry outside text (a portal's words, names, paths): shown, lines kept.
        report.message = gopay_miniapp_guard::text::Lines(&report.message).to_string();
        report.hint.text = gopay_miniapp_guard::text::Lines(&report.hint.text).to_string();
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
            report: Box::new(report),
            details: details(err),
        }
    }

    pub fn to_jsonrpc(&self) -> Error {
        let mut data = json!(self.report);
        if let Value::Object(fields) = &mut data {
            fields.extend(self.details.clone());
        }
        Error {
            code: tower_lsp_server::jsonrpc::ErrorCode::from(self.rpc_code),
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

/// The facts of a failure beyond `{code, message, hint, retryable}`, for editors to word:
/// a failed build's `buildCommand`, `buildExitCode` or `buildSignal` (or
/// `buildProgramMissing`: the program it runs was not found), `firstErrorLine` (its first
/// error: the one that names a file, else the first line that looks like an error, without
/// the rest of the output: that went to the log), `buildError` (`{file, line, column?,
/// message}`: the first error that names an existing file of the project, relative to it, for
/// the problems list) and `buildOutputAvailable` (every line went to the client as `window/logMessage`);
/// `restoredVersion` when package.json was put back; `portalUrl` and `feature`
/// (`{kind, value}`) for a step the portal's API does not have (`not_available_on_portal`:
/// it is done on the portal's pages).
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
            BuildError::Failed {
                command,
                tail,
                status,
                source_error,
            } => {
                if let Some(at) = source_error {
                    out.insert("buildError".into(), json!(at));
                }
                use std::os::unix::process::ExitStatusExt;
                if let Some(code) = status.code() {
                    out.insert("buildExitCode".into(), json!(code));
                } else if let Some(signal) = status.signal() {
                    out.insert("buildSignal".into(), json!(signal));
                }
                (command, tail.as_slice())
            }
            BuildError::CommandNotFound {
                command,
                tail,
                program,
            } => {
                out.insert("buildProgramMissing".into(), json!(program));
                (command, tail.as_slice())
            }
            _ => return out,
        };
        out.insert("buildCommand".into(), json!(command));
        out.insert("buildOutputAvailable".into(), json!(true));
        let first = match build {
            BuildError::Failed {
                source_error: Some(at),
                ..
            } => Some(at.to_string()),
            _ => gopay_miniapp_core::project::build::first_error_line(tail),
        };
        if let Some(line) = first {
            out.insert("firstErrorLine".into(), json!(line));
        }
    }
    out
}
