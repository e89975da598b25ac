//! `status`: login, binding, latest version and each target app's release state.

use gopay_miniapp_core::workflows::status;

use super::Cx;
use crate::output;

/// Exits 0 only when it printed no problem; else the problem's own exit code (3 log in
/// again, 5 the portal is unreachable, 4 a binding or a publish to put right, …).
pub async fn run(cx: &Cx) -> i32 {
    let result = status::status(&cx.ctx, &crate::words::hint).await;
    let problem = result.as_ref().ok().and_then(|s| s.problem_exit_code);
    let code = cx.finish(result, output::status_text);
    match problem {
        Some(problem) if code == gopay_miniapp_core::error::exit::OK => problem,
        _ => code,
    }
}
