//! `whoami`: who is logged in, on which portal.

use gopay_miniapp_core::workflows::account;

use super::Cx;

pub async fn run(cx: &Cx) -> i32 {
    cx.finish(account::whoami(&cx.ctx).await, |r| {
        format!(
            "{} ({}) on {}, via {}\n",
            r.user.username, r.user.display_name, r.portal, r.via
        )
    })
}
