//! Running the project's build command (`npm run build` and the like).
//!
//! Rules, and why:
//! - The command string runs through `sh -c` in the project folder, so whatever the user types
//!   in a terminal works here too (`npm run build`, `pnpm -F app build`, `FOO=1 make dist`).
//! - Its stdout and stderr are both piped, never inherited: in `lsp` mode our own stdout is the
//!   JSON-RPC wire and one stray byte from a build would corrupt it. stdin is `/dev/null`, so a
//!   build that asks a question fails instead of hanging forever.
//! - Every output line goes to a callback as it arrives (the front ends show it live and keep a
//!   log). Lines are split on `\n`; a trailing `\r` is dropped and, within a line, only what
//!   follows the last `\r` is kept (what a terminal would show after a progress bar redraw).
//!   Very long lines are cut into pieces of [`MAX_LINE_BYTES`] so a minified bundle printed to
//!   stdout cannot grow memory without bound.
//! - The shell starts its own process group. Cancelling (a [`CancellationToken`]) sends SIGTERM to
//!   the whole group, so `npm`, `node` and whatever they started all get it, waits up to the
//!   grace period (3 s by default) and then SIGKILLs the group. Dropping the future does the
//!   SIGKILL straight away. A side effect of the own group: a terminal's Ctrl-C does not reach
//!   the build directly; front ends turn Ctrl-C into the cancellation token.
//! - When the shell has exited but something it started in the background still holds our
//!   pipes open, we wait [`LEFTOVER_GRACE`] for the pipes to close and then stop that group too:
//!   a build that leaves processes behind must not make the CLI hang ("CLIs that never exit").
//! - The build dies with us, by two mechanisms, each enough alone for the whole group:
//!   - Everywhere (every Unix): the lifeline guardian ([`super::lifeline`]). A small `sh`
//!     started before the build holds the read end of a pipe whose only write end is ours;
//!     when we die, however (SIGKILL included), the pipe closes and the guardian stops the
//!     build's whole process group (SIGTERM, the grace, SIGKILL). When the build ends while we
//!     live, we tell it `done` and reap it.
//!   - Linux: the shell gets `PR_SET_PDEATHSIG(SIGKILL)`: when we die, the kernel kills it.
//!     That signal follows the *thread* that forked the child, not the process, and tokio's
//!     threads come and go (a blocking-pool thread exits after 10 s idle), so the shell is
//!     always forked by one thread of our own that lives as long as the process
//!     ([`spawn_from_lasting_thread`]); and since we may die between the fork and the
//!     `prctl`, the child checks `getppid()` afterwards and gives up if its parent is already
//!     gone. It reaches only the shell, not `npm`, `node` and the rest of the group (the
//!     shell's children, not ours), and it needs no second process.
//!
//!   What both miss (the guardian killed as well, where there is no PDEATHSIG) the publish
//!   journal stops on the next run (crates/core/src/journal.rs), recognising the processes by
//!   the process group and by [`BUILD_TOKEN_ENV`] in their environment.
//!   `GOPAY_MINIAPP_NO_LIFELINE=1` and `GOPAY_MINIAPP_NO_PDEATHSIG=1` turn either off, for
//!   tests and diagnosis.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;

use super::build_errors::{ErrorFinder, SourceError};
#[cfg_attr(not(target_os = "linux"), allow(unused_imports))]
use super::lifeline::{switched_on, Lifeline, NO_PDEATHSIG_ENV};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

/// Set in the build's environment (inherited by everything it starts) to a random token the
/// publish journal records, so that a later run can tell the build's processes from strangers
/// that reuse the process group id.
pub const BUILD_TOKEN_ENV: &str = "GOPAY_MINIAPP_BUILD_TOKEN";

/// How many of the last output lines a failure reports.
pub const TAIL_LINES: usize = 20;
/// Longer lines are passed on in pieces of this size.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Environment variables of this tool that carry secrets and are removed from the build's
/// environment (docs/security.md, "Files, signals and secrets").
pub const SCRUBBED_ENV: &[&str] = &[crate::credentials::TOKEN_ENV];

/// How long cancelling waits between SIGTERM and SIGKILL unless [`Build::stop_grace`] says
/// otherwise.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(3);
/// How long we keep reading after the shell exited while its leftovers hold the pipes open.
pub const LEFTOVER_GRACE: Duration = Duration::from_secs(2);

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuildStream {
    Stdout,
    Stderr,
}

