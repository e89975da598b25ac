//! The fault suite: `gopay-miniapp publish` (and the sidecar running `miniapp.publish`) killed
//! with SIGKILL at every point of a publish, then run again. Real processes throughout: the
//! binary, the local portal over HTTP on loopback, `npm run build` on a fixture project whose
//! build leaves a grandchild running. For each point the next run must leave package.json and
//! package-lock.json (bumped together, issue #21 item 21) byte-for-byte right, no build process behind, exactly the versions that were made on the
//! portal (none skipped, none twice), and say what it recovered.
//!
//! Killed during the build, the build's whole process group dies with the CLI or the sidecar:
//! run with the lifeline guardian alone (`GOPAY_MINIAPP_NO_PDEATHSIG=1`, what every Unix has)
//! and with both it and Linux's parent-death signal; with the guardian killed too, the journal
//! stops what is left.
//!
//! Points inside the CLI are reached with the test-only hook `GOPAY_MINIAPP_PAUSE_AT`
//! (crates/portal/src/pause.rs); "during the build" is reached naturally (a slow build that
//! writes a marker file).

mod support;

use std::process::Stdio;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use gopay_miniapp_core::project::lifeline::{GUARDIAN_NAME, NO_PDEATHSIG_ENV};
use serde_json::{json, Value};
use support::sidecar::Sidecar;
use support::*;

const WAIT: Duration = Duration::from_secs(60);

/// The build: copy the sources, add 100 KB of noise (seven 16 KiB chunks to upload), and —
/// when `slow` — leave a background `sleep` (a grandchild in the build's process group), write
/// a marker with the script's pid and sleep.
fn build_script(slow: bool) -> String {
    let mut script = String::from(
        "rm -rf dist && mkdir -p dist && cp -R src/. dist/ && head -c 100000 /dev/urandom > dist/noise.bin",
    );
    if slow {
        script.push_str(" && (sleep 300 &) && echo $$ > build-started && sleep 300");
    }
    script
}

/// The two files a publish bumps, as text (a failed comparison shows them).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Files {
    package_json: String,
    package_lock: String,
}

/// A lockfile v3 as npm writes it: the project's version twice (top level and `packages[""]`),
/// and a dependency whose equal version must not move with it.
const PACKAGE_LOCK: &str = "{\n  \"name\": \"shell-app\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"shell-app\",\n      \"version\": \"1.0.0\"\n    },\n    \"node_modules/left-pad\": {\n      \"version\": \"1.0.0\"\n    }\n  }\n}\n";

struct World {
    _root: tempfile::TempDir,
    _portal: Portal,
    dev: User,
    original: Files,
}

fn world(prefix: &str, slow_build: bool) -> World {
    let root = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    let portal = Portal::start(&root.path().join("portal"));
    let project = root.path().join("p");
    shell_project(&project, &build_script(slow_build), None);
    let mut dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.env
        .push(("GOPAY_MINIAPP_CHUNK_SIZE".into(), "16384".into()));
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    std::fs::write(project.join("package-lock.json"), PACKAGE_LOCK).unwrap();
    let original = Files {
        package_json: std::fs::read_to_string(project.join("package.json")).unwrap(),
        package_lock: PACKAGE_LOCK.to_string(),
    };
    World {
        _root: root,
        _portal: portal,
        dev,
        original,
    }
}

impl World {
    /// package.json and package-lock.json as they are now.
    fn files(&self) -> Files {
        let read = |name: &str| std::fs::read_to_string(self.dev.project.join(name)).unwrap();
        Files {
            package_json: read("package.json"),
            package_lock: read("package-lock.json"),
        }
    }

    /// The originals with the project's version (and nothing else) set to `version`: the
    /// first `"version"` of package.json, the first two of the lock (not the dependency's).
    fn bumped(&self, version: &str) -> Files {
        let bump = |text: &str, n: usize| {
            let mut out = text.to_string();
            for _ in 0..n {
                out = out.replacen(
                    "\"version\": \"1.0.0\"",
                    &format!("\"version\": \"{version}\""),
                    1,
                );
            }
            out
        };
        Files {
            package_json: bump(&self.original.package_json, 1),
            package_lock: bump(&self.original.package_lock, 2),
        }
    }

