//! The LSP lifecycle: `initialize` (capabilities from the command table), workspace folders,
//! `shutdown`, and `workspace/executeCommand` (handed to [`crate::handlers`]).

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::state::{ClientCaps, Shared};

pub struct Sidecar {
    pub shared: Arc<Shared>,
}

impl Sidecar {
    pub fn new(client: Client, shared: Arc<Shared>) -> Self {
        shared.set_client(client);
        Sidecar { shared }
    }
}

/// A workspace folder's local path; a folder on another machine (`file://host/…`) is none.
fn folder_path(uri: &Uri) -> Option<PathBuf> {
    crate::project::local_path(uri.as_str())
        .map_err(|why| tracing::info!("workspace folder {} {why}: left out", uri.as_str()))
        .ok()
}

/// `initializationOptions` the sidecar reads (all optional).
fn apply_initialization_options(shared: &Shared, options: Option<&Value>) {
    let Some(options) = options else { return };
    let mut current = shared.options.write().unwrap_or_else(|e| e.into_inner());
    if let Some(secs) = options.get("promptTimeoutSeconds").and_then(Value::as_f64) {
        if secs > 0.0 {
            current.prompt_timeout = Duration::from_secs_f64(secs.min(86_400.0));
        }
    }
    if let Some(secs) = options
        .get("clientRequestTimeoutSeconds")
        .and_then(Value::as_f64)
    {
        if secs > 0.0 {
            current.client_request_timeout = Duration::from_secs_f64(secs.min(3_600.0));
        }
    }
}

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: crate::handlers::names(),
            work_done_progress_options: WorkDoneProgressOptions {
                work_done_progress: Some(true),
            },
        }),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        experimental: Some(json!({
            "gopayMiniapp": {
                "protocolVersion": crate::PROTOCOL_VERSION,
                "statusNotification": <crate::status::DidChangeStatus as tower_lsp_server::ls_types::notification::Notification>::METHOD,
            }
        })),
        ..ServerCapabilities::default()
    }
}

impl LanguageServer for Sidecar {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let window = params.capabilities.window.as_ref();
        *self.shared.caps.write().unwrap_or_else(|e| e.into_inner()) = ClientCaps {
            work_done_progress: window.and_then(|w| w.work_done_progress).unwrap_or(false),
            show_document: window
                .and_then(|w| w.show_document.as_ref())
                .is_some_and(|d| d.support),
            name: params
                .client_info
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "an editor".into()),
        };
        apply_initialization_options(&self.shared, params.initialization_options.as_ref());
        #[allow(deprecated)]
        let folders: Vec<PathBuf> = match &params.workspace_folders {
            Some(folders) if !folders.is_empty() => {
                folders.iter().filter_map(|f| folder_path(&f.uri)).collect()
            }
            _ => params
                .root_uri
                .as_ref()
                .and_then(folder_path)
                .or_else(|| params.root_path.as_ref().map(PathBuf::from))
                .into_iter()
                .collect(),
        };
        *self
            .shared
            .folders
            .write()
            .unwrap_or_else(|e| e.into_inner()) = folders;
        Ok(InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo {
                name: "gopay-miniapp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        crate::watch::spawn(self.shared.clone());
        tokio::spawn(crate::status::recover_folders(self.shared.clone()));
    }

    async fn shutdown(&self) -> Result<()> {
        self.shared.shutdown_requested.store(true, Ordering::SeqCst);
        // Nothing may outlive the session: stop running work and wait for its cleanup.
        self.shared.jobs.cancel_all();
        self.shared.jobs.wait_idle(crate::CLEANUP_GRACE).await;
        Ok(())
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let mut folders = self
            .shared
            .folders
            .write()
            .unwrap_or_else(|e| e.into_inner());
        for removed in &params.event.removed {
            if let Some(path) = folder_path(&removed.uri) {
                folders.retain(|f| *f != path);
            }
        }
        for added in &params.event.added {
            if let Some(path) = folder_path(&added.uri) {
                if !folders.contains(&path) {
                    folders.push(path);
                }
            }
        }
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        crate::handlers::execute(self.shared.clone(), params).await
    }

    // Editors attach the sidecar to buffers; documents are not its business.
    async fn did_open(&self, _: DidOpenTextDocumentParams) {}
    async fn did_change(&self, _: DidChangeTextDocumentParams) {}
    async fn did_save(&self, _: DidSaveTextDocumentParams) {}
    async fn did_close(&self, _: DidCloseTextDocumentParams) {}
}
