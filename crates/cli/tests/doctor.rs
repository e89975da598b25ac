//! `gopay-miniapp doctor --portal URL` against a native portal process: which API it speaks,
//! each read route's answer without a session and with the stored one, and what is not a
//! portal. (The SuperApp console's rows are checked in tests/superapp.rs.)

mod support;

use serde_json::Value;
use support::*;

fn rows(report: &Value) -> Vec<(String, bool, String)> {
    report["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["withSession"].as_bool().unwrap(),
                r["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn doctor_tells_the_native_portal_and_what_its_read_routes_answer() {
    let root = tempfile::Builder::new().prefix("doctor").tempdir().unwrap();
    let portal = Portal::start(&root.path().join("portal"));
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);

    // No session: health answers, the rest is the lost-session answer (401).
    let report = dev.run(&["--json", "doctor"]).ok().json();
    assert_eq!(report["backend"], "native");
    assert_eq!(report["session"]["stored"], false);
    let without = rows(&report);
    assert_eq!(without[0], ("/api/v1/health".into(), false, "ok".into()));
    assert!(
        without[1..]
            .iter()
            .all(|(_, with, kind)| !with && kind == "lost_session"),
        "{without:?}"
    );
    assert_eq!(report["routes"][1]["status"], 401);

    // Logged in and bound: each route once more with the session, and the MiniApp's versions.
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    let run = dev.run(&["--json", "doctor"]).ok();
    let report = run.json();
    assert_eq!(report["session"]["sent"], true);
    assert_eq!(report["session"]["store"], "file");
    let with: Vec<_> = rows(&report).into_iter().filter(|r| r.1).collect();
    assert!(with.len() >= 4, "{with:?}");
    assert!(with.iter().all(|r| r.2 == "ok"), "{with:?}");
    assert!(with.iter().any(|r| r.0.ends_with("/versions")), "{with:?}");
    let credentials = std::fs::read_to_string(dev.home.join("credentials.json")).unwrap();
    let session: Value = serde_json::from_str(&credentials).unwrap();
    let token = session["sessions"][&portal.url]["session"]["accessToken"]
        .as_str()
        .unwrap();
    assert!(!run.stdout.contains(token) && !run.stderr.contains(token));
    let text = dev.run(&["doctor"]).ok();
    assert!(
        text.stdout.contains("Speaks:   native") && text.stdout.contains("Verdict:"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains(token));

    // A URL that answers, but as neither backend: exit 5, named.
    let wrong = format!("{}/api/v1/health", portal.url);
    let elsewhere = User::new(root.path(), "elsewhere", &project, &wrong);
    let run = elsewhere.run(&["--json", "doctor"]).code(5);
    let report = run.json();
    assert_eq!(report["backend"], Value::Null);
    assert!(
        report["problem"]["message"]
            .as_str()
            .unwrap()
            .contains("answers neither as a native portal nor as a SuperApp console"),
        "{report}"
    );
    // Nothing answers at all: the network error (exit 5, retryable).
    let gone = format!("http://127.0.0.1:{}", free_port());
    let nowhere = User::new(root.path(), "nowhere", &project, &gone);
    let run = nowhere.run(&["--json", "doctor"]).code(5);
    assert_eq!(run.json()["error"]["code"], "network");
}
