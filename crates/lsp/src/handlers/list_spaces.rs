//! `miniapp.listSpaces`.

use gopay_miniapp_core::workflows::catalog::{self, SpaceList};

use super::{core_error, Command, Cx, SessionArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct ListSpaces;

impl Command for ListSpaces {
    const NAME: &'static str = "miniapp.listSpaces";
    const SUMMARY: &'static str = "Spaces the user belongs to.";
    const PROJECT: ProjectUse = ProjectUse::Optional;
    const MUTATING: bool = false;
    type Args = SessionArgs;
    type Result = SpaceList;

    async fn run(cx: &Cx, _: SessionArgs) -> Result<SpaceList, CommandError> {
        catalog::spaces(&cx.ctx)
            .await
            .map_err(|e| core_error(cx, e))
    }
}
