//! `gopay-miniapp demo`, the README's first command: the whole story runs, and what it shows
//! is what a user should see.

mod support;

use std::process::{Command, Stdio};

use support::*;

/// `gopay-miniapp demo ARGS` from the checkout, with a throwaway home; it must succeed.
fn demo(args: &[&str]) -> Run {
    let home = tempfile::Builder::new()
        .prefix("demo-home")
        .tempdir()
        .unwrap();
    to_run(
        Command::new(BIN)
            .arg("demo")
            .args(args)
            .current_dir(repo_root())
            .env("GOPAY_MINIAPP_HOME", home.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
    .ok()
}

#[test]
fn the_demo_runs_the_story_with_a_real_second_package() {
    let run = demo(&[]);
    assert!(run.stdout.contains("published 1.0.2"), "{}", run.stdout);
    // "Change the app and publish again" changes what the build ships, so 1.0.2 is a new
    // package, not the same bytes again.
    assert!(
        !run.stderr.contains("identical") && !run.stderr.contains("warning:"),
        "{}",
        run.stderr
    );
    // After the rollback 1.0.2 is archived, with no grayscale ratio left on it.
    let versions = run
        .stdout
        .split("Versions and their release states")
        .nth(1)
        .unwrap_or_else(|| panic!("no versions listing:\n{}", run.stdout));
    let archived = versions
        .lines()
        .skip_while(|l| !l.starts_with("1.0.2"))
        .find(|l| l.contains("GoPay Staging"))
        .unwrap_or_else(|| panic!("no GoPay Staging release of 1.0.2:\n{versions}"));
    assert!(
        archived.contains("Archived") && !archived.contains('%'),
        "{archived}"
    );
}

/// `demo --backend superapp`: the story the SuperApp console's API supports, against its
/// emulator, ends with the release live and a step the API lacks refused with exit 7's words.
#[test]
fn the_superapp_demo_runs_the_console_story() {
    let run = demo(&["--backend", "superapp"]);
    let out = &run.stdout;
    // The ids the console's API needs, printed since it has no lists.
    assert!(
        out.contains("target-app 1611000000000000000002 GoPay Staging"),
        "{out}"
    );
    for step in [
        "published 1.0.1",
        "state: Not submitted",
        "state: In review",
        "versionStatus: PASSED",
        "state: Live",
        "GoPay Staging    live: 1.0.1",
    ] {
        assert!(out.contains(step), "no `{step}` in:\n{out}");
    }
    let refused = out
        .split("a step this API does not have")
        .nth(1)
        .unwrap_or_else(|| panic!("no unavailable step shown:\n{out}"));
    assert!(
        refused.contains("setting a whitelist is not available on this portal")
            && refused.contains("(exit 7)")
            && refused.contains("hint:"),
        "{refused}"
    );
    // The cookie is never shown.
    assert!(!out.contains("SA_CONSOLE_SESSION") && !run.stderr.contains("SA_CONSOLE_SESSION"));
    assert!(!run.stderr.contains("WARN"), "{}", run.stderr);
}
