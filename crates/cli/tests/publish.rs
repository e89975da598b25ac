//! `publish` and friends, end to end: the real binary, a real local portal process on
//! loopback, real `npm run build`, archives checked by `unzip -t` and Python's zipfile.

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::*;

fn setup(name: &str) -> (tempfile::TempDir, Portal) {
    let root = tempfile::Builder::new().prefix(name).tempdir().unwrap();
    let portal = Portal::start(&root.path().join("portal"));
    (root, portal)
}

#[test]
fn publish_hello_miniapp_with_npm_build() {
    let (root, portal) = setup("publish-hello");
    let project = root.path().join("hello");
    copy_project(&repo_root().join("examples/hello-miniapp"), &project, false);
    let before = std::fs::read(project.join("package.json")).unwrap();
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");

    let published = dev.run(&["--json", "publish"]).ok().json();
    assert_eq!(published["version"], "1.0.1");
    assert!(published["versionId"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert!(published["appId"].as_str().is_some_and(|s| s.len() == 16));

    // Only the version value changed in package.json.
    let after = std::fs::read_to_string(project.join("package.json")).unwrap();
    let expected = String::from_utf8(before)
        .unwrap()
        .replacen("\"1.0.0\"", "\"1.0.1\"", 1);
    assert_eq!(after, expected);

    // What the portal stored is a valid archive with the build output at its root.
    let stored = stored_package(&portal.data, published["sha256"].as_str().unwrap());
    let names = verify_zip(&stored);
    assert!(names.iter().any(|n| n == "app.json"), "{names:?}");
    assert!(names.iter().any(|n| n == "index.html"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("dist/")), "{names:?}");

    // pack gives exactly the bytes publish uploaded (deterministic).
    let out = root.path().join("again.zip");
    let packed = dev
        .run(&["--json", "pack", "--out", out.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(packed["sha256"], published["sha256"]);
    verify_zip(&out);

    // The next publish goes up by one, and versions are listed newest first.
    // Same output folder (no build) → same bytes: asked first (issue #21 item 21); `--yes`
    // does not answer it, `--allow-identical` does, and package.json is put back meanwhile.
    let refused = dev
        .run(&["--json", "--yes", "publish", "--no-build"])
        .code(2);
    let error = &refused.json()["error"];
    assert_eq!(error["code"], "needs_input", "{error}");
    assert_eq!(error["hint"]["input"], "allowIdentical", "{error}");
    assert_eq!(
        std::fs::read_to_string(project.join("package.json")).unwrap(),
        after
    );
    let run = dev
        .run(&["--json", "publish", "--no-build", "--allow-identical"])
        .ok();
    assert!(
        run.stderr.contains("identical to version 1.0.1"),
        "{}",
        run.stderr
    );
    let second = run.json();
    assert_eq!(second["version"], "1.0.2");
    assert_eq!(second["identicalToPrevious"], true);
    let versions = dev.run(&["--json", "versions"]).ok().json();
    let listed: Vec<&str> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["1.0.2", "1.0.1"]);
}

#[test]
fn publish_fixture_built_with_esbuild_from_npm() {
    let (root, portal) = setup("publish-esbuild");
    let fixture = repo_root().join("tests/fixtures/esbuild-miniapp");
    let project = root.path().join("esbuild-app");
    let installed = fixture.join("node_modules").is_dir();
    copy_project(&fixture, &project, installed);
    if !installed {
        let status = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&project)
            .status()
            .unwrap();
        assert!(status.success(), "npm install of the fixture failed");
    }
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Wallet Tools");
    let run = dev.run(&["--json", "publish", "--bump", "minor"]).ok();
    let published = run.json();
    let stored = stored_package(&portal.data, published["sha256"].as_str().unwrap());
    let names = verify_zip(&stored);
    assert!(names.iter().any(|n| n == "app.js"), "{names:?}");
    // The bundle really came out of esbuild (its output marker), not a copy of the source.
    let bundle = std::process::Command::new("unzip")
        .args(["-p"])
        .arg(&stored)
        .arg("app.js")
        .output()
        .unwrap();
    assert!(!bundle.stdout.is_empty());
    assert!(
        !String::from_utf8_lossy(&bundle.stdout).contains("import "),
        "the bundle still has import statements: not bundled"
    );
}

#[test]
fn bad_package_json_is_named_and_left_untouched() {
    let (root, portal) = setup("bad-package-json");
    let dev_project = root.path().join("p");
    let cases: &[(&str, &str, &str)] = &[
        (
            "not-xyz",
            "{\n  \"name\": \"x\",\n  \"version\": \"1.0\",\n  \"scripts\": {\"build\": \"true\"}\n}\n",
            "1.0",
        ),
        (
            "invalid-json",
            "{\n  \"name\": \"x\",\n  \"version\": \"1.0.0\",\n  \"scripts\": {\"build\": \"true\"},\n}\n",
            "line 5",
        ),
        ("no-version", "{\n  \"name\": \"x\"\n}\n", "version"),
    ];
    for (name, text, must_mention) in cases {
        let project = dev_project.join(name);
        shell_project(&project, COPY_BUILD, Some(text));
        let dev = User::new(root.path(), name, &project, &portal.url);
        dev.login("demo", "demo");
        dev.bind("Hello MiniApp");
        let run = dev.run(&["--json", "publish"]).code(4);
        let error = &run.json()["error"];
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("package.json"), "{name}: {message}");
        assert!(message.contains(must_mention), "{name}: {message}");
        assert_eq!(
            std::fs::read_to_string(project.join("package.json")).unwrap(),
            *text,
            "{name}: package.json changed"
        );
    }
}

#[test]
fn build_failure_restores_package_json_and_exits_4() {
    let (root, portal) = setup("build-fails");
    let project = root.path().join("p");
    // CRLF, a BOM and no final newline: the restore must give back these exact bytes.
    let original = "\u{feff}{\r\n\t\"name\": \"fails\",\r\n\t\"version\": \"2.3.4\",\r\n\t\"scripts\": {\"build\": \"echo compiling; echo boom >&2; exit 3\"}\r\n}";
    shell_project(&project, "", Some(original));
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    let run = dev.run(&["publish"]).code(4);
    assert!(
        run.stderr.contains("boom"),
        "build output is shown: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("package.json was restored to 2.3.4"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(project.join("package.json")).unwrap(),
        original.as_bytes()
    );
    let versions = dev.run(&["--json", "versions"]).ok().json();
    assert!(
        versions["versions"].as_array().unwrap().is_empty(),
        "nothing was created"
    );
}

#[test]
fn sigint_during_build_kills_children_and_restores() {
    let (root, portal) = setup("sigint");
    let project = root.path().join("p");
    let marker = root.path().join("child.pid");
    // The build leaves a grandchild behind that would outlive a careless kill.
    let build = format!(
        "sh -c 'echo $$ > {m}; exec sleep 300' & echo started; wait",
        m = marker.display()
    );
    shell_project(&project, &build, None);
    let original = std::fs::read(project.join("package.json")).unwrap();
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    let child = dev
        .command(&["publish"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the build's grandchild", Duration::from_secs(30), || {
        std::fs::read_to_string(&marker).is_ok_and(|s| !s.trim().is_empty())
    });
    let grandchild: i32 = std::fs::read_to_string(&marker)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // package.json was bumped while the build runs.
    assert_ne!(
        std::fs::read(project.join("package.json")).unwrap(),
        original
    );
    unsafe { libc_kill(child.id() as i32, 2) };
    let run = to_run(child.wait_with_output().unwrap()).code(130);
    assert!(run.stderr.contains("restored"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(project.join("package.json")).unwrap(),
        original
    );
    wait_until("the grandchild to be gone", Duration::from_secs(10), || {
        !std::path::Path::new(&format!("/proc/{grandchild}")).exists()
            || std::fs::read_to_string(format!("/proc/{grandchild}/stat"))
                .is_ok_and(|s| s.contains(") Z "))
    });
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

#[test]
fn portal_killed_mid_upload_and_restarted_makes_one_version() {
    let (root, mut portal) = setup("resume");
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    // ~24 MiB of incompressible bytes, sent in 256 KiB chunks: long enough to cut.
    std::fs::write(project.join("src/blob.png"), noise(24 * 1024 * 1024)).unwrap();
    let mut dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    dev.env
        .push(("GOPAY_MINIAPP_CHUNK_SIZE".into(), (256 * 1024).to_string()));
    let mut child = dev
        .command(&["--json", "publish"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = stderr_lines(&mut child, "publish");
    let uploads = portal.data.join("uploads");
    wait_until("bytes on the portal", Duration::from_secs(60), || {
        std::fs::read_dir(&uploads).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.metadata().is_ok_and(|m| m.len() > 2 * 1024 * 1024))
        })
    });
    portal.kill();
    // The portal stays down until the publish has noticed and is retrying.
    wait_line(&stderr, &["resuming", "retrying"]);
    portal.restart();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "publish did not survive the restart (its stderr is above):\n{stdout}"
    );
    let published: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let versions = dev.run(&["--json", "versions"]).ok().json();
    let list = versions["versions"].as_array().unwrap();
    assert_eq!(list.len(), 1, "exactly one version: {list:?}");
    assert_eq!(list[0]["sha256"], published["sha256"]);
    let stored = stored_package(&portal.data, published["sha256"].as_str().unwrap());
    let digest = std::process::Command::new("sha256sum")
        .arg(&stored)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&digest.stdout).starts_with(published["sha256"].as_str().unwrap())
    );
}

