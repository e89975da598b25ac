//! `lsp`: the editor sidecar, JSON-RPC (LSP base protocol) on stdin/stdout.

use super::Cx;

pub async fn run(cx: &Cx) -> i32 {
    // The sidecar's `--portal` is its default for unbound projects, like the environment's:
    // a bound project's binding wins over it; a command's own `portal` argument is the one
    // given for that command only.
    let mut ctx = cx.ctx.clone();
    if let Some(portal) = ctx.portal_override.take() {
        ctx.portal_setting = Some(portal);
    }
    let code = gopay_miniapp_lsp::run_stdio(ctx, cx.cancel.clone()).await;
    // Stopped by a signal: the running work was cleaned up; the exit code says why it ended.
    if cx.cancel.is_cancelled() {
        gopay_miniapp_core::error::exit::CANCELLED
    } else {
        code
    }
}
