//! `status`: login, binding, latest version and each target app's release state.

use gopay_miniapp_core::workflows::status;

use super::Cx;
use crate::output;

pub async fn run(cx: &Cx) -> i32 {
    cx.finish(
        status::status(&cx.ctx, &crate::words::hint).await,
        output::status_text,
    )
}
