//! `grayscale`: start grayscale or raise its ratio (1–100, only up).

use gopay_miniapp_core::workflows::release::{self, DryRunOf};

use super::Cx;
use crate::args::GrayscaleArgs;
use crate::output;

pub async fn run(cx: &Cx, args: GrayscaleArgs) -> i32 {
    let at = args.release.reference();
    if args.dry.dry_run {
        return cx
            .dry_run(&at, DryRunOf::Grayscale { ratio: args.ratio })
            .await;
    }
    let result = release::grayscale(&cx.ctx, &at, args.ratio, &cx.prompter, &cx.reporter).await;
    cx.finish(result, output::step_text)
}
