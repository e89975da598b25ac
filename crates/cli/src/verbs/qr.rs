//! `qr`: the temporary code — a QR with the working deeplink, on the terminal, as a URL, or
//! written as PNG or SVG.

use std::path::PathBuf;

use gopay_miniapp_core::error::exit;
use gopay_miniapp_core::project::own_files;
use gopay_miniapp_core::workflows::release::{self, DryRunOf, TemporaryCodeResult};
use gopay_miniapp_core::{qr, CoreError, Hint};
use gopay_miniapp_guard::files;

use super::Cx;
use crate::args::{QrArgs, QrFormat};
use crate::output;

pub async fn run(cx: &Cx, args: QrArgs) -> i32 {
    let at = args.release.reference();
    if args.dry.dry_run {
        let path = args.path.as_deref();
        return cx.dry_run(&at, DryRunOf::TemporaryCode { path }).await;
    }
    let result = release::temporary_code(&cx.ctx, &at, args.path.clone(), &cx.prompter).await;
    let code = match result {
        Ok(code) => code,
        Err(e) => return cx.fail(e),
    };
    let written = match args.format {
        QrFormat::Png | QrFormat::Svg => match write_image(cx, &args, &code) {
            Ok(out) => Some(out),
            Err(e) => return cx.fail(e),
        },
        _ => None,
    };
    if cx.json {
        let mut value = serde_json::to_value(&code).expect("serializable");
        if let Some(out) = &written {
            value["file"] = serde_json::Value::String(out.display().to_string());
        }
        output::json(&value);
        return exit::OK;
    }
    match args.format {
        QrFormat::Url => sayln!("{}", code.deeplink),
        QrFormat::Terminal => match qr::render_terminal(&code.deeplink) {
            Ok(art) => {
                sayln!("{art}");
                sayln!("{}", code.deeplink);
                sayln!(
                    "Temporary code for {} on \"{}\", expires {}",
                    code.version,
                    code.target_app,
                    code.expires_at
                );
            }
            Err(e) => {
                return cx.fail(CoreError::invalid(
                    format!("{e} (use --format url)"),
                    Hint::None,
                ))
            }
        },
        QrFormat::Png | QrFormat::Svg => {
            let out = written.expect("written above");
            sayln!(
                "Wrote {}\n{}\nExpires {}",
                out.display(),
                code.deeplink,
                code.expires_at
            );
        }
    }
    exit::OK
}

/// The QR as PNG or SVG in `--out` (default `qr-<version>.<format>`).
fn write_image(cx: &Cx, args: &QrArgs, code: &TemporaryCodeResult) -> Result<PathBuf, CoreError> {
    let png = args.format == QrFormat::Png;
    let ext = if png { "png" } else { "svg" };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("qr-{}.{ext}", code.version)));
    let bytes = if png {
        qr::render_png(&code.deeplink, 8).map_err(|e| e.to_string())
    } else {
        qr::render_svg(&code.deeplink)
            .map(String::into_bytes)
            .map_err(|e| e.to_string())
    };
    let bytes = bytes
        .map_err(|e| CoreError::invalid(format!("cannot draw the QR: {e}"), Hint::UseDeeplink))?;
    // The write policy: never the project's own files, nor (unless --force) a file that is
    // not of this format; written atomically, keeping an existing image's mode.
    let kind = if png { files::PNG } else { files::SVG };
    let project = &cx.ctx.project;
    let real = files::check_output(&out, project, &own_files(project), kind, args.force)?;
    files::replace(&real, Some(parent(&real)), &bytes, files::Permissions::Keep)?;
    Ok(out)
}

/// The folder of a file being written (where its temporary file goes).
fn parent(path: &std::path::Path) -> &std::path::Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    }
}
