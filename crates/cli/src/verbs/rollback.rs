//! `rollback`: bring back the last archived version on a target app.

use gopay_miniapp_core::workflows::release::{self, DryRunOf, ReleaseRef};

use super::Cx;
use crate::args::DryRunArg;
use crate::output;

pub async fn run(cx: &Cx, target_app: Option<String>, dry: DryRunArg) -> i32 {
    if dry.dry_run {
        let at = ReleaseRef {
            version: None,
            target_app,
        };
        return cx.dry_run(&at, DryRunOf::Rollback).await;
    }
    let target_app = target_app.as_deref();
    let result = release::rollback(&cx.ctx, target_app, &cx.prompter, &cx.reporter).await;
    cx.finish(result, output::step_text)
}
