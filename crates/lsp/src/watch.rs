//! Changes made elsewhere reach the editor too. While a release the editor was shown waits on
//! someone else — in review, where a target-app admin approves in the portal or with
//! `gopay-miniapp review` — the sidecar re-reads the status every [`POLL_INTERVAL`] and
//! pushes `miniapp/didChangeStatus` if it changed (pushes are deduplicated in
//! [`crate::status::push`]). Nothing is polled while nothing waits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gopay_miniapp_core::workflows::status::StatusSnapshot;

use crate::project::context_for;
use crate::state::Shared;

pub const POLL_INTERVAL: Duration = Duration::from_secs(3);

pub fn spawn(shared: Arc<Shared>) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shared.closing.cancelled() => return,
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
            for (project, portal) in waiting_projects(&shared).await {
                let ctx = context_for(&shared.base, project, portal, None, None);
                crate::status::push(&shared, &ctx).await;
            }
        }
    });
}

/// Projects whose last pushed snapshot has a release awaiting review, with the portal it
/// showed.
async fn waiting_projects(shared: &Shared) -> Vec<(PathBuf, Option<String>)> {
    let last = shared.last_status.lock().await;
    last.iter()
        .filter(|(_, pushed)| waits_on_others(&pushed.status))
        // A project waiting on a review is bound: its binding names the portal again, unless
        // the snapshot's request gave one for itself.
        .map(|(project, pushed)| {
            let given = (pushed.status.portal_from == Some(gopay_miniapp_core::PortalFrom::Given))
                .then(|| pushed.status.portal.clone())
                .flatten();
            (project.clone(), given)
        })
        .collect()
}

fn waits_on_others(status: &StatusSnapshot) -> bool {
    status
        .versions
        .iter()
        .any(|v| v.releases.iter().any(|r| r.awaits_review))
}
