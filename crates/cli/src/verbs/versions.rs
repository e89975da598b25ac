//! `versions`: newest first, with each target app's release state.

use gopay_miniapp_core::workflows::release;

use super::Cx;
use crate::output;

pub async fn run(cx: &Cx) -> i32 {
    cx.finish(release::versions(&cx.ctx).await, |v| {
        output::versions_text(&v.versions)
    })
}
