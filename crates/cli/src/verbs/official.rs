//! `official`: officially release — everyone gets it; the live version is archived.

use gopay_miniapp_core::workflows::release::{self, DryRunOf};

use super::Cx;
use crate::args::StepArgs;
use crate::output;

pub async fn run(cx: &Cx, args: StepArgs) -> i32 {
    let at = args.release.reference();
    if args.dry.dry_run {
        return cx.dry_run(&at, DryRunOf::Official).await;
    }
    let result = release::official(&cx.ctx, &at, &cx.prompter, &cx.reporter).await;
    cx.finish(result, output::step_text)
}
