//! `miniapp.waitForReview`: polls until the target-app admin approves or rejects, with
//! progress; cancellable. A rejection is a result (`approved: false`, with the reason).

use std::time::Duration;

use gopay_miniapp_core::workflows::release::{self, WaitResult};
use serde::Deserialize;

use super::{core_error, Command, Cx, ReleaseArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct WaitForReview;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Args {
    #[serde(flatten)]
    pub step: ReleaseArgs,
    /// Give up after this many seconds. Default: wait until cancelled.
    pub timeout: Option<u64>,
}

impl Command for WaitForReview {
    const NAME: &'static str = "miniapp.waitForReview";
    const SUMMARY: &'static str =
        "Wait until the target-app admin approves or rejects (progress, cancellable).";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    const PROGRESS: Option<&'static str> = Some("Waiting for the review");
    type Args = Args;
    type Result = WaitResult;

    async fn run(cx: &Cx, args: Args) -> Result<WaitResult, CommandError> {
        release::wait(
            &cx.ctx,
            &args.step.release,
            args.timeout.map(Duration::from_secs),
            cx.prompter.as_ref(),
            cx.reporter.as_ref(),
            &cx.cancel,
        )
        .await
        .map_err(|e| core_error(cx, e))
    }
}
