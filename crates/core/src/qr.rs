//! The temporary code as a QR code: for terminals, as a PNG (editors, files) and as an SVG
//! (web views).
//!
//! Every rendering keeps the 4-module quiet zone the QR standard asks for: without it, phone
//! scanners often fail to find the code, which is half of the "QR codes that do not render in
//! terminals or IDEs" complaint. Error correction is level M (15 %), which survives the small
//! distortions of a photographed screen at a size that still fits a terminal.
//!
//! ## Terminal rendering: plain characters, light modules drawn
//! [`render_terminal`] draws two module rows per text line with the Unicode half blocks `▀ ▄ █`
//! and spaces, and no ANSI colours (they are lost in logs, CI output and editor panels and some
//! terminals remap them). With plain characters one polarity has to be chosen: we draw the
//! *light* modules (and the quiet zone) as blocks and leave the dark modules as spaces. Most
//! developer terminals and editor panels are dark, so the code appears as the standard dark
//! modules on a light square, quiet zone included. On a light-background terminal the same text
//! shows an inverted code (light modules on dark), which the common phone scanners (the iOS and
//! Android camera apps, Google Lens) also read; the PNG and SVG renderings are always standard
//! black on white for anything stricter.

use std::fmt::Write as _;

use image::{GrayImage, ImageEncoder, Luma};
use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the code, on each side.
pub const QUIET_ZONE: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("cannot make a QR code of this text ({len} bytes): {reason}. A temporary-code deeplink is about 120 bytes; check the app and publish ids.")]
    Encode { len: usize, reason: String },
    #[error("could not encode the QR code as PNG: {0}")]
    Png(String),
}

/// The module matrix with its quiet zone: `true` is dark. Row-major, `size × size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    pub size: usize,
    pub dark: Vec<bool>,
}

impl QrMatrix {
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.size && y < self.size && self.dark[y * self.size + x]
    }
}

/// Encodes `data` (byte mode, level M) and surrounds it with the quiet zone.
pub fn matrix(data: &str) -> Result<QrMatrix, QrError> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).map_err(|err| {
        QrError::Encode {
            len: data.len(),
            reason: err.to_string(),
        }
    })?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let mut dark = vec![false; size * size];
    for y in 0..width {
        for x in 0..width {
            dark[(y + QUIET_ZONE) * size + x + QUIET_ZONE] = colors[y * width + x] == Color::Dark;
        }
    }
    Ok(QrMatrix { size, dark })
}

/// The code as text for a terminal (see the module doc for the polarity). Every line has the
/// same number of characters and ends with `\n`.
pub fn render_terminal(data: &str) -> Result<String, QrError> {
    let matrix = matrix(data)?;
    let mut out = String::with_capacity((matrix.size + 1) * matrix.size.div_ceil(2) * 3);
    for y in (0..matrix.size).step_by(2) {
        for x in 0..matrix.size {
            let top_light = !matrix.is_dark(x, y);
            // An odd size leaves the last line's lower half outside the matrix: draw it light,
            // it only widens the quiet zone.
            let bottom_light = !matrix.is_dark(x, y + 1);
            out.push(match (top_light, bottom_light) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// The code as a black-on-white PNG, `scale` pixels per module (at least 1).
pub fn render_png(data: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    let matrix = matrix(data)?;
    let scale = scale.max(1);
    let side = matrix.size as u32 * scale;
    let image = GrayImage::from_fn(side, side, |x, y| {
        if matrix.is_dark((x / scale) as usize, (y / scale) as usize) {
            Luma([0])
        } else {
            Luma([255])
        }
    });
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(image.as_raw(), side, side, image::ExtendedColorType::L8)
        .map_err(|err| QrError::Png(err.to_string()))?;
    Ok(png)
}

/// The code as a self-contained SVG: a white background and one path with the dark modules
/// (one unit per module, runs of dark modules merged), crisp at any size.
pub fn render_svg(data: &str) -> Result<String, QrError> {
    let matrix = matrix(data)?;
    let size = matrix.size;
    let mut path = String::new();
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if !matrix.is_dark(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < size && matrix.is_dark(x, y) {
                x += 1;
            }
            let run = x - start;
            let _ = write!(path, "M{start} {y}h{run}v1h-{run}z");
        }
    }
    Ok(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" "#,
            r#"width="{px}" height="{px}" shape-rendering="crispEdges">"#,
            r##"<rect width="{size}" height="{size}" fill="#fff"/>"##,
            r##"<path fill="#000" d="{path}"/></svg>"##,
            "\n"
        ),
        size = size,
        px = size * 8,
        path = path
    ))
}
