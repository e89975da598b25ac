//! `whitelist`: set the whitelist user IDs (`--users` or `--users-file`) and start
//! whitelist testing.

use gopay_miniapp_core::user_ids::parse_user_ids;
use gopay_miniapp_core::workflows::release::{self, DryRunOf};
use gopay_miniapp_core::CoreError;

use super::Cx;
use crate::args::WhitelistArgs;
use crate::output;

pub async fn run(cx: &Cx, args: WhitelistArgs) -> i32 {
    let text = match args.users_file {
        Some(file) => match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => return cx.fail(CoreError::io(file.display(), e)),
        },
        None => args.users.join(","),
    };
    let ids = match parse_user_ids(&text) {
        Ok(ids) => ids,
        Err(e) => return cx.fail(e),
    };
    let at = args.release.reference();
    if args.dry.dry_run {
        return cx.dry_run(&at, DryRunOf::Whitelist { users: ids }).await;
    }
    let result = release::whitelist(&cx.ctx, &at, ids, &cx.prompter, &cx.reporter).await;
    cx.finish(result, output::step_text)
}