    /// The journal in the user's lock area, if any.
    fn journal(&self) -> Option<Value> {
        let locks = self.dev.home.join("locks");
        let entry = std::fs::read_dir(locks)
            .ok()?
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".journal.json"))?;
        Some(serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap())
    }

    fn versions(&self) -> Vec<String> {
        let listed = self.dev.run(&["--json", "versions"]).ok().json();
        listed["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_str().unwrap().to_string())
            .collect()
    }
}

/// Where the publish is stopped before the SIGKILL.
enum Point {
    /// `GOPAY_MINIAPP_PAUSE_AT=<point>`.
    Pause(&'static str),
    /// The slow build wrote its marker.
    DuringBuild,
}

/// `publish` until `point`, then SIGKILL. Returns the journal it left.
fn kill_publish_at(w: &World, point: Point) -> Value {
    let mut cmd = w.dev.command(&["publish"]);
    if let Point::Pause(name) = point {
        cmd.env("GOPAY_MINIAPP_PAUSE_AT", name);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_lines(&mut child, "publish");
    match point {
        Point::Pause(name) => {
            wait_line(&lines, &[&format!("GOPAY_MINIAPP_PAUSED_AT {name}")]);
        }
        Point::DuringBuild => {
            let marker = w.dev.project.join("build-started");
            wait_until("the build to start", WAIT, || marker.exists());
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    w.journal().expect("the killed publish left its journal")
}

/// Whether any process of group `pgid` is alive (zombies are dead).
fn group_alive(pgid: i64) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            return false;
        };
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            return false;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        fields.len() > 2 && fields[2] == pgid.to_string() && fields[0] != "Z" && fields[0] != "X"
    })
}

fn pid_alive(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rfind(')')
                .map(|i| s[i + 1..].trim_start().starts_with(['Z', 'X']))
        })
        .is_some_and(|zombie| !zombie)
}

/// The build's group (from the journal) has no live member.
fn assert_no_build_left(journal: &Value) {
    if let Some(pgid) = journal["build"]["group"]["pid"].as_i64() {
        assert!(
            !group_alive(pgid),
            "build process group {pgid} is still alive"
        );
    }
}

/// The next run is `status --json`: it recovers and says so (stderr line + `recovered`).
#[track_caller]
fn status_recovers(w: &World) -> Value {
    let run = w.dev.run(&["--json", "status"]).ok();
    assert!(
        run.stderr
            .contains("recovered: a publish of 1.0.1 was interrupted"),
        "no recovery line:\n{}",
        run.stderr
    );
    let status = run.json();
    assert_eq!(status["recovered"]["version"], "1.0.1", "{status}");
    assert_eq!(status["recovered"]["settled"], true, "{status}");
    assert!(w.journal().is_none(), "a settled journal is removed");
    status["recovered"].clone()
}

/// After a recovery that found the version never made: the next publish makes 1.0.1, once.
fn next_publish_makes_the_same_version(w: &World) {
    let published = w.dev.run(&["--json", "publish"]).ok().json();
    assert_eq!(published["version"], "1.0.1");
    assert_eq!(w.files(), w.bumped("1.0.1"));
    assert_eq!(w.versions(), ["1.0.1"]);
}

#[test]
fn killed_before_the_bump_nothing_changed() {
    let w = world("crash-bump", false);
    let journal = kill_publish_at(&w, Point::Pause("publish-before-bump"));
    assert_eq!(journal["phase"], "bumped");
    assert_eq!(w.files(), w.original, "the bump was not written yet");
    let recovered = status_recovers(&w);
    assert_eq!(recovered["packageJson"], "unchanged");
    assert_eq!(recovered["packageLock"], "unchanged");
    assert_eq!(recovered["versionOnPortal"]["kind"], "notMade");
    assert_eq!(w.files(), w.original);
    assert_eq!(w.versions(), Vec::<String>::new());
    next_publish_makes_the_same_version(&w);
}

/// Killed with both files bumped and nothing built yet: both go back, byte for byte.
#[test]
fn killed_right_after_the_bump_both_files_are_restored() {
    let w = world("crash-bumped", false);
    let journal = kill_publish_at(&w, Point::Pause("publish-bumped"));
    assert_eq!(journal["phase"], "bumped");
    assert_eq!(w.files(), w.bumped("1.0.1"), "both files were bumped");
    let recovered = status_recovers(&w);
    assert_eq!(recovered["packageJson"], "restored");
    assert_eq!(recovered["packageLock"], "restored");
    assert_eq!(w.files(), w.original, "byte for byte");
    assert_eq!(w.versions(), Vec::<String>::new());
    next_publish_makes_the_same_version(&w);
}

