//! `miniapp.publish`: latest version → bump package.json → build → pack → upload, with
//! progress. Cancelling kills the build, restores package.json and abandons the upload
//! (core does all three); the answer comes after that.

use gopay_miniapp_core::workflows::publish::{self, BumpSpec, PublishOptions};
use serde::Deserialize;
use serde_json::Value;

use super::{core_error, to_value, Cx};
use crate::errors::CommandError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    pub bump: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub no_build: bool,
    #[serde(default)]
    pub allow_secrets: bool,
}

pub async fn run(cx: &Cx) -> Result<Value, CommandError> {
    let args: Args = cx.args()?;
    let bump = match args.bump.as_deref().map(str::parse::<BumpSpec>) {
        None => None,
        Some(Ok(bump)) => Some(bump),
        Some(Err(message)) => {
            return Err(CommandError::invalid_params(
                "invalid",
                message,
                "`bump` is patch, minor, major or a version x.y.z",
            ))
        }
    };
    let options = PublishOptions {
        bump,
        description: args.description,
        no_build: args.no_build,
        dry_run: args.dry_run,
        allow_secrets: args.allow_secrets,
    };
    let result = publish::publish(&cx.ctx, &options, cx.reporter.as_ref(), &cx.cancel)
        .await
        .map_err(|e| core_error(cx, e))?;
    if let Some(recovery) = &result.recovered {
        crate::status::announce_recovery(&cx.shared, &cx.ctx.project, recovery);
    }
    to_value(&result)
}
