//! `wait`: until the review is done — exit 0 approved, 6 rejected (the reason printed), 8
//! still in review when `--timeout` ran out.

use gopay_miniapp_core::error::exit;
use gopay_miniapp_core::workflows::release;
use gopay_miniapp_guard::text::Shown;

use super::Cx;
use crate::args::WaitArgs;
use crate::output;

pub async fn run(cx: &Cx, args: WaitArgs) -> i32 {
    let at = args.release.reference();
    let result = release::wait(
        &cx.ctx,
        &at,
        args.timeout,
        &cx.prompter,
        &cx.reporter,
        &cx.cancel,
    )
    .await;
    match result {
        Ok(w) if !w.approved => {
            if cx.json {
                output::json(&w);
            } else {
                sayln!(
                    "Rejected: {} on \"{}\". Reason: {}",
                    Shown(&w.version),
                    Shown(&w.target_app),
                    Shown(w.reject_reason.as_deref().unwrap_or("(none given)"))
                );
            }
            exit::REFUSED
        }
        other => cx.finish(other, |w| {
            format!(
                "Approved: {} on \"{}\" is in {}.\n",
                Shown(&w.version),
                Shown(&w.target_app),
                w.state.name()
            )
        }),
    }
}
