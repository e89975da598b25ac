//! Changes made elsewhere reach the editor too. While a release the editor was shown waits on
//! someone else — in review, where a target-app admin approves in the portal or with
//! `gopay-miniapp review` — the sidecar re-reads the status every [`POLL_INTERVAL`] and
//! pushes `miniapp/didChangeStatus` if it changed (pushes are deduplicated in
//! [`crate::status::push`]). Nothing is polled while nothing waits.
//!
//! The route recipes learned in a terminal (issue #22, `gopay-miniapp learn`) change what a
//! portal can do: on the same tick, the recipes' fingerprint of each project's portal is read
//! (a few small files) and a changed one pushes the status again (its capabilities).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gopay_miniapp_core::workflows::status::StatusSnapshot;

use crate::project::context_for;
use crate::state::Shared;

pub const POLL_INTERVAL: Duration = Duration::from_secs(3);

pub fn spawn(shared: Arc<Shared>) {
    tokio::spawn(async move {
        // The recipes' fingerprint each project's portal had on the last tick.
        let mut recipes_seen: HashMap<PathBuf, String> = HashMap::new();
        loop {
            tokio::select! {
                _ = shared.closing.cancelled() => return,
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
            let mut due = waiting_projects(&shared).await;
            for (project, url, given) in shown_portals(&shared).await {
                let ctx = context_for(&shared.base, project.clone(), given.clone(), None, None);
                let now = ctx.recipes_fingerprint(&url);
                // First seen: the status is computed once more (a push is sent only when it
                // differs from the last one), so a recipe saved before this tick is not missed.
                let before = recipes_seen.insert(project.clone(), now.clone());
                if before.as_ref() != Some(&now) && !due.iter().any(|(p, _)| *p == project) {
                    due.push((project, given));
                }
            }
            for (project, portal) in due {
                let ctx = context_for(&shared.base, project, portal, None, None);
                crate::status::push(&shared, &ctx).await;
            }
        }
    });
}

/// Every project a status was pushed for, with the portal URL it showed and the portal its
/// request gave (if any).
async fn shown_portals(shared: &Shared) -> Vec<(PathBuf, String, Option<String>)> {
    let last = shared.last_status.lock().await;
    last.iter()
        .filter_map(|(project, pushed)| {
            let url = pushed.status.portal.clone()?;
            let given = (pushed.status.portal_from == Some(gopay_miniapp_core::PortalFrom::Given))
                .then(|| url.clone());
            Some((project.clone(), url, given))
        })
        .collect()
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
