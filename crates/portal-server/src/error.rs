//! Errors: [`ServerError`] for starting the portal, [`ApiError`] for what a request gets back.
//!
//! Every non-2xx response is `{"error": ErrorBody}` ([`ErrorEnvelope`]).

use std::fmt::Display;
use std::net::SocketAddr;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gopay_miniapp_portal::codes;
use gopay_miniapp_portal::lifecycle::{ReleaseState, Step};
use gopay_miniapp_portal::native::wire::{ErrorBody, ErrorEnvelope};

/// Why the portal could not start (or the store could not be opened).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("the portal database failed: {0}")]
    Db(#[from] rusqlite::Error),
    /// A name to store (of a user, space, MiniApp or target app) with a control or invisible
    /// character: every reader would have to neutralise it, so it is never stored.
    #[error("the {what} \"{}\" {source}", gopay_miniapp_guard::text::Shown(.name))]
    BadName {
        what: &'static str,
        name: String,
        source: gopay_miniapp_guard::text::HiddenInName,
    },
    #[error("{0}")]
    Other(String),
}

impl ServerError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        ServerError::Io {
            context: context.into(),
            source,
        }
    }
}

/// A refusal or failure, as the wire shows it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Box<ErrorBody>,
    /// Seconds for a `Retry-After` header (a 429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            body: Box::new(ErrorBody {
                code: code.to_string(),
                message: message.into(),
                hint: hint.into(),
                retryable: false,
                state: None,
                allowed_steps: None,
                field: None,
                received: None,
            }),
            retry_after: None,
        }
    }

    pub fn retryable(mut self) -> Self {
        self.body.retryable = true;
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.body.field = Some(field.into());
        self
    }

    pub fn received(mut self, received: u64) -> Self {
        self.body.received = Some(received);
        self
    }

    pub fn state(mut self, state: ReleaseState) -> Self {
        self.body.state = Some(state);
        self
    }

    pub fn allowed(mut self, steps: Vec<Step>) -> Self {
        self.body.allowed_steps = Some(steps);
        self
    }

    pub fn code(&self) -> &str {
        &self.body.code
    }

    /// 400 `invalid_request` naming the field at fault.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_REQUEST,
            message,
            format!("fix `{field}` in the request and send it again"),
        )
        .field(field)
    }

    /// 404 `not_found`. Also what anything in a space the caller does not belong to gets.
    pub fn not_found(what: impl Display) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            format!("{what} was not found"),
            "check the id; you only see spaces you belong to",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            codes::FORBIDDEN,
            message,
            "ask an administrator of the target app, or a member of the space, to take this step",
        )
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            codes::UNAUTHENTICATED,
            message,
            "send `Authorization: Bearer <token>`: log in first, or use an access token in CI",
        )
    }

    pub fn token_revoked(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            codes::TOKEN_REVOKED,
            message,
            "log in again",
        )
    }

    pub fn token_expired(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            codes::TOKEN_EXPIRED,
            message,
            "refresh the session (POST /api/v1/auth/refresh) or log in again",
        )
    }

    /// 429 `too_many_attempts`: too many failed logins; `Retry-After` says when to try again.
    pub fn too_many_attempts(retry_after_secs: u64) -> Self {
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            codes::TOO_MANY_ATTEMPTS,
            format!(
                "too many failed logins for this account or from this address; the portal takes the next one in {retry_after_secs} s"
            ),
            format!("wait {retry_after_secs} s, then log in with the right password"),
        )
        .retryable();
        err.retry_after = Some(retry_after_secs);
        err
    }

    /// 500 `internal`, retryable. The cause is logged, not sent.
    pub fn internal(cause: impl Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "the portal failed to handle the request",
            "try again; if it keeps failing, look at the portal's log",
        )
        .retryable()
    }
}

impl Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.body.code, self.status, self.body.message
        )
    }
}

impl std::error::Error for ApiError {}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        ApiError::internal(format!("database: {err}"))
    }
}

impl From<std::io::Error> for ApiError {
    fn from(err: std::io::Error) -> Self {
        ApiError::internal(format!("io: {err}"))
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(err: tokio::task::JoinError) -> Self {
        ApiError::internal(format!("task: {err}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = self.status == StatusCode::UNAUTHORIZED;
        let code = self.body.code.clone();
        let retry_after = self.retry_after;
        let mut response = (self.status, Json(ErrorEnvelope { error: *self.body })).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if unauthorized {
            let value = format!("Bearer error=\"{code}\"");
            if let Ok(value) = HeaderValue::from_str(&value) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A page's answer to a throttled login (the HTML login forms): the status and the
/// `Retry-After` header of `err`, and the words for the form.
pub(crate) fn throttled_page(
    err: &ApiError,
    page: impl FnOnce(StatusCode, &str) -> Response,
) -> Response {
    let secs = err.retry_after.unwrap_or(1);
    let mut response = page(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("Too many failed logins for this account or from this address. Wait {secs} seconds, then try again."),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}