/// A build that went through.
#[derive(Debug, Clone)]
pub struct BuildSuccess {
    pub elapsed: Duration,
    /// How many lines the build printed (both streams).
    pub lines: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the build command is empty. Set one, for example `npm run build`.")]
    EmptyCommand,

    #[error("cannot run the build command `{command}` in {}: {source}. Check that the project folder exists.", dir.display())]
    BadDirectory {
        command: String,
        dir: PathBuf,
        source: io::Error,
    },

    #[error("could not start `sh` to run the build command `{command}`: {source}")]
    Spawn { command: String, source: io::Error },

    #[error("the build command `{command}` failed because `{program}` was not found (exit status 127). Install it or make sure it is on PATH (npm comes with Node.js).")]
    CommandNotFound {
        command: String,
        program: String,
        tail: Vec<String>,
    },

    /// The message names the first error (a file's, else the first line that says error),
    /// not the output: every line of it went to the front end as it came.
    #[error("the build command `{command}` failed ({status}){}", first_error(source_error.as_ref(), tail))]
    Failed {
        command: String,
        status: ExitStatus,
        /// The last [`TAIL_LINES`] lines of output, both streams in arrival order.
        tail: Vec<String>,
        /// The first error that names a file of the project (editors' problems list).
        source_error: Option<SourceError>,
    },

    #[error("the build command `{command}` was cancelled; it and every process it started were stopped.")]
    Cancelled { command: String },

    #[error("lost the output of the build command `{command}`: {source}")]
    Output { command: String, source: io::Error },
}

fn first_error(source_error: Option<&SourceError>, tail: &[String]) -> String {
    match source_error
        .map(ToString::to_string)
        .or_else(|| first_error_line(tail))
    {
        Some(line) => format!(": {line}"),
        None => ". It printed nothing.".to_string(),
    }
}

/// The line of a build's output that says what went wrong: the first that looks like an
/// error (`error`, `ERR!`, `failed`, `cannot`, `not found`), else the last non-empty one.
/// Lines that only open the report ("error during build:") are passed over when a later one
/// says more.
pub fn first_error_line(tail: &[String]) -> Option<String> {
    let lines = || tail.iter().map(|l| l.trim()).filter(|l| !l.is_empty());
    let looks_like_error = |line: &&str| {
        let lower = line.to_lowercase();
        [
            "error",
            "err!",
            "failed",
            "cannot",
            "not found",
            "exception",
        ]
        .iter()
        .any(|w| lower.contains(w))
    };
    // "error during build:", "Build failed with 1 error:": a heading, the next line is the error.
    let heading = |line: &&str| line.ends_with(':');
    lines()
        .filter(looks_like_error)
        .find(|l| !heading(l))
        .or_else(|| lines().find(looks_like_error))
        .or_else(|| lines().next_back())
        .map(super::build_errors::shown_text)
}

/// A build command to run in a project folder.
#[derive(Debug, Clone)]
pub struct Build {
    command: String,
    dir: PathBuf,
    env: Vec<(OsString, OsString)>,
    stop_grace: Duration,
}

impl Build {
    pub fn new(command: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        Self {
            command: command.into(),
            dir: dir.into(),
            env: Vec::new(),
            stop_grace: DEFAULT_STOP_GRACE,
        }
    }

    /// Adds an environment variable for the build (on top of ours).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// How long cancelling waits after SIGTERM before it SIGKILLs the build's process group.
    pub fn stop_grace(mut self, grace: Duration) -> Self {
        self.stop_grace = grace;
        self
    }

