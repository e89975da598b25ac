//! The build runner with real shells and real processes.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gopay_miniapp_core::project::build::{Build, BuildError, BuildStream, TAIL_LINES};
use tokio_util::sync::CancellationToken;

type Lines = Arc<Mutex<Vec<(BuildStream, String)>>>;

fn collector() -> (Lines, impl FnMut(BuildStream, &str)) {
    let lines: Lines = Arc::default();
    let sink = Arc::clone(&lines);
    (lines, move |stream, line: &str| {
        sink.lock().unwrap().push((stream, line.to_string()))
    })
}

fn lines_of(lines: &Lines, stream: BuildStream) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(s, _)| *s == stream)
        .map(|(_, l)| l.clone())
        .collect()
}

/// A process is gone once it no longer exists or is a zombie waiting for its reaper.
fn process_is_running(pid: u32) -> bool {
    read_proc(pid).is_some_and(|p| p.running())
}

/// A process as /proc shows it.
#[derive(Debug)]
struct Proc {
    pid: u32,
    ppid: u32,
    /// `R`, `S`, … `Z` for a zombie.
    state: String,
    pgrp: u32,
    /// Its arguments, joined by spaces.
    cmdline: String,
}

impl Proc {
    fn running(&self) -> bool {
        self.state != "Z" && self.state != "X"
    }
}

/// Every process /proc lists (zombies included).
fn processes() -> Vec<Proc> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| entry.file_name().to_string_lossy().parse().ok())
        .filter_map(read_proc)
        .collect()
}

/// The process `pid` as /proc shows it, or `None` when it is gone. Other tests' processes come
/// and go while this reads: a `stat` that does not parse (read as its process exited) is taken
/// as gone (a cold CI once met one).
fn read_proc(pid: u32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default();
    Some(Proc {
        pid,
        ppid: fields.get(1)?.parse().ok()?,
        state: fields.first()?.to_string(),
        pgrp: fields.get(2)?.parse().ok()?,
        cmdline,
    })
}

/// Every process whose process group is `pgid` and that is still running.
fn running_members_of_group(pgid: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|p| p.pgrp == pgid && p.running())
        .map(|p| p.pid)
        .collect()
}

/// Every child of this process (zombies included).
fn our_children() -> Vec<Proc> {
    let me = std::process::id();
    processes().into_iter().filter(|p| p.ppid == me).collect()
}

/// Waits until a line starting with `prefix` was printed and returns the rest of it.
async fn wait_for_line(lines: &Lines, prefix: &str) -> String {
    for _ in 0..500 {
        if let Some(found) = lines
            .lock()
            .unwrap()
            .iter()
            .find_map(|(_, l)| l.strip_prefix(prefix).map(str::to_string))
        {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the build never printed {prefix:?}");
}

#[tokio::test]
async fn streams_both_pipes_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, on_line) = collector();
    let success = Build::new(
        "echo out-1; echo err-1 >&2; printf 'out-2\\r\\nno newline at the end'; echo err-2 >&2",
        dir.path(),
    )
    .run(&CancellationToken::new(), on_line)
    .await
    .unwrap();
    assert_eq!(
        lines_of(&lines, BuildStream::Stdout),
        vec!["out-1", "out-2", "no newline at the end"]
    );
    assert_eq!(
        lines_of(&lines, BuildStream::Stderr),
        vec!["err-1", "err-2"]
    );
    assert_eq!(success.lines, 5);
}

#[tokio::test]
async fn runs_in_the_project_folder_with_stdin_closed_and_extra_env() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, on_line) = collector();
    // `read` returns at once on /dev/null; with an inherited terminal it would wait for input.
    Build::new(
        "pwd; read answer; echo \"answer=[$answer]\"; echo \"mode=$BUILD_MODE\"",
        dir.path(),
    )
    .env("BUILD_MODE", "production")
    .run(&CancellationToken::new(), on_line)
    .await
    .unwrap();
    let out = lines_of(&lines, BuildStream::Stdout);
    assert_eq!(
        Path::new(&out[0]).canonicalize().unwrap(),
        dir.path().canonicalize().unwrap()
    );
    assert_eq!(&out[1..], ["answer=[]", "mode=production"]);
}

