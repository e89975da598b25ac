//! The portals a user picks from (CLI prompt, `--portal <name>`, the editors' first Log In):
//! one typed table, exported to the extension through the sidecar's command table
//! (`portalPresets` in `commands.json`), never copied into a front end.
//!
//! The GoPay addresses are the ones GoPay publishes for its MiniApp portal; that they run the
//! SuperApp console's API is **assumed** from public sources (docs/portal-superapp.md), and
//! nothing in this repository reaches them. The local portal is `gopay-miniapp portal serve`'s
//! default address: the demo's and the tests' explicit choice, never a silent default.

use gopay_miniapp_portal::Backend;
use serde::Serialize;

/// One portal a user may pick by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortalPreset {
    /// What `--portal` (or the sidecar's `portal`) accepts instead of the URL.
    pub id: &'static str,
    /// What pickers show.
    pub name: &'static str,
    pub url: &'static str,
    /// The API it speaks (so the first login needs no probing to know it).
    pub backend: Backend,
    /// Picked when the user just confirms (GoPay production).
    pub preselected: bool,
    /// One line for pickers: what it is.
    pub detail: &'static str,
}

/// The local portal's default address (`gopay-miniapp portal serve`).
pub const LOCAL_PORTAL_URL: &str = "http://127.0.0.1:8780";

/// Every preset, in the order pickers show them; "Other URL" is each front end's own last
/// choice (it is not a portal).
pub const PRESETS: &[PortalPreset] = &[
    PortalPreset {
        id: "gopay",
        name: "GoPay",
        url: "https://miniapp.midtrans.com",
        backend: Backend::Superapp,
        preselected: true,
        detail: "GoPay's MiniApp portal (production)",
    },
    PortalPreset {
        id: "gopay-staging",
        name: "GoPay Staging",
        url: "https://miniapp.stg.midtrans.com",
        backend: Backend::Superapp,
        preselected: false,
        detail: "GoPay's staging MiniApp portal",
    },
    PortalPreset {
        id: "local",
        name: "Local portal",
        url: LOCAL_PORTAL_URL,
        backend: Backend::Native,
        preselected: false,
        detail: "gopay-miniapp portal serve on this computer (demo, tests, offline work)",
    },
];

/// The preset named `id` (case-insensitive, surrounding spaces ignored).
pub fn by_id(id: &str) -> Option<&'static PortalPreset> {
    let id = id.trim();
    PRESETS.iter().find(|p| p.id.eq_ignore_ascii_case(id))
}

/// The preset whose address `url` is (a trailing slash or case of the host aside).
pub fn by_url(url: &str) -> Option<&'static PortalPreset> {
    let key = crate::credentials::portal_key(url);
    PRESETS
        .iter()
        .find(|p| crate::credentials::portal_key(p.url).eq_ignore_ascii_case(&key))
}

/// A portal as given (a URL or a preset's id) → its URL.
pub fn expand(given: &str) -> String {
    match by_id(given) {
        Some(preset) => preset.url.to_string(),
        None => given.trim().to_string(),
    }
}

/// The preset picked when the user just confirms.
pub fn preselected() -> &'static PortalPreset {
    PRESETS
        .iter()
        .find(|p| p.preselected)
        .expect("one preset is preselected")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_expand_to_urls_and_urls_find_their_preset() {
        assert_eq!(
            expand(" GoPay-Staging "),
            "https://miniapp.stg.midtrans.com"
        );
        assert_eq!(expand("local"), LOCAL_PORTAL_URL);
        assert_eq!(expand("https://example.test"), "https://example.test");
        assert_eq!(
            by_url("https://miniapp.midtrans.com/").map(|p| p.id),
            Some("gopay")
        );
        assert_eq!(preselected().id, "gopay");
        assert_eq!(PRESETS.iter().filter(|p| p.preselected).count(), 1);
        assert_eq!(by_id("gopay").unwrap().backend, Backend::Superapp);
    }
}
