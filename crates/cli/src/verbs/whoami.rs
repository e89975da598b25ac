//! `whoami`: who is logged in, on which portal.

use gopay_miniapp_core::workflows::account;
use gopay_miniapp_guard::text::Shown;

use super::Cx;

pub async fn run(cx: &Cx) -> i32 {
    cx.finish(account::whoami(&cx.ctx).await, |r| {
        format!(
            "{} ({}) on {}, via {}\n",
            Shown(&r.user.username),
            Shown(&r.user.display_name),
            Shown(&r.portal),
            r.via
        )
    })
}
