//! Request extractors whose refusals are contract errors (`invalid_request` naming the field).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use gopay_miniapp_portal::codes;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::Json`, but: any content type is read as JSON, an empty body counts as `{}`,
/// and a bad body is a 400 `invalid_request` whose `field` names the culprit.
pub(crate) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    codes::TOO_LARGE,
                    "the request body is too large",
                    "JSON bodies are small; packages go through the upload routes",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    codes::INVALID_REQUEST,
                    format!("the request body could not be read: {rejection}"),
                    "send the body again",
                )
                .retryable()
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, naming the field at fault in the error.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.inner();
        let text = inner.to_string();
        let missing = text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string);
        let field = match missing {
            Some(name) if path == "." => Some(name),
            Some(name) => Some(format!("{path}.{name}")),
            None if path != "." && !path.is_empty() => Some(path),
            None => None,
        };
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("the request body is not valid JSON: {text}")
        } else {
            match &field {
                Some(f) => format!("`{f}` is missing or invalid: {text}"),
                None => format!("the request body does not fit: {text}"),
            }
        };
        let mut error = ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_REQUEST,
            message,
            "see docs/portal-api.md for the body this route takes",
        );
        if let Some(f) = field {
            error = error.field(f);
        }
        error
    })
}

/// The client's address (the peer of the TCP connection; a proxy's, behind one), for the
/// login throttle. None when the portal was not served by [`crate::start`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}
