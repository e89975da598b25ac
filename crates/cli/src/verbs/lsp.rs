//! `lsp`: the editor sidecar, JSON-RPC (LSP base protocol) on stdin/stdout.

use super::Cx;

pub async fn run(cx: &Cx) -> i32 {
    gopay_miniapp_lsp::run_stdio(cx.ctx.clone()).await
}
