//! `miniapp.pack`: what publish would upload, without building and without the network.

use gopay_miniapp_core::events::{LogSource, Phase, Reporter};
use gopay_miniapp_core::workflows::publish::{self, PackResult};
use serde::Deserialize;

use super::{core_error, Command, Cx, ProjectArg};
use crate::commands::ProjectUse;
use crate::errors::CommandError;

pub struct Pack;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    #[serde(flatten)]
    pub project: ProjectArg,
    /// Pack files that look like secrets instead of refusing.
    #[serde(default)]
    pub allow_secrets: bool,
    /// Write the ZIP to this path.
    pub out: Option<String>,
    /// Include the list of files.
    #[serde(default)]
    pub list: bool,
    /// Overwrite an existing `out` file that is not a ZIP (never the project's own files).
    #[serde(default)]
    pub force: bool,
}

impl Command for Pack {
    const NAME: &'static str = "miniapp.pack";
    const SUMMARY: &'static str =
        "Pack the build output exactly as publish would, without the network and without building.";
    const PROJECT: ProjectUse = ProjectUse::Required;
    const MUTATING: bool = false;
    const PROGRESS: Option<&'static str> = Some("Packing");
    type Args = Args;
    type Result = PackResult;

    async fn run(cx: &Cx, args: Args) -> Result<PackResult, CommandError> {
        let out = args.out.map(|o| {
            let path = std::path::PathBuf::from(o);
            if path.is_absolute() {
                path
            } else {
                cx.ctx.project.join(path)
            }
        });
        cx.reporter.step("Packing the build output");
        let result = publish::pack_project(&cx.ctx, out, args.list, args.allow_secrets, args.force)
            .await
            .map_err(|e| core_error(cx, e))?;
        if let Some(defaults) = &result.defaults {
            cx.reporter.log(
                LogSource::Workflow,
                &format!(
                    "{}; binding the project ({}) writes them to gopay-miniapp.json, where they can be changed",
                    defaults.describe(),
                    super::bind::Bind::NAME
                ),
            );
        }
        cx.reporter.progress(&Phase::Done, "Packed");
        Ok(result)
    }
}
