//! The URL policy (crates/guard/src/url.rs): parsing never panics, a redacted URL or a refusal
//! never shows the password, and an openable URL is http(s) on the portal's origin.
#![no_main]
use gopay_miniapp_guard::text;
use gopay_miniapp_guard::url::{self, Url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);

    let redacted = url::redact(&input);
    let refused = url::parse_http(&input).err().map(|e| e.shown().to_string());
    if let Ok(parsed) = Url::parse(input.trim()) {
        if let Some(password) = parsed.password() {
            // The password may also occur in the rest of the URL (`http://a:b@b/`): only a
            // password found nowhere else must be missing from what is shown.
            let mut rest = parsed.clone();
            let _ = rest.set_password(None);
            let _ = rest.set_username("");
            if !rest.as_str().contains(password) && !"***".contains(password) {
                assert!(
                    !text::without_cut_markers(&redacted).contains(password),
                    "{redacted}"
                );
                if let Some(shown) = &refused {
                    assert!(
                        !text::without_cut_markers(shown).contains(password),
                        "{shown}"
                    );
                }
            }
        }
    }

    let portal = Url::parse("http://127.0.0.1:7000/").unwrap();
    if let Ok(opened) = url::openable(&portal, &input) {
        assert!(matches!(opened.scheme(), "http" | "https"));
        assert!(url::same_origin(&portal, &opened));
        assert!(!url::has_credentials(&opened));
    }
});