    pub fn command(&self) -> &str {
        &self.command
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs the build to the end (or until `cancel` fires), passing every output line to
    /// `on_line` as it arrives.
    pub async fn run(
        &self,
        cancel: &CancellationToken,
        on_line: impl FnMut(BuildStream, &str),
    ) -> Result<BuildSuccess, BuildError> {
        self.run_observed(cancel, |_| {}, on_line).await
    }

    /// [`Build::run`], telling `on_started` the build's process group id as soon as the shell
    /// runs (the publish journal records it).
    pub async fn run_observed(
        &self,
        cancel: &CancellationToken,
        on_started: impl FnOnce(libc::pid_t),
        mut on_line: impl FnMut(BuildStream, &str),
    ) -> Result<BuildSuccess, BuildError> {
        let command = self.command.trim();
        if command.is_empty() {
            return Err(BuildError::EmptyCommand);
        }
        if let Err(source) = std::fs::read_dir(&self.dir) {
            return Err(BuildError::BadDirectory {
                command: command.to_string(),
                dir: self.dir.clone(),
                source,
            });
        }
        let started = Instant::now();
        let mut shell = Command::new("sh");
        shell.arg("-c").arg(command).current_dir(&self.dir);
        // The build runs the project's scripts and every dependency's: none of them gets the
        // tool's own secrets (a CI's GOPAY_MINIAPP_TOKEN).
        for secret in SCRUBBED_ENV {
            shell.env_remove(secret);
        }
        shell
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let spawn_error = |source| BuildError::Spawn {
            command: command.to_string(),
            source,
        };
        // The guardian first, so that the build is guarded from its first instruction.
        let lifeline = Lifeline::start(self.stop_grace).map_err(spawn_error)?;
        die_with_parent(&mut shell);
        if let Some(lifeline) = &lifeline {
            lifeline.arm(&mut shell);
        }
        let mut child = match spawn_from_lasting_thread(shell).await {
            Ok(child) => child,
            Err(source) => {
                if let Some(lifeline) = lifeline {
                    lifeline.stand_down().await;
                }
                return Err(spawn_error(source));
            }
        };
        let pgid = child.id().expect("a just-spawned child has a pid") as libc::pid_t;
        on_started(pgid);
        // From here on, leaving this function any way (an error, or the caller dropping the
        // future) must not leave the build running: the guard kills the group, and the
        // lifeline, dropped without standing down, makes the guardian do the same.
        let mut group = GroupGuard { pgid, armed: true };

        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let mut stdout_lines = LineSplitter::default();
        let mut stderr_lines = LineSplitter::default();
        let mut stdout_buf = vec![0u8; 16 * 1024];
        let mut stderr_buf = vec![0u8; 16 * 1024];
        let (mut stdout_open, mut stderr_open) = (true, true);
        let mut tail: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES + 1);
        let mut line_count = 0usize;
        let mut finder = ErrorFinder::new(&self.dir);
        let mut emit = |stream: BuildStream, line: &str| {
            line_count += 1;
            finder.line(line);
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line.to_string());
            on_line(stream, line);
        };
        let mut exit_status: Option<ExitStatus> = None;
        let mut leftover_deadline: Option<tokio::time::Instant> = None;
        let mut leftovers_stopped = false;

        loop {
            if exit_status.is_some() && !stdout_open && !stderr_open {
                break;
            }
            tokio::select! {
                // Cancellation wins over output that is ready at the same moment.
                biased;
                _ = cancel.cancelled() => {
                    stop_group(pgid, &mut child, self.stop_grace).await;
                    group.armed = false;
                    if let Some(lifeline) = lifeline {
                        lifeline.stand_down().await;
                    }
                    return Err(BuildError::Cancelled { command: command.to_string() });
                }
                read = stdout.read(&mut stdout_buf), if stdout_open => match read {
                    Ok(0) => stdout_open = false,
                    Ok(n) => stdout_lines.push(&stdout_buf[..n], |line| emit(BuildStream::Stdout, line)),
                    Err(source) => return Err(BuildError::Output { command: command.to_string(), source }),
                },
                read = stderr.read(&mut stderr_buf), if stderr_open => match read {
                    Ok(0) => stderr_open = false,
                    Ok(n) => stderr_lines.push(&stderr_buf[..n], |line| emit(BuildStream::Stderr, line)),
                    Err(source) => return Err(BuildError::Output { command: command.to_string(), source }),
                },
                status = child.wait(), if exit_status.is_none() => {
                    let status = status.map_err(|source| BuildError::Output { command: command.to_string(), source })?;
                    exit_status = Some(status);
                    leftover_deadline = Some(tokio::time::Instant::now() + LEFTOVER_GRACE);
                }
                _ = sleep_until_opt(leftover_deadline) => {
                    if leftovers_stopped {
                        // Something outside the group (it called setsid) still holds the pipes.
                        break;
                    }
                    tracing::warn!(
                        "the build command `{command}` exited but processes it started still hold its output open; stopping them"
                    );
                    stop_group(pgid, &mut child, self.stop_grace).await;
                    // Read what they wrote before they died, for a little while.
                    leftovers_stopped = true;
                    leftover_deadline = Some(tokio::time::Instant::now() + Duration::from_millis(500));
                }
            }
        }
        stdout_lines.finish(|line| emit(BuildStream::Stdout, line));
        stderr_lines.finish(|line| emit(BuildStream::Stderr, line));
        group.armed = false;
        if let Some(lifeline) = lifeline {
            lifeline.stand_down().await;
        }

