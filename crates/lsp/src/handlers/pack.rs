//! `miniapp.pack`: what publish would upload, without building and without the network.

use gopay_miniapp_core::events::{LogSource, Reporter};
use gopay_miniapp_core::workflows::publish;
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(default)]
    pub allow_secrets: bool,
    pub out: Option<String>,
    #[serde(default)]
    pub list: bool,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let out = args.out.map(|o| {
        let path = std::path::PathBuf::from(o);
        if path.is_absolute() {
            path
        } else {
            cx.ctx.project.join(path)
        }
    });
    cx.reporter.progress(10, "Packing the build output");
    let result = publish::pack_project(&cx.ctx, out, args.list, args.allow_secrets)
        .await
        .map_err(|e| core_error(cx, e))?;
    if let Some(defaults) = &result.defaults {
        cx.reporter.log(
            LogSource::Workflow,
            &format!(
                "{}; binding the project ({}) writes them to gopay-miniapp.json, where they can be changed",
                defaults.describe(),
                crate::commands::spec(crate::commands::CommandId::Bind).name
            ),
        );
    }
    cx.reporter.progress(100, "Packed");
    to_value(&result)
}