#[test]
fn a_second_publish_in_the_same_project_is_refused() {
    let (root, portal) = setup("two-publishes");
    let project = root.path().join("p");
    let marker = root.path().join("building");
    // The first publish's build holds the lock until the test opens the gate.
    let gate = Gate::new(&root.path().join("gate"));
    shell_project(
        &project,
        &format!(
            "touch '{}' && {} && {COPY_BUILD}",
            marker.display(),
            gate.wait_command()
        ),
        None,
    );
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    let first = dev
        .command(&["--json", "publish"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the first build", Duration::from_secs(30), || {
        marker.exists()
    });
    let second = dev.run(&["--json", "publish"]).code(4);
    let message = second.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("another publish is running"), "{message}");
    gate.open();
    let first = to_run(first.wait_with_output().unwrap()).ok();
    assert_eq!(first.json()["version"], "1.0.1");
    // The refused one did not touch package.json: the first one's bump stands.
    let pj = std::fs::read_to_string(project.join("package.json")).unwrap();
    assert!(pj.contains("\"1.0.1\""), "{pj}");
}

/// Eight CLI processes find one expired session at once: every one goes on (one refreshes,
/// the others take its saved session), none says "log in again" (issue #20 item 20).
#[test]
fn eight_processes_renewing_one_expired_session_all_go_on() {
    let root = tempfile::tempdir().unwrap();
    let (portal, clock) =
        Portal::start_on_test_clock(&root.path().join("portal"), &["--access-token-ttl", "10m"]);
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    clock.advance(Duration::from_secs(600)).unwrap();
    let runs: Vec<_> = (0..8)
        .map(|_| {
            dev.command(&["--json", "whoami"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for run in runs {
        let run = to_run(run.wait_with_output().unwrap()).ok();
        assert_eq!(run.json()["user"]["username"], "demo");
    }
    dev.run(&["--json", "whoami"]).ok();
}

#[test]
fn expired_token_is_refreshed_transparently() {
    let root = tempfile::tempdir().unwrap();
    let ttl = Duration::from_secs(600);
    let (portal, clock) =
        Portal::start_on_test_clock(&root.path().join("portal"), &["--access-token-ttl", "10m"]);
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    let credentials = || std::fs::read_to_string(dev.home.join("credentials.json")).unwrap();
    let before = credentials();
    let who = dev.run(&["--json", "whoami"]).ok().json();
    assert_eq!(who["user"]["username"], "demo");
    assert_eq!(before, credentials(), "a live session is not refreshed");
    clock.advance(ttl).unwrap();
    let who = dev.run(&["--json", "whoami"]).ok().json();
    assert_eq!(who["user"]["username"], "demo");
    assert_ne!(before, credentials(), "the refreshed session was saved");
    clock.advance(ttl).unwrap();
    dev.bind("Hello MiniApp");
    dev.run(&["--json", "publish"]).ok();
}

/// `logout` with the portal down: forgotten here, exit 5, and said plainly that the portal
/// still holds the session until it expires, with the date (issue #20 item 21).
#[test]
fn logout_with_the_portal_down_says_the_portal_still_holds_the_session() {
    let (root, mut portal) = setup("logout-down");
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dev.home.join("credentials.json")).unwrap()).unwrap();
    let expires = stored["sessions"][portal.url.as_str()]["expiresAt"]
        .as_str()
        .unwrap()
        .to_string();
    portal.kill();
    let run = dev.run(&["logout"]).code(5);
    assert!(!run.stdout.contains("Logged out"), "{}", run.stdout);
    assert!(run.stderr.contains("still holds"), "{}", run.stderr);
    assert!(run.stderr.contains(&expires), "{}", run.stderr);
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dev.home.join("credentials.json")).unwrap()).unwrap();
    assert!(
        stored["sessions"].get(portal.url.as_str()).is_none(),
        "forgotten here as asked: {stored}"
    );
}

