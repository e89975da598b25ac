//! `miniapp.setWhitelist`: user IDs → whitelist testing. The IDs are free text, which
//! `window/showMessageRequest` cannot ask for, so `users` is required.

use gopay_miniapp_core::workflows::release::{self, ReleaseRef};
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

/// An array of IDs, or one comma-separated string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Users {
    List(Vec<String>),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(flatten)]
    pub release: ReleaseRef,
    pub users: Option<Users>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let text = match args.users {
        Some(Users::List(ids)) => ids.join(","),
        Some(Users::Text(text)) => text,
        None => String::new(),
    };
    let ids = release::parse_user_ids(&text);
    if ids.is_empty() {
        return Err(CommandError::invalid_params(
            "needs_input",
            "the whitelist needs user IDs, and an editor cannot ask for free text",
            "pass `users`: [\"ID\", …] or \"ID,ID\"",
        ));
    }
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
