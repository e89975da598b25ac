//! `cancel`: cancel a release (confirmed; it cannot be undone).

use gopay_miniapp_core::workflows::release::{self, DryRunOf};
use gopay_miniapp_portal::Step;

use super::Cx;
use crate::args::StepArgs;
use crate::output;

pub async fn run(cx: &Cx, args: StepArgs) -> i32 {
    let at = args.release.reference();
    if args.dry.dry_run {
        return cx.dry_run(&at, DryRunOf::Cancel).await;
    }
    let result = release::simple_step(&cx.ctx, &at, Step::Cancel, &cx.prompter, &cx.reporter);
    cx.finish(result.await, output::step_text)
}