#[test]
fn revoked_credentials_say_log_in_again_and_exit_3() {
    let (root, portal) = setup("revoked");
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    // Keep a copy of the session, log out (the portal revokes it), put the copy back.
    let saved = std::fs::read(dev.home.join("credentials.json")).unwrap();
    dev.run(&["logout"]).ok();
    std::fs::write(dev.home.join("credentials.json"), saved).unwrap();
    let run = dev.run(&["--json", "whoami"]).code(3);
    let error = run.json()["error"].clone();
    assert!(
        error["hint"]["text"].as_str().unwrap().contains("log in"),
        "{error}"
    );

    // An access token for CI: works until revoked, then exit 3.
    dev.login("demo", "demo");
    let created = dev
        .run(&["--json", "token", "create", "--name", "ci"])
        .ok()
        .json();
    let secret = created["secret"].as_str().unwrap().to_string();
    let mut ci = User::new(root.path(), "ci", &project, &portal.url);
    ci.env.push(("GOPAY_MINIAPP_TOKEN".into(), secret.clone()));
    let mut cmd = ci.command(&["--json", "whoami"]);
    cmd.env("GOPAY_MINIAPP_TOKEN", &secret);
    let who = to_run(cmd.output().unwrap()).ok().json();
    assert_eq!(who["via"], "token");
    let listed = dev.run(&["--json", "token", "list"]).ok();
    assert!(
        !listed.stdout.contains(&secret),
        "token list never shows secrets"
    );
    dev.run(&["token", "revoke", "ci"]).ok();
    let mut cmd = ci.command(&["--json", "whoami"]);
    cmd.env("GOPAY_MINIAPP_TOKEN", &secret);
    to_run(cmd.output().unwrap()).code(3);
}

