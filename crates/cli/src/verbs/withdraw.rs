//! `withdraw`: take a release out of review.

use gopay_miniapp_core::workflows::release;
use gopay_miniapp_portal::Step;

use super::Cx;
use crate::args::ReleaseArgs;
use crate::output;

pub async fn run(cx: &Cx, args: ReleaseArgs) -> i32 {
    let at = args.reference();
    let result = release::simple_step(&cx.ctx, &at, Step::Withdraw, &cx.prompter, &cx.reporter);
    cx.finish(result.await, output::step_text)
}
