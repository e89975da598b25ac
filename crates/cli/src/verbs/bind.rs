//! `bind`: bind the project to a MiniApp (writes gopay-miniapp.json; asks before rebinding).

use gopay_miniapp_core::workflows::bind::{self, parse_named_ref, BindRequest, BindResult};

use super::Cx;
use crate::args::BindArgs;

pub async fn run(cx: &Cx, args: BindArgs) -> i32 {
    let target_apps = match args
        .target_apps
        .iter()
        .map(|t| parse_named_ref(t))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(t) => t,
        Err(e) => return cx.fail(e),
    };
    let request = BindRequest {
        space: args.space,
        app: args.app,
        target_apps,
        rebind: false,
    };
    let ctx = cx.ctx.clone().with_backend(args.backend);
    cx.finish(
        bind::bind(&ctx, &request, &cx.prompter, &cx.reporter).await,
        text,
    )
}

fn text(b: &BindResult) -> String {
    if b.changed {
        let mut out = format!(
            "Bound to \"{}\" ({}) in \"{}\". Wrote {}.\n",
            b.binding.app.name, b.binding.app.id, b.binding.space.name, b.file
        );
        if b.unchecked
            .contains(&gopay_miniapp_core::Input::TargetAppCode)
        {
            out.push_str("The MiniApp and its space were checked on the portal; the target apps' channel codes could not be (no known route reads them): a wrong one shows at the first release.\n");
        }
        out
    } else {
        format!(
            "Kept the binding to \"{}\" ({}).\n",
            b.binding.app.name, b.binding.app.id
        )
    }
}
