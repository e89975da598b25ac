//! `official`: officially release — everyone gets it; the live version is archived.

use gopay_miniapp_core::workflows::release;

use super::Cx;
use crate::args::ReleaseArgs;
use crate::output;

pub async fn run(cx: &Cx, args: ReleaseArgs) -> i32 {
    let result = release::official(&cx.ctx, &args.reference(), &cx.prompter, &cx.reporter).await;
    cx.finish(result, output::step_text)
}
