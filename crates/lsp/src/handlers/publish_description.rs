//! `miniapp.publishDescription`: the description publish would use when none is given (the
//! last commit's subject, else the default) and where it comes from, so an editor can ask for
//! the description with it prefilled, without reading git or the tool's words itself.

use gopay_miniapp_core::workflows::publish::{self, Description};
use serde::Deserialize;

use super::{Command, Cx, ProjectArg};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct PublishDescription;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(flatten)]
    pub project: ProjectArg,
}

impl Command for PublishDescription {
    const NAME: &'static str = "miniapp.publishDescription";
    const SUMMARY: &'static str = "The description publish uses when none is given: the subject of the project's last git commit, else the default; and which.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = false;
    type Args = Args;
    type Result = Description;

    async fn run(cx: &Cx, _: Args) -> Result<Description, CommandError> {
        Ok(publish::suggested_description(&cx.ctx.project).await)
    }
}
