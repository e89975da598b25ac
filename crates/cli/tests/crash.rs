//! The fault suite: `gopay-miniapp publish` (and the sidecar running `miniapp.publish`) killed
//! with SIGKILL at every point of a publish, then run again. Real processes throughout: the
//! binary, the local portal over HTTP on loopback, `npm run build` on a fixture project whose
//! build leaves a grandchild running. For each point the next run must leave package.json
//! byte-for-byte right, no build process behind, exactly the versions that were made on the
//! portal (none skipped, none twice), and say what it recovered.
//!
//! Points inside the CLI are reached with the test-only hook `GOPAY_MINIAPP_PAUSE_AT`
//! (crates/portal/src/pause.rs); "during the build" is reached naturally (a slow build that
//! writes a marker file).

mod support;

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};
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

struct World {
    _root: tempfile::TempDir,
    _portal: Portal,
    dev: User,
    original: Vec<u8>,
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
    let original = std::fs::read(project.join("package.json")).unwrap();
    World {
        _root: root,
        _portal: portal,
        dev,
        original,
    }
}

impl World {
    fn package_json(&self) -> Vec<u8> {
        std::fs::read(self.dev.project.join("package.json")).unwrap()
    }

    fn bumped(&self, version: &str) -> Vec<u8> {
        String::from_utf8(self.original.clone())
            .unwrap()
            .replacen(
                "\"version\": \"1.0.0\"",
                &format!("\"version\": \"{version}\""),
                1,
            )
            .into_bytes()
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
    assert_eq!(w.package_json(), w.bumped("1.0.1"));
    assert_eq!(w.versions(), ["1.0.1"]);
}

#[test]
fn killed_before_the_bump_nothing_changed() {
    let w = world("crash-bump", false);
    let journal = kill_publish_at(&w, Point::Pause("publish-before-bump"));
    assert_eq!(journal["phase"], "bumped");
    assert_eq!(w.package_json(), w.original, "the bump was not written yet");
    let recovered = status_recovers(&w);
    assert_eq!(recovered["packageJson"], "unchanged");
    assert_eq!(recovered["versionOnPortal"]["kind"], "notMade");
    assert_eq!(w.package_json(), w.original);
    assert_eq!(w.versions(), Vec::<String>::new());
    next_publish_makes_the_same_version(&w);
}

#[test]
fn killed_during_the_build_the_build_is_stopped_and_package_json_restored() {
    let w = world("crash-build", true);
    let journal = kill_publish_at(&w, Point::DuringBuild);
    assert_eq!(journal["phase"], "building");
    assert_eq!(w.package_json(), w.bumped("1.0.1"));
    let pgid = journal["build"]["group"]["pid"].as_i64().unwrap();
    // PR_SET_PDEATHSIG: the shell we started died with us…
    wait_until("the build's shell to die with the CLI", WAIT, || {
        !pid_alive(pgid)
    });
    // …but its grandchildren (npm, the script, its background sleep) are only reached by the
    // journal.
    let script: i64 = std::fs::read_to_string(w.dev.project.join("build-started"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        pid_alive(script),
        "the build script still runs before recovery"
    );
    assert!(group_alive(pgid));

    let recovered = status_recovers(&w);
    assert_eq!(recovered["build"]["kind"], "stopped", "{recovered}");
    assert!(recovered["build"]["processes"].as_u64().unwrap() >= 2);
    assert_eq!(recovered["packageJson"], "restored");
    assert_eq!(w.package_json(), w.original, "byte for byte");
    assert!(!group_alive(pgid), "no orphan build process");
    assert_eq!(w.versions(), Vec::<String>::new());

    // The next publish's build must not be slow.
    let pj = String::from_utf8(w.original.clone()).unwrap();
    std::fs::write(
        w.dev.project.join("package.json"),
        pj.replace(&build_script(true), &build_script(false)),
    )
    .unwrap();
    let published = w.dev.run(&["--json", "publish"]).ok().json();
    assert_eq!(published["version"], "1.0.1");
    assert_eq!(w.versions(), ["1.0.1"]);
}

#[test]
fn killed_while_packing_the_next_publish_recovers_first() {
    let w = world("crash-pack", false);
    let journal = kill_publish_at(&w, Point::Pause("publish-packing"));
    assert_eq!(journal["phase"], "packing");
    assert_eq!(w.package_json(), w.bumped("1.0.1"));
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
    assert_eq!(published["version"], "1.0.1");
    assert_no_build_left(&journal);
    assert!(w.journal().is_none());
    assert_eq!(w.package_json(), w.bumped("1.0.1"));
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
    assert_eq!(w.package_json(), w.original);
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
    assert_eq!(w.package_json(), w.original);
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
    assert_eq!(w.package_json(), w.bumped("1.0.1"), "the version exists");
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
    let edited = w
        .bumped("1.0.1")
        .iter()
        .chain(b" ")
        .copied()
        .collect::<Vec<u8>>();
    std::fs::write(w.dev.project.join("package.json"), &edited).unwrap();
    let run = w.dev.run(&["status"]).ok();
    assert!(
        run.stderr
            .contains("edited since the bump and is left as it is"),
        "{}",
        run.stderr
    );
    assert_eq!(w.package_json(), edited);
}

// ---------------------------------------------------------------------------------------------
// The sidecar: `gopay-miniapp lsp` killed while `miniapp.publish` builds
// ---------------------------------------------------------------------------------------------

/// `gopay-miniapp lsp` as a real process, spoken to over its stdio.
struct Sidecar {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
    next_id: i64,
}

impl Sidecar {
    fn start(user: &User) -> Sidecar {
        let mut child = user
            .command(&["lsp"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = stderr_lines(&mut child, "sidecar");
        let mut stdout = child.stdout.take().unwrap();
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 16384];
            loop {
                while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let header = String::from_utf8_lossy(&buf[..end]).to_string();
                    let len: usize = header
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .trim()
                        .parse()
                        .unwrap();
                    if buf.len() < end + 4 + len {
                        break;
                    }
                    let body = serde_json::from_slice(&buf[end + 4..end + 4 + len]).unwrap();
                    buf.drain(..end + 4 + len);
                    if tx.send(body).is_err() {
                        return;
                    }
                }
                match stdout.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        let mut sidecar = Sidecar {
            child,
            stdin,
            messages,
            next_id: 1,
        };
        let root = format!("file://{}", user.project.display());
        sidecar.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root,
                "workspaceFolders": [{"uri": root, "name": "p"}],
                "capabilities": {"window": {"workDoneProgress": true, "showMessage": {}}},
            }),
        );
        sidecar.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        sidecar
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a request without waiting for its answer; returns its id.
    fn start_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the first message `pick` accepts, answering the server's own requests
    /// (progress tokens, questions) with an empty result meanwhile.
    fn wait_for(&mut self, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .messages
                .recv_timeout(WAIT)
                .unwrap_or_else(|e| panic!("no {what} from the sidecar ({e})"));
            if pick(&message) {
                return message;
            }
            if message.get("method").is_some() {
                if let Some(id) = message.get("id") {
                    let id = id.clone();
                    self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}));
                }
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.start_request(method, params);
        let answer = self.wait_for(&format!("answer to {method}"), |m| {
            m.get("id") == Some(&json!(id)) && m.get("method").is_none()
        });
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].clone()
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_sidecar_killed_mid_publish_is_recovered_by_the_next_sidecar() {
    let w = world("crash-sidecar", true);
    let mut sidecar = Sidecar::start(&w.dev);
    sidecar.start_request(
        "workspace/executeCommand",
        json!({"command": "miniapp.publish", "arguments": [{}]}),
    );
    let marker = w.dev.project.join("build-started");
    wait_until("the sidecar's build to start", WAIT, || marker.exists());
    let journal = w.journal().expect("the sidecar's publish keeps a journal");
    assert_eq!(journal["phase"], "building");
    assert_eq!(w.package_json(), w.bumped("1.0.1"));
    let pgid = journal["build"]["group"]["pid"].as_i64().unwrap();
    sidecar.child.kill().unwrap(); // SIGKILL, as when the editor crashes
    sidecar.child.wait().unwrap();
    drop(sidecar);
    assert!(group_alive(pgid), "npm and the script outlive the sidecar");

    let mut next = Sidecar::start(&w.dev);
    let shown = next.wait_for("window/showMessage about the recovery", |m| {
        m["method"] == "window/showMessage"
    });
    let text = shown["params"]["message"].as_str().unwrap();
    assert!(
        text.contains("A publish of 1.0.1 was cut off (building)")
            && text.contains("put back to 1.0.0 exactly")
            && text.contains("was stopped"),
        "{text}"
    );
    let status = next.request(
        "workspace/executeCommand",
        json!({"command": "miniapp.status", "arguments": [{}]}),
    );
    assert_eq!(status["recovered"]["packageJson"], "restored", "{status}");
    assert_eq!(status["recovered"]["build"]["kind"], "stopped");
    assert_eq!(w.package_json(), w.original, "byte for byte");
    assert!(!group_alive(pgid), "no orphan build process");
    assert!(w.journal().is_none());
    assert_eq!(w.versions(), Vec::<String>::new());
    drop(next);
}
