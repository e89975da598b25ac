//! `apps`: the MiniApps in a space (default: the bound one).

use gopay_miniapp_core::workflows::catalog;
use gopay_miniapp_guard::text::Shown;

use super::Cx;

pub async fn run(cx: &Cx, space: Option<String>) -> i32 {
    let result = catalog::apps(&cx.ctx, space.as_deref(), &cx.prompter).await;
    cx.finish(result, |l| {
        l.apps
            .iter()
            .map(|a| format!("{:<20} {}\n", Shown(&a.id), Shown(&a.name)))
            .collect()
    })
}
