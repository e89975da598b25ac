//! Issue #20 item 14: a portal URL with a user name and password in it is refused, wherever it
//! comes from (a flag, a binding), and the password is never echoed.

mod support;

use support::*;

#[test]
fn a_portal_url_with_credentials_is_refused_without_echoing_the_password() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let user = User::new(
        root.path(),
        "u",
        &project,
        "http://deploy:s3cretPass@127.0.0.1:9/",
    );
    let login = ["login", "--username", "demo", "--password-stdin"];
    for args in [vec!["--json", "whoami"], vec!["spaces"], login.to_vec()] {
        let run = if args == login {
            user.run_with_stdin(&args, "demo\n")
        } else {
            user.run(&args)
        };
        assert_ne!(run.code, 0, "{args:?}: {}", run.stdout);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            !all.contains("s3cretPass"),
            "{args:?} echoes the password:\n{all}"
        );
        assert!(
            all.contains("http://***@127.0.0.1:9/")
                && all.contains("carries a user name or password"),
            "{args:?}:\n{all}"
        );
    }

    // The same URL in a binding file.
    std::fs::write(
        project.join("gopay-miniapp.json"),
        r#"{"portal": "https://ci:hunter2hunter2@portal.example/", "backend": "native", "space": {"id": "s", "name": "S"}, "app": {"id": "1", "name": "A"}}"#,
    )
    .unwrap();
    // No --portal: the binding's portal is used.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gopay-miniapp"))
        .arg("--project")
        .arg(&project)
        .arg("versions")
        .env("GOPAY_MINIAPP_HOME", root.path().join("home-b"))
        .env_remove("GOPAY_MINIAPP_TOKEN")
        .env_remove("GOPAY_MINIAPP_PORTAL")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{all}");
    assert!(
        !all.contains("hunter2hunter2"),
        "echoes the password:\n{all}"
    );
    assert!(all.contains("https://***@portal.example/"), "{all}");
}
