//! `miniapp.status`: the status snapshot (the same object `miniapp/didChangeStatus` carries).

use super::{core_error, Command, Cx, SessionArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;
use crate::status::Snapshot;

pub struct Status;

impl Command for Status {
    const NAME: &'static str = "miniapp.status";
    const SUMMARY: &'static str =
        "Login, binding, versions with each target app's release state, running jobs.";
    const PROJECT: ProjectUse = ProjectUse::Optional;
    const MUTATING: bool = false;
    type Args = SessionArgs;
    type Result = Snapshot;

    async fn run(cx: &Cx, _: SessionArgs) -> Result<Snapshot, CommandError> {
        crate::status::snapshot(&cx.shared, &cx.ctx)
            .await
            .map_err(|e| core_error(cx, e))
    }
}
