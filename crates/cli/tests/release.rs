//! The release lifecycle from the CLI, end to end against a real local portal process:
//! every legal path of the lifecycle table, illegal steps refused with the state and the
//! allowed steps, the first-release rule, independent target apps, reject → re-apply,
//! `wait` seeing another process's approval, and the temporary code decoded back.

mod support;

use std::process::Stdio;

use support::*;

const STAGING: &str = "GoPay Staging";

struct World {
    root: tempfile::TempDir,
    _portal: Portal,
    dev: User,
    admin: User,
    app_id: String,
}

fn world(name: &str) -> World {
    let w = release_world(name);
    World {
        root: w.root,
        _portal: w.portal,
        dev: w.dev,
        admin: w.admin,
        app_id: w.app_id,
    }
}

impl World {
    fn publish(&self) -> String {
        // Change the content so every version is a different package.
        let marker = self.dev.project.join("src/build.txt");
        let n = std::fs::read_to_string(&marker)
            .map(|s| s.len())
            .unwrap_or(0);
        std::fs::write(&marker, "x".repeat(n + 1)).unwrap();
        let out = self.dev.run(&["--json", "publish"]).ok().json();
        out["version"].as_str().unwrap().to_string()
    }

    fn step(&self, args: &[&str]) -> serde_json::Value {
        let mut full = vec!["--json", "--yes"];
        full.extend_from_slice(args);
        self.dev.run(&full).ok().json()
    }

    /// A refused step: exit code, and the error's code and message.
    fn refused(&self, args: &[&str], exit: i32) -> (String, String) {
        let mut full = vec!["--json", "--yes"];
        full.extend_from_slice(args);
        let run = self.dev.run(&full).code(exit);
        let error = run.json()["error"].clone();
        (
            error["code"].as_str().unwrap().to_string(),
            error["message"].as_str().unwrap().to_string(),
        )
    }

    fn review(
        &self,
        decision: &str,
        version: &str,
        target: &str,
        reason: Option<&str>,
    ) -> serde_json::Value {
        let mut args = vec![
            "--json",
            "review",
            decision,
            "--app",
            &self.app_id,
            "--version",
            version,
            "--target-app",
            target,
        ];
        if let Some(r) = reason {
            args.extend_from_slice(&["--reason", r]);
        }
        self.admin.run(&args).ok().json()
    }

    fn state(&self, version: &str, target: &str) -> String {
        let versions = self.dev.run(&["--json", "versions"]).ok().json();
        for v in versions["versions"].as_array().unwrap() {
            if v["version"] == version {
                for r in v["releases"].as_array().unwrap() {
                    if r["targetApp"] == target {
                        return r["state"].as_str().unwrap().to_string();
                    }
                }
            }
        }
        "none".into()
    }
}

#[test]
fn first_release_goes_straight_to_official() {
    let w = world("first-release");
    let v1 = w.publish();
    let created = w.step(&["release", &v1, "--target-app", STAGING]);
    assert_eq!(created["release"]["state"], "version_creation");
    assert_eq!(created["release"]["nextStep"], "apply");

    // Illegal while not submitted: named state (our word), allowed steps in the message.
    let (code, message) = w.refused(&["official", &v1, "--target-app", STAGING], 6);
    assert_eq!(code, "illegal_step");
    assert!(
        message.contains("Not submitted") && message.contains("apply"),
        "{message}"
    );

    let applied = w.step(&["apply", &v1, "--target-app", STAGING, "--notes", "first"]);
    assert_eq!(applied["release"]["state"], "in_review");
    let (_, message) = w.refused(
        &["whitelist", &v1, "--target-app", STAGING, "--users", "1"],
        6,
    );
    assert!(message.contains("In review"), "{message}");

    // Only the admin reviews: the developer cannot even see the review queue.
    let run = w
        .dev
        .run(&[
            "--json",
            "review",
            "approve",
            "--app",
            &w.app_id,
            "--version",
            &v1,
            "--target-app",
            STAGING,
        ])
        .code(4);
    assert!(run.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("visible to you"));
    w.review("approve", &v1, STAGING, None);
    assert_eq!(w.state(&v1, STAGING), "pilot_test");

    // The first release to a target app may only go official.
    for args in [
        vec![
            "whitelist",
            v1.as_str(),
            "--target-app",
            STAGING,
            "--users",
            "100001",
        ],
        vec![
            "grayscale",
            v1.as_str(),
            "--target-app",
            STAGING,
            "--ratio",
            "10",
        ],
    ] {
        let (code, message) = w.refused(&args, 6);
        // Its own code: the first-release rule, not any illegal step.
        assert_eq!(code, "first_release_official_only", "{message}");
        assert!(message.contains("first release"), "{message}");
    }
    let run = w
        .dev
        .run(&["--json", "--yes", "official", &v1, "--target-app", STAGING])
        .ok();
    assert!(run.stderr.contains("first release there"), "{}", run.stderr);
    assert_eq!(run.json()["release"]["state"], "released");
    // Live allows only rollback, which needs an archived version.
    let (_, message) = w.refused(&["cancel", &v1, "--target-app", STAGING], 6);
    assert!(
        message.contains("Live") && message.contains("rollback"),
        "{message}"
    );
    let (code, _) = w.refused(&["rollback", "--target-app", STAGING], 6);
    assert_eq!(code, "nothing_to_roll_back");
}

