//! Core's [`Reporter`] for one command: `$/progress` (begin/report/end, with core's typed
//! `phase` and a percentage only where the phase has a real one — the upload's bytes —,
//! cancellable) on the client's `workDoneToken` if it gave one, else on a token created with
//! `window/workDoneProgress/create` (when the client supports it); `window/logMessage` for
//! narration and build output; a status push when something changed.
//!
//! Reporter calls are synchronous and come from inside the workflow, so they only queue an
//! event; one pump task per command sends them in order. The command waits for the pump
//! (so `end` is sent before the response).
//!
//! The queue is bounded (`guard::limits`): an editor that reads slowly (or not at all) holds
//! the pump, while a build may print without end. At most [`EDITOR_OUTPUT_QUEUE`] log lines
//! wait; past that the oldest waiting line is dropped and counted, and the editor is told how
//! many were left out before the next line it gets. Lines are cut at [`EDITOR_LINE_MAX`]
//! bytes; progress reports waiting behind each other are coalesced into the latest. So the
//! sidecar's memory stays flat whatever the build prints.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gopay_miniapp_core::events::{LogSource, Phase, Reporter};
use gopay_miniapp_core::Context;
use std::collections::VecDeque;

use gopay_miniapp_guard::limits::{EDITOR_LINE_MAX, EDITOR_OUTPUT_QUEUE};
use gopay_miniapp_guard::text::{Line, Lines};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::{
    MessageType, ProgressToken, WorkDoneProgress, WorkDoneProgressBegin, WorkDoneProgressEnd,
    WorkDoneProgressReport,
};

use crate::commands::CommandSpec;
use crate::jobs::JobHandle;
use crate::state::{ask_client, notify, Shared};

/// `$/progress` with our `phase` in its value (LSP's own type has no room for it).
enum PhasedProgress {}

impl Notification for PhasedProgress {
    type Params = serde_json::Value;
    const METHOD: &'static str = "$/progress";
}

/// Reports at most this often unless the percentage changes.
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

enum Event {
    Step(String),
    Progress(Phase, String),
    Log(MessageType, String),
    Changed,
    Finish(String),
    /// The reporter is gone without a finish (the command's task ended another way).
    Closed,
}

/// The events waiting for the pump (see the module doc for the bounds).
#[derive(Default)]
struct Waiting {
    events: VecDeque<Event>,
    /// How many of `events` are log lines.
    logs: usize,
    /// Log lines dropped since the pump last took one.
    dropped: u64,
    /// The latest progress report not yet sent: reports are not queued, the editor only
    /// ever shows the latest.
    progress: Option<(Phase, String)>,
}

/// The queue between the reporter (any thread) and the pump (one task).
#[derive(Default)]
struct Queue {
    waiting: std::sync::Mutex<Waiting>,
    ready: Notify,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, event: Event) {
        {
            let mut waiting = self.lock();
            match event {
                Event::Log(kind, line) => {
                    if waiting.logs >= EDITOR_OUTPUT_QUEUE {
                        if let Some(at) = waiting
                            .events
                            .iter()
                            .position(|e| matches!(e, Event::Log(..)))
                        {
                            waiting.events.remove(at);
                            waiting.logs -= 1;
                            waiting.dropped += 1;
                        }
                    }
                    waiting.events.push_back(Event::Log(kind, cut_line(line)));
                    waiting.logs += 1;
                }
                Event::Progress(phase, message) => {
                    waiting.progress = Some((phase, message));
                }
                event => waiting.events.push_back(event),
            }
        }
        self.ready.notify_one();
    }

    /// The next event, and how many log lines were dropped before it (only counted when the
    /// event is a log line, where the note goes).
    async fn next(&self) -> (Event, u64) {
        loop {
            let notified = self.ready.notified();
            {
                let mut waiting = self.lock();
                if let Some((phase, message)) = waiting.progress.take() {
                    return (Event::Progress(phase, message), 0);
                }
                if let Some(event) = waiting.events.pop_front() {
                    let dropped = if matches!(event, Event::Log(..)) {
                        waiting.logs -= 1;
                        std::mem::take(&mut waiting.dropped)
                    } else {
                        0
                    };
                    return (event, dropped);
                }
            }
            notified.await;
        }
    }

    #[cfg(test)]
    fn len(&self) -> (usize, u64) {
        let waiting = self.lock();
        (
            waiting.events.len() + usize::from(waiting.progress.is_some()),
            waiting.dropped,
        )
    }
}

