//! The temporary code as an inline SVG: black modules on white, with the 4-module quiet zone
//! scanners need, error correction level M (as `gopay-miniapp qr` renders it).

use qrcode::{Color, EcLevel, QrCode};

use super::html::esc;

/// Light modules around the code, on each side.
const QUIET_ZONE: usize = 4;

/// `<svg …>` showing `data` as a QR code; one `<path>` of horizontal runs of dark modules.
pub(crate) fn qr_svg(data: &str) -> Result<String, String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| format!("cannot make a QR code of this text: {e}"))?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let mut d = String::with_capacity(width * width);
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == Color::Dark {
                let start = x;
                while x < width && colors[y * width + x] == Color::Dark {
                    x += 1;
                }
                let run = x - start;
                d.push_str(&format!(
                    "M{} {}h{run}v1h-{run}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE
                ));
            } else {
                x += 1;
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"{px}\" height=\"{px}\" \
shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code of {label}\" data-qr=\"{label}\">\
<rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{d}\"/></svg>",
        px = size * 6,
        label = esc(data),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the module matrix back out of the SVG's path (`M x y h n v1 h-n z` runs).
    fn rasterize(svg: &str, scale: usize) -> (usize, Vec<u8>) {
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
        let px = size * scale;
        let mut image = vec![255u8; px * px];
        for part in d.split('M').filter(|p| !p.is_empty()) {
            let (xy, rest) = part.split_once('h').expect("h");
            let (x, y) = xy.split_once(' ').expect("x y");
            let run = rest.split('v').next().expect("run");
            let (x, y, run): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), run.parse().unwrap());
            for mx in x..x + run {
                for dy in 0..scale {
                    for dx in 0..scale {
                        image[(y * scale + dy) * px + mx * scale + dx] = 0;
                    }
                }
            }
        }
        (px, image)
    }

    #[test]
    fn the_svg_decodes_to_the_deeplink() {
        let link = "gopaystaging://mini-app/windvane?app_id=3000000000000001&publish_id=5000000000000001&mini_app_path=pages%2Findex%2Findex";
        let svg = qr_svg(link).unwrap();
        assert!(svg.starts_with("<svg "));
        assert!(!svg.contains("&publish_id"), "the label is escaped");
        let (px, image) = rasterize(&svg, 4);
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(px, px, |x, y| image[y * px + x]);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_meta, content) = grids[0].decode().expect("decodes");
        assert_eq!(content, link);
    }

    #[test]
    fn hostile_text_is_escaped_in_the_label() {
        let svg = qr_svg("\"><script>alert(1)</script>").unwrap();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }
}
