//! The console's answer: `{success, errorCode, errorMsg, traceId, data}` (OBSERVED), HTTP 200
//! for successes and refusals alike (the observed client reads `success`, and treats a
//! non-2xx status as a transport failure). Lists are `data.list` with `total`, `currentPage`
//! and `pageSize`.
//!
//! ASSUMED: `errorCode`/`errorMsg` are `null` on success; refusals carry the native portal's
//! code in upper case (`ILLEGAL_STEP`, `VERSION_NOT_HIGHER`, …) and `data` with a `hint` (and
//! `field`, `versionStatus` where they apply); an unknown route is HTTP 404 and a failure of
//! the emulator itself HTTP 500, both in the envelope.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gopay_miniapp_portal::codes;
use serde_json::{json, Value};

use crate::error::ApiError;

/// The lost-session answer's `errorCode` (OBSERVED).
pub(crate) const LOST_SESSION_CODE: &str = "401";

/// The Origin check's `errorCode` (the emulator's own; see docs/portal-superapp.md).
pub(crate) const FOREIGN_ORIGIN_CODE: &str = "FOREIGN_ORIGIN";

/// A request's trace id: 32 lower-case hex digits (ASSUMED shape).
pub(crate) fn trace_id() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rngs::OsRng.gen();
    hex::encode(bytes)
}

fn respond(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `success: true` with `data`.
pub(crate) fn ok(data: Value) -> Response {
    respond(
        StatusCode::OK,
        json!({
            "success": true,
            "errorCode": null,
            "errorMsg": null,
            "traceId": trace_id(),
            "data": data,
        }),
    )
}

/// A refusal: `success: false`, HTTP 200.
pub(crate) fn fail(code: &str, message: impl Into<String>, data: Value) -> Response {
    respond(
        StatusCode::OK,
        json!({
            "success": false,
            "errorCode": code,
            "errorMsg": message.into(),
            "traceId": trace_id(),
            "data": data,
        }),
    )
}

/// No session, an unknown one, or one that ended (OBSERVED: `errorCode "401"`, an `errorMsg`
/// containing "not login", `data.loginUrl`).
pub(crate) fn lost_session(base_url: &str, why: &str) -> Response {
    fail(
        LOST_SESSION_CODE,
        format!("not login: {why}; log in again"),
        json!({ "loginUrl": format!("{base_url}/login") }),
    )
}

/// The native code as the console's `errorCode`: `illegal_step` → `ILLEGAL_STEP`.
pub(crate) fn error_code(native: &str) -> String {
    native.to_ascii_uppercase()
}

/// A native refusal in the envelope (internal failures are HTTP 500).
pub(crate) fn from_api(err: ApiError) -> Response {
    let mut data = json!({ "hint": err.body.hint });
    if let Some(field) = &err.body.field {
        data["field"] = json!(field);
    }
    if let Some(state) = err.body.state {
        let (status, desc) = super::releases::superapp_status(state);
        data["versionStatus"] = json!(status);
        data["versionStatusDesc"] = json!(desc);
    }
    let mut response = fail(&error_code(&err.body.code), err.body.message.clone(), data);
    if err.body.code == codes::INTERNAL {
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    }
    response
}

/// A refusal the emulator makes itself (not from a native function).
pub(crate) fn refuse(code: &str, message: impl Into<String>, hint: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message, hint)
}

/// A request parameter that is missing or malformed.
pub(crate) fn bad_param(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid(field, message)
}

/// `currentPage` (from 1) and `pageSize` (1–100) of a query; 1 and 10 when absent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub current: u64,
    pub size: u64,
}

impl Page {
    pub(crate) fn from_query(pairs: &[(String, String)]) -> Result<Page, ApiError> {
        let mut page = Page {
            current: 1,
            size: 10,
        };
        for (key, value) in pairs {
            match key.as_str() {
                "currentPage" => {
                    page.current =
                        value
                            .trim()
                            .parse()
                            .ok()
                            .filter(|n| *n >= 1)
                            .ok_or_else(|| {
                                bad_param(
                                    "currentPage",
                                    "currentPage must be a whole number from 1",
                                )
                            })?;
                }
                "pageSize" => {
                    page.size = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|n| (1..=100).contains(n))
                        .ok_or_else(|| {
                            bad_param("pageSize", "pageSize must be a whole number from 1 to 100")
                        })?;
                }
                _ => {}
            }
        }
        Ok(page)
    }

    /// `data` of a list answer: this page of `items`.
    pub(crate) fn list(self, items: Vec<Value>) -> Value {
        let total = items.len() as u64;
        let skip = (self.current - 1).saturating_mul(self.size);
        let list: Vec<Value> = items
            .into_iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(self.size as usize)
            .collect();
        json!({
            "list": list,
            "total": total,
            "currentPage": self.current,
            "pageSize": self.size,
        })
    }
}

/// The value of a query parameter, trimmed; None when absent or empty.
pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// A required query parameter.
pub(crate) fn required<'a>(pairs: &'a [(String, String)], name: &str) -> Result<&'a str, ApiError> {
    param(pairs, name).ok_or_else(|| bad_param(name, format!("`{name}` is missing")))
}

/// Either answer of a handler.
pub(crate) fn answer(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(data) => ok(data),
        Err(err) => from_api(err),
    }
}
