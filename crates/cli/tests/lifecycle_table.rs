//! The lifecycle table, walked row by row through the CLI against a real local portal:
//! every legal transition of `lifecycle::TRANSITIONS` ends in the state the table names, and
//! every step the table does not allow in a state is refused (exit 6) with a message that
//! names the state — before or at the portal, never silently.

mod support;

use gopay_miniapp_portal::lifecycle::{self, ReleaseContext, TRANSITIONS};
use gopay_miniapp_portal::{ReleaseState, Step};
use support::*;

const TARGET: &str = "GoPay";

struct World {
    _root: tempfile::TempDir,
    _portal: Portal,
    dev: User,
    admin: User,
    app_id: String,
    published: std::cell::Cell<u32>,
}

impl World {
    fn new() -> World {
        let w = release_world("table");
        let world = World {
            _root: w.root,
            _portal: w.portal,
            dev: w.dev,
            admin: w.admin,
            app_id: w.app_id,
            published: std::cell::Cell::new(0),
        };
        // A first official release, so that every later release is not the first one.
        let v = world.publish();
        world.reach(&v, ReleaseState::Released);
        world
    }

    fn publish(&self) -> String {
        let n = self.published.get() + 1;
        self.published.set(n);
        std::fs::write(self.dev.project.join("src/n.txt"), n.to_string()).unwrap();
        let out = self.dev.run(&["--json", "publish"]).ok().json();
        out["version"].as_str().unwrap().to_string()
    }

    fn dev_step(&self, args: &[&str]) -> Run {
        let mut full = vec!["--json", "--yes"];
        full.extend_from_slice(args);
        self.dev.run(&full)
    }

    fn admin_step(&self, decision: &str, version: &str) -> Run {
        let mut args = vec![
            "--json",
            "review",
            decision,
            "--app",
            &self.app_id,
            "--version",
            version,
            "--target-app",
            TARGET,
        ];
        if decision == "reject" {
            args.extend_from_slice(&["--reason", "table walk"]);
        }
        self.admin.run(&args)
    }