#[test]
fn second_release_whitelist_grayscale_official_rollback() {
    let w = world("ladder");
    let v1 = w.publish();
    w.step(&["release", &v1, "--target-app", STAGING]);
    w.step(&["apply", &v1, "--target-app", STAGING]);
    w.review("approve", &v1, STAGING, None);
    w.step(&["official", &v1, "--target-app", STAGING]);

    let v2 = w.publish();
    w.step(&["release", &v2, "--target-app", STAGING]);
    w.step(&["apply", &v2, "--target-app", STAGING, "--notes", "faster"]);
    w.review("approve", &v2, STAGING, None);

    // --dry-run: the exact request after the same checks; no confirmation asked (no --yes),
    // nothing sent, the session's token named, not shown.
    let dry = w
        .dev
        .run(&[
            "--json",
            "whitelist",
            &v2,
            "--target-app",
            STAGING,
            "--users",
            "7001,7002",
            "--dry-run",
        ])
        .ok();
    let plan = dry.json();
    assert_eq!(plan["step"], "whitelist");
    assert_eq!(plan["state"], "pilot_test", "{plan}");
    let request = &plan["requests"][0];
    assert_eq!(request["method"], "POST", "{plan}");
    assert!(
        request["url"].as_str().unwrap().ends_with("/whitelist"),
        "{plan}"
    );
    assert_eq!(
        request["body"]["userIds"],
        serde_json::json!(["7001", "7002"])
    );
    assert_eq!(request["learned"], false);
    assert!(
        request["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["value"] == "Bearer <session access token>"),
        "{plan}"
    );
    // Every long string of the stored session (its tokens, whatever the file's shape).
    let stored = std::fs::read_to_string(w.dev.home.join("credentials.json")).unwrap();
    let mut secrets = Vec::new();
    long_strings(&serde_json::from_str(&stored).unwrap(), &mut secrets);
    assert!(!secrets.is_empty(), "{stored}");
    for secret in &secrets {
        assert!(!dry.stdout.contains(secret.as_str()) && !dry.stderr.contains(secret.as_str()));
    }
    let text = w
        .dev
        .run(&[
            "whitelist",
            &v2,
            "--target-app",
            STAGING,
            "--users",
            "7001",
            "--dry-run",
        ])
        .ok()
        .stdout;
    assert!(
        text.contains("nothing was sent and no confirmation asked"),
        "{text}"
    );
    assert_eq!(
        w.state(&v2, STAGING),
        "pilot_test",
        "a dry run sent nothing"
    );
    // A step the lifecycle does not allow now is refused by the dry run as by the step.
    let (code, _) = w.refused(&["apply", &v2, "--target-app", STAGING, "--dry-run"], 6);
    assert_eq!(code, "illegal_step");

    let users = w.root.path().join("users.txt");
    std::fs::write(&users, "# pilot users\n100001\n100002, 100003\n100001\n").unwrap();
    let wl = w.step(&[
        "whitelist",
        &v2,
        "--target-app",
        STAGING,
        "--users-file",
        users.to_str().unwrap(),
    ]);
    assert_eq!(wl["release"]["state"], "whitelist_testing");
    assert_eq!(
        wl["release"]["whitelist"],
        serde_json::json!(["100001", "100002", "100003"])
    );

    let g = w.step(&["grayscale", &v2, "--target-app", STAGING, "--ratio", "10"]);
    assert_eq!(g["release"]["state"], "grayscale");
    assert_eq!(g["release"]["ratio"], 10);
    let (code, message) = w.refused(
        &["grayscale", &v2, "--target-app", STAGING, "--ratio", "5"],
        6,
    );
    assert_eq!(code, "ratio_not_higher");
    assert!(
        message.contains("10%") && message.contains("5%"),
        "{message}"
    );
    let (_, message) = w.refused(
        &["grayscale", &v2, "--target-app", STAGING, "--ratio", "101"],
        6,
    );
    assert!(message.contains("1 to 100"), "{message}");
    let g = w.step(&["grayscale", &v2, "--target-app", STAGING, "--ratio", "50"]);
    assert_eq!(g["release"]["ratio"], 50);

    let run = w
        .dev
        .run(&["--json", "--yes", "official", &v2, "--target-app", STAGING])
        .ok();
    assert!(
        run.stderr
            .contains(&format!("{v1} (live now) will be archived")),
        "{}",
        run.stderr
    );
    let official = run.json();
    assert_eq!(official["archivedVersion"], v1.as_str());
    assert_eq!(w.state(&v1, STAGING), "archived");
    assert_eq!(w.state(&v2, STAGING), "released");

    let dry = w.step(&["rollback", "--target-app", STAGING, "--dry-run"]);
    assert_eq!(dry["version"], v2.as_str(), "{dry}");
    assert_eq!(dry["restoredVersion"], v1.as_str(), "{dry}");
    assert_eq!(w.state(&v2, STAGING), "released", "a dry run sent nothing");
    let run = w
        .dev
        .run(&["--json", "--yes", "rollback", "--target-app", STAGING])
        .ok();
    assert!(
        run.stderr.contains(&format!("{v1} comes back")),
        "{}",
        run.stderr
    );
    let rb = run.json();
    assert_eq!(rb["restoredVersion"], v1.as_str());
    assert_eq!(w.state(&v1, STAGING), "released");
    assert_eq!(w.state(&v2, STAGING), "archived");
    // The grayscale ratio and the whitelist went with the test phases: the rolled-back
    // release is "Archived", not "Archived 50%" or "Archived (whitelist: …)" (in the text
    // and in the JSON).
    let text = w.dev.run(&["versions"]).ok().stdout;
    let v2_line = text
        .lines()
        .skip_while(|l| !l.starts_with(v2.as_str()))
        .find(|l| l.contains(STAGING))
        .unwrap_or_else(|| panic!("no {STAGING} line under {v2}:\n{text}"));
    assert!(
        v2_line.contains("Archived") && !v2_line.contains('%') && !v2_line.contains("whitelist"),
        "{v2_line}"
    );
    let versions = w.dev.run(&["--json", "versions"]).ok().json();
    let archived = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == v2.as_str())
        .unwrap();
    assert_eq!(archived["releases"][0]["state"], "archived");
    assert!(archived["releases"][0].get("ratio").is_none(), "{archived}");
    assert!(
        archived["releases"][0].get("whitelist").is_none(),
        "{archived}"
    );

    // Confirmations need --yes (or a TTY) in scripts.
    let run = w
        .dev
        .run(&["--json", "rollback", "--target-app", STAGING])
        .code(2);
    assert!(run.json()["error"]["hint"]["text"]
        .as_str()
        .unwrap()
        .contains("--yes"));

    // The audit log has every step.
    let audit = w.dev.run(&["--json", "audit"]).ok().json();
    let actions: Vec<String> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for needle in ["approve", "whitelist", "grayscale", "official", "rollback"] {
        assert!(
            actions.iter().any(|a| a.contains(needle)),
            "{needle} not in {actions:?}"
        );
    }
}

