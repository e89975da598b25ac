//! The editor sidecar (`gopay-miniapp lsp`): being written.

use gopay_miniapp_core::Context;

/// Serves JSON-RPC on stdin/stdout until the client goes away; returns the exit code.
pub async fn run_stdio(ctx: Context) -> i32 {
    let _ = ctx;
    1
}