    fn state(&self, version: &str) -> String {
        let versions = self.dev.run(&["--json", "versions"]).ok().json();
        versions["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["version"] == version)
            .and_then(|v| {
                v["releases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["targetApp"] == TARGET)
                    .map(|r| r["state"].as_str().unwrap().to_string())
            })
            .unwrap_or_default()
    }

    /// Takes `step` on the release of `version` to the target app.
    fn take(&self, version: &str, step: Step, ratio: u32) -> Run {
        let ratio = ratio.to_string();
        match step {
            Step::TemporaryCode => {
                self.dev_step(&["qr", version, "--target-app", TARGET, "--format", "url"])
            }
            Step::Apply => self.dev_step(&["apply", version, "--target-app", TARGET]),
            Step::Withdraw => self.dev_step(&["withdraw", version, "--target-app", TARGET]),
            Step::Approve => self.admin_step("approve", version),
            Step::Reject => self.admin_step("reject", version),
            Step::Whitelist => self.dev_step(&[
                "whitelist",
                version,
                "--target-app",
                TARGET,
                "--users",
                "100001,100002",
            ]),
            Step::Grayscale => self.dev_step(&[
                "grayscale",
                version,
                "--target-app",
                TARGET,
                "--ratio",
                &ratio,
            ]),
            Step::Official => self.dev_step(&["official", version, "--target-app", TARGET]),
            Step::Cancel => self.dev_step(&["cancel", version, "--target-app", TARGET]),
            Step::Rollback => self.dev_step(&["rollback", "--target-app", TARGET]),
        }
    }

    /// Drives a fresh release of `version` into `state` along the main road.
    fn reach(&self, version: &str, state: ReleaseState) {
        use ReleaseState::*;
        self.dev_step(&["release", version, "--target-app", TARGET])
            .ok();
        let path: &[(Step, u32)] = match state {
            VersionCreation => &[],
            InReview => &[(Step::Apply, 0)],
            Rejected => &[(Step::Apply, 0), (Step::Reject, 0)],
            PilotTest => &[(Step::Apply, 0), (Step::Approve, 0)],
            WhitelistTesting => &[(Step::Apply, 0), (Step::Approve, 0), (Step::Whitelist, 0)],
            Grayscale => &[(Step::Apply, 0), (Step::Approve, 0), (Step::Grayscale, 10)],
            Released => &[(Step::Apply, 0), (Step::Approve, 0), (Step::Official, 0)],
            Cancelled => &[(Step::Cancel, 0)],
            Archived => unreachable!("archived is reached by releasing a newer version"),
            Unknown => unreachable!("no step of the table leads to a state it does not know"),
        };
        for (step, ratio) in path {
            self.take(version, *step, *ratio).ok();
        }
        assert_eq!(self.state(version), state.as_str(), "reaching {state:?}");
    }

    /// Ends what is in flight so the next scenario may apply (by the table's own roads:
    /// a release in review is withdrawn first, since it cannot be cancelled).
    fn settle(&self, version: &str) {
        let state: ReleaseState = self.state(version).parse().unwrap();
        if state == ReleaseState::InReview {
            self.take(version, Step::Withdraw, 0).ok();
        }
        if state.is_in_flight()
            || matches!(
                state,
                ReleaseState::VersionCreation | ReleaseState::Rejected
            )
        {
            self.take(version, Step::Cancel, 0).ok();
        }
    }
}

#[test]
fn every_transition_of_the_table_lands_where_the_table_says() {
    let w = World::new();
    let later = ReleaseContext {
        first_release: false,
    };
    for tr in TRANSITIONS {
        let version = w.publish();
        w.reach(&version, tr.from);
        // Raising grayscale needs a higher ratio than the one reached.
        let ratio = if tr.from == ReleaseState::Grayscale {
            50
        } else {
            10
        };
        let run = w.take(&version, tr.step, ratio);
        assert_eq!(
            run.code, 0,
            "{:?} --{:?}--> should be legal\nstdout:{}\nstderr:{}",
            tr.from, tr.step, run.stdout, run.stderr
        );
        assert!(lifecycle::check_step(tr.from, tr.step, later).is_ok());
        assert_eq!(
            w.state(&version),
            tr.to.as_str(),
            "{:?} --{:?}--> {:?}",
            tr.from,
            tr.step,
            tr.to
        );
        if tr.step == Step::Rollback {
            // The previous live version came back; this one is archived.
            continue;
        }
        w.settle(&version);
    }
}

#[test]
fn every_step_the_table_does_not_allow_is_refused_naming_the_state() {
    let w = World::new();
    let later = ReleaseContext {
        first_release: false,
    };
    let reachable = [
        ReleaseState::VersionCreation,
        ReleaseState::InReview,
        ReleaseState::Rejected,
        ReleaseState::PilotTest,
        ReleaseState::WhitelistTesting,
        ReleaseState::Grayscale,
        ReleaseState::Released,
        ReleaseState::Cancelled,
    ];
    let mut refused = 0;
    let mut archived_version = None;
    for state in reachable {
        let version = w.publish();
        w.reach(&version, state);
        if state == ReleaseState::Released {
            archived_version = Some(version.clone());
        }
        let allowed = lifecycle::allowed_steps(state, later);
        for step in Step::ALL {
            // Rollback names no version: it acts on whatever is live (tested elsewhere).
            if allowed.contains(&step) || step == Step::Rollback {
                continue;
            }
            let run = w.take(&version, step, 99);
            assert_eq!(
                run.code, 6,
                "{state:?} must refuse {step:?}\nstdout:{}\nstderr:{}",
                run.stdout, run.stderr
            );
            let message = run.json()["error"]["message"].as_str().unwrap().to_string();
            assert!(
                message.contains(state.name()),
                "{state:?} / {step:?}: the message names the state: {message}"
            );
            assert_eq!(
                w.state(&version),
                state.as_str(),
                "a refusal changes nothing"
            );
            refused += 1;
        }
        w.settle(&version);
    }
    // Archived: a newer official release archives the live one; then nothing is allowed.
    let archived = archived_version.unwrap();
    let newer = w.publish();
    w.reach(&newer, ReleaseState::Released);
    assert_eq!(w.state(&archived), "archived");
    for step in Step::ALL {
        if step == Step::Rollback {
            continue;
        }
        let run = w.take(&archived, step, 99);
        assert_eq!(run.code, 6, "archived must refuse {step:?}: {}", run.stderr);
        refused += 1;
    }
    // Every (state, step) pair the table leaves out, rollback aside: 9 states × 9 steps
    // minus the legal ones.
    let legal = TRANSITIONS
        .iter()
        .filter(|t| t.step != Step::Rollback && t.from != ReleaseState::Archived)
        .count();
    assert_eq!(refused, 9 * 9 - legal, "{refused} refusals checked");
}
