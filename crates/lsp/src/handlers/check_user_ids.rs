//! `miniapp.checkUserIds`: the whitelist's user IDs parsed exactly as `miniapp.setWhitelist`
//! will parse them, and nothing sent anywhere. Editors validate their input box with it, so
//! the one parser (`gopay_miniapp_core::user_ids`) decides what is an ID in every front end.

use gopay_miniapp_core::user_ids::parse_user_ids;
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    pub users: Option<super::StringList>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let text = args.users.map(|u| u.items().join("\n")).unwrap_or_default();
    let ids = parse_user_ids(&text).map_err(|e| core_error(cx, e))?;
    to_value(&ids)
}
