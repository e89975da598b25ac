//! `upload`: a ZIP made elsewhere becomes a new version (the portal's "Upload by Files").

use gopay_miniapp_core::workflows::publish;
use gopay_miniapp_core::{CoreError, Hint, Input};

use super::Cx;
use crate::args::UploadArgs;

pub async fn run(cx: &Cx, args: UploadArgs) -> i32 {
    let version = match args.version.parse() {
        Ok(v) => v,
        Err(e) => {
            return cx.fail(CoreError::invalid(
                format!("{e}"),
                Hint::Provide {
                    input: Input::Version,
                },
            ))
        }
    };
    let file = args.file;
    let result = publish::upload_archive(
        &cx.ctx,
        &file,
        version,
        args.description,
        &cx.reporter,
        &cx.cancel,
    )
    .await;
    cx.finish(result, |u| {
        format!(
            "Uploaded {} as version {} (version id {}).\n",
            file.display(),
            u.version,
            u.version_id
        )
    })
}