        let status = exit_status.expect("the loop ends only after the shell exited");
        if status.success() {
            return Ok(BuildSuccess {
                elapsed: started.elapsed(),
                lines: line_count,
            });
        }
        let tail: Vec<String> = tail.into_iter().collect();
        if status.code() == Some(127) {
            return Err(BuildError::CommandNotFound {
                command: command.to_string(),
                program: first_program(command),
                tail,
            });
        }
        Err(BuildError::Failed {
            command: command.to_string(),
            status,
            tail,
            source_error: finder.found(),
        })
    }
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The program a command line starts, skipping `NAME=value` assignments: `FOO=1 npm run build`
/// → `npm`. Only used to word the "not found" message.
fn first_program(command: &str) -> String {
    command
        .split_whitespace()
        .find(|word| {
            !word
                .split_once('=')
                .is_some_and(|(name, _)| !name.is_empty() && !name.contains('/'))
        })
        .unwrap_or(command)
        .to_string()
}

/// SIGTERM to the group, up to `grace` for it to go away, then SIGKILL. Also reaps the shell.
async fn stop_group(pgid: libc::pid_t, child: &mut Child, grace: Duration) {
    signal_group(pgid, libc::SIGTERM);
    let deadline = Instant::now() + grace;
    loop {
        // Reap the shell as soon as it exits so that it does not count as a live member.
        let _ = child.try_wait();
        if !group_has_live_members(pgid) {
            return;
        }
        if Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    signal_group(pgid, libc::SIGKILL);
    let _ = child.wait().await;
    // SIGKILL cannot be ignored; give the kernel a moment to tear the members down so that the
    // caller sees them gone when we return.
    let until = Instant::now() + Duration::from_secs(1);
    while group_has_live_members(pgid) && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn signal_group(pgid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety preconditions. A negative pid addresses the group.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// Whether any process of the group is still running (zombies do not count: they are dead, and
/// in a container whose init does not reap them they would otherwise look alive forever).
pub(crate) fn group_has_live_members(pgid: libc::pid_t) -> bool {
    if let Some(members) = crate::process::group_members(pgid) {
        return !members.is_empty();
    }
    // SAFETY: signal 0 only checks whether the group exists.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

/// Spawns `command` from one thread that lives as long as the process, so that the child's
/// parent-death signal (Linux: SIGKILL when we die) is not fired early by a tokio thread that
/// exits. The child is registered with the caller's runtime.
async fn spawn_from_lasting_thread(command: Command) -> io::Result<Child> {
    use std::sync::mpsc;
    use std::sync::OnceLock;

    type Request = (
        Command,
        tokio::runtime::Handle,
        tokio::sync::oneshot::Sender<io::Result<Child>>,
    );
    static SPAWNER: OnceLock<mpsc::Sender<Request>> = OnceLock::new();

    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("gopay-miniapp-spawner".into())
            .spawn(move || {
                for (mut command, runtime, reply) in rx {
                    let _entered = runtime.enter();
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("a thread to start builds from");
        tx
    });
    let (reply, answer) = tokio::sync::oneshot::channel();
    sender
        .send((command, tokio::runtime::Handle::current(), reply))
        .map_err(|_| io::Error::other("the build spawner thread is gone"))?;
    answer
        .await
        .map_err(|_| io::Error::other("the build spawner thread stopped"))?
}

/// Linux: the child gets SIGKILL when the thread that forked it exits (see the module doc),
/// unless [`NO_PDEATHSIG_ENV`] turns it off (tests: the lifeline alone).
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    if switched_on(NO_PDEATHSIG_ENV) {
        return;
    }
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the forked child before exec and only makes the
    // async-signal-safe calls prctl(2) and getppid(2).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // We died between fork and prctl: no signal will ever come, so do not start.
            if libc::getppid() != parent {
                return Err(io::Error::other(
                    "the parent exited before the build started",
                ));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

/// Kills the build's process group when dropped while armed: the caller dropped the future.
struct GroupGuard {
    pgid: libc::pid_t,
    armed: bool,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.armed {
            signal_group(self.pgid, libc::SIGKILL);
        }
    }
}

/// Cuts a byte stream into lines (see the module doc for the rules).
#[derive(Default)]
struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    fn push(&mut self, mut data: &[u8], mut emit: impl FnMut(&str)) {
        while let Some(newline) = data.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&data[..newline]);
            Self::emit_line(&self.pending, &mut emit);
            self.pending.clear();
            data = &data[newline + 1..];
        }
        self.pending.extend_from_slice(data);
        while self.pending.len() >= MAX_LINE_BYTES {
            let rest = self.pending.split_off(MAX_LINE_BYTES);
            Self::emit_line(&self.pending, &mut emit);
            self.pending = rest;
        }
    }

    fn finish(&mut self, mut emit: impl FnMut(&str)) {
        if !self.pending.is_empty() {
            Self::emit_line(&self.pending, &mut emit);
            self.pending.clear();
        }
    }

    fn emit_line(line: &[u8], emit: &mut impl FnMut(&str)) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let shown = match line.iter().rposition(|&b| b == b'\r') {
            Some(cr) => &line[cr + 1..],
            None => line,
        };
        emit(&String::from_utf8_lossy(shown));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without a line naming a file: the first line that says error, passing over a heading
    /// ("error during build:") when a later line says more (issue #21 item 15).
    #[test]
    fn the_first_error_line_is_the_first_that_says_error() {
        let lines = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        let tail = lines(&[
            "> build",
            "",
            "compiling…",
            "Error: Cannot find module 'x'",
            "    at foo",
            "npm ERR! code 1",
        ]);
        assert_eq!(
            first_error_line(&tail).as_deref(),
            Some("Error: Cannot find module 'x'")
        );
        let vite = lines(&[
            "error during build:",
            "[vite:esbuild] Transform failed with 1 error:",
            "RollupError: Could not resolve entry module \"index.html\".",
        ]);
        assert_eq!(
            first_error_line(&vite).as_deref(),
            Some("RollupError: Could not resolve entry module \"index.html\".")
        );
        assert_eq!(
            first_error_line(&lines(&["error during build:"])).as_deref(),
            Some("error during build:")
        );
        let quiet = lines(&["one", "two", "  "]);
        assert_eq!(first_error_line(&quiet).as_deref(), Some("two"));
        assert_eq!(first_error_line(&[]), None);
    }

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut splitter = LineSplitter::default();
        let mut lines = Vec::new();
        for chunk in chunks {
            splitter.push(chunk, |line| lines.push(line.to_string()));
        }
        splitter.finish(|line| lines.push(line.to_string()));
        lines
    }

    #[test]
    fn lines_are_split_across_chunks_and_crlf_is_trimmed() {
        assert_eq!(
            split(&[b"one\r\ntw", b"o\nthree"]),
            vec!["one", "two", "three"]
        );
    }

    #[test]
    fn carriage_return_redraws_keep_the_last_state() {
        assert_eq!(split(&[b"10%\r50%\r100%\ndone\n"]), vec!["100%", "done"]);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_dropped() {
        assert_eq!(split(&[b"caf\xe9\n"]), vec!["caf\u{fffd}"]);
    }

    #[test]
    fn overlong_lines_are_cut() {
        let long = vec![b'x'; MAX_LINE_BYTES * 2 + 5];
        let lines = split(&[&long]);
        assert_eq!(
            lines.iter().map(|l| l.len()).collect::<Vec<_>>(),
            vec![MAX_LINE_BYTES, MAX_LINE_BYTES, 5]
        );
    }

    #[test]
    fn first_program_skips_assignments() {
        assert_eq!(first_program("npm run build"), "npm");
        assert_eq!(first_program("NODE_ENV=production pnpm build"), "pnpm");
        assert_eq!(
            first_program("./node_modules/.bin/x=y"),
            "./node_modules/.bin/x=y"
        );
    }
}
