//! `miniapp.listApps`: the MiniApps of `space`, else of the bound space, else of the one
//! chosen.

use gopay_miniapp_core::workflows::catalog;
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    pub space: Option<String>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let result = catalog::apps(&cx.ctx, args.space.as_deref(), cx.prompter.as_ref())
        .await
        .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
