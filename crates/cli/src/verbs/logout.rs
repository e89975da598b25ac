//! `logout`: the portal revokes the session; the stored one is deleted.

use gopay_miniapp_core::workflows::account;

use super::Cx;

pub async fn run(cx: &Cx) -> i32 {
    cx.finish(account::logout(&cx.ctx).await, |r| {
        if r.logged_out {
            format!("Logged out of {}.\n", r.portal)
        } else {
            format!("Not logged in to {}.\n", r.portal)
        }
    })
}
