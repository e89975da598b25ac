//! The status snapshot: core's `StatusSnapshot` plus the jobs running on the project. The
//! same object answers `miniapp.status` and is pushed as `miniapp/didChangeStatus` after
//! every change (a snapshot identical to the last one pushed for the project is not sent
//! again).

use std::path::Path;
use std::sync::Arc;

use gopay_miniapp_core::journal::Recovery;
use gopay_miniapp_core::workflows::status::{self, StatusSnapshot};
use gopay_miniapp_core::{Context, CoreError};
use serde::Serialize;
use serde_json::Value;
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::MessageType;

use crate::jobs::JobView;
use crate::state::Shared;

/// `miniapp/didChangeStatus`.
pub enum DidChangeStatus {}

impl Notification for DidChangeStatus {
    type Params = Value;
    const METHOD: &'static str = "miniapp/didChangeStatus";
}

/// The sidecar's status snapshot: core's, plus the jobs running on the project. Editors know
/// it as `StatusSnapshot`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "StatusSnapshot")]
pub struct Snapshot {
    #[serde(flatten)]
    pub status: StatusSnapshot,
    /// Work running on this project in the sidecar (publish, login, waiting for review…).
    pub running_jobs: Vec<JobView>,
}

pub async fn snapshot(shared: &Shared, ctx: &Context) -> Result<Snapshot, CoreError> {
    let mut status = status::status(ctx, &crate::words::hint).await?;
    match &status.recovered {
        Some(recovery) => announce_recovery(shared, &ctx.project, recovery),
        None => status.recovered = remembered_recovery(shared, &ctx.project),
    }
    Ok(Snapshot {
        status,
        running_jobs: shared.jobs.views(&ctx.project),
    })
}

fn remembered_recovery(shared: &Shared, project: &Path) -> Option<Recovery> {
    let recoveries = shared.recoveries.lock().unwrap_or_else(|e| e.into_inner());
    recoveries.get(project).cloned()
}

/// Remembers what was put right in `project` (snapshots show it) and tells the user once
/// (`window/showMessage`).
pub fn announce_recovery(shared: &Shared, project: &Path, recovery: &Recovery) {
    shared
        .recoveries
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(project.to_path_buf(), recovery.clone());
    let kind = if recovery.settled {
        MessageType::INFO
    } else {
        MessageType::WARNING
    };
    let message = gopay_miniapp_guard::text::Lines(&crate::words::recovery(recovery)).to_string();
    tracing::info!("{message}");
    if shared.closing.is_cancelled() {
        return;
    }
    let client = shared.client().clone();
    let closing = shared.closing.clone();
    tokio::spawn(async move {
        tokio::select! {
            biased;
            _ = closing.cancelled() => {}
            _ = client.show_message(kind, message) => {}
        }
    });
}

/// At start: put right what dead publishes left in the workspace folders, tell the user, and
/// push the folder's snapshot when something was found.
pub async fn recover_folders(shared: Arc<Shared>) {
    for folder in shared.folders() {
        let ctx = crate::project::context_for(&shared.base, folder, None, None, None);
        match gopay_miniapp_core::journal::recover(&ctx).await {
            Ok(Some(recovery)) => {
                announce_recovery(&shared, &ctx.project, &recovery);
                push(&shared, &ctx).await;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("an interrupted publish could not be put right: {e}"),
        }
    }
}

/// Computes the snapshot and sends it, unless it is the one sent last for this project.
pub async fn push(shared: &Shared, ctx: &Context) {
    if shared.closing.is_cancelled() {
        return;
    }
    let mut last = shared.last_status.lock().await;
    let snapshot = match snapshot(shared, ctx).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("no status to push: {e}");
            return;
        }
    };
    let value = serde_json::to_value(&snapshot).expect("serializable");
    let text = value.to_string();
    if last
        .get(&ctx.project)
        .is_some_and(|pushed| pushed.text == text)
    {
        return;
    }
    last.insert(
        ctx.project.clone(),
        crate::state::Pushed {
            text,
            status: snapshot.status,
        },
    );
    crate::state::notify(
        shared,
        shared.client().send_notification::<DidChangeStatus>(value),
    )
    .await;
}
