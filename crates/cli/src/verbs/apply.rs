//! `apply`: Apply Release — show the release information, confirm, submit for review.

use gopay_miniapp_core::workflows::release::{self, DryRunOf};

use super::Cx;
use crate::args::ApplyArgs;
use crate::output;

pub async fn run(cx: &Cx, args: ApplyArgs) -> i32 {
    let at = args.release.reference();
    let notes = args.notes.as_deref();
    if args.dry.dry_run {
        return cx.dry_run(&at, DryRunOf::Apply { notes }).await;
    }
    let result = release::apply(&cx.ctx, &at, notes, &cx.prompter, &cx.reporter).await;
    cx.finish(result, output::step_text)
}
