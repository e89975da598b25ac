//! `miniapp.temporaryCode`: the working deeplink with its QR as SVG text, PNG (base64) and
//! terminal text, so any editor can show it.

use base64::Engine;
use gopay_miniapp_core::qr;
use gopay_miniapp_core::workflows::release::{self, TemporaryCodeResult};
use gopay_miniapp_core::Hint;
use serde::{Deserialize, Serialize};

use super::{core_error, Command, Cx, ReleaseArgs};
use crate::commands::ProjectUse;
use crate::errors::{codes, CommandError};

/// Pixels per QR module in the PNG.
pub const PNG_SCALE: u32 = 8;

pub struct TemporaryCode;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Args {
    #[serde(flatten)]
    pub step: ReleaseArgs,
    /// A page in the MiniApp to open (`mini_app_path` of the deeplink).
    pub path: Option<String>,
    /// Only this rendering of the QR: `svg`, `png`, `terminal` or `url`. Default: all of them.
    pub format: Option<String>,
}

/// The temporary code (CLI `qr --json`) and the QR's renderings asked for.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryCodeView {
    #[serde(flatten)]
    pub code: TemporaryCodeResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub svg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub png_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminal: Option<String>,
}

impl Command for TemporaryCode {
    const NAME: &'static str = "miniapp.temporaryCode";
    const SUMMARY: &'static str =
        "The temporary code: the working deeplink and its QR (SVG, PNG, terminal text).";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = false;
    type Args = Args;
    type Result = TemporaryCodeView;

    async fn run(cx: &Cx, args: Args) -> Result<TemporaryCodeView, CommandError> {
        let format = args
            .format
            .as_deref()
            .map(str::trim)
            .map(str::to_ascii_lowercase);
        if let Some(f) = &format {
            if !matches!(f.as_str(), "svg" | "png" | "terminal" | "url") {
                return Err(CommandError::invalid_params(
                    codes::INVALID_PARAMS,
                    format!("`format` {f} is not svg, png, terminal or url; leave it out to get every rendering"),
                    Hint::CheckArguments,
                ));
            }
        }
        let code = release::temporary_code(&cx.ctx, &args.step.release, args.path, cx.prompter.as_ref())
            .await
            .map_err(|e| core_error(cx, e))?;
        let wants = |f: &str| format.as_deref().is_none_or(|w| w == f);
        let qr_error = |e: qr::QrError| {
            CommandError::new(
                crate::errors::REQUEST_FAILED,
                codes::QR_FAILED,
                e.to_string(),
                Hint::UseDeeplink,
            )
        };
        let deeplink = code.deeplink.clone();
        Ok(TemporaryCodeView {
            svg: wants("svg")
                .then(|| qr::render_svg(&deeplink))
                .transpose()
                .map_err(qr_error)?,
            png_base64: wants("png")
                .then(|| qr::render_png(&deeplink, PNG_SCALE))
                .transpose()
                .map_err(qr_error)?
                .map(|png| base64::engine::general_purpose::STANDARD.encode(png)),
            terminal: wants("terminal")
                .then(|| qr::render_terminal(&deeplink))
                .transpose()
                .map_err(qr_error)?,
            code,
        })
    }
}
