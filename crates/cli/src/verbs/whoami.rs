//! `whoami`: who is logged in, on which portal.

use gopay_miniapp_core::workflows::account;
use gopay_miniapp_guard::text::Shown;

use super::Cx;
use crate::words;

pub async fn run(cx: &Cx) -> i32 {
    cx.finish(account::whoami(&cx.ctx).await, |r| {
        let kept = r
            .session_store
            .map(|store| format!(" (kept in {})", words::session_store(store)))
            .unwrap_or_default();
        format!(
            "{} ({}) on {}, via {}{kept}\n",
            Shown(&r.user.username),
            Shown(&r.user.display_name),
            Shown(&r.portal),
            r.via
        )
    })
}