#[test]
fn secrets_and_size_budget_block_the_upload_naming_files() {
    let (root, portal) = setup("checks");
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    std::fs::write(project.join("src/.env.production"), "API_KEY=abc\n").unwrap();
    std::fs::write(
        project.join("src/config.txt"),
        "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
    )
    .unwrap();
    let original = std::fs::read(project.join("package.json")).unwrap();
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    let run = dev.run(&["--json", "publish"]).code(4);
    let error = run.json()["error"].clone();
    assert_eq!(error["code"], "secrets_found");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(".env.production") && message.contains("config.txt"),
        "{message}"
    );
    assert_eq!(
        std::fs::read(project.join("package.json")).unwrap(),
        original
    );

    // Leave them out with .miniappignore; then a tiny budget lists the largest files.
    std::fs::write(project.join(".miniappignore"), ".env*\nconfig.txt\n").unwrap();
    std::fs::write(project.join("src/big.bin"), noise(300_000)).unwrap();
    let mut binding: serde_json::Value =
        serde_json::from_slice(&std::fs::read(project.join("gopay-miniapp.json")).unwrap())
            .unwrap();
    binding["sizeBudget"] = serde_json::json!(1000);
    std::fs::write(project.join("gopay-miniapp.json"), binding.to_string()).unwrap();
    let run = dev.run(&["--json", "publish"]).code(4);
    let error = run.json()["error"].clone();
    assert_eq!(error["code"], "over_budget");
    assert!(
        error["message"].as_str().unwrap().contains("big.bin"),
        "{error}"
    );
    let versions = dev.run(&["--json", "versions"]).ok().json();
    assert!(versions["versions"].as_array().unwrap().is_empty());
}