/// A line cut at [`EDITOR_LINE_MAX`] bytes (on a character boundary), marked as cut.
fn cut_line(mut line: String) -> String {
    if line.len() > EDITOR_LINE_MAX {
        let mut end = EDITOR_LINE_MAX;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push_str(" … (cut)");
    }
    line
}

pub struct JobReporter {
    queue: Arc<Queue>,
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
        self.queue.push(Event::Finish(said(message)));
    }

    pub fn info(&self, line: &str) {
        self.queue.push(Event::Log(MessageType::INFO, said(line)));
    }
}

/// The pump ends when the reporter goes, as it did when the reporter held a channel's sender.
impl Drop for JobReporter {
    fn drop(&mut self) {
        self.queue.push(Event::Closed);
    }
}

impl Reporter for JobReporter {
    fn step(&self, title: &str) {
        self.queue.push(Event::Step(said(title)));
    }
    fn progress(&self, phase: &Phase, message: &str) {
        self.queue
            .push(Event::Progress(phase.clone(), said(message)));
    }
    fn log(&self, source: LogSource, line: &str) {
        let kind = match source {
            LogSource::Build => MessageType::LOG,
            LogSource::Workflow => MessageType::INFO,
        };
        // One line of a build's output or of the workflow: shown, cut (guard::text::Line).
        self.queue.push(Event::Log(kind, Line(line).to_string()));
    }
    fn warn(&self, message: &str) {
        self.queue
            .push(Event::Log(MessageType::WARNING, said(message)));
    }
    fn changed(&self) {
        self.changed.store(true, Ordering::SeqCst);
        self.queue.push(Event::Changed);
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
    let queue = Arc::new(Queue::default());
    let rx = queue.clone();
    let ctx = Arc::new(std::sync::Mutex::new(None));
    let reporter = Arc::new(JobReporter {
        queue,
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
    rx: Arc<Queue>,
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
    // `$/progress` as LSP has it, plus the typed `phase` in `report` values (a client that
    // does not know the field ignores it): clients draw from the phase, not from the words.
    let send = |value: WorkDoneProgress, phase: Option<Phase>| {
        let client = client.clone();
        let token = token.clone();
        let shared = shared.clone();
        async move {
            if let Some(token) = token {
                let mut value = serde_json::to_value(&value).unwrap_or_default();
                if let (Some(phase), Some(fields)) = (phase, value.as_object_mut()) {
                    fields.insert(
                        "phase".into(),
                        serde_json::to_value(&phase).unwrap_or_default(),
                    );
                }
                notify(
                    &shared,
                    client.send_notification::<PhasedProgress>(serde_json::json!({
                        "token": token,
                        "value": value,
                    })),
                )
                .await;
            }
        }
    };
    if let Some(t) = &token {
        job.watch_progress(t);
        send(
            WorkDoneProgress::Begin(WorkDoneProgressBegin {
                title: title.clone(),
                cancellable: Some(true),
                message: None,
                percentage: Some(0),
            }),
            None,
        )
        .await;
    }
    // Only a real fraction (the upload's bytes) moves it; it never goes back.
    let mut percentage: Option<u8> = None;
    let mut last_report = Instant::now() - REPORT_INTERVAL;
    let mut last_message = String::new();
    // A new phase is always sent (a client draws from it), even when a step just said the
    // same words; only reports within one phase (the upload's bytes) are thinned out.
    let mut last_phase: Option<std::mem::Discriminant<Phase>> = None;
    let end_message = loop {
        let (event, dropped) = rx.next().await;
        if dropped > 0 {
            let note = format!(
                "({dropped} lines of output were left out here: the editor read them slower than they came)"
            );
            notify(&shared, client.log_message(MessageType::WARNING, note)).await;
        }
        match event {
            Event::Step(step) => {
                job.update(None, &step);
                notify(&shared, client.log_message(MessageType::INFO, &step)).await;
                last_message = step.clone();
                last_report = Instant::now();
                send(
                    WorkDoneProgress::Report(WorkDoneProgressReport {
                        cancellable: Some(true),
                        message: Some(step),
                        percentage: percentage.map(u32::from),
                    }),
                    None,
                )
                .await;
            }
            Event::Progress(phase, message) => {
                let p = phase.percent();
                job.update(p, &message);
                let before = percentage;
                percentage = percentage.max(p);
                let new_phase = last_phase != Some(std::mem::discriminant(&phase));
                if percentage != before
                    || new_phase
                    || (message != last_message && last_report.elapsed() >= REPORT_INTERVAL)
                {
                    last_phase = Some(std::mem::discriminant(&phase));
                    last_report = Instant::now();
                    last_message = message.clone();
                    send(
                        WorkDoneProgress::Report(WorkDoneProgressReport {
                            cancellable: Some(true),
                            message: Some(message),
                            percentage: percentage.map(u32::from),
                        }),
                        Some(phase),
                    )
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
            Event::Finish(message) => break Some(message),
            Event::Closed => break None,
        }
    };
    if token.is_some() {
        send(
            WorkDoneProgress::End(WorkDoneProgressEnd {
                message: end_message,
            }),
            None,
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #20 item 18: a build printing without end while nothing takes the lines (a pump
    /// held by an editor that does not read) keeps at most EDITOR_OUTPUT_QUEUE lines, counts
    /// the dropped ones, cuts long lines and coalesces progress; the newest lines are kept.
    #[tokio::test]
    async fn build_output_waiting_for_a_slow_editor_stays_bounded() {
        let queue = Queue::default();
        queue.push(Event::Step("Building".into()));
        let lines = 100_000;
        for i in 0..lines {
            queue.push(Event::Log(MessageType::LOG, format!("line {i}")));
            queue.push(Event::Progress(Phase::Check, format!("building {i}")));
        }
        queue.push(Event::Log(MessageType::LOG, "x".repeat(1 << 20)));
        let (len, dropped) = queue.len();
        // The step, the newest lines and the latest progress report.
        assert_eq!(len, 1 + EDITOR_OUTPUT_QUEUE + 1);
        assert_eq!(dropped, (lines + 1 - EDITOR_OUTPUT_QUEUE) as u64);

        let (first, _) = queue.next().await;
        assert!(matches!(&first, Event::Progress(Phase::Check, m) if m == "building 99999"));
        let (second, _) = queue.next().await;
        assert!(matches!(second, Event::Step(_)));
        let (oldest, dropped_before) = loop {
            match queue.next().await {
                (Event::Log(_, line), dropped) => break (line, dropped),
                _ => continue,
            }
        };
        assert_eq!(dropped_before, (lines + 1 - EDITOR_OUTPUT_QUEUE) as u64);
        assert_eq!(oldest, format!("line {}", lines + 1 - EDITOR_OUTPUT_QUEUE));
        let mut last = String::new();
        while queue.len().0 > 0 {
            if let (Event::Log(_, line), dropped) = queue.next().await {
                assert_eq!(dropped, 0);
                last = line;
            }
        }
        assert!(
            last.len() <= EDITOR_LINE_MAX + 16 && last.ends_with("(cut)"),
            "{}",
            last.len()
        );
    }
}
