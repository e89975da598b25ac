//! `miniapp.listApps`: the MiniApps of `space`, else of the bound space, else of the one
//! chosen.

use gopay_miniapp_core::workflows::catalog::{self, AppList};
use serde::Deserialize;

use super::{core_error, Command, Cx, SessionArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct ListApps;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(flatten)]
    pub session: SessionArgs,
    /// Space name or id. Default: the bound space, else asked.
    pub space: Option<String>,
}

impl Command for ListApps {
    const NAME: &'static str = "miniapp.listApps";
    const SUMMARY: &'static str = "MiniApps of a space (default: the bound space, else asked).";
    const PROJECT: ProjectUse = ProjectUse::Optional;
    const MUTATING: bool = false;
    type Args = Args;
    type Result = AppList;

    async fn run(cx: &Cx, args: Args) -> Result<AppList, CommandError> {
        catalog::apps(&cx.ctx, args.space.as_deref(), cx.prompter.as_ref())
            .await
            .map_err(|e| core_error(cx, e))
    }
}
