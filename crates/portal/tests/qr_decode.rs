//! Every QR rendering is decoded back with a real decoder (rqrr) to the deeplink it encodes.

use std::process::Command;

use gopay_miniapp_portal::qr::{self, QrError, QUIET_ZONE};

const DEEPLINK: &str = "gopay://mini-app/windvane?app_id=3000000000000001&publish_id=5000000000000007&mini_app_path=pages%2Findex";
const STAGING_DEEPLINK: &str =
    "gopaystaging://mini-app/windvane?app_id=3000000000000001&publish_id=5000000000000042";

/// Decodes a greyscale bitmap (0 = dark) and returns the single code's content.
fn decode(width: usize, height: usize, pixel: impl Fn(usize, usize) -> u8) -> String {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, pixel);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code is found");
    grids[0].decode().expect("the code decodes").1
}

#[test]
fn the_png_decodes_to_the_deeplink() {
    for data in [DEEPLINK, STAGING_DEEPLINK] {
        let png = qr::render_png(data, 6).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let image = image::load_from_memory(&png).unwrap().to_luma8();
        let matrix = qr::matrix(data).unwrap();
        assert_eq!(image.width() as usize, matrix.size * 6);
        // The quiet zone is white.
        assert!((0..image.width()).all(|x| image.get_pixel(x, 0).0[0] == 255));
        let decoded = decode(image.width() as usize, image.height() as usize, |x, y| {
            image.get_pixel(x as u32, y as u32).0[0]
        });
        assert_eq!(decoded, data);
    }
}

/// Turns terminal text back into pixels the way a dark terminal shows it: the block halves are
/// the (light) foreground, spaces the (dark) background.
fn terminal_to_pixels(text: &str, pixels_per_module: usize) -> (usize, usize, Vec<u8>) {
    let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let columns = lines[0].len();
    assert!(
        lines.iter().all(|l| l.len() == columns),
        "every line has the same width"
    );
    let (width, height) = (
        columns * pixels_per_module,
        lines.len() * 2 * pixels_per_module,
    );
    let mut pixels = vec![0u8; width * height];
    for (row, line) in lines.iter().enumerate() {
        for (column, character) in line.iter().enumerate() {
            let (top_light, bottom_light) = match character {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                ' ' => (false, false),
                other => panic!("unexpected character {other:?} in the terminal rendering"),
            };
            for (half, light) in [(0, top_light), (1, bottom_light)] {
                let module_y = row * 2 + half;
                for dy in 0..pixels_per_module {
                    for dx in 0..pixels_per_module {
                        let (x, y) = (
                            column * pixels_per_module + dx,
                            module_y * pixels_per_module + dy,
                        );
                        pixels[y * width + x] = if light { 255 } else { 0 };
                    }
                }
            }
        }
    }
    (width, height, pixels)
}

#[test]
fn the_terminal_rendering_decodes_to_the_deeplink() {
    let text = qr::render_terminal(DEEPLINK).unwrap();
    assert!(text.ends_with('\n'));
    assert!(!text.contains('\x1b'), "plain characters, no ANSI escapes");
    let matrix = qr::matrix(DEEPLINK).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        matrix.size.div_ceil(2),
        "two module rows per line"
    );
    // The quiet zone: the first QUIET_ZONE/2 lines are all light, every line starts and ends
    // with QUIET_ZONE light columns.
    for line in &lines[..QUIET_ZONE / 2] {
        assert!(line.chars().all(|c| c == '█'), "{line}");
    }
    // The size is odd: the last line's lower half lies outside the matrix (undrawn).
    let (last, full) = lines.split_last().unwrap();
    for line in full {
        let chars: Vec<char> = line.chars().collect();
        assert_eq!(chars.len(), matrix.size);
        assert!(chars[..QUIET_ZONE]
            .iter()
            .chain(&chars[chars.len() - QUIET_ZONE..])
            .all(|&c| c == '█'));
    }
    assert_eq!(matrix.size % 2, 1);
    assert!(last.chars().all(|c| c == '▀'), "{last}");
    let (width, height, pixels) = terminal_to_pixels(&text, 4);
    assert_eq!(
        decode(width, height, |x, y| pixels[y * width + x]),
        DEEPLINK
    );
}

/// Reads the SVG's one path (the renderer's `M{x} {y}h{w}v{h}H{x}V{y}` per rectangle, in
/// `px` units per module) back into a module matrix.
fn svg_modules(svg: &str, size: usize, px: usize) -> Vec<bool> {
    assert_eq!(svg.matches("<path").count(), 1, "one path");
    let start = svg.find(" d=\"").unwrap() + 4;
    let d = &svg[start..start + svg[start..].find('"').unwrap()];
    let mut dark = vec![false; size * size];
    for rect in d.split('M').filter(|r| !r.is_empty()) {
        let n: Vec<usize> = rect
            .split([' ', 'h', 'v', 'H', 'V'])
            .map(|n| n.parse().expect("a number"))
            .collect();
        let [x, y, w, h, x_again, y_again] = n[..] else {
            panic!("a rectangle `M x y h w v h H x V y`, not {rect:?}");
        };
        assert_eq!((x, y), (x_again, y_again));
        assert!(
            x % px == 0 && y % px == 0 && w % px == 0 && h % px == 0,
            "{rect}"
        );
        for my in y / px..(y + h) / px {
            for mx in x / px..(x + w) / px {
                dark[my * size + mx] = true;
            }
        }
    }
    dark
}

#[test]
fn the_svg_is_well_formed_and_draws_the_same_modules() {
    let svg = qr::render_svg(DEEPLINK).unwrap();
    let matrix = qr::matrix(DEEPLINK).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    let px = 8;
    assert!(svg.contains(&format!("viewBox=\"0 0 {0} {0}\"", matrix.size * px)));
    let modules = svg_modules(&svg, matrix.size, px);
    assert_eq!(
        modules, matrix.dark,
        "the path draws exactly the dark modules"
    );

    // A real XML parser accepts it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("code.svg");
    std::fs::write(&file, &svg).unwrap();
    let status = Command::new("python3")
        .arg("-c")
        .arg("import sys, xml.etree.ElementTree as ET; root = ET.parse(sys.argv[1]).getroot(); assert root.tag.endswith('svg'), root.tag")
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success(), "the SVG is well-formed XML");

    // Rasterised (black runs on white), it decodes.
    let scale = 5;
    let width = matrix.size * scale;
    let decoded = decode(width, width, |x, y| {
        if modules[(y / scale) * matrix.size + x / scale] {
            0
        } else {
            255
        }
    });
    assert_eq!(decoded, DEEPLINK);
}

#[test]
fn text_too_long_for_a_qr_code_is_a_clear_error() {
    let long = "x".repeat(5000);
    let err = qr::render_terminal(&long).unwrap_err();
    assert!(matches!(err, QrError::Encode { len: 5000, .. }), "{err:?}");
    assert!(err.to_string().contains("5000 bytes"), "{err}");
}
