//! The lifeline guardian: the portable way the build dies with the tool, on every Unix, however
//! the tool dies (SIGKILL included).
//!
//! Before the build starts, the tool opens a pipe and starts a guardian holding its *read* end
//! (as its stdin); the tool keeps the only *write* end. The pipe is made `O_CLOEXEC`, so no
//! program we start (the build, the browser, the guardian itself) keeps a copy of the write
//! end past its `exec`: when the tool dies, by any means, the kernel closes the last write end
//! and the guardian's `read` returns end-of-file. Then it stops the build's process group
//! (SIGTERM, the build's grace, SIGKILL) and exits. When the build ends while the tool lives,
//! the tool writes `done` first, and the guardian exits without touching anything (so it never
//! signals a group id that may since have been reused).
//!
//! The guardian learns the group id from the build itself: the build's `pre_exec` (after
//! `setpgid`, before `exec`) writes its own pid into the pipe, so the lifeline is armed before
//! the build's first instruction and there is no moment when the build runs unguarded.
//!
//! **Why a `sh -c` one-liner, not this binary re-executed with a hidden verb.** Core is a
//! library: the CLI, the sidecar and every test binary run it, and a test harness re-executed
//! as `__lifeline` would run tests, not a guardian; re-execution would make every binary that
//! links core dispatch the verb before its own argument parsing, and `current_exe` can name a
//! file replaced by an upgrade meanwhile. A shell is already required (the build runs through
//! `sh -c`), and `read`, `kill -s SIG -- -PGID` and `sleep` are POSIX (checked with dash and
//! bash here; macOS's `/bin/sh` is bash or dash). Its cost is one small process per build.
//!
//! The guardian is not the build's: it runs in a process group of its own (a terminal's Ctrl-C,
//! `timeout`'s group signal do not reach it, and it is not in the group it kills), in `/`, with
//! `/dev/null` for stdout and stderr (never our stdout, the `lsp` wire, nor the build's pipes),
//! without the tool's secrets in its environment, and without `PR_SET_PDEATHSIG` (it must
//! outlive us). The tool reaps it when the build ends; if the build's future is dropped, tokio
//! reaps it when it exits (its orphan queue).
//!
//! `GOPAY_MINIAPP_NO_LIFELINE=1` starts no guardian, `GOPAY_MINIAPP_NO_PDEATHSIG=1` sets no
//! parent-death signal: for tests (the crash suite runs each mechanism alone and both) and
//! diagnosis, never needed in use.

use std::io::{self, PipeWriter, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::build::SCRUBBED_ENV;

/// Set (to anything but empty or `0`): no guardian is started.
pub const NO_LIFELINE_ENV: &str = "GOPAY_MINIAPP_NO_LIFELINE";
/// Set (to anything but empty or `0`): the build's shell gets no parent-death signal (Linux).
pub const NO_PDEATHSIG_ENV: &str = "GOPAY_MINIAPP_NO_PDEATHSIG";
/// The guardian's `$0`, so that `ps` (and the tests) can tell it.
pub const GUARDIAN_NAME: &str = "gopay-miniapp-lifeline";

/// What the guardian runs (`$1`: the grace in whole seconds). The first line read is the
/// build's pid (= its group id), written by the build before `exec`; end-of-file before it
/// means the build never started. The second is `done` when the tool saw the build end;
/// anything else (end-of-file: the tool is gone) stops the group. `kill -s 0` ends the wait as
/// soon as the group is empty.
const GUARDIAN: &str = r#"trap '' INT HUP
read -r pgid || exit 0
case $pgid in ''|*[!0-9]*) exit 0 ;; esac
read -r word
[ "$word" = done ] && exit 0
kill -s TERM -- "-$pgid" 2>/dev/null || exit 0
i=0
while [ "$i" -lt "$1" ]; do
  sleep 1
  kill -s 0 -- "-$pgid" 2>/dev/null || exit 0
  i=$((i + 1))
done
kill -s KILL -- "-$pgid" 2>/dev/null
exit 0
"#;

/// How long standing down waits for the guardian to exit after `done` (it exits at once; this
/// only bounds a guardian stopped by a debugger or SIGSTOP).
const STAND_DOWN_WAIT: Duration = Duration::from_secs(5);

