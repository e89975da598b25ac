//! `miniapp.checkUserIds`: the whitelist's user IDs parsed exactly as `miniapp.setWhitelist`
//! will parse them, and nothing sent anywhere. Editors validate their input box with it, so
//! the one parser (`gopay_miniapp_core::user_ids`) decides what is an ID in every front end.

use gopay_miniapp_core::user_ids::{parse_user_ids, UserIds};
use serde::Deserialize;

use super::{core_error, Command, Cx};
use crate::commands::{ProjectUse, StringList};
use crate::errors::CommandError;

pub struct CheckUserIds;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Args {
    /// Whitelist user IDs: an array, or the text as typed (separated by commas, semicolons, spaces or newlines; `#` starts a comment).
    pub users: Option<StringList>,
}

impl Command for CheckUserIds {
    const NAME: &'static str = "miniapp.checkUserIds";
    const SUMMARY: &'static str = "Parse whitelist user IDs exactly as `miniapp.setWhitelist` will (for validating an input box as the user types); nothing is sent to the portal.";
    const PROJECT: ProjectUse = ProjectUse::Optional;
    const MUTATING: bool = false;
    type Args = Args;
    type Result = UserIds;

    async fn run(cx: &Cx, args: Args) -> Result<UserIds, CommandError> {
        let text = args.users.map(|u| u.items().join("\n")).unwrap_or_default();
        parse_user_ids(&text).map_err(|e| core_error(cx, e))
    }
}
