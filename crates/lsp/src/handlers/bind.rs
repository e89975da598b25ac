//! `miniapp.bind`: space and app by name or id, else asked; rebinding asks Yes/No first.

use gopay_miniapp_core::workflows::bind::{self, BindRequest, BindResult};
use serde::Deserialize;

use super::{core_error, Command, Cx, SessionArgs, YesArg};
use crate::commands::{ProjectUse, StringList};
use crate::errors::CommandError;

pub struct Bind;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(flatten)]
    pub session: SessionArgs,
    /// Space name or id. Default: asked.
    pub space: Option<String>,
    /// MiniApp name or id. Default: asked.
    pub app: Option<String>,
    /// Target apps as `NAME=ID`, optionally followed by `(production)` or `(testing)`, for portals that cannot list them (an array, or one string with comma-separated items). Remembered in the binding.
    pub target_apps: Option<StringList>,
    /// The user already chose to rebind: do not ask again.
    #[serde(default)]
    pub rebind: bool,
    #[serde(flatten)]
    pub confirm: YesArg,
}

impl Command for Bind {
    const NAME: &'static str = "miniapp.bind";
    const SUMMARY: &'static str =
        "Bind the project to a MiniApp (writes gopay-miniapp.json); asks before rebinding.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = true;
    type Args = Args;
    type Result = BindResult;

    async fn run(cx: &Cx, args: Args) -> Result<BindResult, CommandError> {
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
        bind::bind(
            &cx.ctx,
            &request,
            cx.prompter.as_ref(),
            cx.reporter.as_ref(),
        )
        .await
        .map_err(|e| core_error(cx, e))
    }
}
