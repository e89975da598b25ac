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
        allow_identical: args.allow_identical,
    };
    let result = publish::publish(&cx.ctx, &options, &cx.reporter, &cx.prompter, &cx.cancel).await;
    cx.finish(result, text)
}

fn text(p: &PublishResult) -> String {
    if p.dry_run {
        let build = match &p.build_command {
            Some(command) => format!(
                ", build with `{command}` (not run: the output folder was packed as it is now)"
            ),
            None => String::new(),
        };
        return format!(
            "Dry run: would write {} to {}{build} and upload {} files ({} bytes, sha256 {}) as {} {}, described as \"{}\". Nothing was written, built or uploaded.\n",
            p.version,
            p.bumped_files.join(" and "),
            p.files,
            p.size,
            p.sha256,
            p.app,
            p.version,
            gopay_miniapp_guard::text::Shown(&p.description),
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
