//! Which URLs are accepted, shown, opened and followed.
//!
//! - A portal URL (typed by the user, in a config, in a binding) is [`parse_http`]: http or
//!   https only, a host, and **no user name or password** in it. A URL with credentials is
//!   refused (not silently stripped: the user must learn that the password was in a file or a
//!   shell history), and the error shows it [`redact`]ed, never the password.
//! - Any URL shown to a person goes through [`redact`] (`http://***@host/`).
//! - A URL a portal supplies for opening (a login page, a device-approval page) is opened only
//!   if it is [`openable`]: http(s) on the portal's own origin (scheme, host and port). A
//!   hostile or confused portal cannot make an editor open `file://`, `javascript:` or a
//!   phishing page.
//! - A request carrying credentials (a login body, a bearer token, a session cookie) never
//!   follows a redirect to another origin: [`same_origin`] is the check an HTTP client's
//!   redirect policy applies at every hop.

use std::fmt;

pub use ::url::Url;

/// Why a URL was refused. Its `Display` never contains a password: URLs in it are redacted
/// and cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Not a URL at all.
    Invalid { shown: String, reason: String },
    /// A scheme other than http or https (`file:`, `javascript:`, `ftp:` …).
    Scheme { shown: String, scheme: String },
    /// `user:password@` in the URL.
    Credentials { shown: String },
    /// http(s) without a host.
    NoHost { shown: String },
    /// Not on the expected origin (for [`openable`]).
    OtherOrigin { shown: String, origin: String },
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Invalid { shown, reason } => write!(f, "`{shown}` is not a valid URL: {reason}"),
            UrlError::Scheme { shown, scheme } => write!(
                f,
                "`{shown}` is a {scheme}: URL; only http:// and https:// URLs are accepted"
            ),
            UrlError::Credentials { shown } => write!(
                f,
                "`{shown}` carries a user name or password; URLs with credentials are refused \
                 (they end up in logs and shell histories): remove the part before @ and log in instead"
            ),
            UrlError::NoHost { shown } => write!(f, "`{shown}` has no host"),
            UrlError::OtherOrigin { shown, origin } => {
                write!(f, "`{shown}` is not on the portal's origin {origin}")
            }
        }
    }
}

impl std::error::Error for UrlError {}

impl UrlError {
    /// The refused URL as the message shows it (redacted, cleaned, cut).
    pub fn shown(&self) -> &str {
        match self {
            UrlError::Invalid { shown, .. }
            | UrlError::Scheme { shown, .. }
            | UrlError::Credentials { shown }
            | UrlError::NoHost { shown }
            | UrlError::OtherOrigin { shown, .. } => shown,
        }
    }
}

/// `input` as an http(s) URL with a host and without credentials.
pub fn parse_http(input: &str) -> Result<Url, UrlError> {
    let url = Url::parse(input.trim()).map_err(|e| UrlError::Invalid {
        shown: redact(input),
        reason: e.to_string(),
    })?;
    check_http(&url)?;
    Ok(url)
}

/// The checks of [`parse_http`] on a URL parsed already.
pub fn check_http(url: &Url) -> Result<(), UrlError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::Scheme {
            shown: redact_url(url),
            scheme: crate::text::cut(&crate::text::clean(url.scheme()), 20).into_owned(),
        });
    }
    if has_credentials(url) {
        return Err(UrlError::Credentials {
            shown: redact_url(url),
        });
    }
    if url.host().is_none() {
        return Err(UrlError::NoHost {
            shown: redact_url(url),
        });
    }
    Ok(())
}

/// Whether the URL has a user name or a password.
pub fn has_credentials(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// Same scheme, host and port (default ports made explicit): what a browser calls the same
/// origin. URLs without a host (`file:`, `data:`) have an opaque origin, equal to nothing.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    let (a, b) = (a.origin(), b.origin());
    a.is_tuple() && a == b
}

/// `candidate` if it may be opened for the portal at `portal`: an http(s) URL without
/// credentials on the portal's own origin.
pub fn openable(portal: &Url, candidate: &str) -> Result<Url, UrlError> {
    let url = parse_http(candidate)?;
    if !same_origin(portal, &url) {
        return Err(UrlError::OtherOrigin {
            shown: redact_url(&url),
            origin: portal.origin().ascii_serialization(),
        });
    }
    Ok(url)
}

/// `url` for showing: a user name and password replaced by `***`, control characters shown,
/// cut at [`crate::text::LINE_CHARS`].
pub fn redact_url(url: &Url) -> String {
    if url.host().is_none() {
        // `user:pw@host` parses as scheme `user` and an opaque path: redact it as text.
        return redact_text(url.as_str());
    }
    let mut url = url.clone();
    if has_credentials(&url) {
        // Both setters fail only on URLs that cannot have credentials, which have none.
        let _ = url.set_password(None);
        let _ = url.set_username("***");
    }
    shown(url.as_str())
}

