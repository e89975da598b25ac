//! `miniapp.cancelRelease`: asks to confirm (it cannot be undone), then cancels.

use gopay_miniapp_core::workflows::release::{self, ReleaseRef, StepResult};
use gopay_miniapp_portal::Step;
use serde::Deserialize;

use super::{core_error, Command, Cx, SessionArgs, YesArg};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct CancelRelease;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Args {
    #[serde(flatten)]
    pub session: SessionArgs,
    #[serde(flatten)]
    pub release: ReleaseRef,
    #[serde(flatten)]
    pub confirm: YesArg,
}

impl Command for CancelRelease {
    const NAME: &'static str = "miniapp.cancelRelease";
    const SUMMARY: &'static str = "Cancel a release (confirms).";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = Args;
    type Result = StepResult;

    async fn run(cx: &Cx, args: Args) -> Result<StepResult, CommandError> {
        release::simple_step(&cx.ctx, &args.release, Step::Cancel, cx.prompter.as_ref(), cx.reporter.as_ref())
        .await
        .map_err(|e| core_error(cx, e))
    }
}