// ---------------------------------------------------------------------------------------------
// Killed during the build: the build dies with the CLI (crates/core/src/project/lifeline.rs)
// ---------------------------------------------------------------------------------------------

/// Which of the two ways the build dies with the tool are on.
#[derive(Debug, Clone, Copy)]
enum DiesWith {
    /// The lifeline guardian alone (`GOPAY_MINIAPP_NO_PDEATHSIG=1`): what every Unix has.
    Lifeline,
    /// The guardian and Linux's parent-death signal: what runs on Linux.
    Both,
}

impl DiesWith {
    fn set(self, dev: &mut User) {
        if let DiesWith::Lifeline = self {
            dev.env.push((NO_PDEATHSIG_ENV.into(), "1".into()));
        }
    }
}

/// The live guardians started by the user's tool (their environment names its home).
fn guardians_of(dev: &User) -> Vec<i64> {
    let home = format!("GOPAY_MINIAPP_HOME={}", dev.home.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: i64 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let environ = std::fs::read(e.path().join("environ")).ok()?;
            let ours = String::from_utf8_lossy(&cmdline).contains(GUARDIAN_NAME)
                && environ.split(|b| *b == 0).any(|kv| kv == home.as_bytes());
            (ours && pid_alive(pid)).then_some(pid)
        })
        .collect()
}

