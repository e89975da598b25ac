//! `miniapp.temporaryCode`: the working deeplink with its QR as SVG text, PNG (base64) and
//! terminal text, so any editor can show it.

use base64::Engine;
use gopay_miniapp_core::qr;
use gopay_miniapp_core::workflows::release::{self, ReleaseRef};
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

/// Pixels per QR module in the PNG.
pub const PNG_SCALE: u32 = 8;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(flatten)]
    pub release: ReleaseRef,
    pub path: Option<String>,
    pub format: Option<String>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let format = args
        .format
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase);
    if let Some(f) = &format {
        if !matches!(f.as_str(), "svg" | "png" | "terminal" | "url") {
            return Err(CommandError::invalid_params(
                "invalid_params",
                format!("`format` {f} is not svg, png, terminal or url"),
                "leave `format` out to get every rendering",
            ));
        }
    }
    let reference = args.release.clone();
    let code = release::temporary_code(&cx.ctx, &reference, args.path, cx.prompter.as_ref())
        .await
        .map_err(|e| core_error(cx, e))?;
    let mut value = to_value(&code)?;
    let wants = |f: &str| format.as_deref().is_none_or(|w| w == f);
    let qr_error = |e: qr::QrError| {
        CommandError::new(
            crate::errors::REQUEST_FAILED,
            "qr_failed",
            e.to_string(),
            "use the deeplink itself",
        )
    };
    if wants("svg") {
        value["svg"] = Value::String(qr::render_svg(&code.deeplink).map_err(qr_error)?);
    }
    if wants("png") {
        let png = qr::render_png(&code.deeplink, PNG_SCALE).map_err(qr_error)?;
        value["pngBase64"] = Value::String(base64::engine::general_purpose::STANDARD.encode(png));
    }
    if wants("terminal") {
        value["terminal"] = Value::String(qr::render_terminal(&code.deeplink).map_err(qr_error)?);
    }
    Ok(value)
}
