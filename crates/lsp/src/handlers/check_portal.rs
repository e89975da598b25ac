//! `miniapp.checkPortal`: is the portal this project's commands would talk to reachable, and
//! does it answer like a portal? An editor asks before it shows the password box, so nobody
//! types a password for an address that is down or is not a portal; the result names the
//! portal (its preset's name) for the login's title.

use gopay_miniapp_core::workflows::account::{self, PortalCheck};

use super::{core_error, Command, Cx, PortalArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct CheckPortal;

impl Command for CheckPortal {
    const NAME: &'static str = "miniapp.checkPortal";
    const SUMMARY: &'static str = "Checks the portal answers (and as which API) without logging in; the login's first step. No portal chosen: the error `no_portal`.";
    const PROJECT: ProjectUse = ProjectUse::Optional;
    const MUTATING: bool = false;
    type Args = PortalArgs;
    type Result = PortalCheck;

    async fn run(cx: &Cx, _: PortalArgs) -> Result<PortalCheck, CommandError> {
        account::check_portal(&cx.ctx)
            .await
            .map_err(|e| core_error(cx, e))
    }
}
