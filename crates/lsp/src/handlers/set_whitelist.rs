//! `miniapp.setWhitelist`: user IDs → whitelist testing. The IDs are free text, which
//! `window/showMessageRequest` cannot ask for, so `users` is required.

use gopay_miniapp_core::user_ids::parse_user_ids;
use gopay_miniapp_core::workflows::release::{self, StepResult};
use gopay_miniapp_core::{Hint, Input};
use serde::Deserialize;

use super::{core_error, Command, Cx, ReleaseArgs};
use crate::commands::{ProjectUse, StringList};
use crate::errors::CommandError;

pub struct SetWhitelist;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Args {
    #[serde(flatten)]
    pub step: ReleaseArgs,
    /// Whitelist user IDs: an array, or the text as typed (separated by commas, semicolons, spaces or newlines; `#` starts a comment). Required (free text cannot be asked).
    pub users: Option<StringList>,
}

impl Command for SetWhitelist {
    const NAME: &'static str = "miniapp.setWhitelist";
    const SUMMARY: &'static str = "Set the whitelist user IDs and start whitelist testing.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = Args;
    type Result = StepResult;

    async fn run(cx: &Cx, args: Args) -> Result<StepResult, CommandError> {
        let Some(users) = args.users else {
            return Err(CommandError::invalid_params(
                gopay_miniapp_core::codes::NEEDS_INPUT,
                "the whitelist needs user IDs, and an editor cannot ask for free text",
                Hint::Provide {
                    input: Input::Users,
                },
            ));
        };
        // One parser for every front end: the text as typed, or the items joined.
        let ids = parse_user_ids(&users.items().join("\n")).map_err(|e| core_error(cx, e))?;
        release::whitelist(
            &cx.ctx,
            &args.step.release,
            ids,
            cx.prompter.as_ref(),
            cx.reporter.as_ref(),
        )
        .await
        .map_err(|e| core_error(cx, e))
    }
}
