//! `miniapp.waitForReview`: polls until the target-app admin approves or rejects, with
//! progress; cancellable. A rejection is a result (`approved: false`, with the reason).

use std::time::Duration;

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
    pub timeout: Option<u64>,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let reference = args.release.clone();
    let result = release::wait(
        &cx.ctx,
        &reference,
        args.timeout.map(Duration::from_secs),
        cx.prompter.as_ref(),
        cx.reporter.as_ref(),
        &cx.cancel,
    )
    .await
    .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
