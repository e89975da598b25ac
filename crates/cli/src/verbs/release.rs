//! `release`: a version to a target app (Version Creation).

use gopay_miniapp_core::workflows::release;

use super::Cx;
use crate::args::ReleaseCmdArgs;
use crate::output;

pub async fn run(cx: &Cx, args: ReleaseCmdArgs) -> i32 {
    let options = release::ReleaseOptions {
        notes: args.notes.as_deref(),
        then: None,
    };
    let result = release::release(
        &cx.ctx,
        &args.release.reference(),
        &options,
        &cx.prompter,
        &cx.reporter,
    )
    .await;
    cx.finish(result, output::step_text)
}
