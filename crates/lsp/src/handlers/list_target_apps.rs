//! `miniapp.listTargetApps`.

use gopay_miniapp_core::workflows::catalog;
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
pub struct Args {}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let result = catalog::target_apps(&cx.ctx)
        .await
        .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
