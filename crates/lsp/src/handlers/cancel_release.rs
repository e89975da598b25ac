//! `miniapp.cancelRelease`: asks to confirm (it cannot be undone), then cancels.

use gopay_miniapp_core::workflows::release::{self, ReleaseRef};
use gopay_miniapp_portal::Step;
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    pub version: Option<String>,
    pub target_app: Option<String>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let reference = ReleaseRef {
        version: args.version,
        target_app: args.target_app,
    };
    let result = release::simple_step(
        &cx.ctx,
        &reference,
        Step::Cancel,
        cx.prompter.as_ref(),
        cx.reporter.as_ref(),
    )
    .await
    .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
