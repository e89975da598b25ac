//! Running work and how to stop it.
//!
//! Every `workspace/executeCommand` request gets a [`CancellationToken`] when it arrives
//! (before its handler runs, so a `$/cancelRequest` can never miss it). Its work runs in a
//! spawned task registered here as a job; the job's entry goes away only when that task has
//! finished, cleanup included. `$/cancelRequest` (by request id) and
//! `window/workDoneProgress/cancel` (by progress token) cancel the token; when the client goes
//! away every token is cancelled and [`Jobs::wait_idle`] waits for the cleanups.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gopay_miniapp_core::CoreError;
use serde::Serialize;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tower_lsp_server::jsonrpc::Id;
use tower_lsp_server::ls_types::ProgressToken;

/// The request being handled: its id and its cancellation token.
#[derive(Clone)]
pub struct RequestScope {
    pub id: Id,
    pub cancel: CancellationToken,
}

tokio::task_local! {
    pub static REQUEST: RequestScope;
}

/// What `miniapp.status` and `miniapp/didChangeStatus` show of a running job.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub command: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentage: Option<u8>,
    pub message: String,
}

struct Job {
    command: &'static str,
    /// Long work (with progress) shows in the status; quick commands do not.
    visible: bool,
    project: Option<PathBuf>,
    /// Canonical project path, for publishes (one per project).
    publishing: Option<PathBuf>,
    cancel: CancellationToken,
    title: String,
    percentage: Option<u8>,
    message: String,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    requests: HashMap<Id, CancellationToken>,
    jobs: HashMap<u64, Job>,
    progress: HashMap<String, u64>,
}

#[derive(Default)]
pub struct Jobs {
    inner: Mutex<Inner>,
    changed: Notify,
}

fn token_key(token: &ProgressToken) -> String {
    match token {
        ProgressToken::Number(n) => format!("n:{n}"),
        ProgressToken::String(s) => format!("s:{s}"),
    }
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A request arrived: its token, cancelled by `$/cancelRequest` with its id.
    pub fn register_request(&self, id: Id) -> CancellationToken {
        let token = CancellationToken::new();
        self.lock().requests.insert(id, token.clone());
        token
    }

    pub fn unregister_request(&self, id: &Id) {
        self.lock().requests.remove(id);
    }

    /// `$/cancelRequest`: true when the request was ours to cancel.
    pub fn cancel_request(&self, id: &Id) -> bool {
        match self.lock().requests.get(id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// `window/workDoneProgress/cancel`.
    pub fn cancel_progress(&self, token: &ProgressToken) -> bool {
        let inner = self.lock();
        match inner
            .progress
            .get(&token_key(token))
            .and_then(|id| inner.jobs.get(id))
        {
            Some(job) => {
                job.cancel.cancel();
                true
            }
            None => false,
        }
    }

    pub fn start(
        self: &Arc<Self>,
        command: &'static str,
        title: &str,
        visible: bool,
        cancel: CancellationToken,
    ) -> JobHandle {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.jobs.insert(
            id,
            Job {
                command,
                visible,
                project: None,
                publishing: None,
                cancel,
                // The human title from the start, so the first status push never shows
                // the command's wire name.
                title: title.to_string(),
                percentage: None,
                message: String::new(),
            },
        );
        JobHandle {
            jobs: self.clone(),
            id,
        }
    }

    /// Cancels everything running (the client went away, or `exit`).
    pub fn cancel_all(&self) {
        let inner = self.lock();
        for token in inner.requests.values() {
            token.cancel();
        }
        for job in inner.jobs.values() {
            job.cancel.cancel();
        }
    }

    pub fn running(&self) -> usize {
        self.lock().jobs.len()
    }

    /// Waits until no job runs (every cleanup finished) or `timeout` passed; true if idle.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            if self.running() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.running() == 0;
            }
        }
    }

    /// The running jobs of one project (all jobs without a project too).
    pub fn views(&self, project: &Path) -> Vec<JobView> {
        let inner = self.lock();
        let mut jobs: Vec<(&u64, &Job)> = inner
            .jobs
            .iter()
            .filter(|(_, j)| j.visible && j.project.as_deref().is_some_and(|p| p == project))
            .collect();
        jobs.sort_by_key(|(id, _)| **id);
        jobs.into_iter()
            .map(|(_, j)| JobView {
                command: j.command,
                project: j.project.as_ref().map(|p| p.display().to_string()),
                title: j.title.clone(),
                percentage: j.percentage,
                message: j.message.clone(),
            })
            .collect()
    }
}

/// A job's registration; dropping it (when the job's task ends) removes it.
pub struct JobHandle {
    jobs: Arc<Jobs>,
    id: u64,
}

impl JobHandle {
    pub fn set_project(&self, project: &Path) {
        if let Some(job) = self.jobs.lock().jobs.get_mut(&self.id) {
            job.project = Some(project.to_path_buf());
        }
    }

    /// One publish per project at a time (in this sidecar; core's lock covers other
    /// processes).
    pub fn claim_publish(&self, project: &Path) -> Result<(), CoreError> {
        let canonical = project
            .canonicalize()
            .unwrap_or_else(|_| project.to_path_buf());
        let mut inner = self.jobs.lock();
        if inner
            .jobs
            .iter()
            .any(|(id, j)| *id != self.id && j.publishing.as_deref() == Some(canonical.as_path()))
        {
            return Err(CoreError::Busy {
                project: canonical.display().to_string(),
            });
        }
        if let Some(job) = inner.jobs.get_mut(&self.id) {
            job.publishing = Some(canonical);
        }
        Ok(())
    }

    pub fn set_title(&self, title: &str) {
        if let Some(job) = self.jobs.lock().jobs.get_mut(&self.id) {
            job.title = title.to_string();
        }
    }

    pub fn update(&self, percentage: Option<u8>, message: &str) {
        if let Some(job) = self.jobs.lock().jobs.get_mut(&self.id) {
            if percentage.is_some() {
                job.percentage = percentage;
            }
            job.message = message.to_string();
        }
    }

    pub fn watch_progress(&self, token: &ProgressToken) {
        self.jobs.lock().progress.insert(token_key(token), self.id);
    }
}

impl Drop for JobHandle {
    fn drop(&mut self) {
        {
            let mut inner = self.jobs.lock();
            inner.jobs.remove(&self.id);
            let id = self.id;
            inner.progress.retain(|_, job| *job != id);
        }
        self.jobs.changed.notify_waiters();
    }
}