/// Issue #21 item 14: a dry run writes nothing (no version in package.json or
/// package-lock.json, no build into the project's output folder, no upload) and says only what
/// it does: what it would write and build, and that it packed the output folder as it is.
#[test]
fn dry_run_changes_nothing_and_needs_no_upload() {
    let (root, portal) = setup("dry-run");
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let lock = "{\n  \"name\": \"shell-app\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\"\": {\"version\": \"1.0.0\"}}\n}\n";
    std::fs::write(project.join("package-lock.json"), lock).unwrap();
    let original = std::fs::read(project.join("package.json")).unwrap();
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    // Nothing built yet: the dry run does not build, so there is nothing to pack.
    let run = dev.run(&["--json", "publish", "--dry-run"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(!project.join("dist").exists(), "the dry run built nothing");
    // An output folder as the last build left it: packed as it is, not rebuilt (the build
    // command starts with `rm -rf dist`, so a build would remove the marker).
    std::fs::create_dir_all(project.join("dist")).unwrap();
    std::fs::write(
        project.join("dist/index.html"),
        "<!doctype html><title>old</title>\n",
    )
    .unwrap();
    std::fs::write(project.join("dist/app.json"), "{\"pages\":[\"index\"]}\n").unwrap();
    std::fs::write(project.join("dist/marker.txt"), "left by the last build\n").unwrap();
    // In git, the description is the last commit's subject (issue #21 item 17).
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "Fix the checkout button"],
    ] {
        let status = std::process::Command::new("git")
            .arg("-C")
            .arg(&project)
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }
    let run = dev.run(&["--json", "publish", "--dry-run"]).ok();
    assert!(
        !run.stderr.contains("Writing version") && !run.stderr.contains("Building 1.0.1"),
        "a dry run says nothing it does not do:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Dry run: would write version 1.0.1 to package.json and package-lock.json"),
        "{}",
        run.stderr
    );
    let plan = run.json();
    assert_eq!(plan["dryRun"], true);
    assert_eq!(plan["built"], false);
    assert_eq!(plan["version"], "1.0.1");
    assert_eq!(plan["packageJsonVersion"], "1.0.0");
    assert_eq!(
        plan["bumpedFiles"],
        serde_json::json!(["package.json", "package-lock.json"])
    );
    assert_eq!(plan["files"].as_u64().unwrap(), 3);
    assert_eq!(plan["description"], "Fix the checkout button");
    assert_eq!(plan["descriptionSource"], "lastCommit");
    let given = dev
        .run(&["--json", "publish", "--dry-run", "--description", "By hand"])
        .ok()
        .json();
    assert_eq!(
        (&given["description"], &given["descriptionSource"]),
        (&serde_json::json!("By hand"), &serde_json::json!("given"))
    );
    assert!(project.join("dist/marker.txt").exists(), "not rebuilt");
    assert_eq!(
        std::fs::read(project.join("package.json")).unwrap(),
        original
    );
    assert_eq!(
        std::fs::read_to_string(project.join("package-lock.json")).unwrap(),
        lock
    );
    let versions = dev.run(&["--json", "versions"]).ok().json();
    assert!(versions["versions"].as_array().unwrap().is_empty());
}

