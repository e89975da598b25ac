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
