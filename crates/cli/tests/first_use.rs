//! Issue #21, the CLI's part of items 1, 4, 5 and 22, against a real local portal: a new user
//! is never sent to a portal silently (under `--yes` or without a terminal the error names
//! `--portal` and the presets); a bound project talks to its binding's portal whatever
//! `GOPAY_MINIAPP_PORTAL` says, and a `--portal` that disagrees is used for that command only,
//! with a warning; `login` checks the portal before it asks for anything; `grayscale`'s range
//! is checked before any request; a not-found hint says what was not found; `status` exits
//! non-zero when it prints a problem.

mod support;

use support::*;

/// A user with no portal given on the command line.
fn without_portal(user: &User) -> User {
    User {
        home: user.home.clone(),
        project: user.project.clone(),
        portal: String::new(),
        env: user.env.clone(),
    }
}

#[test]
fn a_new_user_is_asked_for_the_portal_never_sent_to_one() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("p");
    shell_project(&project, "true", None);
    let fresh = User::new(root.path(), "fresh", &project, "");
    for args in [
        &["--yes", "status"][..],
        &["whoami"][..],
        &["--yes", "login", "--username", "demo", "--password-stdin"][..],
    ] {
        let run = fresh.run(args).code(2);
        assert!(
            run.stderr.contains("no portal is chosen")
                && run.stderr.contains("--portal")
                && run
                    .stderr
                    .contains("gopay-staging (https://miniapp.stg.midtrans.com)")
                && run.stderr.contains("local (http://127.0.0.1:8780)"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("8780/api"),
            "no request was made: {}",
            run.stderr
        );
    }
    let json = fresh.run(&["--json", "--yes", "status"]).code(2).json();
    assert_eq!(json["error"]["code"], "no_portal");
    assert_eq!(json["error"]["hint"]["kind"], "choosePortal");
}

#[test]
fn the_binding_wins_over_the_environment_and_a_given_portal_is_for_one_command_with_a_warning() {
    let w = release_world("binding-wins");
    let bound = without_portal(&w.dev);
    // The environment names a portal that is not there: the binding's is used all the same.
    let mut elsewhere = without_portal(&w.dev);
    elsewhere
        .env
        .push(("GOPAY_MINIAPP_PORTAL".into(), "http://127.0.0.1:9".into()));
    let status = elsewhere.run(&["--json", "status"]).ok().json();
    assert_eq!(status["portal"].as_str(), Some(w.portal.url.as_str()));
    assert_eq!(status["loggedIn"], true);
    assert!(status.get("problem").is_none(), "{status}");
    bound.run(&["status"]).ok();

    // `--portal` wins for this command only, and says it disagrees with the binding.
    let mut given = without_portal(&w.dev);
    given.portal = "http://127.0.0.1:9".into();
    let run = given.run(&["status"]);
    assert!(
        run.stderr
            .contains("warning: --portal http://127.0.0.1:9 is not this project's portal")
            && run.stderr.contains(&w.portal.url),
        "{}",
        run.stderr
    );
    let binding = std::fs::read_to_string(w.dev.project.join("gopay-miniapp.json")).unwrap();
    assert!(binding.contains(&w.portal.url), "the binding is unchanged");
}

#[test]
fn status_exits_non_zero_when_it_prints_a_problem() {
    let w = release_world("status-problem");
    w.dev.run(&["status"]).ok();
    let mut bad_token = without_portal(&w.dev);
    bad_token
        .env
        .push(("GOPAY_MINIAPP_TOKEN".into(), "not-a-token".into()));
    let run = bad_token.run(&["status"]).code(3);
    assert!(run.stdout.contains("Problem:"), "{}", run.stdout);
}

#[test]
fn login_checks_the_portal_before_asking_for_anything() {
    let root = tempfile::tempdir().unwrap();
    let portal = Portal::start(&root.path().join("portal"));
    let project = root.path().join("p");
    shell_project(&project, "true", None);
    // Nothing listens there: said before the username is asked for (no terminal: it would
    // otherwise fail asking for it).
    let down = User::new(root.path(), "down", &project, "http://127.0.0.1:9");
    let run = down.run(&["login"]).code(5);
    assert!(!run.stderr.contains("Username"), "{}", run.stderr);
    // Something answers, but not like a portal.
    let not_a_portal = User::new(
        root.path(),
        "web",
        &project,
        &format!("{}/no-portal-here", portal.url),
    );
    let run = not_a_portal.run(&["login"]).code(5);
    assert!(
        run.stderr
            .contains("neither as a native portal nor as a SuperApp console"),
        "{}",
        run.stderr
    );
    // The real one: named, then logged in.
    let user = User::new(root.path(), "ok", &project, &portal.url);
    let run = user.run_with_stdin(&["login", "--username", "demo", "--password-stdin"], "demo");
    let run = run.ok();
    assert!(
        run.stderr
            .contains(&format!("Logging in to {}", portal.url)),
        "{}",
        run.stderr
    );
}

#[test]
fn grayscale_ratio_is_checked_before_any_request_and_not_found_hints_name_what() {
    let w = release_world("ratio");
    // The portal given is not there: a range error, not a network one, proves no request.
    let mut nowhere = without_portal(&w.dev);
    nowhere.portal = "http://127.0.0.1:9".into();
    let run = nowhere.run(&[
        "--json",
        "--yes",
        "grayscale",
        "1.0.0",
        "--target-app",
        "GoPay",
        "--ratio",
        "150",
    ]);
    assert_ne!(run.code, 5, "no request was made: {}", run.stderr);
    assert_eq!(
        run.json()["error"]["code"],
        "invalid_ratio",
        "{}",
        run.stdout
    );

    let bound = without_portal(&w.dev);
    let published = bound.run(&["--json", "publish"]).ok().json();
    let version = published["version"].as_str().unwrap().to_string();
    for (args, what, words) in [
        (
            ["release", version.as_str(), "--target-app", "Nope"],
            "targetApp",
            "target-apps",
        ),
        (
            ["release", "9.9.9", "--target-app", "GoPay"],
            "version",
            "versions",
        ),
    ] {
        let mut full = vec!["--json", "--yes"];
        full.extend_from_slice(&args);
        let run = bound.run(&full).code(4);
        let error = &run.json()["error"];
        assert_eq!(error["hint"]["kind"], "checkName", "{error}");
        assert_eq!(error["hint"]["what"], what, "{error}");
        let text = error["hint"]["text"].as_str().unwrap();
        assert!(
            !text.contains("spaces you belong to") && text.contains(words),
            "{text}"
        );
    }
}