#[test]
fn withdraw_reject_reapply_cancel() {
    let w = world("reject");
    let v1 = w.publish();
    w.step(&["release", &v1, "--target-app", STAGING]);
    w.step(&["apply", &v1, "--target-app", STAGING]);
    let back = w.step(&["withdraw", &v1, "--target-app", STAGING]);
    assert_eq!(back["release"]["state"], "version_creation");
    w.step(&["apply", &v1, "--target-app", STAGING]);

    // A rejection needs a reason.
    let run = w
        .admin
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
        ])
        .code(4);
    assert!(run.json()["error"]["hint"]["text"]
        .as_str()
        .unwrap()
        .contains("--reason"));
    let rejected = w.review("reject", &v1, STAGING, Some("The icon is missing <b>&</b>"));
    assert_eq!(rejected["release"]["state"], "rejected");

    // `wait` reports the rejection with its reason, exit 6.
    let run = w
        .dev
        .run(&["wait", &v1, "--target-app", STAGING, "--timeout", "20s"])
        .code(6);
    assert!(
        run.stdout.contains("The icon is missing <b>&</b>"),
        "{}",
        run.stdout
    );

    let again = w.step(&[
        "apply",
        &v1,
        "--target-app",
        STAGING,
        "--notes",
        "icon added",
    ]);
    assert_eq!(again["release"]["state"], "in_review");
    w.review("approve", &v1, STAGING, None);
    let cancelled = w.step(&["cancel", &v1, "--target-app", STAGING]);
    assert_eq!(cancelled["release"]["state"], "cancelled");
    let (code, message) = w.refused(&["apply", &v1, "--target-app", STAGING], 6);
    assert_eq!(code, "illegal_step");
    assert!(
        message.contains("Cancelled") && message.contains("finished"),
        "{message}"
    );
    // A cancelled release can be released again.
    let fresh = w.step(&["release", &v1, "--target-app", STAGING]);
    assert_eq!(fresh["release"]["state"], "version_creation");
}