#[test]
fn not_logged_in_and_not_bound_are_clear() {
    let (root, portal) = setup("preflight");
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    let run = dev.run(&["--json", "publish"]).code(4);
    assert_eq!(run.json()["error"]["code"], "not_bound");
    let run = dev.run(&["--json", "spaces"]).code(3);
    assert_eq!(run.json()["error"]["code"], "not_logged_in");
    // `--yes` cannot answer a choice: the error names the flag. (demo has one space, so
    // only the MiniApp is a choice.)
    dev.login("demo", "demo");
    let run = dev.run(&["--json", "--yes", "bind"]).code(2);
    assert!(run.json()["error"]["hint"]["text"]
        .as_str()
        .unwrap()
        .contains("--app"));
    // Rebinding asks; --yes rebinds, and the build settings are kept.
    dev.bind("Hello MiniApp");
    let run = dev
        .run(&[
            "--json",
            "bind",
            "--space",
            "Demo Space",
            "--app",
            "Wallet Tools",
        ])
        .code(2);
    assert!(run.json()["error"]["hint"]["text"]
        .as_str()
        .unwrap()
        .contains("--yes"));
    let rebound = dev
        .run(&[
            "--json",
            "--yes",
            "bind",
            "--space",
            "Demo Space",
            "--app",
            "Wallet Tools",
        ])
        .ok()
        .json();
    assert_eq!(rebound["binding"]["app"]["name"], "Wallet Tools");
    // Another user's space is invisible.
    let run = dev
        .run(&["--json", "apps", "--space", "Other Space"])
        .code(4);
    assert!(run.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Other Space"));
}

#[test]
fn pack_needs_no_binding_and_says_which_defaults_it_used() {
    let root = tempfile::Builder::new()
        .prefix("pack-unbound")
        .tempdir()
        .unwrap();
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    // No portal at all: nothing listens on the discard port.
    let dev = User::new(root.path(), "demo", &project, "http://127.0.0.1:9");

    // pack never builds: before the build, the error names the default folder and build.
    let run = dev.run(&["pack"]).code(4);
    assert!(
        run.stderr.contains("dist") && run.stderr.contains("npm run build"),
        "{}",
        run.stderr
    );

    let built = std::process::Command::new("sh")
        .args(["-c", COPY_BUILD])
        .current_dir(&project)
        .status()
        .unwrap();
    assert!(built.success());
    let out = root.path().join("upload-by-files.zip");
    let run = dev.run(&["pack", "--out", out.to_str().unwrap()]).ok();
    assert!(
        run.stderr
            .contains("not bound: packing with the defaults (output dir `dist`")
            && run.stderr.contains("gopay-miniapp bind"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("Wrote"), "{}", run.stdout);
    let mut names = verify_zip(&out);
    names.sort();
    assert_eq!(names, ["app.json", "index.html"]);

    let json = dev.run(&["--json", "pack", "--list"]).ok().json();
    assert_eq!(json["defaults"]["outputDir"], "dist");
    assert_eq!(json["defaults"]["buildCommand"], "npm run build");
    assert_eq!(json["defaults"]["includeSourceMaps"], false);
    assert!(json["defaults"]["sizeBudget"].as_u64().unwrap() > 0);
    assert_eq!(json["files"], 2);

    // Bound, the binding's settings are used and no defaults are reported.
    let portal = Portal::start(&root.path().join("portal"));
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    let run = dev.run(&["--json", "pack"]).ok();
    assert!(run.json().get("defaults").is_none(), "{}", run.stdout);
    assert!(!run.stderr.contains("defaults"), "{}", run.stderr);
}

/// Single-quoted for `sh -c`.
fn shell_quote(arg: &std::ffi::OsStr) -> String {
    format!("'{}'", arg.to_string_lossy().replace('\'', r"'\''"))
}

#[test]
fn on_a_terminal_the_upload_progress_line_ends_before_the_result() {
    let (root, portal) = setup("tty");
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");

    // util-linux's `script` runs publish on a pseudo-terminal, as in an interactive shell:
    // stdout and stderr are the same TTY, so the progress is redrawn in place with \r.
    let publish = dev.command(&["--yes", "publish"]);
    let line = std::iter::once(publish.get_program())
        .chain(publish.get_args())
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = std::process::Command::new("script");
    script
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .stdin(Stdio::null());
    for (key, value) in publish.get_envs() {
        match value {
            Some(value) => script.env(key, value),
            None => script.env_remove(key),
        };
    }
    let run = to_run(script.output().expect("util-linux's `script` runs"));
    let run = run.ok();
    let terminal = run.stdout.replace("\r\n", "\n");
    assert!(
        terminal.contains("\r    Uploading 1.0.1: 100%"),
        "the progress was drawn in place:\n{terminal:?}"
    );
    let result = terminal
        .lines()
        .find(|l| l.contains("Published Hello MiniApp 1.0.1"))
        .unwrap_or_else(|| panic!("no result line:\n{terminal:?}"));
    assert!(
        result.starts_with("Published"),
        "the result shares the progress line: {result:?}"
    );
}

/// Issue #20 item 22: a file name the portals refuse (here a backslash) stops the publish at
/// packing, named, before anything is uploaded; package.json is restored.
#[test]
fn a_file_name_the_portal_refuses_stops_publish_before_the_upload() {
    let (root, portal) = setup("backslash");
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    std::fs::write(project.join("src/pages\\index.js"), "x").unwrap();
    let original = std::fs::read(project.join("package.json")).unwrap();
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    for args in [
        &["--json", "publish"][..],
        &["--json", "publish", "--no-build"],
    ] {
        let run = dev.run(args).code(4);
        let error = run.json()["error"].clone();
        assert_eq!(error["code"], "pack_failed", "{error}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("`pages\\index.js`") && message.contains("backslash"),
            "{message}"
        );
        assert_eq!(
            std::fs::read(project.join("package.json")).unwrap(),
            original
        );
    }
    let versions = dev.run(&["--json", "versions"]).ok().json();
    assert!(versions["versions"].as_array().unwrap().is_empty());
}

/// `args` run with a deadline: a command that hangs (the old `upload <FIFO>`) fails the test
/// instead of hanging it.
fn run_with_deadline(dev: &User, args: &[&str]) -> Run {
    let cmd = dev.command(args);
    let mut bounded = std::process::Command::new("timeout");
    bounded
        .arg("60")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => bounded.env(key, value),
            None => bounded.env_remove(key),
        };
    }
    let run = to_run(bounded.output().unwrap());
    assert_ne!(run.code, 124, "`{}` hung", args.join(" "));
    run
}

