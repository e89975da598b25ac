//! `rollback`: bring back the last archived version on a target app.

use gopay_miniapp_core::workflows::release;

use super::Cx;
use crate::output;

pub async fn run(cx: &Cx, target_app: Option<String>) -> i32 {
    let target_app = target_app.as_deref();
    let result = release::rollback(&cx.ctx, target_app, &cx.prompter, &cx.reporter).await;
    cx.finish(result, output::step_text)
}
