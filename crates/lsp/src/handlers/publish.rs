//! `miniapp.publish`: latest version → bump package.json → build → pack → upload, with
//! progress. Cancelling kills the build, restores package.json and abandons the upload
//! (core does all three); the answer comes after that.

use gopay_miniapp_core::workflows::publish::{self, BumpSpec, PublishOptions, PublishResult};
use serde::Deserialize;

use super::{core_error, Command, Cx, SessionArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct Publish;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(flatten)]
    pub session: SessionArgs,
    /// `patch`, `minor`, `major` or an exact `x.y.z`. Default: the binding's bump (patch).
    pub bump: Option<BumpSpec>,
    /// The version's description. Default: the subject of the project's last git commit,
    /// else "Published with gopay-miniapp x.y.z" (`miniapp.publishDescription` tells which).
    pub description: Option<String>,
    /// Say what would be done and pack the output folder as it is now: no version is
    /// written, nothing is built or uploaded.
    #[serde(default)]
    pub dry_run: bool,
    /// Pack the output folder as it is.
    #[serde(default)]
    pub no_build: bool,
    /// Pack files that look like secrets instead of refusing.
    #[serde(default)]
    pub allow_secrets: bool,
    /// Publish a package identical to the latest version without asking (`yes` does not
    /// answer that question).
    #[serde(default)]
    pub allow_identical: bool,
}

impl Command for Publish {
    const NAME: &'static str = "miniapp.publish";
    const SUMMARY: &'static str = "Latest version → bump package.json (and package-lock.json) → build → pack → upload. One per project at a time; cancelling restores both files.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    const PROGRESS: Option<&'static str> = Some("Publishing");
    type Args = Args;
    type Result = PublishResult;

    async fn run(cx: &Cx, args: Args) -> Result<PublishResult, CommandError> {
        let options = PublishOptions {
            bump: args.bump,
            description: args.description,
            no_build: args.no_build,
            dry_run: args.dry_run,
            allow_secrets: args.allow_secrets,
            allow_identical: args.allow_identical,
        };
        let result = publish::publish(
            &cx.ctx,
            &options,
            cx.reporter.as_ref(),
            cx.prompter.as_ref(),
            &cx.cancel,
        )
            .await
            .map_err(|e| core_error(cx, e))?;
        if let Some(recovery) = &result.recovered {
            crate::status::announce_recovery(&cx.shared, &cx.ctx.project, recovery);
        }
        Ok(result)
    }
}
