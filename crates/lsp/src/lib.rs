//! The editor sidecar (`gopay-miniapp lsp`): every workflow as a `workspace/executeCommand`
//! command over JSON-RPC on stdio (LSP base protocol). The protocol is documented in
//! `docs/protocol.md`; [`handlers::all`] is the one table it is checked against.
//!
//! ```text
//!  stdin ──▶ framing::read_input ──(valid frames)──▶ tower-lsp Server ──▶ SidecarService
//!                 │  (answers bad frames itself)          │                 │ ids, cancels
//!                 ▼                                       ▼                 ▼
//!  stdout ◀── framing::write_output ◀── whole frames ── tower-lsp      Sidecar (LanguageServer)
//!                                                                      └─ handlers/<command>.rs
//!                                                                         run as jobs (jobs.rs)
//! ```
//! Stdout is the wire: only [`framing::write_output`] writes to it. Logs go to stderr
//! (tracing, set up by the CLI) and to the client as `window/logMessage`; the build's output
//! is piped by core's build runner, never inherited.

pub mod commands;
pub mod errors;
pub mod framing;
pub mod handlers;
mod jobs;
mod progress;
mod project;
mod prompter;
pub mod redact;
mod server;
mod service;
mod state;
mod status;
mod watch;
pub mod words;

use std::sync::atomic::Ordering;
use std::time::Duration;

use gopay_miniapp_core::Context;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tower_lsp_server::{LspService, Server};

pub use commands::{ArgSpec, ArgType, CommandSpec};
pub use errors::RPC_ERROR_CODES;
pub use status::DidChangeStatus;

/// Version of the sidecar protocol (`initialize` → `capabilities.experimental.gopayMiniapp`).
pub const PROTOCOL_VERSION: u32 = 1;
/// How long the sidecar waits for running work to clean up when the client goes away.
pub const CLEANUP_GRACE: Duration = Duration::from_secs(20);
/// How many requests tower-lsp runs at once (long jobs each hold one).
const CONCURRENCY: usize = 64;

#[derive(Debug, Clone)]
pub struct Options {
    /// How long a question (`window/showMessageRequest`) waits for an answer.
    pub prompt_timeout: Duration,
    /// How long any other request to the client waits.
    pub client_request_timeout: Duration,
    /// Largest incoming message.
    pub max_message_bytes: usize,
    /// Cancelled when the process is told to stop (SIGTERM, SIGHUP, Ctrl-C): the sidecar then
    /// does what it does when the client goes away (running work cancelled and cleaned up:
    /// build stopped, package.json restored) and returns.
    pub stop: tokio_util::sync::CancellationToken,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prompt_timeout: Duration::from_secs(5 * 60),
            client_request_timeout: Duration::from_secs(30),
            max_message_bytes: framing::DEFAULT_MAX_BODY_BYTES,
            stop: tokio_util::sync::CancellationToken::new(),
        }
    }
}

/// Serves JSON-RPC on stdin/stdout until the client goes away or `stop` is cancelled;
/// resolves to the exit code.
///
/// Boxed here, so that the whole sidecar (its state machine and every generic it
/// instantiates: tower-lsp's loop, the JSON-RPC codec, the handlers) is compiled in this crate,
/// at this crate's optimisation level. Awaited as a plain `async fn`, the caller's crate
/// compiled it: the `dist` profile builds the CLI crate for size, and the status round trip
/// then ran 4 % more instructions (Cargo.toml, docs/benchmarks.md).
pub fn run_stdio(
    ctx: Context,
    stop: tokio_util::sync::CancellationToken,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = i32> + Send>> {
    Box::pin(serve(
        ctx,
        tokio::io::stdin(),
        tokio::io::stdout(),
        Options {
            stop,
            ..Options::default()
        },
    ))
}

/// Serves one client on `input`/`output` (stdio, or an in-memory pipe in tests). Returns when
/// the client closes `input` (0) or after `exit` (0 after `shutdown`, else 1), once every
/// running job has cleaned up (build stopped, package.json restored).
pub async fn serve<I, O>(ctx: Context, input: I, output: O, options: Options) -> i32
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let max_body = options.max_message_bytes;
    let stop = options.stop.clone();
    let shared = state::Shared::new(ctx, options);
    let (service, socket) = {
        let shared = shared.clone();
        LspService::build(move |client| server::Sidecar::new(client, shared.clone())).finish()
    };
    let service = service::SidecarService {
        inner: service,
        shared: shared.clone(),
    };

    let (to_server, server_in) = tokio::io::duplex(64 * 1024);
    let (server_out, from_server) = tokio::io::duplex(64 * 1024);
    let (frames_tx, frames_rx) = mpsc::channel::<Vec<u8>>(64);
    let writer = tokio::spawn(framing::write_output(output, frames_rx));
    let forwarder = tokio::spawn(framing::forward_server_output(
        from_server,
        frames_tx.clone(),
    ));
    let reader = {
        let shared = shared.clone();
        let replies = frames_tx.clone();
        tokio::spawn(async move {
            let mut to_server = to_server;
            tokio::select! {
                read = framing::read_input(input, &mut to_server, replies, max_body) => {
                    if let Err(e) = read {
                        tracing::info!("stopped reading the client: {e}");
                    }
                    tracing::info!("the client closed the connection; stopping running work");
                }
                // Told to stop (a signal): the same as the client going away.
                () = stop.cancelled() => {
                    tracing::info!("asked to stop; stopping running work");
                }
            }
            // Stop everything, wait for the cleanups, then let tower-lsp see the end of its
            // input.
            shared.closing.cancel();
            shared.jobs.cancel_all();
            if !shared.jobs.wait_idle(CLEANUP_GRACE).await {
                tracing::warn!("running work did not finish its cleanup in time");
            }
            drop(to_server);
        })
    };
    drop(frames_tx);

    Server::new(server_in, server_out, socket)
        .concurrency_level(CONCURRENCY)
        .serve(service)
        .await;

    // After `exit` (or the end of input): nothing may outlive the session.
    let client_left = shared.closing.is_cancelled();
    shared.closing.cancel();
    shared.jobs.cancel_all();
    shared.jobs.wait_idle(CLEANUP_GRACE).await;
    reader.abort();
    let _ = reader.await;
    let _ = forwarder.await;
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    if client_left || shared.shutdown_requested.load(Ordering::SeqCst) {
        0
    } else {
        1
    }
}