/// `input` for showing, whether or not it parses: as [`redact_url`] when it does; otherwise
/// everything between `//` and the last `@` of the authority is replaced by `***`.
pub fn redact(input: &str) -> String {
    match Url::parse(input.trim()) {
        Ok(url) => redact_url(&url),
        Err(_) => redact_text(input),
    }
}

fn redact_text(input: &str) -> String {
    // Unparsable: find the authority by hand, as a browser would (after `//`, up to the first
    // `/`, `?`, `#` or `\`); anything before its last `@` may be a password.
    let mut out = input.to_string();
    if let Some(start) = input.find("//").map(|i| i + 2) {
        let rest = &input[start..];
        let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            out = format!("{}***{}", &input[..start], &rest[at..]);
        }
    } else if let Some(at) = input.find('@') {
        // `user:pw@host` without a scheme: keep only what follows the last @ before a slash.
        let end = input.find('/').unwrap_or(input.len());
        if at < end {
            let last = input[..end].rfind('@').unwrap_or(at);
            out = format!("***{}", &input[last..]);
        }
    }
    shown(&out)
}

fn shown(s: &str) -> String {
    crate::text::cut(&crate::text::clean(s), crate::text::LINE_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn http_and_https_only() {
        assert!(parse_http("https://portal.example.com/").is_ok());
        assert!(parse_http("http://127.0.0.1:8080").is_ok());
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ftp://x/",
            "data:text/html,hi",
        ] {
            assert!(
                matches!(parse_http(bad), Err(UrlError::Scheme { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_http("not a url"),
            Err(UrlError::Invalid { .. })
        ));
    }

    #[test]
    fn credentials_are_refused_without_echoing_the_password() {
        for input in [
            "http://user:s3cret@portal.example.com/",
            "https://s3cret@portal.example.com",
            "http://:s3cret@portal.example.com",
        ] {
            let err = parse_http(input).unwrap_err();
            assert!(matches!(err, UrlError::Credentials { .. }), "{input}");
            let message = err.to_string();
            assert!(!message.contains("s3cret"), "{message}");
            assert!(message.contains("***@portal.example.com"), "{message}");
        }
    }

    #[test]
    fn redact_hides_credentials_parsed_or_not() {
        assert_eq!(redact("http://u:pw@h.example/x"), "http://***@h.example/x");
        assert_eq!(redact("http://h.example/x"), "http://h.example/x");
        // Unparsable (bad port), still redacted.
        assert_eq!(
            redact("http://u:pw@h.example:99999/x"),
            "http://***@h.example:99999/x"
        );
        assert_eq!(redact("u:pw@h.example/x"), "***@h.example/x");
        assert_eq!(redact("http://u:p@w@h.example"), "http://***@h.example/");
    }

    #[test]
    fn same_origin_is_scheme_host_and_port() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &u("http://h.example/a"),
            &u("http://h.example:80/b?c")
        ));
        assert!(!same_origin(
            &u("http://h.example/"),
            &u("https://h.example/")
        ));
        assert!(!same_origin(
            &u("http://h.example/"),
            &u("http://h.example:8080/")
        ));
        assert!(!same_origin(
            &u("http://h.example/"),
            &u("http://evil.example/")
        ));
        assert!(!same_origin(&u("file:///a"), &u("file:///a")));
    }

    #[test]
    fn openable_is_http_on_the_portals_origin() {
        let portal = Url::parse("http://127.0.0.1:7000/").unwrap();
        assert!(openable(&portal, "http://127.0.0.1:7000/device?code=AB").is_ok());
        assert!(matches!(
            openable(&portal, "http://127.0.0.1:7001/device"),
            Err(UrlError::OtherOrigin { .. })
        ));
        assert!(matches!(
            openable(&portal, "file:///etc/passwd"),
            Err(UrlError::Scheme { .. })
        ));
        assert!(matches!(
            openable(&portal, "http://x:y@127.0.0.1:7000/"),
            Err(UrlError::Credentials { .. })
        ));
    }

    proptest! {
        #[test]
        fn redact_never_shows_the_password(
            user in "[a-zA-Z0-9]{0,8}",
            password in "[a-zA-Z0-9]{6,12}",
            host in "[a-z]{1,10}(\\.[a-z]{2,5})?",
            tail in "(:[0-9]{0,6})?(/[a-zA-Z0-9@:]{0,10})?",
        ) {
            let input = format!("https://{user}:{password}@{host}{tail}");
            let shown = redact(&input);
            prop_assert!(!shown.contains(&password), "{} -> {}", input, shown);
            if let Err(e) = parse_http(&input) {
                prop_assert!(!e.to_string().contains(&password));
            }
        }

        #[test]
        fn openable_implies_http_on_the_same_origin(candidate in any::<String>(), port in 1u16..) {
            let portal = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
            if let Ok(url) = openable(&portal, &candidate) {
                prop_assert!(matches!(url.scheme(), "http" | "https"));
                prop_assert!(same_origin(&portal, &url));
                prop_assert!(!has_credentials(&url));
            }
        }

        #[test]
        fn parse_and_redact_never_panic(input in any::<String>()) {
            let _ = parse_http(&input);
            let _ = redact(&input);
        }
    }
}