#[test]
fn two_target_apps_are_independent_and_one_in_flight_each() {
    let w = world("two-targets");
    let v1 = w.publish();
    for target in ["GoPay", STAGING] {
        w.step(&["release", &v1, "--target-app", target]);
    }
    w.step(&["apply", &v1, "--target-app", "GoPay"]);
    assert_eq!(w.state(&v1, "GoPay"), "in_review");
    assert_eq!(w.state(&v1, STAGING), "version_creation");
    w.review("approve", &v1, "GoPay", None);
    w.step(&["official", &v1, "--target-app", "GoPay"]);
    assert_eq!(w.state(&v1, "GoPay"), "released");
    assert_eq!(w.state(&v1, STAGING), "version_creation");

    // One release per (MiniApp, target app) in flight.
    w.step(&["apply", &v1, "--target-app", STAGING]);
    let v2 = w.publish();
    w.step(&["release", &v2, "--target-app", STAGING]);
    let (code, message) = w.refused(&["apply", &v2, "--target-app", STAGING], 6);
    assert_eq!(code, "release_in_flight");
    assert!(message.contains(&v1), "{message}");
    // …but GoPay is free, and it is not the first release there any more.
    w.step(&["release", &v2, "--target-app", "GoPay"]);
    w.step(&["apply", &v2, "--target-app", "GoPay"]);
    w.review("approve", &v2, "GoPay", None);
    let g = w.step(&["grayscale", &v2, "--target-app", "GoPay", "--ratio", "20"]);
    assert_eq!(g["release"]["state"], "grayscale");

    // status shows, per target app, what is live and the one next step in flight.
    let status = w.dev.run(&["--json", "status"]).ok().json();
    let targets = status["targetApps"].as_array().unwrap();
    let gopay = targets.iter().find(|t| t["targetApp"] == "GoPay").unwrap();
    assert_eq!(gopay["liveVersion"], v1.as_str());
    assert_eq!(gopay["inFlight"]["nextStep"], "official");
    let text = w.dev.run(&["status"]).ok().stdout;
    assert!(text.contains("next: official"), "{text}");
}

