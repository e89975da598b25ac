//! The temporary code as an inline SVG, drawn by the `qrcode` crate's own SVG renderer: black
//! modules on white, with the 4-module quiet zone scanners need, error correction level M.

use maud::{html, Markup, PreEscaped};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Pixels per module (the page's style scales the SVG to 240 px anyway).
const MODULE_PX: u32 = 6;

/// The QR code of `data`, in an element that names what it encodes (`data-qr`, escaped).
pub(crate) fn qr_svg(data: &str) -> Result<Markup, String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| format!("cannot make a QR code of this text: {e}"))?;
    let document = code
        .render::<svg::Color>()
        .quiet_zone(true)
        .module_dimensions(MODULE_PX, MODULE_PX)
        .build();
    // The renderer writes a standalone document; inline in HTML only its `<svg>` element is
    // wanted (the renderer's own output: numbers and fixed colours, no text of `data`).
    let element = document
        .find("<svg")
        .map_or(document.as_str(), |at| &document[at..]);
    Ok(html! {
        div.qr-code role="img" aria-label={ "QR code of " (data) } data-qr=(data) {
            (PreEscaped(element))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paints the rectangles of the SVG's path (the renderer's `M x y h w v h H x V y`) on a
    /// white image of the SVG's size.
    fn rasterize(svg: &str) -> (usize, Vec<u8>) {
        let size: usize = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("a viewBox");
        let d = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a path");
        let mut image = vec![255u8; size * size];
        for part in d.split('M').filter(|p| !p.is_empty()) {
            // `x y h w v h H x V y`: the numbers in order.
            let n: Vec<usize> = part
                .split([' ', 'h', 'v', 'H', 'V'])
                .map(|n| n.parse().expect("a number"))
                .collect();
            let (x, y, w, h) = (n[0], n[1], n[2], n[3]);
            for py in y..y + h {
                for px in x..x + w {
                    image[py * size + px] = 0;
                }
            }
        }
        (size, image)
    }

    #[test]
    fn the_svg_decodes_to_the_deeplink() {
        let link = "gopaystaging://mini-app/windvane?app_id=3000000000000001&publish_id=5000000000000001&mini_app_path=pages%2Findex%2Findex";
        let html = qr_svg(link).unwrap().into_string();
        assert!(!html.contains("<?xml"), "{html}");
        assert!(!html.contains("&publish_id"), "the label is escaped");
        let svg = &html[html.find("<svg ").expect("an inline svg")..];
        let (px, image) = rasterize(svg);
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(px, px, |x, y| image[y * px + x]);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_meta, content) = grids[0].decode().expect("decodes");
        assert_eq!(content, link);
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
