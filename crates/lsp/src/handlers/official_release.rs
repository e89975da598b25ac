//! `miniapp.officialRelease`: everyone gets it; the confirmation names the live version that will be archived.

use gopay_miniapp_core::workflows::release::{self, ReleaseRef, StepResult};
use serde::Deserialize;

use super::{core_error, Command, Cx, SessionArgs, YesArg};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct OfficialRelease;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Args {
    #[serde(flatten)]
    pub session: SessionArgs,
    #[serde(flatten)]
    pub release: ReleaseRef,
    #[serde(flatten)]
    pub confirm: YesArg,
}

impl Command for OfficialRelease {
    const NAME: &'static str = "miniapp.officialRelease";
    const SUMMARY: &'static str = "Officially release to everyone; confirms, naming the live version that will be archived.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = Args;
    type Result = StepResult;

    async fn run(cx: &Cx, args: Args) -> Result<StepResult, CommandError> {
        release::official(&cx.ctx, &args.release, cx.prompter.as_ref(), cx.reporter.as_ref())
        .await
        .map_err(|e| core_error(cx, e))
    }
}
