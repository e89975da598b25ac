//! `miniapp.setWhitelist`: user IDs → whitelist testing. The IDs are free text, which
//! `window/showMessageRequest` cannot ask for, so `users` is required.

use gopay_miniapp_core::user_ids::parse_user_ids;
use gopay_miniapp_core::workflows::release::{self, ReleaseRef};
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(flatten)]
    pub release: ReleaseRef,
    pub users: Option<super::StringList>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let Some(users) = args.users else {
        return Err(CommandError::invalid_params(
            "needs_input",
            "the whitelist needs user IDs, and an editor cannot ask for free text",
            "pass `users`: [\"ID\", …] or \"ID,ID\"",
        ));
    };
    // One parser for every front end: the text as typed, or the items joined.
    let ids = parse_user_ids(&users.items().join("\n")).map_err(|e| core_error(cx, e))?;
    let reference = args.release.clone();
    let result = release::whitelist(
        &cx.ctx,
        &reference,
        ids,
        cx.prompter.as_ref(),
        cx.reporter.as_ref(),
    )
    .await
    .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
