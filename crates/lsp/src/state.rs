//! What every handler shares: the client handle, what the client can do, the workspace
//! folders, the jobs, and the base context (home, portal override) from the command line.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use gopay_miniapp_core::workflows::status::StatusSnapshot;
use gopay_miniapp_core::Context;
use tokio_util::sync::CancellationToken;
use tower_lsp_server::jsonrpc::{self, ErrorCode};
use tower_lsp_server::Client;

use crate::jobs::Jobs;
use crate::Options;

/// What the client said it supports in `initialize`.
#[derive(Debug, Clone, Default)]
pub struct ClientCaps {
    pub work_done_progress: bool,
    pub show_document: bool,
    pub name: String,
}

pub struct Shared {
    client: OnceLock<Client>,
    pub base: Context,
    pub options: RwLock<Options>,
    pub caps: RwLock<ClientCaps>,
    pub folders: RwLock<Vec<PathBuf>>,
    pub jobs: Arc<Jobs>,
    /// The client went away (stdin closed) or sent `exit`.
    pub closing: CancellationToken,
    pub shutdown_requested: AtomicBool,
    /// Serializes status pushes and remembers the last one sent per project.
    pub last_status: tokio::sync::Mutex<std::collections::HashMap<PathBuf, Pushed>>,
    /// Interrupted publishes this sidecar put right, per project: every snapshot of the
    /// project shows its recovery for the rest of the session.
    pub recoveries:
        std::sync::Mutex<std::collections::HashMap<PathBuf, gopay_miniapp_core::journal::Recovery>>,
}

impl Shared {
    pub fn new(base: Context, options: Options) -> Arc<Self> {
        Arc::new(Shared {
            client: OnceLock::new(),
            base,
            options: RwLock::new(options),
            caps: RwLock::new(ClientCaps::default()),
            folders: RwLock::new(Vec::new()),
            jobs: Arc::new(Jobs::default()),
            closing: CancellationToken::new(),
            shutdown_requested: AtomicBool::new(false),
            last_status: Default::default(),
            recoveries: Default::default(),
        })
    }

    pub fn set_client(&self, client: Client) {
        let _ = self.client.set(client);
    }

    pub fn client(&self) -> &Client {
        self.client
            .get()
            .expect("the client is set when the service is built")
    }

    pub fn options(&self) -> Options {
        self.options
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn caps(&self) -> ClientCaps {
        self.caps.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn folders(&self) -> Vec<PathBuf> {
        self.folders
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutdown_requested.load(Ordering::SeqCst)
    }
}

/// Sends a notification unless the client is gone (tower-lsp's outgoing queue is no longer
/// drained then, and a send would wait forever).
pub async fn notify(shared: &Shared, send: impl Future<Output = ()>) {
    tokio::select! {
        biased;
        _ = shared.closing.cancelled() => {}
        _ = send => {}
    }
}

/// Why a request to the client gave no answer.
#[derive(Debug)]
pub enum ClientFailure {
    Timeout(Duration),
    /// Our own work was cancelled while waiting.
    Cancelled,
    /// The client went away.
    Closed,
    /// The client does not implement the method.
    Unsupported,
    Error(jsonrpc::Error),
}

impl std::fmt::Display for ClientFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientFailure::Timeout(d) => write!(f, "no answer within {}", human(*d)),
            ClientFailure::Cancelled => f.write_str("cancelled"),
            ClientFailure::Closed => f.write_str("the editor went away"),
            ClientFailure::Unsupported => f.write_str("the editor does not support it"),
            ClientFailure::Error(e) => {
                write!(f, "the editor answered with an error: {}", e.message)
            }
        }
    }
}

pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (minutes, seconds) = (s / 60, s % 60);
    if minutes > 0 && seconds == 0 {
        format!("{minutes} min")
    } else if s >= 1 {
        format!("{s} s")
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Every request to the client goes through here: a timeout, and it stops when our work is
/// cancelled or the client goes away.
pub async fn ask_client<T>(
    shared: &Shared,
    fut: impl Future<Output = jsonrpc::Result<T>>,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<T, ClientFailure> {
    tokio::select! {
        biased;
        _ = shared.closing.cancelled() => Err(ClientFailure::Closed),
        _ = cancel.cancelled() => Err(ClientFailure::Cancelled),
        r = tokio::time::timeout(timeout, fut) => match r {
            Err(_) => Err(ClientFailure::Timeout(timeout)),
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) if e.code == ErrorCode::MethodNotFound => Err(ClientFailure::Unsupported),
            Ok(Err(e)) => Err(ClientFailure::Error(e)),
        }
    }
}

/// The snapshot pushed last for a project: its text (a new one is sent only when it differs)
/// and its status (what the watcher polls for).
pub struct Pushed {
    pub text: String,
    pub status: StatusSnapshot,
}
