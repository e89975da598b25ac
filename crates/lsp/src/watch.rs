//! Changes made elsewhere reach the editor too. While a release the editor was shown waits on
//! someone else — in review, where a target-app admin approves in the portal or with
//! `gopay-miniapp review` — the sidecar re-reads the status every [`POLL_INTERVAL`] and
//! pushes `miniapp/didChangeStatus` if it changed (pushes are deduplicated in
//! [`crate::status::push`]). Nothing is polled while nothing waits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::handlers::context_for;
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
                let ctx = context_for(&shared.base, project, portal, None);
                crate::status::push(&shared, &ctx).await;
            }
        }
    });
}

/// Projects whose last pushed snapshot has a release in review, with the portal it showed.
async fn waiting_projects(shared: &Shared) -> Vec<(PathBuf, Option<String>)> {
    let last = shared.last_status.lock().await;
    last.iter()
        .filter_map(|(project, text)| {
            let snapshot: Value = serde_json::from_str(text).ok()?;
            waits_on_others(&snapshot).then(|| {
                (
                    project.clone(),
                    snapshot["portal"].as_str().map(str::to_string),
                )
            })
        })
        .collect()
}

fn waits_on_others(snapshot: &Value) -> bool {
    snapshot["versions"].as_array().is_some_and(|versions| {
        versions.iter().any(|v| {
            v["releases"]
                .as_array()
                .is_some_and(|releases| releases.iter().any(|r| r["state"] == "in_review"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_releases_in_review_are_waited_on() {
        let snapshot =
            |state: &str| serde_json::json!({"versions": [{"releases": [{"state": state}]}]});
        assert!(waits_on_others(&snapshot("in_review")));
        for state in ["version_creation", "pilot_test", "released", "rejected"] {
            assert!(!waits_on_others(&snapshot(state)), "{state}");
        }
        assert!(!waits_on_others(&serde_json::json!({"versions": []})));
    }
}