/// The build script's pid, from the marker it wrote.
fn build_script_pid(w: &World) -> i64 {
    std::fs::read_to_string(w.dev.project.join("build-started"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The next publish's build must not be slow: the fixture's package.json, fast build.
fn make_the_build_fast(w: &World) {
    std::fs::write(
        w.dev.project.join("package.json"),
        w.original
            .package_json
            .replace(&build_script(true), &build_script(false)),
    )
    .unwrap();
}

/// SIGKILLed mid-build: the whole build group (npm, the script, its background grandchild)
/// dies with the CLI, and the guardian exits; the next run only settles package.json and says
/// the build was gone; the next publish makes 1.0.1.
fn killed_during_the_build_the_whole_group_dies_with_the_cli(dies_with: DiesWith) {
    let mut w = world("crash-build", true);
    dies_with.set(&mut w.dev);
    let journal = kill_publish_at(&w, Point::DuringBuild);
    assert_eq!(journal["phase"], "building");
    assert_eq!(w.files(), w.bumped("1.0.1"));
    let pgid = journal["build"]["group"]["pid"].as_i64().unwrap();
    let script = build_script_pid(&w);
    wait_until("the build's group to die with the CLI", WAIT, || {
        !group_alive(pgid)
    });
    assert!(!pid_alive(script), "{dies_with:?}");
    wait_until("the guardian to exit", WAIT, || {
        guardians_of(&w.dev).is_empty()
    });

    let recovered = status_recovers(&w);
    assert_eq!(recovered["build"]["kind"], "alreadyGone", "{recovered}");
    assert_eq!(recovered["packageJson"], "restored");
    assert_eq!(recovered["packageLock"], "restored");
    assert_eq!(w.files(), w.original, "byte for byte");
    assert_eq!(w.versions(), Vec::<String>::new());

    make_the_build_fast(&w);
    let published = w.dev.run(&["--json", "publish"]).ok().json();
    assert_eq!(published["version"], "1.0.1");
    assert_eq!(w.versions(), ["1.0.1"]);
    assert!(
        guardians_of(&w.dev).is_empty(),
        "no guardian after a publish"
    );
}

#[test]
fn killed_during_the_build_the_lifeline_alone_stops_the_whole_group() {
    killed_during_the_build_the_whole_group_dies_with_the_cli(DiesWith::Lifeline);
}

#[test]
fn killed_during_the_build_the_lifeline_and_pdeathsig_stop_the_whole_group() {
    killed_during_the_build_the_whole_group_dies_with_the_cli(DiesWith::Both);
}

/// The guardian SIGKILLed as well (by hand, or a `kill -9` of everything but the build):
/// PDEATHSIG takes the shell, and the rest of the group (the script, its background sleep) is
/// stopped by the next run, from the journal.
#[test]
fn killed_during_the_build_with_its_guardian_the_journal_stops_the_rest() {
    let w = world("crash-build-guardian", true);
    let mut cmd = w.dev.command(&["publish"]);
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _lines = stderr_lines(&mut child, "publish");
    let marker = w.dev.project.join("build-started");
    wait_until("the build to start", WAIT, || marker.exists());
    let guardians = guardians_of(&w.dev);
    assert_eq!(guardians.len(), 1, "one guardian for the build");
    // SAFETY: kill(2) on the guardian this test's CLI started.
    assert_eq!(unsafe { libc::kill(guardians[0] as i32, libc::SIGKILL) }, 0);
    wait_until("the guardian to die", WAIT, || {
        guardians_of(&w.dev).is_empty()
    });
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let journal = w.journal().expect("the killed publish left its journal");
    assert_eq!(journal["phase"], "building");
    let pgid = journal["build"]["group"]["pid"].as_i64().unwrap();
    // PR_SET_PDEATHSIG: the shell we started died with us…
    wait_until("the build's shell to die with the CLI", WAIT, || {
        !pid_alive(pgid)
    });
    // …but its grandchildren (the script, its background sleep) are only reached by the
    // journal now.
    assert!(
        pid_alive(build_script_pid(&w)),
        "the build script still runs before recovery"
    );
    assert!(group_alive(pgid));

    let recovered = status_recovers(&w);
    assert_eq!(recovered["build"]["kind"], "stopped", "{recovered}");
    assert!(recovered["build"]["processes"].as_u64().unwrap() >= 2);
    assert_eq!(recovered["packageJson"], "restored");
    assert_eq!(recovered["packageLock"], "restored");
    assert_eq!(w.files(), w.original, "byte for byte");
    assert!(!group_alive(pgid), "no orphan build process");
    assert_eq!(w.versions(), Vec::<String>::new());

    make_the_build_fast(&w);
    let published = w.dev.run(&["--json", "publish"]).ok().json();
    assert_eq!(published["version"], "1.0.1");
    assert_eq!(w.versions(), ["1.0.1"]);
}

#[test]
fn killed_while_packing_the_next_publish_recovers_first() {
    let w = world("crash-pack", false);
    let journal = kill_publish_at(&w, Point::Pause("publish-packing"));
    assert_eq!(journal["phase"], "packing");
    assert_eq!(w.files(), w.bumped("1.0.1"));
    // The next run is a publish: it puts package.json back, then publishes 1.0.1 (not 1.0.2).
    let run = w.dev.run(&["--json", "publish"]).ok();
    assert!(
        run.stderr
            .contains("recovered: a publish of 1.0.1 was interrupted while packing"),
        "{}",
        run.stderr
    );
    let published = run.json();
    assert_eq!(published["recovered"]["packageJson"], "restored");
    assert_eq!(published["recovered"]["packageLock"], "restored");
    assert_eq!(published["version"], "1.0.1");
    assert_no_build_left(&journal);
    assert!(w.journal().is_none());
    assert_eq!(w.files(), w.bumped("1.0.1"));
    assert_eq!(w.versions(), ["1.0.1"]);
}

#[test]
fn killed_mid_upload_the_upload_is_abandoned() {
    let w = world("crash-upload", false);
    let journal = kill_publish_at(&w, Point::Pause("publish-mid-upload"));
    assert_eq!(journal["phase"], "uploading");
    let upload_id = journal["uploadId"]
        .as_str()
        .expect("the upload id is journaled");
    let recovered = status_recovers(&w);
    assert_eq!(recovered["upload"]["kind"], "abandoned");
    assert_eq!(recovered["upload"]["uploadId"], upload_id);
    assert_eq!(recovered["versionOnPortal"]["kind"], "notMade");
    assert_eq!(recovered["packageJson"], "restored");
    assert_eq!(recovered["packageLock"], "restored");
    assert_eq!(w.files(), w.original);
    assert_no_build_left(&journal);
    assert_eq!(w.versions(), Vec::<String>::new());
    next_publish_makes_the_same_version(&w);
}

#[test]
fn killed_after_the_upload_completed_before_the_version_the_version_is_not_made() {
    let w = world("crash-uploaded", false);
    let journal = kill_publish_at(&w, Point::Pause("publish-uploaded"));
    assert_eq!(journal["phase"], "uploaded");
    let recovered = status_recovers(&w);
    assert_eq!(recovered["upload"]["kind"], "abandoned");
    assert_eq!(recovered["versionOnPortal"]["kind"], "notMade");
    assert_eq!(recovered["packageJson"], "restored");
    assert_eq!(recovered["packageLock"], "restored");
    assert_eq!(w.files(), w.original);
    assert_no_build_left(&journal);
    assert_eq!(w.versions(), Vec::<String>::new());
    next_publish_makes_the_same_version(&w);
}

#[test]
fn killed_after_the_version_was_made_the_bump_is_kept() {
    let w = world("crash-made", false);
    let journal = kill_publish_at(&w, Point::Pause("publish-version-made"));
    assert_eq!(journal["phase"], "version-made");
    let recovered = status_recovers(&w);
    assert_eq!(recovered["versionOnPortal"]["kind"], "made");
    assert_eq!(recovered["packageJson"], "keptBump");
    assert_eq!(recovered["packageLock"], "keptBump");
    assert_eq!(w.files(), w.bumped("1.0.1"), "the version exists");
    assert_no_build_left(&journal);
    assert_eq!(w.versions(), ["1.0.1"]);
    // None skipped, none twice.
    let published = w.dev.run(&["--json", "publish"]).ok().json();
    assert_eq!(published["version"], "1.0.2");
    assert_eq!(w.versions(), ["1.0.2", "1.0.1"]);
}

#[test]
fn an_edited_package_json_is_left_alone_and_said_so() {
    let w = world("crash-edited", false);
    kill_publish_at(&w, Point::Pause("publish-packing"));
    let mut edited = w.bumped("1.0.1");
    edited.package_json.push(' ');
    edited.package_lock.push(' ');
    std::fs::write(w.dev.project.join("package.json"), &edited.package_json).unwrap();
    std::fs::write(
        w.dev.project.join("package-lock.json"),
        &edited.package_lock,
    )
    .unwrap();
    let run = w.dev.run(&["status"]).ok();
    assert!(
        run.stderr
            .contains("edited since the bump and is left as it is"),
        "{}",
        run.stderr
    );
    assert_eq!(w.files(), edited);
}

// ---------------------------------------------------------------------------------------------
// SIGTERM and SIGHUP (a closed terminal, `timeout`, a CI's cancel, `docker stop`): handled like
// Ctrl-C at every point — the publish cancels, stops its build, restores package.json itself
// and exits 128 + the signal, leaving nothing for the next run to recover.
// ---------------------------------------------------------------------------------------------

const STOP_SIGNALS: [(i32, &str); 2] = [(libc::SIGTERM, "TERM"), (libc::SIGHUP, "HUP")];

/// The process group of a live process (field 5 of /proc/<pid>/stat).
fn process_group(pid: i64) -> i64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 1..];
    after.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// `publish` until `point`, then `signal`; returns its exit code, its stderr and, for a point
/// in the build, the build's process group.
fn signal_publish_at(w: &World, point: Point, signal: i32) -> (Option<i32>, String, Option<i64>) {
    let marker = w.dev.project.join("build-started");
    let _ = std::fs::remove_file(&marker);
    let mut cmd = w.dev.command(&["publish"]);
    if let Point::Pause(name) = point {
        cmd.env("GOPAY_MINIAPP_PAUSE_AT", name);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_lines(&mut child, "publish");
    let mut build_group = None;
    match point {
        Point::Pause(name) => {
            wait_line(&lines, &[&format!("GOPAY_MINIAPP_PAUSED_AT {name}")]);
        }
        Point::DuringBuild => {
            wait_until("the build to start", WAIT, || {
                std::fs::read_to_string(&marker).is_ok_and(|s| s.ends_with('\n'))
            });
            let script: i64 = std::fs::read_to_string(&marker)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            build_group = Some(process_group(script));
        }
    }
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let code = child.wait().unwrap().code();
    let stderr: Vec<String> = lines.iter().collect();
    (code, stderr.join("\n"), build_group)
}

/// What a cancelled publish leaves: package.json as it was, no journal, no build process.
#[track_caller]
fn settled_by_itself(w: &World, name: &str, run: (Option<i32>, String, Option<i64>), signal: i32) {
    let (code, stderr, build_group) = run;
    assert_eq!(code, Some(128 + signal), "SIG{name}: exit code\n{stderr}");
    assert_eq!(
        w.files(),
        w.original,
        "SIG{name}: package.json restored\n{stderr}"
    );
    assert!(
        w.journal().is_none(),
        "SIG{name}: nothing left to recover\n{stderr}"
    );
    if let Some(pgid) = build_group {
        assert!(
            !group_alive(pgid),
            "SIG{name}: build process group {pgid} is still alive"
        );
    }
}

#[test]
fn term_and_hup_at_every_point_cancel_restore_and_exit_128_plus_n() {
    let w = world("signal-points", false);
    for point in [
        "publish-before-bump",
        "publish-packing",
        "publish-mid-upload",
    ] {
        for (signal, name) in STOP_SIGNALS {
            let run = signal_publish_at(&w, Point::Pause(point), signal);
            settled_by_itself(&w, &format!("{name} at {point}"), run, signal);
        }
    }
    assert_eq!(w.versions(), Vec::<String>::new(), "no version was made");
    // After every byte was sent the version may be made before the cancellation is seen:
    // either way the state is whole (made and kept, or not made and restored).
    let mut made = 0;
    for (signal, name) in STOP_SIGNALS {
        let (code, stderr, _) = signal_publish_at(&w, Point::Pause("publish-uploaded"), signal);
        assert!(w.journal().is_none(), "SIG{name}: {stderr}");
        if code == Some(0) {
            made += 1;
        } else {
            assert_eq!(code, Some(128 + signal), "SIG{name}: {stderr}");
        }
    }
    // Once the version exists, the publish is done: the bump stays and it ends as published.
    for (signal, name) in STOP_SIGNALS {
        let before = w.versions().len();
        let (code, stderr, _) = signal_publish_at(&w, Point::Pause("publish-version-made"), signal);
        assert_eq!(
            code,
            Some(0),
            "SIG{name} after the version was made: {stderr}"
        );
        assert!(w.journal().is_none(), "SIG{name}: {stderr}");
        assert_eq!(w.versions().len(), before + 1);
        made += 1;
    }
    let versions = w.versions();
    assert_eq!(
        versions.len(),
        made,
        "none skipped, none twice: {versions:?}"
    );
    let latest = versions[0].clone();
    assert_eq!(w.files(), w.bumped(&latest));
}

#[test]
fn term_and_hup_during_the_build_stop_it_and_restore() {
    let w = world("signal-build", true);
    for (signal, name) in STOP_SIGNALS {
        let run = signal_publish_at(&w, Point::DuringBuild, signal);
        assert!(run.2.is_some());
        settled_by_itself(&w, name, run, signal);
    }
    assert_eq!(w.versions(), Vec::<String>::new());
}

#[test]
fn a_sidecar_told_to_stop_mid_publish_restores_and_exits_128_plus_n() {
    let w = world("signal-sidecar", true);
    for (signal, name) in STOP_SIGNALS {
        let marker = w.dev.project.join("build-started");
        let _ = std::fs::remove_file(&marker);
        let mut sidecar = Sidecar::start(&w.dev);
        sidecar.start_request(
            "workspace/executeCommand",
            json!({"command": "miniapp.publish", "arguments": [{}]}),
        );
        wait_until("the sidecar's build to start", WAIT, || {
            std::fs::read_to_string(&marker).is_ok_and(|s| s.ends_with('\n'))
        });
        let script: i64 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let pgid = process_group(script);
        assert_eq!(w.files(), w.bumped("1.0.1"));
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(sidecar.child.id() as i32, signal) }, 0);
        let (code, log) = sidecar.wait_exit();
        let log = log.join("\n");
        assert_eq!(code, Some(128 + signal), "SIG{name}: {log}");
        assert_eq!(
            w.files(),
            w.original,
            "SIG{name}: restored by the sidecar\n{log}"
        );
        assert!(w.journal().is_none(), "SIG{name}: {log}");
        assert!(!group_alive(pgid), "SIG{name}: no orphan build process");
    }
    assert_eq!(w.versions(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// The sidecar: `gopay-miniapp lsp` killed while `miniapp.publish` builds
// ---------------------------------------------------------------------------------------------

/// The sidecar SIGKILLed (the editor crashed) while `miniapp.publish` builds: the build's group
/// dies with it; the next sidecar puts package.json back and says so.
fn a_sidecar_killed_mid_publish_is_recovered_by_the_next_sidecar(dies_with: DiesWith) {
    let mut w = world("crash-sidecar", true);
    dies_with.set(&mut w.dev);
    let mut sidecar = Sidecar::start(&w.dev);
    sidecar.start_request(
        "workspace/executeCommand",
        json!({"command": "miniapp.publish", "arguments": [{}]}),
    );
    let marker = w.dev.project.join("build-started");
    wait_until("the sidecar's build to start", WAIT, || marker.exists());
    let journal = w.journal().expect("the sidecar's publish keeps a journal");
    assert_eq!(journal["phase"], "building");
    assert_eq!(w.files(), w.bumped("1.0.1"));
    let pgid = journal["build"]["group"]["pid"].as_i64().unwrap();
    assert_eq!(guardians_of(&w.dev).len(), 1);
    sidecar.child.kill().unwrap(); // SIGKILL, as when the editor crashes
    sidecar.child.wait().unwrap();
    // Its stdout (the wire) reaches end-of-file: neither the build nor the guardian holds it.
    loop {
        match sidecar.messages.recv_timeout(WAIT) {
            Ok(_) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("something still holds the sidecar's stdout"),
        }
    }
    drop(sidecar);
    wait_until("the build's group to die with the sidecar", WAIT, || {
        !group_alive(pgid)
    });
    wait_until("the guardian to exit", WAIT, || {
        guardians_of(&w.dev).is_empty()
    });

    let mut next = Sidecar::start(&w.dev);
    let shown = next.wait_for("window/showMessage about the recovery", |m| {
        m["method"] == "window/showMessage"
    });
    let text = shown["params"]["message"].as_str().unwrap();
    assert!(
        text.contains("A publish of 1.0.1 was cut off (building)")
            && text.contains("put back to 1.0.0 exactly"),
        "{text}"
    );
    let status = next.request(
        "workspace/executeCommand",
        json!({"command": "miniapp.status", "arguments": [{}]}),
    );
    assert_eq!(status["recovered"]["packageJson"], "restored", "{status}");
    assert_eq!(status["recovered"]["packageLock"], "restored", "{status}");
    assert_eq!(status["recovered"]["build"]["kind"], "alreadyGone");
    assert_eq!(w.files(), w.original, "byte for byte");
    assert!(w.journal().is_none());
    assert_eq!(w.versions(), Vec::<String>::new());
    drop(next);
}

#[test]
fn a_sidecar_killed_mid_publish_the_lifeline_alone_stops_the_build() {
    a_sidecar_killed_mid_publish_is_recovered_by_the_next_sidecar(DiesWith::Lifeline);
}

#[test]
fn a_sidecar_killed_mid_publish_both_stop_the_build() {
    a_sidecar_killed_mid_publish_is_recovered_by_the_next_sidecar(DiesWith::Both);
}

/// A sidecar lives for hours and publishes many times: after each publish it has no child left,
/// no guardian and no zombie (every guardian told `done` and reaped).
#[test]
fn a_sidecar_publishing_many_times_keeps_no_guardian_and_no_zombie() {
    let w = world("lifeline-many", false);
    let mut sidecar = Sidecar::start(&w.dev);
    let sidecar_pid = sidecar.child.id().to_string();
    let children = || -> Vec<String> {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| {
                let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
                let after = &stat[stat.rfind(')')? + 1..];
                let fields: Vec<&str> = after.split_whitespace().collect();
                (fields.get(1) == Some(&sidecar_pid.as_str())).then(|| stat.clone())
            })
            .collect()
    };
    for n in 1..=5 {
        let published = sidecar.request(
            "workspace/executeCommand",
            json!({"command": "miniapp.publish", "arguments": [{}]}),
        );
        assert_eq!(published["version"], format!("1.0.{n}"), "{published}");
        assert_eq!(children(), Vec::<String>::new(), "after publish {n}");
    }
    assert!(guardians_of(&w.dev).is_empty());
    assert_eq!(w.versions().len(), 5);
}
