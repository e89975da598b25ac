//! `audit`: the MiniApp's audit log.

use gopay_miniapp_core::binding::Binding;
use gopay_miniapp_core::{Context, CoreError};
use gopay_miniapp_guard::text::Shown;
use gopay_miniapp_portal::Feature;
use serde_json::Value;

use super::Cx;

pub async fn run(cx: &Cx) -> i32 {
    cx.finish(audit(&cx.ctx).await, text)
}

async fn audit(ctx: &Context) -> Result<Value, CoreError> {
    let binding = Binding::require(&ctx.project)?;
    let portal = ctx.portal().await?;
    portal
        .capabilities()
        .require(Feature::Audit, portal.base_url())?;
    let entries = portal.audit(&binding.app_ref()).await?;
    Ok(serde_json::json!({ "appId": binding.app.id, "entries": entries }))
}

fn text(v: &Value) -> String {
    v["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}  {:<10} {:<22} {}\n",
                Shown(e["at"].as_str().unwrap_or("")),
                Shown(e["actor"].as_str().unwrap_or("")),
                Shown(e["action"].as_str().unwrap_or("")),
                Shown(e["detail"].as_str().unwrap_or(""))
            )
        })
        .collect()
}
