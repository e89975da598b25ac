//! `review approve | reject`: what a target-app admin does with a release in review.

use gopay_miniapp_core::workflows::release::{self, Decision};

use super::Cx;
use crate::args::{ReviewArgs, ReviewDecision};
use crate::output;

pub async fn run(cx: &Cx, args: ReviewArgs) -> i32 {
    let decision = match args.decision {
        ReviewDecision::Approve => Decision::Approve,
        ReviewDecision::Reject => Decision::Reject,
    };
    let result = release::review(
        &cx.ctx,
        decision,
        &args.app,
        &args.version,
        &args.target_app,
        args.reason.as_deref(),
        &cx.reporter,
    )
    .await;
    cx.finish(result, output::step_text)
}
