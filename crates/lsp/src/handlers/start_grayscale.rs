//! `miniapp.startGrayscale`: start grayscale or raise its ratio. Without `ratio`, the
//! choices are the usual steps above the current ratio.

use gopay_miniapp_core::events::Prompter;
use gopay_miniapp_core::workflows::release::{self, ReleaseRef, StepResult};
use gopay_miniapp_core::{Hint, Input};
use gopay_miniapp_portal::{ReleaseState, Step};
use serde::Deserialize;

use super::{core_error, Command, Cx, ReleaseArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

/// Offered when `ratio` is not given.
pub const RATIO_CHOICES: &[u8] = &[1, 5, 10, 25, 50, 100];

pub struct StartGrayscale;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Args {
    #[serde(flatten)]
    pub step: ReleaseArgs,
    /// Grayscale ratio in percent, 1–100, only up. Default: asked from 1, 5, 10, 25, 50, 100 above the current ratio.
    pub ratio: Option<i64>,
}

impl Command for StartGrayscale {
    const NAME: &'static str = "miniapp.startGrayscale";
    const SUMMARY: &'static str = "Start grayscale or raise its ratio (1–100, only up).";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = Args;
    type Result = StepResult;

    async fn run(cx: &Cx, args: Args) -> Result<StepResult, CommandError> {
        let mut reference = args.step.release;
        let ratio = match args.ratio {
            Some(ratio) => ratio,
            None => ask_ratio(cx, &mut reference).await?,
        };
        release::grayscale(
            &cx.ctx,
            &reference,
            ratio,
            cx.prompter.as_ref(),
            cx.reporter.as_ref(),
        )
        .await
        .map_err(|e| core_error(cx, e))
    }
}

/// Finds the release first (asking for what is missing, and pinning `reference` to it), then
/// offers the ratios above its current one.
async fn ask_ratio(cx: &Cx, reference: &mut ReleaseRef) -> Result<i64, CommandError> {
    let resolved = release::resolve(&cx.ctx, reference, cx.prompter.as_ref())
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
            gopay_miniapp_core::codes::INVALID,
            format!("the grayscale ratio is {current}% already"),
            Hint::TakeStep {
                steps: vec![Step::Official],
                version: None,
                target_app: None,
            },
        ));
    }
    let labels: Vec<String> = choices.iter().map(|r| format!("{r}%")).collect();
    let question = format!(
        "Grayscale ratio for {} on \"{}\" (now {current}%)?",
        resolved.version.version, resolved.target.name
    );
    let index = cx
        .prompter
        .choose(&question, &labels, Input::Ratio)
        .await
        .map_err(|e| core_error(cx, e))?;
    Ok(choices[index] as i64)
}
