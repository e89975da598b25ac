//! `lsp`: the editor sidecar, JSON-RPC (LSP base protocol) on stdin/stdout.

use super::Cx;

pub async fn run(cx: &Cx) -> i32 {
    let code = gopay_miniapp_lsp::run_stdio(cx.ctx.clone(), cx.cancel.clone()).await;
    // Stopped by a signal: the running work was cleaned up; the exit code says why it ended.
    if cx.cancel.is_cancelled() {
        gopay_miniapp_core::error::exit::CANCELLED
    } else {
        code
    }
}
