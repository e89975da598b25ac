//! `miniapp.bind`: space and app by name or id, else asked; rebinding asks Yes/No first.

use gopay_miniapp_core::workflows::bind::{self, BindRequest};
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    pub space: Option<String>,
    pub app: Option<String>,
    /// `NAME=ID` for portals that cannot list target apps.
    #[serde(default)]
    pub target_apps: Option<super::StringList>,
    /// The user chose to rebind already (do not ask again).
    #[serde(default)]
    pub rebind: bool,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let target_apps = args
        .target_apps
        .map(|list| list.items())
        .unwrap_or_default()
        .iter()
        .flat_map(|item| item.split(',').map(str::trim).filter(|t| !t.is_empty()))
        .map(bind::parse_named_ref)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| core_error(cx, e))?;
    let request = BindRequest {
        space: args.space,
        app: args.app,
        target_apps,
        rebind: args.rebind,
    };
    let result = bind::bind(
        &cx.ctx,
        &request,
        cx.prompter.as_ref(),
        cx.reporter.as_ref(),
    )
    .await
    .map_err(|e| core_error(cx, e))?;
    to_value(&result)
}
