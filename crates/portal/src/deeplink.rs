//! The temporary-code deeplink. GoPay's own "Show Temporary Code" QR does not open the
//! MiniApp; what works is `gopay://mini-app/windvane?app_id=…&publish_id=…` (with
//! `gopaystaging://` for the staging host app), optionally with a URL-encoded
//! `mini_app_path`. This builds exactly that.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but unreserved characters (RFC 3986) is encoded, so `/`, `?`, `&`, `=` in a
/// page path cannot break the outer query.
pub(crate) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn temporary_code_deeplink(
    scheme: &str,
    app_id: &str,
    publish_id: &str,
    mini_app_path: Option<&str>,
) -> String {
    let mut link = format!(
        "{scheme}://mini-app/windvane?app_id={}&publish_id={}",
        utf8_percent_encode(app_id, UNRESERVED),
        utf8_percent_encode(publish_id, UNRESERVED)
    );
    if let Some(path) = mini_app_path.filter(|p| !p.is_empty()) {
        link.push_str("&mini_app_path=");
        link.extend(utf8_percent_encode(path, UNRESERVED));
    }
    link
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_working_link() {
        assert_eq!(
            temporary_code_deeplink("gopaystaging", "3000000000000001", "5000000000000007", None),
            "gopaystaging://mini-app/windvane?app_id=3000000000000001&publish_id=5000000000000007"
        );
        assert_eq!(
            temporary_code_deeplink("gopay", "1", "2", Some("pages/index/index?x=1&y=2")),
            "gopay://mini-app/windvane?app_id=1&publish_id=2&mini_app_path=pages%2Findex%2Findex%3Fx%3D1%26y%3D2"
        );
    }
}
