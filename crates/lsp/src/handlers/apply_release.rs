//! `miniapp.applyRelease`: shows the release information in the confirmation, then submits
//! it for review.

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
    pub notes: Option<String>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let reference = args.release.clone();
    let result = release::apply(
        &cx.ctx,
        &reference,
        args.notes.as_deref(),
        cx.prompter.as_ref(),
        cx.reporter.as_ref(),
    )
    .await
    .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
