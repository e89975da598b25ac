//! `miniapp.release`: a version to a target app (→ Not submitted); both asked if absent.

use gopay_miniapp_core::workflows::release::{self, StepResult};

use super::{core_error, Command, Cx, ReleaseArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct Release;

impl Command for Release {
    const NAME: &'static str = "miniapp.release";
    const SUMMARY: &'static str = "Release a version to a target app (→ Not submitted).";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = ReleaseArgs;
    type Result = StepResult;

    async fn run(cx: &Cx, args: ReleaseArgs) -> Result<StepResult, CommandError> {
        release::release(&cx.ctx, &args.release, cx.prompter.as_ref(), cx.reporter.as_ref())
        .await
        .map_err(|e| core_error(cx, e))
    }
}
