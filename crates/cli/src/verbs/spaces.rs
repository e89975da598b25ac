//! `spaces`: the spaces the user belongs to.

use gopay_miniapp_core::workflows::catalog;
use gopay_miniapp_guard::text::Shown;

use super::Cx;

pub async fn run(cx: &Cx) -> i32 {
    cx.finish(catalog::spaces(&cx.ctx).await, |l| {
        l.spaces
            .iter()
            .map(|s| format!("{:<20} {}\n", Shown(&s.id), Shown(&s.name)))
            .collect()
    })
}
