//! `miniapp.status`: the status snapshot (the same object `miniapp/didChangeStatus` carries).

use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

/// Only the common fields (project, portal, token).
#[derive(Debug, Deserialize)]
pub struct Args {}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let snapshot = crate::status::snapshot(&cx.shared, &cx.ctx)
        .await
        .map_err(|e| core_error(cx, e))?;
    to_value(&snapshot)
}
