//! `miniapp.listTargetApps`.

use gopay_miniapp_core::workflows::catalog::{self, TargetAppList};

use super::{core_error, Command, Cx, SessionArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct ListTargetApps;

impl Command for ListTargetApps {
    const NAME: &'static str = "miniapp.listTargetApps";
    const SUMMARY: &'static str = "Target apps a MiniApp can be released to.";
    const PROJECT: ProjectUse = ProjectUse::Optional;
    const MUTATING: bool = false;
    type Args = SessionArgs;
    type Result = TargetAppList;

    async fn run(cx: &Cx, _: SessionArgs) -> Result<TargetAppList, CommandError> {
        catalog::target_apps(&cx.ctx)
            .await
            .map_err(|e| core_error(cx, e))
    }
}
