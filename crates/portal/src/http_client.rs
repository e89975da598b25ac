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
        .build()
        .map_err(|e| PortalError::Local {
            message: format!("cannot set up HTTP: {e}"),
        })
}
