//! `miniapp.withdrawRelease`: out of review, back to Version Creation.

use gopay_miniapp_core::workflows::release::{self, ReleaseRef, StepResult};
use gopay_miniapp_portal::Step;
use serde::Deserialize;

use super::{core_error, Command, Cx, SessionArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct WithdrawRelease;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Args {
    #[serde(flatten)]
    pub session: SessionArgs,
    #[serde(flatten)]
    pub release: ReleaseRef,
}

impl Command for WithdrawRelease {
    const NAME: &'static str = "miniapp.withdrawRelease";
    const SUMMARY: &'static str = "Take a release out of review.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = Args;
    type Result = StepResult;

    async fn run(cx: &Cx, args: Args) -> Result<StepResult, CommandError> {
        release::simple_step(&cx.ctx, &args.release, Step::Withdraw, cx.prompter.as_ref(), cx.reporter.as_ref())
        .await
        .map_err(|e| core_error(cx, e))
    }
}
