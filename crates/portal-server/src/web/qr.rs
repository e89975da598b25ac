//! The temporary code as an inline SVG: the one QR rendering of `gopay_miniapp_portal::qr`
//! (black modules on white, the 4-module quiet zone, level M), wrapped in an element that
//! names what it encodes.

use gopay_miniapp_portal::qr;
use maud::{html, Markup, PreEscaped};

/// The QR code of `data`, in an element that names what it encodes (`data-qr`, escaped).
pub(crate) fn qr_svg(data: &str) -> Result<Markup, String> {
    // The renderer's own output: numbers and fixed colours, no text of `data`.
    let svg = qr::render_svg(data).map_err(|e| e.to_string())?;
    Ok(html! {
        div.qr-code role="img" aria-label={ "QR code of " (data) } data-qr=(data) {
            (PreEscaped(svg))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_element_holds_the_one_rendering() {
        let link =
            "gopaystaging://mini-app/windvane?app_id=3000000000000001&publish_id=5000000000000001";
        let html = qr_svg(link).unwrap().into_string();
        assert!(!html.contains("<?xml"), "{html}");
        assert!(!html.contains("&publish_id"), "the label is escaped");
        assert!(html.contains(qr::render_svg(link).unwrap().trim_end()));
    }

    #[test]
    fn hostile_text_is_escaped_in_the_label() {
        let html = qr_svg("\"><script>alert(1)</script>")
            .unwrap()
            .into_string();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&quot;&gt;&lt;script&gt;"));
    }
}
