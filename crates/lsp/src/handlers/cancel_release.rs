//! `miniapp.cancelRelease`: asks to confirm (it cannot be undone), then cancels.

use gopay_miniapp_core::workflows::release::{self, StepResult};
use gopay_miniapp_portal::Step;

use super::{core_error, Command, ConfirmedReleaseArgs, Cx};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct CancelRelease;

impl Command for CancelRelease {
    const NAME: &'static str = "miniapp.cancelRelease";
    const SUMMARY: &'static str = "Cancel a release (confirms).";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = ConfirmedReleaseArgs;
    type Result = StepResult;

    async fn run(cx: &Cx, args: ConfirmedReleaseArgs) -> Result<StepResult, CommandError> {
        release::simple_step(&cx.ctx, &args.step.release, Step::Cancel, cx.prompter.as_ref(), cx.reporter.as_ref())
        .await
        .map_err(|e| core_error(cx, e))
    }
}