#[tokio::test]
async fn the_build_never_sees_the_tools_secrets() {
    // nextest runs each test in its own process: setting the variable touches no other test.
    std::env::set_var("GOPAY_MINIAPP_TOKEN", "gpm_pat_SECRET_FROM_CI_1234567890");
    std::env::set_var("SOME_OTHER_VARIABLE", "kept");
    let dir = tempfile::tempdir().unwrap();
    let (lines, on_line) = collector();
    Build::new("env", dir.path())
        .run(&CancellationToken::new(), on_line)
        .await
        .unwrap();
    let env = lines_of(&lines, BuildStream::Stdout).join("\n");
    assert!(env.contains("SOME_OTHER_VARIABLE=kept"), "{env}");
    assert!(
        !env.contains("SECRET_FROM_CI"),
        "the token reached the build:\n{env}"
    );
    assert!(!env.contains("GOPAY_MINIAPP_TOKEN"), "{env}");
}

#[tokio::test]
async fn a_failing_build_reports_its_status_and_the_last_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (_, on_line) = collector();
    let err = Build::new(
        "for i in $(seq 1 30); do echo line-$i; done; echo 'error: boom' >&2; exit 3",
        dir.path(),
    )
    .run(&CancellationToken::new(), on_line)
    .await
    .unwrap_err();
    let BuildError::Failed { status, tail, .. } = &err else {
        panic!("expected Failed, got {err:?}");
    };
    assert_eq!(status.code(), Some(3));
    assert_eq!(tail.len(), TAIL_LINES);
    assert_eq!(tail.first().unwrap(), "line-12");
    assert_eq!(tail.last().unwrap(), "error: boom");
    let message = err.to_string();
    assert!(message.contains("exit status: 3"), "{message}");
    assert!(message.contains("error: boom"), "{message}");
    assert!(!message.contains("line-11\n"), "{message}");
}

#[tokio::test]
async fn a_missing_program_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, on_line) = collector();
    let err = Build::new(
        "NODE_ENV=production no-such-bundler-4242 --minify",
        dir.path(),
    )
    .run(&CancellationToken::new(), on_line)
    .await
    .unwrap_err();
    assert!(
        matches!(&err, BuildError::CommandNotFound { program, .. } if program == "no-such-bundler-4242"),
        "{err:?}"
    );
    assert!(err.to_string().contains("PATH"), "{err}");
}

#[tokio::test]
async fn empty_commands_and_missing_folders_are_refused_before_starting() {
    let dir = tempfile::tempdir().unwrap();
    let err = Build::new("   ", dir.path())
        .run(&CancellationToken::new(), |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, BuildError::EmptyCommand));
    let missing = dir.path().join("gone");
    let err = Build::new("true", &missing)
        .run(&CancellationToken::new(), |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, BuildError::BadDirectory { .. }), "{err:?}");
    assert!(err.to_string().contains("gone"));
}

#[tokio::test]
async fn cancelling_stops_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, on_line) = collector();
    let cancel = CancellationToken::new();
    let build = Build::new(
        // $$ is the shell: its pid is the group id. The background sleep is a grandchild of
        // ours that a plain kill of the shell would leave running.
        "echo pgid=$$; sleep 100 & echo child=$!; sleep 100",
        dir.path(),
    );
    let run = tokio::spawn({
        let cancel = cancel.clone();
        async move { build.run(&cancel, on_line).await }
    });
    let child: u32 = wait_for_line(&lines, "child=").await.parse().unwrap();
    let pgid: u32 = wait_for_line(&lines, "pgid=").await.parse().unwrap();
    assert!(process_is_running(child));
    cancel.cancel();
    let result = tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("cancel returns promptly")
        .unwrap();
    assert!(
        matches!(result, Err(BuildError::Cancelled { .. })),
        "{result:?}"
    );
    assert!(!process_is_running(child), "the background sleep survived");
    assert_eq!(running_members_of_group(pgid), Vec::<u32>::new());
}

