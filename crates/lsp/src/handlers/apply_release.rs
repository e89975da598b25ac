//! `miniapp.applyRelease`: shows the release information in the confirmation, then submits
//! it for review.

use gopay_miniapp_core::workflows::release::{self, StepResult};
use serde::Deserialize;

use super::{core_error, Command, Cx, ReleaseArgs, YesArg};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct ApplyRelease;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Args {
    #[serde(flatten)]
    pub step: ReleaseArgs,
    /// Release notes for the review, where the portal takes them at Apply Release
    /// (`capabilities.releaseNotes` is `apply`). Default: the version's description. Refused
    /// on a portal that took them when the release was made (the SuperApp console).
    pub notes: Option<String>,
    #[serde(flatten)]
    pub confirm: YesArg,
}

impl Command for ApplyRelease {
    const NAME: &'static str = "miniapp.applyRelease";
    const SUMMARY: &'static str =
        "Apply Release: shows the release information, asks to confirm, submits for review.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = Args;
    type Result = StepResult;

    async fn run(cx: &Cx, args: Args) -> Result<StepResult, CommandError> {
        release::apply(
            &cx.ctx,
            &args.step.release,
            args.notes.as_deref(),
            cx.prompter.as_ref(),
            cx.reporter.as_ref(),
        )
        .await
        .map_err(|e| core_error(cx, e))
    }
}
