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
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat[stat.rfind(')').unwrap() + 1..]
                .split_whitespace()
                .next()
                .unwrap()
                .to_string();
            state != "Z" && state != "X"
        }
        Err(_) => false,
    }
}

/// Every process whose process group is `pgid` and that is still running.
fn running_members_of_group(pgid: u32) -> Vec<u32> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .collect();
        if fields[2].parse::<u32>().ok() == Some(pgid) && fields[0] != "Z" && fields[0] != "X" {
            members.push(pid);
        }
    }
    members
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
    for _ in 0..200 {
        if running_members_of_group(pgid).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "processes left after the future was dropped: {:?}",
        running_members_of_group(pgid)
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