#[test]
fn wait_sees_an_approval_made_by_another_process() {
    let w = world("wait");
    let v1 = w.publish();
    w.step(&["release", &v1, "--target-app", STAGING]);
    w.step(&["apply", &v1, "--target-app", STAGING]);
    let mut waiter = w
        .dev
        .command(&[
            "--json",
            "wait",
            &v1,
            "--target-app",
            STAGING,
            "--timeout",
            "60s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It found the release in review and waits: only then is it approved.
    let stderr = stderr_lines(&mut waiter, "wait");
    wait_line(&stderr, &["Waiting for the review"]);
    w.review("approve", &v1, STAGING, None);
    let run = to_run(waiter.wait_with_output().unwrap()).ok();
    let result = run.json();
    assert_eq!(result["approved"], true);
    assert_eq!(result["state"], "pilot_test");

    // A timeout is a clear failure, not a hang.
    let v2 = w.publish();
    w.step(&["release", &v2, "--target-app", "GoPay"]);
    w.step(&["apply", &v2, "--target-app", "GoPay"]);
    let run = w
        .dev
        .run(&["wait", &v2, "--target-app", "GoPay", "--timeout", "1s"])
        .code(8);
    assert!(run.stderr.contains("still in review"), "{}", run.stderr);
}

#[test]
fn temporary_code_decodes_back_to_the_working_deeplink() {
    let w = world("qr");
    let v1 = w.publish();
    w.step(&["release", &v1, "--target-app", STAGING]);
    let url = w
        .dev
        .run(&[
            "qr",
            &v1,
            "--target-app",
            STAGING,
            "--format",
            "url",
            "--path",
            "pages/index/index?from=qr",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert!(
        url.starts_with(&format!(
            "gopaystaging://mini-app/windvane?app_id={}&publish_id=",
            w.app_id
        )),
        "{url}"
    );
    assert!(
        url.ends_with("&mini_app_path=pages%2Findex%2Findex%3Ffrom%3Dqr"),
        "{url}"
    );

    // PNG: decoded by zbarimg (a real, independent decoder) and by rqrr.
    let png = w.root.path().join("code.png");
    let code = w.step(&[
        "qr",
        &v1,
        "--target-app",
        STAGING,
        "--format",
        "png",
        "--out",
        png.to_str().unwrap(),
        "--path",
        "pages/index/index?from=qr",
    ]);
    assert_eq!(code["deeplink"], url.as_str());
    assert!(code["expiresAt"].as_str().is_some());
    let image = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    assert_eq!(grids[0].decode().unwrap().1, url);
    let zbar = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&png)
        .output();
    match zbar {
        Ok(out) => {
            assert!(
                out.status.success(),
                "zbarimg failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), url);
        }
        Err(e) => panic!("zbarimg (Debian's zbar-tools) is needed: {e}"),
    }

    // The terminal rendering, turned back into pixels, decodes too.
    let terminal = w.dev.run(&["qr", &v1, "--target-app", STAGING]).ok().stdout;
    assert!(terminal.contains(&url.split("&mini_app_path").next().unwrap().to_string()));
    let rows: Vec<Vec<char>> = terminal
        .lines()
        .filter(|l| !l.is_empty() && l.chars().all(|c| matches!(c, '█' | '▀' | '▄' | ' ')))
        .map(|l| l.chars().collect())
        .collect();
    assert!(rows.len() > 10, "{terminal}");
    let width = rows.iter().map(|r| r.len()).max().unwrap();
    let scale = 6u32;
    let mut img = image::GrayImage::new(width as u32 * scale, rows.len() as u32 * 2 * scale);
    for (y, row) in rows.iter().enumerate() {
        for x in 0..width {
            let c = row.get(x).copied().unwrap_or(' ');
            // Full blocks are light modules (see gopay_miniapp_portal::qr): top and bottom halves.
            let (top, bottom) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                _ => (false, false),
            };
            for (half, light) in [(0u32, top), (1u32, bottom)] {
                let v = if light { 255 } else { 0 };
                for dy in 0..scale {
                    for dx in 0..scale {
                        img.put_pixel(
                            x as u32 * scale + dx,
                            (y as u32 * 2 + half) * scale + dy,
                            image::Luma([v]),
                        );
                    }
                }
            }
        }
    }
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "the terminal QR is not detectable");
    let decoded = grids[0].decode().unwrap().1;
    assert!(
        decoded.starts_with("gopaystaging://mini-app/windvane?app_id="),
        "{decoded}"
    );

    // SVG is written too.
    let svg = w.root.path().join("code.svg");
    w.step(&[
        "qr",
        &v1,
        "--target-app",
        STAGING,
        "--format",
        "svg",
        "--out",
        svg.to_str().unwrap(),
    ]);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));

    // Once released, there is no temporary code.
    w.step(&["apply", &v1, "--target-app", STAGING]);
    w.review("approve", &v1, STAGING, None);
    w.step(&["official", &v1, "--target-app", STAGING]);
    let (code, _) = w.refused(&["qr", &v1, "--target-app", STAGING], 6);
    assert_eq!(code, "illegal_step");
}

/// The strings of 24 characters or more in `value` (tokens; not names, dates or URLs).
fn long_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if s.len() >= 24 && !s.contains("://") => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| long_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| long_strings(v, out)),
        _ => {}
    }
}
