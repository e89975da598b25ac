//! `target-apps`: the target (host) apps a MiniApp can be released to.

use gopay_miniapp_core::workflows::catalog;
use gopay_miniapp_guard::text::Shown;

use super::Cx;

pub async fn run(cx: &Cx) -> i32 {
    cx.finish(catalog::target_apps(&cx.ctx).await, |l| {
        l.target_apps
            .iter()
            .map(|t| {
                format!(
                    "{:<20} {:<16} {}://\n",
                    Shown(&t.id),
                    Shown(&t.name),
                    Shown(&t.scheme)
                )
            })
            .collect()
    })
}
