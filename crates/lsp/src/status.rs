//! The status snapshot: core's `StatusSnapshot` plus the jobs running on the project. The
//! same object answers `miniapp.status` and is pushed as `miniapp/didChangeStatus` after
//! every change (a snapshot identical to the last one pushed for the project is not sent
//! again).

use gopay_miniapp_core::workflows::status::{self, StatusSnapshot};
use gopay_miniapp_core::{Context, CoreError};
use serde::Serialize;
use serde_json::Value;
use tower_lsp_server::ls_types::notification::Notification;

use crate::jobs::JobView;
use crate::state::Shared;

/// `miniapp/didChangeStatus`.
pub enum DidChangeStatus {}

impl Notification for DidChangeStatus {
    type Params = Value;
    const METHOD: &'static str = "miniapp/didChangeStatus";
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    #[serde(flatten)]
    pub status: StatusSnapshot,
    /// Work running on this project in the sidecar (publish, login, waiting for review…).
    pub running_jobs: Vec<JobView>,
}

pub async fn snapshot(shared: &Shared, ctx: &Context) -> Result<Snapshot, CoreError> {
    let status = status::status(ctx).await?;
    Ok(Snapshot {
        status,
        running_jobs: shared.jobs.views(&ctx.project),
    })
}

/// Computes the snapshot and sends it, unless it is the one sent last for this project.
pub async fn push(shared: &Shared, ctx: &Context) {
    if shared.closing.is_cancelled() {
        return;
    }
    let mut last = shared.last_status.lock().await;
    let value = match snapshot(shared, ctx).await {
        Ok(s) => serde_json::to_value(&s).expect("serializable"),
        Err(e) => {
            tracing::warn!("no status to push: {e}");
            return;
        }
    };
    let text = value.to_string();
    if last.get(&ctx.project) == Some(&text) {
        return;
    }
    last.insert(ctx.project.clone(), text);
    crate::state::notify(
        shared,
        shared.client().send_notification::<DidChangeStatus>(value),
    )
    .await;
}
