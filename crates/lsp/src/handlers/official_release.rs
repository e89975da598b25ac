//! `miniapp.officialRelease`: everyone gets it; the confirmation names the live version
//! that will be archived.

use gopay_miniapp_core::workflows::release::{self, ReleaseRef};
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

/// `{version?, targetApp?}`: the release this command acts on.
pub type Args = ReleaseRef;

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let reference: Args = cx.args()?;
    let result = release::official(
        &cx.ctx,
        &reference,
        cx.prompter.as_ref(),
        cx.reporter.as_ref(),
    )
    .await
    .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
