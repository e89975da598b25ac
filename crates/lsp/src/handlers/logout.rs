//! `miniapp.logout`: the portal revokes the session and the stored tokens are deleted, for
//! the CLI too (one credentials file).

use gopay_miniapp_core::workflows::account::{self, LogoutResult};

use super::{core_error, Command, Cx, PortalArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct LogOut;

impl Command for LogOut {
    const NAME: &'static str = "miniapp.logout";
    const SUMMARY: &'static str =
        "The portal revokes the session; the stored tokens are deleted (for the CLI too).";
    const PROJECT: ProjectUse = ProjectUse::Optional;
    const MUTATING: bool = true;
    type Args = PortalArgs;
    type Result = LogoutResult;

    async fn run(cx: &Cx, _: PortalArgs) -> Result<LogoutResult, CommandError> {
        account::logout(&cx.ctx)
            .await
            .map_err(|e| core_error(cx, e))
    }
}
