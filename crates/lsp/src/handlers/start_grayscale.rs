//! `miniapp.startGrayscale`: start grayscale or raise its ratio. Without `ratio`, the
//! choices are the usual steps above the current ratio.

use gopay_miniapp_core::events::Prompter;
use gopay_miniapp_core::workflows::release::{self, ReleaseRef};
use gopay_miniapp_portal::ReleaseState;
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

/// Offered when `ratio` is not given.
pub const RATIO_CHOICES: &[u8] = &[1, 5, 10, 25, 50, 100];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(flatten)]
    pub release: ReleaseRef,
    pub ratio: Option<i64>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let mut reference = args.release.clone();
    let ratio = match args.ratio {
        Some(ratio) => ratio,
        None => {
            // Find the release first (asking for what is missing), then offer ratios above
            // its current one.
            let resolved = release::resolve(&cx.ctx, &reference, cx.prompter.as_ref())
                .await
                .map_err(|e| core_error(cx, e))?;
            let current = resolved
                .release
                .as_ref()
                .filter(|r| r.state == ReleaseState::Grayscale)
                .and_then(|r| r.ratio)
                .unwrap_or(0);
            reference.version = Some(resolved.version.version.to_string());
            reference.target_app = Some(resolved.target.id.clone());
            let choices: Vec<u8> = RATIO_CHOICES
                .iter()
                .copied()
                .filter(|r| *r > current)
                .collect();
            if choices.is_empty() {
                return Err(CommandError::invalid_params(
                    "invalid",
                    format!("the grayscale ratio is {current}% already"),
                    crate::words::hint(&gopay_miniapp_core::Hint::TakeStep {
                        steps: vec![gopay_miniapp_portal::Step::Official],
                        version: None,
                        target_app: None,
                    }),
                ));
            }
            let labels: Vec<String> = choices.iter().map(|r| format!("{r}%")).collect();
            let question = format!(
                "Grayscale ratio for {} on \"{}\" (now {current}%)?",
                resolved.version.version, resolved.target.name
            );
            let index = cx
                .prompter
                .choose(&question, &labels, gopay_miniapp_core::Input::Ratio)
                .await
                .map_err(|e| core_error(cx, e))?;
            choices[index] as i64
        }
    };
    let result = release::grayscale(
        &cx.ctx,
        &reference,
        ratio,
        cx.prompter.as_ref(),
        cx.reporter.as_ref(),
    )
    .await
    .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