#[tokio::test]
async fn a_build_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, on_line) = collector();
    let cancel = CancellationToken::new();
    let build = Build::new(
        "trap '' TERM; echo pgid=$$; sh -c 'trap \"\" TERM; echo ready; sleep 100'",
        dir.path(),
    )
    .stop_grace(Duration::from_millis(300));
    let run = tokio::spawn({
        let cancel = cancel.clone();
        async move { build.run(&cancel, on_line).await }
    });
    let pgid: u32 = wait_for_line(&lines, "pgid=").await.parse().unwrap();
    wait_for_line(&lines, "ready").await;
    cancel.cancel();
    let result = tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("SIGKILL ends it")
        .unwrap();
    assert!(
        matches!(result, Err(BuildError::Cancelled { .. })),
        "{result:?}"
    );
    assert_eq!(running_members_of_group(pgid), Vec::<u32>::new());
}

#[tokio::test]
async fn leftovers_holding_the_pipes_do_not_make_the_build_hang() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, on_line) = collector();
    let result = tokio::time::timeout(
        Duration::from_secs(30),
        Build::new("echo pgid=$$; sleep 100 & echo built", dir.path())
            .run(&CancellationToken::new(), on_line),
    )
    .await
    .expect("the build returns although `sleep` keeps stdout open");
    result.unwrap();
    let pgid: u32 = wait_for_line(&lines, "pgid=").await.parse().unwrap();
    assert_eq!(running_members_of_group(pgid), Vec::<u32>::new());
    assert!(lines_of(&lines, BuildStream::Stdout).contains(&"built".to_string()));
}

#[tokio::test]
async fn dropping_the_future_kills_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, on_line) = collector();
    let cancel = CancellationToken::new();
    let build = Build::new("echo pgid=$$; sleep 100 & sleep 100", dir.path());
    let run = tokio::spawn(async move { build.run(&cancel, on_line).await });
    let pgid: u32 = wait_for_line(&lines, "pgid=").await.parse().unwrap();
    run.abort();
    let _ = run.await;
    // The guardian, its lifeline closed without a `done`, exits too (tokio reaps it).
    for _ in 0..1000 {
        if running_members_of_group(pgid).is_empty()
            && our_guardians().iter().all(|g| g.state == "Z")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "processes left after the future was dropped: {:?}, guardians {:?}",
        running_members_of_group(pgid),
        our_guardians()
    );
}

/// Our stdout is the JSON-RPC wire in `lsp` mode: a build must never write to it. This test
/// runs itself again as a child process whose stdout and stderr it captures.
#[test]
fn build_output_never_reaches_our_stdout_or_stderr() {
    const CHILD_ENV: &str = "GOPAY_MINIAPP_BUILD_STDOUT_CHILD";
    if std::env::var_os(CHILD_ENV).is_some() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (lines, on_line) = collector();
        runtime
            .block_on(
                Build::new("echo MARKER-ON-STDOUT; echo MARKER-ON-STDERR >&2", ".")
                    .run(&CancellationToken::new(), on_line),
            )
            .unwrap();
        assert_eq!(
            lines_of(&lines, BuildStream::Stdout),
            vec!["MARKER-ON-STDOUT"]
        );
        assert_eq!(
            lines_of(&lines, BuildStream::Stderr),
            vec!["MARKER-ON-STDERR"]
        );
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "build_output_never_reaches_our_stdout_or_stderr",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child ran the test: {stdout}"
    );
    assert!(
        !stdout.contains("MARKER"),
        "build output leaked to stdout:\n{stdout}"
    );
    assert!(
        !stderr.contains("MARKER"),
        "build output leaked to stderr:\n{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// The lifeline guardian (crates/core/src/project/lifeline.rs)
// ---------------------------------------------------------------------------------------------

use gopay_miniapp_core::project::lifeline::{GUARDIAN_NAME, NO_LIFELINE_ENV, NO_PDEATHSIG_ENV};

fn our_guardians() -> Vec<Proc> {
    our_children()
        .into_iter()
        .filter(|k| k.cmdline.contains(GUARDIAN_NAME))
        .collect()
}

/// What an fd of process `pid` points at (`pipe:[1234]`, `/dev/null`).
fn fd_target(pid: u32, fd: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Every fd of process `pid` with its target.
fn fds(pid: u32) -> Vec<(String, String)> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let target = std::fs::read_link(e.path()).ok()?;
            Some((
                e.file_name().to_string_lossy().into_owned(),
                target.to_string_lossy().into_owned(),
            ))
        })
        .collect()
}

