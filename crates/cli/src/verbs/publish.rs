//! `publish`: fetch the latest version, bump package.json, build, pack and upload (`--bump`
//! comes parsed: clap reads it with `BumpSpec`'s `FromStr`).

use gopay_miniapp_core::workflows::publish::{self, PublishOptions, PublishResult};

use super::Cx;
use crate::args::PublishArgs;

pub async fn run(cx: &Cx, args: PublishArgs) -> i32 {
    let options = PublishOptions {
        bump: args.bump,
        description: args.description,
        no_build: args.no_build,
        dry_run: args.dry_run,
        allow_secrets: args.allow_secrets,
    };
    let result = publish::publish(&cx.ctx, &options, &cx.reporter, &cx.cancel).await;
    cx.finish(result, text)
}

fn text(p: &PublishResult) -> String {
    if p.dry_run {
        return format!(
            "Dry run: would upload {} files ({} bytes, sha256 {}) as {} {}. Nothing was changed.\n",
            p.files, p.size, p.sha256, p.app, p.version
        );
    }
    format!(
        "Published {} {} (app id {}, version id {}).\nNext: gopay-miniapp release {} --target-app \"GoPay Staging\"\n",
        p.app,
        p.version,
        p.app_id,
        p.version_id.as_deref().unwrap_or("-"),
        p.version
    )
}
