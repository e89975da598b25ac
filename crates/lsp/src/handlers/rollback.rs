//! `miniapp.rollback`: the last archived version comes back on a target app (confirms,
//! naming it).

use gopay_miniapp_core::workflows::release::{self, StepResult};
use serde::Deserialize;

use super::{core_error, Command, Cx, SessionArgs, YesArg};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct Rollback;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(flatten)]
    pub session: SessionArgs,
    /// Target app name or id ("GoPay", "GoPay Staging"). Default: asked.
    pub target_app: Option<String>,
    #[serde(flatten)]
    pub confirm: YesArg,
}

impl Command for Rollback {
    const NAME: &'static str = "miniapp.rollback";
    const SUMMARY: &'static str =
        "Bring back the last archived version on a target app (confirms, naming it).";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = Args;
    type Result = StepResult;

    async fn run(cx: &Cx, args: Args) -> Result<StepResult, CommandError> {
        release::rollback(
            &cx.ctx,
            args.target_app.as_deref(),
            cx.prompter.as_ref(),
            cx.reporter.as_ref(),
        )
        .await
        .map_err(|e| core_error(cx, e))
    }
}
