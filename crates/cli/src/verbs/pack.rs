//! `pack`: pack the build output exactly as publish would, without the network.

use gopay_miniapp_core::workflows::publish::{self, PackResult};
use gopay_miniapp_guard::text::Shown;

use super::Cx;
use crate::args::PackArgs;

pub async fn run(cx: &Cx, args: PackArgs) -> i32 {
    let result =
        publish::pack_project(&cx.ctx, args.out, args.list, args.allow_secrets, args.force).await;
    if let Some(defaults) = result.as_ref().ok().and_then(|p| p.defaults.as_ref()) {
        esayln!(
            "{}; `gopay-miniapp bind` writes them to gopay-miniapp.json, where they can be changed",
            defaults.describe()
        );
    }
    cx.finish(result, text)
}

fn text(p: &PackResult) -> String {
    let mut text = String::new();
    if let Some(entries) = &p.entries {
        for e in entries {
            text.push_str(&format!("{:>10}  {}\n", e.size, Shown(&e.path)));
        }
    }
    text.push_str(&format!(
        "{} files, {} bytes unpacked, {} bytes packed, sha256 {}{}\n",
        p.files,
        p.uncompressed_size,
        p.size,
        p.sha256,
        p.path
            .as_ref()
            .map(|x| format!("\nWrote {x}"))
            .unwrap_or_default()
    ));
    text
}
