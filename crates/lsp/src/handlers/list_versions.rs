//! `miniapp.listVersions`.

use gopay_miniapp_core::workflows::release;
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
pub struct Args {}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let result = release::versions(&cx.ctx)
        .await
        .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
