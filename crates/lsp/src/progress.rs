//! Core's [`Reporter`] for one command: `$/progress` (begin/report/end with a percentage,
//! cancellable) on the client's `workDoneToken` if it gave one, else on a token created with
//! `window/workDoneProgress/create` (when the client supports it); `window/logMessage` for
//! narration and build output; a status push when something changed.
//!
//! Reporter calls are synchronous and come from inside the workflow, so they only queue an
//! event; one pump task per command sends them in order. The command waits for the pump
//! (so `end` is sent before the response).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gopay_miniapp_core::events::{LogSource, Reporter};
use gopay_miniapp_core::Context;
use gopay_miniapp_guard::text::{Line, Lines};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_lsp_server::ls_types::notification::Progress;
use tower_lsp_server::ls_types::{
    MessageType, ProgressParams, ProgressParamsValue, ProgressToken, WorkDoneProgress,
    WorkDoneProgressBegin, WorkDoneProgressEnd, WorkDoneProgressReport,
};

use crate::commands::CommandSpec;
use crate::jobs::JobHandle;
use crate::state::{ask_client, notify, Shared};

/// Reports at most this often unless the percentage changes.
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

enum Event {
    Step(String),
    Progress(u8, String),
    Log(MessageType, String),
    Changed,
    Finish(String),
}

pub struct JobReporter {
    tx: mpsc::UnboundedSender<Event>,
    changed: AtomicBool,
    /// The context whose status a `changed` pushes (set once the project is known).
    ctx: Arc<std::sync::Mutex<Option<Context>>>,
}

impl JobReporter {
    pub fn set_context(&self, ctx: &Context) {
        *self.ctx.lock().unwrap_or_else(|e| e.into_inner()) = Some(ctx.clone());
    }

    pub fn was_changed(&self) -> bool {
        self.changed.load(Ordering::SeqCst)
    }

    pub fn finish(&self, message: &str) {
        let _ = self.tx.send(Event::Finish(said(message)));
    }

    pub fn info(&self, line: &str) {
        let _ = self.tx.send(Event::Log(MessageType::INFO, said(line)));
    }
}

impl Reporter for JobReporter {
    fn step(&self, title: &str) {
        let _ = self.tx.send(Event::Step(said(title)));
    }
    fn progress(&self, percent: u8, message: &str) {
        let _ = self
            .tx
            .send(Event::Progress(percent.min(100), said(message)));
    }
    fn log(&self, source: LogSource, line: &str) {
        let kind = match source {
            LogSource::Build => MessageType::LOG,
            LogSource::Workflow => MessageType::INFO,
        };
        // One line of a build's output or of the workflow: shown, cut (guard::text::Line).
        let _ = self.tx.send(Event::Log(kind, Line(line).to_string()));
    }
    fn warn(&self, message: &str) {
        let _ = self
            .tx
            .send(Event::Log(MessageType::WARNING, said(message)));
    }
    fn changed(&self) {
        self.changed.store(true, Ordering::SeqCst);
        let _ = self.tx.send(Event::Changed);
    }
}

/// What reaches the editor carries outside text (names, a portal's words, a build's output):
/// every message passes guard::text, its own newlines kept.
fn said(text: &str) -> String {
    Lines(text).to_string()
}

/// Starts the reporter and its pump for one command.
pub fn start(
    shared: Arc<Shared>,
    spec: &'static CommandSpec,
    job: Arc<JobHandle>,
    client_token: Option<ProgressToken>,
    cancel: CancellationToken,
    title: String,
) -> (Arc<JobReporter>, JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let ctx = Arc::new(std::sync::Mutex::new(None));
    let reporter = Arc::new(JobReporter {
        tx,
        changed: AtomicBool::new(false),
        ctx: ctx.clone(),
    });
    let pump = tokio::spawn(pump(
        shared,
        spec,
        job,
        client_token,
        cancel,
        title,
        rx,
        ctx,
    ));
    (reporter, pump)
}

static NEXT_TOKEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

#[allow(clippy::too_many_arguments)]
async fn pump(
    shared: Arc<Shared>,
    spec: &'static CommandSpec,
    job: Arc<JobHandle>,
    client_token: Option<ProgressToken>,
    cancel: CancellationToken,
    title: String,
    mut rx: mpsc::UnboundedReceiver<Event>,
    ctx_cell: Arc<std::sync::Mutex<Option<Context>>>,
) {
    let client = shared.client().clone();
    job.set_title(&title);
    let token = if spec.progress.is_none() {
        None
    } else if let Some(token) = client_token {
        Some(token)
    } else if shared.caps().work_done_progress {
        let token = ProgressToken::String(format!(
            "gopay-miniapp/{}",
            NEXT_TOKEN.fetch_add(1, Ordering::Relaxed)
        ));
        let timeout = shared.options().client_request_timeout;
        match ask_client(
            &shared,
            client.create_work_done_progress(token.clone()),
            timeout,
            &cancel,
        )
        .await
        {
            Ok(()) => Some(token),
            Err(e) => {
                tracing::info!(
                    "no progress for {}: window/workDoneProgress/create: {e}",
                    spec.name
                );
                None
            }
        }
    } else {
        None
    };
    let send = |value: WorkDoneProgress| {
        let client = client.clone();
        let token = token.clone();
        let shared = shared.clone();
        async move {
            if let Some(token) = token {
                notify(
                    &shared,
                    client.send_notification::<Progress>(ProgressParams {
                        token,
                        value: ProgressParamsValue::WorkDone(value),
                    }),
                )
                .await;
            }
        }
    };
    if let Some(t) = &token {
        job.watch_progress(t);
        send(WorkDoneProgress::Begin(WorkDoneProgressBegin {
            title: title.clone(),
            cancellable: Some(true),
            message: None,
            percentage: Some(0),
        }))
        .await;
    }
    let mut percentage: u8 = 0;
    let mut last_report = Instant::now() - REPORT_INTERVAL;
    let mut last_message = String::new();
    let mut end_message: Option<String> = None;
    while let Some(event) = rx.recv().await {
        match event {
            Event::Step(step) => {
                job.update(None, &step);
                notify(&shared, client.log_message(MessageType::INFO, &step)).await;
                last_message = step.clone();
                last_report = Instant::now();
                send(WorkDoneProgress::Report(WorkDoneProgressReport {
                    cancellable: Some(true),
                    message: Some(step),
                    percentage: Some(percentage as u32),
                }))
                .await;
            }
            Event::Progress(p, message) => {
                job.update(Some(p), &message);
                let changed_pct = p != percentage;
                percentage = p.max(percentage);
                if changed_pct
                    || (message != last_message && last_report.elapsed() >= REPORT_INTERVAL)
                {
                    last_report = Instant::now();
                    last_message = message.clone();
                    send(WorkDoneProgress::Report(WorkDoneProgressReport {
                        cancellable: Some(true),
                        message: Some(message),
                        percentage: Some(percentage as u32),
                    }))
                    .await;
                }
            }
            Event::Log(kind, line) => notify(&shared, client.log_message(kind, line)).await,
            Event::Changed => {
                let ctx = ctx_cell.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if let Some(ctx) = ctx {
                    let shared = shared.clone();
                    tokio::spawn(async move { crate::status::push(&shared, &ctx).await });
                }
            }
            Event::Finish(message) => {
                end_message = Some(message);
                break;
            }
        }
    }
    if token.is_some() {
        send(WorkDoneProgress::End(WorkDoneProgressEnd {
            message: end_message,
        }))
        .await;
    }
}
