//! `miniapp.rollback`: the last archived version comes back on a target app (confirms,
//! naming it).

use gopay_miniapp_core::workflows::release;
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    pub target_app: Option<String>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let result = release::rollback(
        &cx.ctx,
        args.target_app.as_deref(),
        cx.prompter.as_ref(),
        cx.reporter.as_ref(),
    )
    .await
    .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
