//! `miniapp.withdrawRelease`: out of review, back to Not submitted.

use gopay_miniapp_core::workflows::release::{self, StepResult};
use gopay_miniapp_portal::Step;

use super::{core_error, Command, Cx, ReleaseArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct WithdrawRelease;

impl Command for WithdrawRelease {
    const NAME: &'static str = "miniapp.withdrawRelease";
    const SUMMARY: &'static str = "Take a release out of review.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = ReleaseArgs;
    type Result = StepResult;

    async fn run(cx: &Cx, args: ReleaseArgs) -> Result<StepResult, CommandError> {
        release::simple_step(&cx.ctx, &args.release, Step::Withdraw, cx.prompter.as_ref(), cx.reporter.as_ref())
        .await
        .map_err(|e| core_error(cx, e))
    }
}
