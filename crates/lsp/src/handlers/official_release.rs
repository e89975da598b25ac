//! `miniapp.officialRelease`: everyone gets it; the confirmation names the live version that will be archived.

use gopay_miniapp_core::workflows::release::{self, StepResult};

use super::{core_error, Command, ConfirmedReleaseArgs, Cx};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct OfficialRelease;

impl Command for OfficialRelease {
    const NAME: &'static str = "miniapp.officialRelease";
    const SUMMARY: &'static str = "Officially release to everyone; confirms, naming the live version that will be archived.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = ConfirmedReleaseArgs;
    type Result = StepResult;

    async fn run(cx: &Cx, args: ConfirmedReleaseArgs) -> Result<StepResult, CommandError> {
        release::official(&cx.ctx, &args.step.release, cx.prompter.as_ref(), cx.reporter.as_ref())
        .await
        .map_err(|e| core_error(cx, e))
    }
}
