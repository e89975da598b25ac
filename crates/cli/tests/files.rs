//! The write policy as the CLI meets it (docs/security.md, "Files, signals and secrets"): outputs never
//! overwrite the project's own files or another kind of file unless forced, and what is ours
//! (the tool's home, credentials, the local portal's data) is private.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use support::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn pack_and_qr_outputs_never_overwrite_the_projects_own_files() {
    let w = release_world("files-out");
    let project = w.dev.project.clone();
    let pj = project.join("package.json");
    let binding = project.join("gopay-miniapp.json");
    let own_binding = std::fs::read(&binding).unwrap();
    w.dev.run(&["--json", "publish"]).ok();
    let own_pj_after = std::fs::read(&pj).unwrap();

    // pack --out: the project's own files are refused, even with --force.
    for own in [&pj, &binding] {
        for force in [false, true] {
            let mut args = vec!["--json", "pack", "--out", own.to_str().unwrap()];
            if force {
                args.push("--force");
            }
            let run = w.dev.run(&args);
            assert_ne!(run.code, 0, "{}", run.stdout);
            assert_eq!(
                run.json()["error"]["code"],
                "file_refused",
                "{}",
                run.stdout
            );
        }
    }
    assert_eq!(std::fs::read(&pj).unwrap(), own_pj_after);
    assert_eq!(std::fs::read(&binding).unwrap(), own_binding);

    // Another kind of file: refused unless --force; re-packing over our own ZIP is fine.
    let notes = w.root.path().join("notes.txt");
    std::fs::write(&notes, "my notes\n").unwrap();
    let run = w
        .dev
        .run(&["--json", "pack", "--out", notes.to_str().unwrap()]);
    assert_eq!(
        run.json()["error"]["code"],
        "file_refused",
        "{}",
        run.stdout
    );
    assert_eq!(run.json()["error"]["hint"]["kind"], "overwrite");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes\n");
    w.dev
        .run(&["pack", "--out", notes.to_str().unwrap(), "--force"])
        .ok();
    assert!(std::fs::read(&notes).unwrap().starts_with(b"PK\x03\x04"));
    let zip = w.root.path().join("app.zip");
    w.dev.run(&["pack", "--out", zip.to_str().unwrap()]).ok();
    w.dev.run(&["pack", "--out", zip.to_str().unwrap()]).ok();

    // qr --out: the same rule with PNG's magic bytes.
    let version = "1.0.1";
    w.dev
        .run(&[
            "--json",
            "--yes",
            "release",
            version,
            "--target-app",
            "GoPay Staging",
        ])
        .ok();
    let qr = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "--json",
            "qr",
            version,
            "--target-app",
            "GoPay Staging",
            "--format",
            "png",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        w.dev.run(&args)
    };
    for own in [&pj, &binding] {
        let run = qr(own, &["--force"]);
        assert_eq!(
            run.json()["error"]["code"],
            "file_refused",
            "{}",
            run.stdout
        );
    }
    assert_eq!(std::fs::read(&pj).unwrap(), own_pj_after);
    assert_eq!(std::fs::read(&binding).unwrap(), own_binding);
    let run = qr(&notes, &[]);
    assert_eq!(
        run.json()["error"]["code"],
        "file_refused",
        "{}",
        run.stdout
    );
    let png = w.root.path().join("code.png");
    qr(&png, &[]).ok();
    qr(&png, &[]).ok();
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn the_tools_home_and_the_local_portals_data_are_private() {
    let root = tempfile::Builder::new()
        .prefix("files-private")
        .tempdir()
        .unwrap();
    let data = root.path().join("portal");
    let portal = Portal::start(&data);
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let mut dev = User::new(root.path(), "demo", &project, &portal.url);
    // A home that does not exist yet: the tool creates it.
    let home = root.path().join("fresh/home");
    dev.env
        .push(("GOPAY_MINIAPP_HOME".into(), home.display().to_string()));
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    dev.run(&["publish"]).ok();
    assert_eq!(mode(&home), 0o700, "the tool's home");
    assert_eq!(mode(&root.path().join("fresh")), 0o700);
    assert_eq!(mode(&home.join("credentials.json")), 0o600);
    assert_eq!(mode(&home.join("locks")), 0o700);

    for dir in [data.clone(), data.join("packages"), data.join("uploads")] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    let mut files = 0;
    let mut stack = vec![data.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                stack.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                files += 1;
            }
        }
    }
    // The database and the stored package at least.
    assert!(files >= 2, "{files} files");
    assert_eq!(mode(&data.join("portal.sqlite3")), 0o600);
}

#[test]
fn a_credentials_file_others_can_read_is_tightened_and_said_so() {
    let root = tempfile::Builder::new()
        .prefix("files-creds")
        .tempdir()
        .unwrap();
    let portal = Portal::start(&root.path().join("portal"));
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    let credentials = dev.home.join("credentials.json");
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = dev.run(&["whoami"]).ok();
    assert!(
        run.stderr
            .contains("could be read by other users (mode 0644)")
            && run.stderr.contains("log in again"),
        "{}",
        run.stderr
    );
    assert_eq!(mode(&credentials), 0o600);
    // Said once: the file is private now.
    let run = dev.run(&["whoami"]).ok();
    assert!(!run.stderr.contains("could be read"), "{}", run.stderr);
}

#[test]
fn a_byte_order_mark_in_the_binding_file_is_accepted() {
    let root = tempfile::Builder::new()
        .prefix("files-bom")
        .tempdir()
        .unwrap();
    let portal = Portal::start(&root.path().join("portal"));
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    let binding = project.join("gopay-miniapp.json");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(&binding).unwrap());
    std::fs::write(&binding, bytes).unwrap();
    let status = dev.run(&["--json", "status"]).ok().json();
    assert_eq!(
        status["binding"]["app"]["name"], "Hello MiniApp",
        "{status}"
    );
}
