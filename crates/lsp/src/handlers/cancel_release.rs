//! `miniapp.cancelRelease`: asks to confirm (it cannot be undone), then cancels.

use gopay_miniapp_core::workflows::release::{self, ReleaseRef};
use gopay_miniapp_portal::Step;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

/// `{version?, targetApp?}`: the release this command acts on.
pub type Args = ReleaseRef;

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let reference: Args = cx.args()?;
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