/// Whether a switch variable is on: set, not empty, not `0`.
pub fn switched_on(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// The tool's end of a running guardian. Dropping it (without [`Lifeline::stand_down`]) closes
/// the pipe: the guardian stops the build's group, as if we had died.
pub(super) struct Lifeline {
    writer: Option<PipeWriter>,
    guardian: Child,
}

impl Lifeline {
    /// Starts a guardian unless [`NO_LIFELINE_ENV`] says not to. `grace`: between its SIGTERM
    /// and its SIGKILL (rounded up to whole seconds, at least one).
    pub(super) fn start(grace: Duration) -> io::Result<Option<Lifeline>> {
        if switched_on(NO_LIFELINE_ENV) {
            return Ok(None);
        }
        // Both ends O_CLOEXEC (std's pipe): only the guardian's stdin (a dup2, not CLOEXEC)
        // survives an exec. Linux and the BSDs make it so atomically (pipe2); macOS has no
        // pipe2, so std sets the flag just after: a program another thread starts in that
        // instant would keep a write end (docs/platforms.md).
        let (reader, writer) = io::pipe()?;
        let seconds = grace.as_secs() + u64::from(grace.subsec_nanos() > 0);
        let mut guardian = Command::new("sh");
        guardian
            .arg("-c")
            .arg(GUARDIAN)
            .arg(GUARDIAN_NAME)
            .arg(seconds.max(1).to_string())
            .current_dir("/")
            .stdin(Stdio::from(reader))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        for secret in SCRUBBED_ENV {
            guardian.env_remove(secret);
        }
        // Spawned here, not from the build's lasting thread: no parent-death signal for it.
        let guardian = guardian.spawn()?;
        Ok(Some(Lifeline {
            writer: Some(writer),
            guardian,
        }))
    }

    /// Makes the build tell the guardian its pid (its group id) from `pre_exec`, before it
    /// runs anything. Call after `process_group(0)` (std runs `setpgid` before the hooks).
    pub(super) fn arm(&self, build: &mut Command) {
        let fd = self
            .writer
            .as_ref()
            .expect("armed before standing down")
            .as_raw_fd();
        // SAFETY: the hook runs in the forked child before exec and only makes the
        // async-signal-safe calls getpid(2), signal(2) and write(2), on a stack buffer.
        unsafe {
            build.pre_exec(move || {
                tell_pid(fd);
                Ok(())
            });
        }
    }

    /// The build is over and its group stopped (or left as [`super::build`] decided): the
    /// guardian exits without signalling anything, and is reaped.
    pub(super) async fn stand_down(mut self) {
        if let Some(mut writer) = self.writer.take() {
            // Five bytes into a pipe that holds at most the pid line: never blocks. A guardian
            // already gone (killed by hand) makes it fail, which changes nothing.
            let _ = writer.write_all(b"done\n");
        }
        let _ = tokio::time::timeout(STAND_DOWN_WAIT, self.guardian.wait()).await;
    }
}

/// In the build's child, before exec: `<pid>\n` into the lifeline, in one write (atomic below
/// PIPE_BUF). SIGPIPE is ignored around it (std resets it to the default before the hooks), so a
/// guardian that is gone costs the build nothing but its guard.
fn tell_pid(fd: RawFd) {
    let mut line = [0u8; 24];
    let mut at = line.len() - 1;
    line[at] = b'\n';
    // SAFETY: getpid(2) cannot fail.
    let mut pid = unsafe { libc::getpid() }.unsigned_abs();
    loop {
        at -= 1;
        line[at] = b'0' + (pid % 10) as u8;
        pid /= 10;
        if pid == 0 {
            break;
        }
    }
    // SAFETY: signal(2) and write(2) are async-signal-safe; the buffer outlives the call.
    unsafe {
        let previous = libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::write(fd, line[at..].as_ptr().cast(), line.len() - at);
        libc::signal(libc::SIGPIPE, previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_are_on_only_when_set_to_something() {
        // nextest runs each test in its own process.
        std::env::set_var("GOPAY_MINIAPP_TEST_SWITCH", "1");
        assert!(switched_on("GOPAY_MINIAPP_TEST_SWITCH"));
        for off in ["", "0"] {
            std::env::set_var("GOPAY_MINIAPP_TEST_SWITCH", off);
            assert!(!switched_on("GOPAY_MINIAPP_TEST_SWITCH"), "{off:?}");
        }
        std::env::remove_var("GOPAY_MINIAPP_TEST_SWITCH");
        assert!(!switched_on("GOPAY_MINIAPP_TEST_SWITCH"));
    }
}
