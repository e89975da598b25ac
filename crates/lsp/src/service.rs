//! A thin tower layer in front of tower-lsp's service. It sees every message with its id,
//! which tower-lsp's handlers do not:
//!
//! - each `workspace/executeCommand` request gets a cancellation token, registered under its
//!   id before the handler runs and handed to the handler in a task-local. A guard in the
//!   request's future unregisters it, and cancels it if the future is dropped unfinished;
//! - `$/cancelRequest` for such a request cancels its token and is *not* passed on: tower-lsp
//!   would drop the request's future and answer at once, before the work has cleaned up. The
//!   handler answers RequestCancelled itself once the cleanup is done. Other cancels go to
//!   tower-lsp as usual;
//! - `window/workDoneProgress/cancel` (which tower-lsp does not implement) cancels the job
//!   that reports on that token.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use tower::Service;
use tower_lsp_server::jsonrpc::{Id, Request, Response};
use tower_lsp_server::ls_types::{CancelParams, WorkDoneProgressCancelParams};
use tower_lsp_server::{ExitedError, LspService};

use crate::jobs::{RequestScope, REQUEST};
use crate::server::Sidecar;
use crate::state::Shared;

pub struct SidecarService {
    pub inner: LspService<Sidecar>,
    pub shared: Arc<Shared>,
}

struct ScopeGuard {
    shared: Arc<Shared>,
    scope: RequestScope,
    finished: bool,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        self.shared.jobs.unregister_request(&self.scope.id);
        if !self.finished {
            self.scope.cancel.cancel();
        }
    }
}

impl Service<Request> for SidecarService {
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = BoxFuture<'static, Result<Option<Response>, ExitedError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ExitedError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match req.method() {
            "$/cancelRequest" => {
                if let Some(params) = req
                    .params()
                    .and_then(|p| serde_json::from_value::<CancelParams>(p.clone()).ok())
                {
                    if self.shared.jobs.cancel_request(&Id::from(params.id)) {
                        return futures_util::future::ready(Ok(None)).boxed();
                    }
                }
                self.inner.call(req)
            }
            "window/workDoneProgress/cancel" => {
                if let Some(params) = req.params().and_then(|p| {
                    serde_json::from_value::<WorkDoneProgressCancelParams>(p.clone()).ok()
                }) {
                    if !self.shared.jobs.cancel_progress(&params.token) {
                        tracing::debug!("window/workDoneProgress/cancel for an unknown token");
                    }
                }
                futures_util::future::ready(Ok(None)).boxed()
            }
            "workspace/executeCommand" if req.id().is_some() => {
                let id = req.id().cloned().expect("checked");
                let scope = RequestScope {
                    id: id.clone(),
                    cancel: self.shared.jobs.register_request(id),
                };
                let mut guard = ScopeGuard {
                    shared: self.shared.clone(),
                    scope: scope.clone(),
                    finished: false,
                };
                let fut = self.inner.call(req);
                async move {
                    let result = REQUEST.scope(scope, fut).await;
                    guard.finished = true;
                    drop(guard);
                    result
                }
                .boxed()
            }
            _ => self.inner.call(req),
        }
    }
}