/// Issue #20 items 24 and 19: `upload` checks the file on this machine first, with the
/// portals' own rules: a file that is not a ZIP, or a ZIP with an entry the portals refuse,
/// is refused before a byte is sent (exit 4, `pack_failed`, not the portal's
/// `invalid_package`); a FIFO no longer hangs and /dev/zero is not "an empty package": only
/// regular files.
#[test]
fn upload_checks_the_package_locally_and_takes_regular_files_only() {
    let (root, portal) = setup("upload-local");
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");

    let not_zip = root.path().join("notes.zip");
    std::fs::write(&not_zip, "plain text, not a ZIP").unwrap();
    let link_zip = root.path().join("link.zip");
    {
        use gopay_miniapp_guard::entries::testing::{raw_zip, RawEntry};
        let mut link = RawEntry::stored(b"passwd", b"/etc/passwd");
        link.unix_mode = 0o120777;
        std::fs::write(
            &link_zip,
            raw_zip(&[RawEntry::stored(b"index.html", b"<html></html>"), link]),
        )
        .unwrap();
    }
    let fifo = root.path().join("pipe.zip");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());

    let cases = [
        (not_zip.to_str().unwrap(), "not a readable ZIP"),
        (link_zip.to_str().unwrap(), "symbolic link"),
        (
            fifo.to_str().unwrap(),
            "is a named pipe (FIFO), not a regular file",
        ),
        ("/dev/zero", "is a device, not a regular file"),
    ];
    for (file, why) in cases {
        let run = run_with_deadline(&dev, &["--json", "upload", file, "--version", "1.0.1"]);
        assert_eq!(run.code, 4, "{file}: {}\n{}", run.stdout, run.stderr);
        let error = run.json()["error"].clone();
        assert_eq!(error["code"], "pack_failed", "{file}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains(why),
            "{file}: {error}"
        );
    }
    let versions = dev.run(&["--json", "versions"]).ok().json();
    assert!(versions["versions"].as_array().unwrap().is_empty());
}
