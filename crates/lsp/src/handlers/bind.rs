//! `miniapp.bind`: space and app by name or id, else asked; rebinding asks Yes/No first.

use gopay_miniapp_core::workflows::bind;
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    pub space: Option<String>,
    pub app: Option<String>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let result = bind::bind(
        &cx.ctx,
        args.space.as_deref(),
        args.app.as_deref(),
        cx.prompter.as_ref(),
        cx.reporter.as_ref(),
    )
    .await
    .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
