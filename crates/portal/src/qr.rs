//! The temporary code as a QR code: for terminals, as a PNG (editors, files) and as an SVG
//! (web views).
//!
//! Every rendering keeps the 4-module quiet zone the QR standard asks for: without it, phone
//! scanners often fail to find the code, which is half of the "QR codes that do not render in
//! terminals or IDEs" complaint. Error correction is level M (15 %), which survives the small
//! distortions of a photographed screen at a size that still fits a terminal.
//!
//! One module for every rendering (the CLI, the sidecar and the local portal's pages), each
//! drawn by the `qrcode` crate's own renderers: `unicode::Dense1x2`, `image::Luma` and `svg`.
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

use image::{ImageEncoder, Luma};
use qrcode::render::{svg, unicode::Dense1x2};
use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the code, on each side (the renderers' quiet zone for a full-size
/// code).
pub const QUIET_ZONE: usize = 4;

/// Pixels per module in the SVG's own size (it scales cleanly to any other).
const SVG_MODULE_PX: u32 = 8;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("cannot make a QR code of this text ({len} bytes): {reason}. A temporary-code deeplink is about 120 bytes; check the app and publish ids.")]
    Encode { len: usize, reason: String },
    #[error("could not encode the QR code as PNG: {0}")]
    Png(String),
}

/// The module matrix with its quiet zone: `true` is dark. Row-major, `size × size`. What the
/// renderings are checked against.
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

/// Encodes `data` in byte mode at level M.
fn encode(data: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).map_err(|err| {
        QrError::Encode {
            len: data.len(),
            reason: err.to_string(),
        }
    })
}

/// The modules of `data`'s code surrounded by the quiet zone.
pub fn matrix(data: &str) -> Result<QrMatrix, QrError> {
    let code = encode(data)?;
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

/// The code as text for a terminal (see the module doc for the polarity: the renderer's
/// colours are swapped so the light modules are the drawn ones). Every line has the same
/// number of characters and ends with `\n`. The size is odd, so the last line's lower half
/// lies below the quiet zone and is left undrawn.
pub fn render_terminal(data: &str) -> Result<String, QrError> {
    let mut text = encode(data)?
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build();
    text.push('\n');
    Ok(text)
}

/// The code as a black-on-white PNG, `scale` pixels per module (at least 1).
pub fn render_png(data: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    let scale = scale.max(1);
    let image = encode(data)?
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(scale, scale)
        .build();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::L8,
        )
        .map_err(|err| QrError::Png(err.to_string()))?;
    Ok(png)
}

/// The code as an `<svg>` element (no XML declaration, so it can be inlined in HTML or saved
/// as a file): a white background and one path of the dark modules, crisp at any size,
/// [`SVG_MODULE_PX`] units per module.
pub fn render_svg(data: &str) -> Result<String, QrError> {
    let document = encode(data)?
        .render::<svg::Color>()
        .quiet_zone(true)
        .module_dimensions(SVG_MODULE_PX, SVG_MODULE_PX)
        .build();
    let element = document
        .find("<svg")
        .map_or(&document[..], |at| &document[at..]);
    let mut svg = element.to_string();
    svg.push('\n');
    Ok(svg)
}