/// While a build runs: one guardian, in a process group of its own (not the build's), in `/`,
/// reading a pipe on stdin that the build does not hold, with /dev/null for stdout and stderr;
/// the build holds no pipe but its own stdout and stderr. After the build, nothing of ours is
/// left, zombies included.
#[tokio::test]
async fn the_guardian_stands_apart_and_is_reaped() {
    let dir = tempfile::tempdir().unwrap();
    // Pipes this test process was given (a jobserver's): the build inherits them like any
    // child of ours, and they are none of the build runner's doing.
    let inherited: Vec<String> = fds(std::process::id())
        .into_iter()
        .map(|(_, t)| t)
        .filter(|t| t.starts_with("pipe:"))
        .collect();
    let (lines, on_line) = collector();
    let cancel = CancellationToken::new();
    let build = Build::new("echo pgid=$$; sleep 100 & sleep 100", dir.path());
    let run = tokio::spawn({
        let cancel = cancel.clone();
        async move { build.run(&cancel, on_line).await }
    });
    let pgid: u32 = wait_for_line(&lines, "pgid=").await.parse().unwrap();
    let guardians = our_guardians();
    assert_eq!(guardians.len(), 1, "{guardians:?}");
    let guardian = &guardians[0];
    assert_eq!(guardian.pgrp, guardian.pid, "a group of its own");
    assert_ne!(guardian.pgrp, pgid);
    assert!(!running_members_of_group(pgid).contains(&guardian.pid));
    assert_eq!(
        std::fs::read_link(format!("/proc/{}/cwd", guardian.pid)).unwrap(),
        Path::new("/")
    );
    assert_eq!(fd_target(guardian.pid, "1"), "/dev/null");
    assert_eq!(fd_target(guardian.pid, "2"), "/dev/null");
    let lifeline = fd_target(guardian.pid, "0");
    assert!(lifeline.starts_with("pipe:"), "{lifeline}");
    assert!(
        fds(std::process::id()).iter().any(|(_, t)| *t == lifeline),
        "the tool holds the lifeline's other end"
    );
    // The build's shell: its pipes are its stdout and stderr, nothing else (not the lifeline:
    // holding its write end, the build would keep its own guardian from ever hearing us die).
    let build_fds = fds(pgid);
    let (out, err) = (fd_target(pgid, "1"), fd_target(pgid, "2"));
    for (fd, target) in &build_fds {
        if target.starts_with("pipe:") {
            assert!(
                *target == out || *target == err || inherited.contains(target),
                "the build holds another pipe on fd {fd}: {build_fds:?}"
            );
        }
    }
    assert!(build_fds.iter().all(|(_, t)| *t != lifeline));
    // Nor does the guardian hold the build's pipes.
    assert!(fds(guardian.pid)
        .iter()
        .all(|(_, t)| *t != out && *t != err));

    cancel.cancel();
    let result = run.await.unwrap();
    assert!(matches!(result, Err(BuildError::Cancelled { .. })));
    assert_eq!(running_members_of_group(pgid), Vec::<u32>::new());
    let left = our_children();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Many builds (passing, failing, cancelled, leaving a process behind): after each, no
/// guardian of ours is left, and no zombie.
#[tokio::test]
async fn many_builds_leave_no_guardian_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut left_groups = Vec::new();
    for i in 0..20 {
        let command = match i % 4 {
            0 => "true",
            1 => "echo oops >&2; exit 2",
            // A leftover that closed its output: the build ends and leaves it (the build's
            // rule); the guardian, told `done`, leaves it too.
            2 => "echo pgid=$$; sleep 100 >/dev/null 2>&1 &",
            _ => "echo started; sleep 100",
        };
        let cancel = CancellationToken::new();
        let (lines, on_line) = collector();
        let build = Build::new(command, dir.path()).stop_grace(Duration::from_millis(200));
        let run = tokio::spawn({
            let cancel = cancel.clone();
            async move { build.run(&cancel, on_line).await }
        });
        if i % 4 == 3 {
            wait_for_line(&lines, "started").await;
            cancel.cancel();
        }
        let _ = run.await.unwrap();
        if i % 4 == 2 {
            left_groups.push(wait_for_line(&lines, "pgid=").await.parse::<i32>().unwrap());
        }
        let guardians = our_guardians();
        assert!(guardians.is_empty(), "after build {i}: {guardians:?}");
    }
    let zombies: Vec<Proc> = our_children()
        .into_iter()
        .filter(|k| k.state == "Z")
        .collect();
    assert!(zombies.is_empty(), "{zombies:?}");
    for pgid in left_groups {
        assert!(
            !running_members_of_group(pgid as u32).is_empty(),
            "the guardian stood down: the leftover of a finished build was not its to stop"
        );
        // SAFETY: kill(2) on the group this test's build made.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
}

/// The tool SIGKILLed while it builds: the whole group dies (the shell and its background
/// grandchild), and the guardian exits. Run with the guardian alone (the parent-death signal
/// switched off), and with both. This test runs itself again as the "tool": a child process
/// that starts the build, says the group, and waits to be killed.
#[test]
fn killed_mid_build_the_guardian_stops_the_whole_group() {
    const CHILD_ENV: &str = "GOPAY_MINIAPP_LIFELINE_TOOL_CHILD";
    const NAME: &str = "killed_mid_build_the_guardian_stops_the_whole_group";
    if std::env::var_os(CHILD_ENV).is_some() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let (lines, on_line) = collector();
            let build = Build::new(
                "echo pgid=$$; sleep 300 & echo kid=$!; sleep 300",
                dir.path(),
            );
            let cancel = CancellationToken::new();
            let run = tokio::spawn(async move { build.run(&cancel, on_line).await });
            let pgid = wait_for_line(&lines, "pgid=").await;
            let kid = wait_for_line(&lines, "kid=").await;
            let guardian = our_guardians()
                .first()
                .map_or("none".to_string(), |g| g.pid.to_string());
            println!("TOOL pgid={pgid} kid={kid} guardian={guardian}");
            let _ = run.await;
        });
        return;
    }
    for (mode, pdeathsig) in [("the guardian alone", false), ("both", true)] {
        let mut child = Command::new(std::env::current_exe().unwrap());
        child
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, "1")
            .env_remove(NO_LIFELINE_ENV)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        if pdeathsig {
            child.env_remove(NO_PDEATHSIG_ENV);
        } else {
            child.env(NO_PDEATHSIG_ENV, "1");
        }
        let mut child = child.spawn().unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let said = std::io::BufRead::lines(stdout)
            .map(Result::unwrap)
            // libtest's "test <name> ... " precedes it on the same line.
            .find_map(|l| l.split_once("TOOL ").map(|(_, said)| said.to_string()))
            .expect("the tool child says its build");
        let value = |key: &str| -> u32 {
            said.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{key} in {said:?}"))
        };
        let (pgid, kid, guardian) = (value("pgid="), value("kid="), value("guardian="));
        assert!(process_is_running(kid) && process_is_running(guardian));
        child.kill().unwrap(); // SIGKILL: no handler, no drop, no cleanup of ours runs
        child.wait().unwrap();
        let gone = || running_members_of_group(pgid).is_empty() && !process_is_running(guardian);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !gone() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            running_members_of_group(pgid),
            Vec::<u32>::new(),
            "{mode}: the build's group outlived the tool"
        );
        assert!(!process_is_running(kid), "{mode}");
        assert!(!process_is_running(guardian), "{mode}: the guardian stayed");
    }
}
