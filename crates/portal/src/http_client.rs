//! What every backend's HTTP side shares: the portal URL's check and the reqwest client
//! (user agent, connect timeout). Routes, headers and bodies stay in each adapter.

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::error::PortalError;

const USER_AGENT: &str = concat!("gopay-miniapp/", env!("CARGO_PKG_VERSION"));

/// `base_url` parsed, or the error naming it: http:// and https:// portals without credentials
/// in the URL (guard::url: the message shows the URL redacted, never a password).
pub(crate) fn parse_portal_url(base_url: &str) -> Result<url::Url, PortalError> {
    gopay_miniapp_guard::url::parse_http(base_url).map_err(|e| PortalError::Local {
        message: format!("the portal URL {e}"),
    })
}

/// The HTTP client of a backend, sending `headers` with every request.
pub(crate) fn client(headers: HeaderMap) -> Result<reqwest::Client, PortalError> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .default_headers(headers)
        .connect_timeout(Duration::from_secs(10))
        .redirect(redirect_policy())
        .build()
        .map_err(|e| PortalError::Local {
            message: format!("cannot set up HTTP: {e}"),
        })
}

/// Redirects followed in one request, as reqwest's default.
const MAX_REDIRECTS: usize = 10;

/// Redirects are followed only on the origin the request was sent to (guard::url::same_origin).
/// Every request to a portal carries a credential (a login body, a bearer token, a session
/// cookie, a device code), and on a 307/308 reqwest would send the body again: to another
/// origin it would hand the password to whoever the portal, or someone between, points at.
/// reqwest drops `Authorization` and `Cookie` on a cross-host hop but not the body, so the
/// hop itself is refused, for every request, with an error that names only origins.
pub(crate) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let Some(first) = attempt.previous().first().cloned() else {
            return attempt.follow();
        };
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(RedirectRefused::TooMany);
        }
        if gopay_miniapp_guard::url::same_origin(&first, attempt.url()) {
            attempt.follow()
        } else {
            let to = attempt.url().origin().ascii_serialization();
            attempt.error(RedirectRefused::OtherOrigin {
                from: first.origin().ascii_serialization(),
                to: gopay_miniapp_guard::text::Shown(&to).to_string(),
            })
        }
    })
}

/// Why a redirect was not followed (the cause inside reqwest's error).
#[derive(Debug, thiserror::Error)]
pub(crate) enum RedirectRefused {
    #[error("the portal at {from} redirected to another origin, {to}; not followed, so nothing of this request (a password, a token, a cookie) was sent there. Use the portal's final address")]
    OtherOrigin { from: String, to: String },
    #[error("the portal redirected more than {MAX_REDIRECTS} times")]
    TooMany,
}

/// A body that could not be read within its limit (`guard::limits`), as a portal error: a
/// transfer failure is a network error; a body over its limit is an answer this client does
/// not take (it stopped reading there).
pub(crate) fn body_error(err: gopay_miniapp_guard::limits::BodyError) -> PortalError {
    use gopay_miniapp_guard::limits::BodyError;
    match err {
        BodyError::Read { url, source } => crate::native::client::network_error(&url, source),
        too_large @ BodyError::TooLarge { .. } => PortalError::Protocol {
            message: too_large.to_string(),
        },
    }
}

/// The body of an answer with `status`: a success's whole (a JSON answer's limit), an
/// error's start (the error-body limit; the rest is not read).
pub(crate) async fn read_answer(response: reqwest::Response) -> Result<bytes::Bytes, PortalError> {
    use gopay_miniapp_guard::limits::{read_body, read_body_prefix, BodyKind};
    if response.status().is_success() {
        read_body(response, BodyKind::JsonAnswer)
            .await
            .map_err(body_error)
    } else {
        Ok(read_body_prefix(response, BodyKind::ErrorBody)
            .await
            .map_err(body_error)?
            .0)
    }
}

/// A probe's page (`doctor`, `detect`): read whole up to the page limit.
pub(crate) async fn read_page(response: reqwest::Response) -> Result<bytes::Bytes, PortalError> {
    use gopay_miniapp_guard::limits::{read_body, BodyKind};
    read_body(response, BodyKind::HtmlPage)
        .await
        .map_err(body_error)
}

/// A 413 whose body is not the backend's own error shape (a gateway's plain text or HTML page
/// for a body over its limit): the request was too large, whatever else the body says, with
/// the limit when the answer names one.
pub(crate) fn too_large_answer(url: &str, body: &[u8]) -> PortalError {
    let message = match named_limit(body) {
        Some(limit) => format!(
            "{url} refused the request as too large (HTTP 413); the answer names a limit of {limit}"
        ),
        None => format!("{url} refused the request as too large (HTTP 413)"),
    };
    PortalError::TooLarge { message }
}

/// The first size in `body` (a number with a unit: `10 MB`, `1048576 bytes`, `50M`), as
/// written there; only digits, a dot and the unit are taken, so nothing else of the body is
/// echoed.
fn named_limit(body: &[u8]) -> Option<String> {
    const UNITS: &[&str] = &[
        "bytes", "byte", "kib", "mib", "gib", "kb", "mb", "gb", "k", "m", "g", "b",
    ];
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = text[start..i].trim_end_matches('.');
        let mut j = i;
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        let rest = text[j..].to_ascii_lowercase();
        for unit in UNITS {
            let after = rest.as_bytes().get(unit.len());
            if rest.starts_with(unit) && !after.is_some_and(|b| b.is_ascii_alphanumeric()) {
                return Some(format!("{number} {}", &text[j..j + unit.len()]));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::named_limit;

    #[test]
    fn limits_named_in_413_answers() {
        assert_eq!(
            named_limit(b"Request body is larger than 10 MB").as_deref(),
            Some("10 MB")
        );
        assert_eq!(
            named_limit(b"client_max_body_size 50m exceeded").as_deref(),
            Some("50 m")
        );
        assert_eq!(
            named_limit(b"limit: 1048576 bytes").as_deref(),
            Some("1048576 bytes")
        );
        assert_eq!(named_limit(b"<h1>413 Request Entity Too Large</h1>"), None);
        assert_eq!(
            named_limit(b"Failed to buffer the request body: length limit exceeded"),
            None
        );
    }
}
