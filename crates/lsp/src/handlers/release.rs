//! `miniapp.release`: a version to a target app (→ Not submitted); both asked if absent.

use gopay_miniapp_core::workflows::release::{self, ReleaseOptions, StepResult};
use gopay_miniapp_core::Hint;
use gopay_miniapp_portal::Step;
use serde::Deserialize;

use super::{core_error, Command, Cx, ReleaseArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct Release;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Args {
    #[serde(flatten)]
    pub step: ReleaseArgs,
    /// Release notes for the reviewer, where the portal takes them when the release is made
    /// (`capabilities.releaseNotes` is `release`; default: the version's description).
    /// Refused on a portal that takes them at Apply Release.
    pub notes: Option<String>,
    /// The step the client takes right after, by its id (`temporary_code`): checked against
    /// the portal's capabilities first, so a step it lacks fails before the release is made.
    pub then: Option<String>,
}

impl Command for Release {
    const NAME: &'static str = "miniapp.release";
    const SUMMARY: &'static str = "Release a version to a target app (→ Not submitted).";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = Args;
    type Result = StepResult;

    async fn run(cx: &Cx, args: Args) -> Result<StepResult, CommandError> {
        let then = match args.then.as_deref() {
            None => None,
            Some(id) => Some(
                Step::ALL
                    .into_iter()
                    .find(|s| s.as_str() == id)
                    .ok_or_else(|| {
                        CommandError::invalid_params(
                            gopay_miniapp_core::codes::INVALID,
                            format!(
                                "`then` is not a step id: `{}` (e.g. temporary_code)",
                                gopay_miniapp_guard::text::Line(id)
                            ),
                            Hint::None,
                        )
                    })?,
            ),
        };
        let options = ReleaseOptions {
            notes: args.notes.as_deref(),
            then,
        };
        release::release(
            &cx.ctx,
            &args.step.release,
            &options,
            cx.prompter.as_ref(),
            cx.reporter.as_ref(),
        )
        .await
        .map_err(|e| core_error(cx, e))
    }
}
