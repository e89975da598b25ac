//! The local portal survives kill -9: `gopay-miniapp portal serve` as a real process with a
//! data dir, killed with SIGKILL mid-upload, mid-completion and mid-step, then restarted on
//! the same data dir. The database must pass `PRAGMA integrity_check` (read by Python's
//! sqlite3, a reader of its own), the upload must resume where it was (same upload id, the
//! client resumes), and nothing half-made may be listed.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use gopay_miniapp_portal::native::{Credentials, PortalClient};
use gopay_miniapp_portal::{UploadProgress, VersionNumber};
use serde_json::Value;
use support::*;
use tokio_util::sync::CancellationToken;

/// What the database holds, read with Python's sqlite3 while the portal is dead.
fn inspect(data: &Path) -> Value {
    let script = r#"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(json.dumps({
    "integrity": db.execute("PRAGMA integrity_check").fetchone()[0],
    "versions": [r[0] for r in db.execute("SELECT version FROM versions ORDER BY rowid")],
    "uploads": [{"id": r[0], "state": r[1], "received": r[2], "size": r[3]}
                for r in db.execute("SELECT id, state, received, size FROM uploads ORDER BY rowid")],
    "releases": [r[0] for r in db.execute("SELECT state FROM releases ORDER BY rowid")],
    "audit": [r[0] for r in db.execute("SELECT action FROM audit ORDER BY id")],
}))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(data.join("portal.sqlite3"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python sqlite3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn part_files(data: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(data.join("uploads"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "part"))
        .collect()
}

/// A MiniApp package of ~200 KB (incompressible), written by Python's zipfile; its sha256.
fn package(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("package.zip");
    std::fs::write(dir.join("noise.bin"), noise(200_000)).unwrap();
    let ok = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w'); z.writestr('index.html', '<!doctype html>'); z.write(sys.argv[2], 'noise.bin'); z.close()",
        ])
        .arg(&path)
        .arg(dir.join("noise.bin"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let out = Command::new("sha256sum").arg(&path).output().unwrap();
    let sha = String::from_utf8(out.stdout).unwrap()[..64].to_string();
    (path, sha)
}

struct World {
    root: tempfile::TempDir,
    portal: Arc<Mutex<Portal>>,
    data: PathBuf,
    dev: User,
    app_id: String,
    client: Arc<PortalClient>,
}

fn world(prefix: &str) -> World {
    let root = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    let data = root.path().join("portal");
    let portal = Portal::start(&data);
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    let status = dev.run(&["--json", "status"]).ok().json();
    let app_id = status["binding"]["app"]["id"].as_str().unwrap().to_string();
    let token = dev
        .run(&["--json", "token", "create", "--name", "crash"])
        .ok()
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let client = Arc::new(
        PortalClient::new(&portal.url, Credentials::AccessToken(token))
            .unwrap()
            .with_chunk_size(16 * 1024),
    );
    World {
        root,
        portal: Arc::new(Mutex::new(portal)),
        data,
        dev,
        app_id,
        client,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_killed_mid_upload_comes_back_consistent_and_the_upload_resumes() {
    let w = world("portal-kill-upload");
    let (path, sha) = package(w.root.path());
    let opened: Arc<Mutex<Vec<String>>> = Default::default();
    let killed_at = Arc::new(AtomicU64::new(0));
    let sent_after: Arc<Mutex<Vec<u64>>> = Default::default();
    let fired = Arc::new(AtomicBool::new(false));
    let restarter: Arc<Mutex<Option<std::thread::JoinHandle<Value>>>> = Default::default();

    let on_opened = {
        let opened = opened.clone();
        move |id: &str| opened.lock().unwrap().push(id.to_string())
    };
    let progress = {
        let (killed_at, sent_after, fired, restarter) = (
            killed_at.clone(),
            sent_after.clone(),
            fired.clone(),
            restarter.clone(),
        );
        let (portal, data) = (w.portal.clone(), w.data.clone());
        move |p: UploadProgress| {
            if fired.load(Ordering::SeqCst) {
                sent_after.lock().unwrap().push(p.sent);
                return;
            }
            if p.sent > 0 && p.sent < p.total {
                fired.store(true, Ordering::SeqCst);
                killed_at.store(p.sent, Ordering::SeqCst);
                // SIGKILL the portal with some chunks stored; look at its database while it
                // is dead, then start it again on the same data dir.
                portal.lock().unwrap().kill();
                let (portal, data) = (portal.clone(), data.clone());
                *restarter.lock().unwrap() = Some(std::thread::spawn(move || {
                    let seen = inspect(&data);
                    portal.lock().unwrap().restart();
                    seen
                }));
            }
        }
    };
    let version = w
        .client
        .upload_package(
            &w.app_id,
            &path,
            &sha,
            VersionNumber::new(1, 0, 1),
            "resumed after a kill",
            Some(&on_opened),
            &progress,
            &CancellationToken::new(),
        )
        .await
        .expect("the upload resumes after the portal's restart");
    let dead = restarter.lock().unwrap().take().unwrap().join().unwrap();

    // While dead: consistent, the verified bytes counted, nothing half-made.
    assert_eq!(dead["integrity"], "ok", "{dead}");
    assert_eq!(dead["versions"], serde_json::json!([]), "{dead}");
    let upload = &dead["uploads"][0];
    assert_eq!(upload["state"], "open");
    assert_eq!(upload["received"], killed_at.load(Ordering::SeqCst));

    // After the restart: the same upload, resumed (never back to 0), completed once.
    assert_eq!(opened.lock().unwrap().len(), 1, "one upload opened");
    assert_eq!(upload["id"], opened.lock().unwrap()[0].as_str());
    let after = sent_after.lock().unwrap().clone();
    assert!(
        after.iter().all(|s| *s >= killed_at.load(Ordering::SeqCst)),
        "resumed, not restarted: {after:?}"
    );
    assert_eq!(version.sha256, sha);
    let versions = w.client.versions(&w.app_id).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert!(
        part_files(&w.data).is_empty(),
        "the part file became the package"
    );
    assert_eq!(
        inspect(&w.data)["integrity"],
        "ok",
        "still consistent after the restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_killed_while_completing_an_upload_lists_no_version_until_it_is_completed() {
    let w = world("portal-kill-complete");
    let (path, sha) = package(w.root.path());
    {
        let mut portal = w.portal.lock().unwrap();
        portal.env = vec![(
            "GOPAY_MINIAPP_PAUSE_AT".into(),
            "portal-upload-complete".into(),
        )];
        portal.restart();
    }
    let client = w.client.clone();
    let app_id = w.app_id.clone();
    let (task_path, task_sha) = (path.clone(), sha.clone());
    let upload = tokio::spawn(async move {
        client
            .upload_package(
                &app_id,
                &task_path,
                &task_sha,
                VersionNumber::new(1, 0, 1),
                "completed after a kill",
                None,
                &|_| {},
                &CancellationToken::new(),
            )
            .await
    });
    let portal = w.portal.clone();
    let data = w.data.clone();
    let dead = tokio::task::spawn_blocking(move || {
        let mut portal = portal.lock().unwrap();
        portal.wait_stderr("GOPAY_MINIAPP_PAUSED_AT portal-upload-complete");
        portal.kill();
        let seen = inspect(&data);
        portal.env.clear();
        portal.restart();
        seen
    })
    .await
    .unwrap();
    // Killed with the package in the store but the version not recorded: none listed.
    assert_eq!(dead["integrity"], "ok", "{dead}");
    assert_eq!(dead["versions"], serde_json::json!([]), "{dead}");
    assert_eq!(dead["uploads"][0]["state"], "open");
    assert_eq!(dead["uploads"][0]["received"], dead["uploads"][0]["size"]);

    // The client completes again after the restart: the version is made once.
    let version = upload.await.unwrap().expect("completed after the restart");
    assert_eq!(version.sha256, sha);
    let versions = w.client.versions(&w.app_id).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].version, VersionNumber::new(1, 0, 1));
    let now = inspect(&w.data);
    assert_eq!(now["integrity"], "ok");
    assert_eq!(now["uploads"][0]["state"], "complete");
}

#[test]
fn a_portal_killed_mid_step_shows_the_step_not_taken() {
    let w = world("portal-kill-step");
    let published = w.dev.run(&["--json", "publish"]).ok().json();
    let v = published["version"].as_str().unwrap().to_string();
    w.dev
        .run(&[
            "--json",
            "--yes",
            "release",
            &v,
            "--target-app",
            "GoPay Staging",
        ])
        .ok();
    let mut portal = w.portal.lock().unwrap();
    portal.env = vec![("GOPAY_MINIAPP_PAUSE_AT".into(), "portal-step".into())];
    portal.restart();
    let mut apply = w
        .dev
        .command(&[
            "--json",
            "--yes",
            "apply",
            &v,
            "--target-app",
            "GoPay Staging",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    portal.wait_stderr("GOPAY_MINIAPP_PAUSED_AT portal-step");
    portal.kill();
    // The client would retry once the portal is back; this test looks at the crash alone.
    apply.kill().unwrap();
    apply.wait().unwrap();

    let dead = inspect(&w.data);
    assert_eq!(dead["integrity"], "ok", "{dead}");
    assert_eq!(
        dead["releases"],
        serde_json::json!(["version_creation"]),
        "{dead}"
    );
    assert!(
        !dead["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "release.apply"),
        "the step's audit entry went with its transaction: {dead}"
    );

    portal.env.clear();
    portal.restart();
    drop(portal);
    let status = w.dev.run(&["--json", "status"]).ok().json();
    assert_eq!(
        status["versions"][0]["releases"][0]["state"],
        "version_creation"
    );
    let applied = w
        .dev
        .run(&[
            "--json",
            "--yes",
            "apply",
            &v,
            "--target-app",
            "GoPay Staging",
        ])
        .ok()
        .json();
    assert_eq!(applied["release"]["state"], "in_review", "{applied}");
}
