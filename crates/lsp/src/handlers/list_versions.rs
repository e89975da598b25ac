//! `miniapp.listVersions`.

use gopay_miniapp_core::workflows::release::{self, VersionsResult};

use super::{core_error, Command, Cx, SessionArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct ListVersions;

impl Command for ListVersions {
    const NAME: &'static str = "miniapp.listVersions";
    const SUMMARY: &'static str = "Versions, newest first, each with its releases.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = false;
    type Args = SessionArgs;
    type Result = VersionsResult;

    async fn run(cx: &Cx, _: SessionArgs) -> Result<VersionsResult, CommandError> {
        release::versions(&cx.ctx)
            .await
            .map_err(|e| core_error(cx, e))
    }
}
