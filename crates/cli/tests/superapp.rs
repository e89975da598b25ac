//! The `superapp` backend end to end: the real binary against the SuperApp console emulator
//! (`portal serve --backend superapp --seed-demo`, its own process, real HTTP on loopback),
//! real `npm run build` of examples/hello-miniapp. After each step the console's own read
//! routes (version query, release query, history) are asked what the portal holds now.
//! Also: a session lost in the middle of a publish and before a release step (exit 3, "log in
//! again", package.json byte-for-byte, nothing half-made), and every step the console's API
//! does not have (exit 7, named, nothing changed).

mod support;

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};
use support::*;

const REST: &str = "/rest/intercnn/app";
const STAGING: &str = "GoPay Staging";

/// The emulator with the demo data, and the ids it printed (its API has no lists).
struct Console {
    portal: Portal,
    ids: HashMap<(String, String), String>,
}

impl Console {
    fn start(root: &Path) -> Console {
        let portal = Portal::start_with(&root.join("console"), &["--backend", "superapp"]);
        wait_until(
            "the emulator to print its ids",
            std::time::Duration::from_secs(30),
            || {
                portal
                    .printed()
                    .iter()
                    .any(|l| l.starts_with("target-app "))
            },
        );
        let mut ids = HashMap::new();
        for line in portal.printed() {
            let mut words = line.splitn(3, ' ');
            if let (Some(kind @ ("space" | "app" | "target-app")), Some(id), Some(name)) =
                (words.next(), words.next(), words.next())
            {
                ids.insert((kind.to_string(), name.to_string()), id.to_string());
            }
        }
        Console { portal, ids }
    }

    #[track_caller]
    fn id(&self, kind: &str, name: &str) -> String {
        self.ids
            .get(&(kind.to_string(), name.to_string()))
            .unwrap_or_else(|| panic!("the emulator printed no {kind} {name}: {:?}", self.ids))
            .clone()
    }

    fn url(&self) -> &str {
        &self.portal.url
    }
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A session of `username` on the emulator's login form (`POST /login`): the Cookie header.
fn form_cookie(url: &str, username: &str, password: &str) -> String {
    let answer = http()
        .post(format!("{url}/login"))
        .form(&[("username", username), ("password", password)])
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 303, "login of {username}");
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.starts_with("SA_CONSOLE_SESSION="))
        .unwrap_or_else(|| panic!("no session cookie for {username}"))
        .to_string()
}

/// THE login step of these tests: `user` logs in to the console as `username`. Today through
/// the emulator's login form over HTTP and `login --cookie-stdin` (a machine without a
/// browser); switch this one function to `login --browser` / `--username U --password-stdin`
/// (headless Chromium on the login page) once the browser login is on main.
/// Logs `user` in as a developer would on a machine without a display: `login --username U
/// --password-stdin` fills the console's login page in a headless Chromium (Debian's).
fn log_in(user: &User, username: &str, password: &str) {
    let run = user
        .run_with_stdin(
            &[
                "login",
                "--backend",
                "superapp",
                "--username",
                username,
                "--password-stdin",
            ],
            &format!("{password}\n"),
        )
        .ok();
    let cookie = stored_cookie(user);
    assert!(!run.stdout.contains(&cookie) && !run.stderr.contains(&cookie));
    assert!(!run.stdout.contains(password) || password == username);
}

/// The Cookie header of `user`'s stored session (to make the console forget it).
fn stored_cookie(user: &User) -> String {
    let file: Value =
        serde_json::from_slice(&std::fs::read(user.home.join("credentials.json")).unwrap())
            .unwrap();
    file["sessions"][&user.portal]["session"]["cookie"]
        .as_str()
        .expect("a superapp session holds its cookie")
        .to_string()
}

/// The console forgets the session (`POST /logout`, as the console's own logout does).
fn revoke(url: &str, cookie: &str) {
    let answer = http()
        .post(format!("{url}/logout"))
        .header("Cookie", cookie)
        .header("Origin", url)
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 303);
}

/// One envelope answer of a console read route (with `cookie`), `data` on success.
fn read(url: &str, cookie: &str, path: &str, query: &[(&str, &str)]) -> Value {
    let body: Value = http()
        .get(format!("{url}{REST}{path}"))
        .query(query)
        .header("Cookie", cookie)
        .header("Accept", "application/json")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["success"], true, "{path}: {body}");
    body["data"].clone()
}

/// What the console holds: the versions and the releases to one target app.
struct Observer {
    url: String,
    cookie: String,
    space: String,
    app: String,
    channel: String,
}

impl Observer {
    /// `data.list` of a read route.
    fn list(&self, path: &str, query: &[(&str, &str)]) -> Vec<Value> {
        read(&self.url, &self.cookie, path, query)["list"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn versions(&self) -> Vec<Value> {
        self.list(
            "/version/query",
            &[
                ("currentPage", "1"),
                ("pageSize", "50"),
                ("appId", &self.app),
                ("spaceId", &self.space),
            ],
        )
    }

    /// A release route's list for this MiniApp, target app and `version`.
    fn of_release(&self, path: &str, version: &str, paged: bool) -> Vec<Value> {
        let mut query = vec![
            ("appId", self.app.as_str()),
            ("channelCode", self.channel.as_str()),
            ("version", version),
        ];
        if paged {
            query.extend([("currentPage", "1"), ("pageSize", "20")]);
        }
        self.list(path, &query)
    }

    fn releases(&self, version: &str) -> Vec<Value> {
        self.of_release("/publish/version/query", version, true)
    }

    #[track_caller]
    fn status_of(&self, version: &str) -> String {
        let releases = self.releases(version);
        assert_eq!(releases.len(), 1, "{releases:?}");
        releases[0]["versionStatus"].as_str().unwrap().to_string()
    }

    fn history(&self, version: &str) -> Vec<String> {
        self.of_release("/publish/version/history/query", version, false)
            .iter()
            .map(|h| h["type"].as_str().unwrap().to_string())
            .collect()
    }
}

/// A console, a copy of examples/hello-miniapp bound to "Hello MiniApp" with GoPay Staging
/// as its target app, `demo` logged in through the CLI, and an observer session of its own.
struct World {
    root: tempfile::TempDir,
    console: Console,
    dev: User,
    observer: Observer,
}

fn world(prefix: &str) -> World {
    let root = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    let console = Console::start(root.path());
    let project = root.path().join("hello");
    copy_project(&repo_root().join("examples/hello-miniapp"), &project, false);
    let dev = User::new(root.path(), "demo", &project, console.url());
    log_in(&dev, "demo", "demo");
    let space = console.id("space", "Demo Space");
    let app = console.id("app", "Hello MiniApp");
    let channel = console.id("target-app", STAGING);
    let target = format!("{STAGING}={channel}");
    dev.run(&[
        "--yes",
        "bind",
        "--backend",
        "superapp",
        "--space-id",
        &space,
        "--app-id",
        &app,
        "--target-app",
        &target,
    ])
    .ok();
    let observer = Observer {
        url: console.url().to_string(),
        cookie: form_cookie(console.url(), "demo", "demo"),
        space,
        app,
        channel,
    };
    World {
        root,
        console,
        dev,
        observer,
    }
}

/// `gopay-miniapp --json --yes VERB latest --target-app "GoPay Staging"`.
fn step(dev: &User, verb: &str) -> Run {
    dev.run(&["--json", "--yes", verb, "latest", "--target-app", STAGING])
}

#[test]
fn bind_publish_release_apply_approve_official_on_the_console() {
    let w = world("superapp-story");
    let (dev, o) = (&w.dev, &w.observer);

    // The binding names the backend, the ids and the target app with its name.
    let binding: Value =
        serde_json::from_slice(&std::fs::read(dev.project.join("gopay-miniapp.json")).unwrap())
            .unwrap();
    assert_eq!(binding["backend"], "superapp");
    assert_eq!(binding["app"]["id"], o.app.as_str());
    assert_eq!(binding["space"]["id"], o.space.as_str());
    assert_eq!(
        binding["targetApps"],
        json!([{ "id": o.channel, "name": STAGING }])
    );
    assert!(o.versions().is_empty());

    // Publish: version/query → bump → npm run build → zip → uploadResource → version/create.
    let before = std::fs::read_to_string(dev.project.join("package.json")).unwrap();
    let published = dev.run(&["--json", "publish"]).ok().json();
    assert_eq!(published["version"], "1.0.1");
    assert_eq!(
        std::fs::read_to_string(dev.project.join("package.json")).unwrap(),
        before.replacen("\"1.0.0\"", "\"1.0.1\"", 1)
    );
    let versions = o.versions();
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(versions[0]["version"], "1.0.1");
    assert_eq!(versions[0]["sha256"], published["sha256"]);
    assert_eq!(versions[0]["id"], published["versionId"]);
    let artifact = versions[0]["artifactList"][0].as_str().unwrap();
    let prefix = format!("app/version/{}/1.0.1/{}_v1.0.1_", o.app, o.app);
    assert!(
        artifact.starts_with(&prefix) && artifact.ends_with(".zip"),
        "{artifact}"
    );
    // What the console keeps is the build output, a valid archive.
    let names = verify_zip(&stored_package(
        &w.console.portal.data,
        published["sha256"].as_str().unwrap(),
    ));
    assert!(names.iter().any(|n| n == "index.html"), "{names:?}");
    assert!(o.releases("1.0.1").is_empty());

    // Release → the target app: Version Creation (INIT).
    let released = dev
        .run(&["--json", "release", "latest", "--target-app", STAGING])
        .ok()
        .json();
    assert_eq!(released["release"]["state"], "version_creation");
    assert_eq!(released["release"]["statusText"], "INIT");
    assert_eq!(o.status_of("1.0.1"), "INIT");
    assert_eq!(o.history("1.0.1"), ["CREATE"]);
    // Offered: only what this backend can do (apply), never temporary code or cancel.
    assert_eq!(released["release"]["allowedSteps"], json!(["apply"]));

    // Apply Release (startApprove): in review.
    let applied = step(dev, "apply").ok().json();
    assert_eq!(applied["release"]["state"], "in_review");
    assert_eq!(o.status_of("1.0.1"), "APPROVE");
    // Not approved yet: the official release is refused by the lifecycle, before any request.
    let early = step(dev, "official").code(6).json();
    assert_eq!(early["error"]["code"], "illegal_step", "{early}");
    assert_eq!(o.status_of("1.0.1"), "APPROVE");

    // The target-app admin approves on the emulator (its review route, the admin's session).
    let admin = form_cookie(w.console.url(), "admin", "admin");
    let decided: Value = http()
        .post(format!("{}/emulator/review", w.console.url()))
        .header("Cookie", &admin)
        .header("Origin", w.console.url())
        .json(&json!({"appId": o.app, "channelCode": o.channel, "version": "1.0.1", "decision": "APPROVE"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(decided["success"], true, "{decided}");
    assert_eq!(o.status_of("1.0.1"), "PASSED");
    let status = dev.run(&["--json", "status"]).ok().json();
    let staging = &status["targetApps"][0];
    assert_eq!(staging["targetApp"], STAGING, "{status}");
    assert_eq!(staging["inFlight"]["state"], "pilot_test", "{status}");

    // Officially Release: skipBeta, then online.
    let official = step(dev, "official").ok().json();
    assert_eq!(official["release"]["state"], "released");
    assert_eq!(o.status_of("1.0.1"), "ONLINE");
    assert_eq!(
        o.history("1.0.1"),
        [
            "ONLINE",
            "SKIP_BETA",
            "APPROVE_PASS",
            "START_APPROVE",
            "CREATE"
        ]
    );
    let status = dev.run(&["--json", "status"]).ok().json();
    assert_eq!(status["targetApps"][0]["liveVersion"], "1.0.1", "{status}");
    assert_eq!(status["latestVersion"], "1.0.1");
    // The cookie never shows in what the CLI prints.
    let text = dev.run(&["status"]).ok();
    let cookie = stored_cookie(dev);
    assert!(!text.stdout.contains(&cookie) && !text.stderr.contains(&cookie));

    // doctor: the backend and every read route, with the stored session accepted.
    let doctor = dev.run(&["--json", "doctor"]).ok().json();
    assert_eq!(doctor["backend"], "superapp");
    assert_eq!(doctor["session"]["sent"], true);
    let rows = doctor["routes"].as_array().unwrap();
    assert_eq!(rows.len(), 6, "{doctor}");
    for row in rows {
        let expected = if row["withSession"] == true {
            "ok"
        } else {
            "lost_session"
        };
        assert_eq!(row["kind"], expected, "{row}");
    }
    assert!(!serde_json::to_string(&doctor).unwrap().contains(&cookie));
    // Nothing was changed by doctor.
    assert_eq!(o.versions().len(), 1);
    assert_eq!(o.history("1.0.1").len(), 5);
}

/// Every step the console's API does not have: its typed error naming the step and the
/// portal, exit 7, and nothing changed on the console.
#[test]
fn every_step_the_console_api_lacks_is_exit_7_and_named() {
    let w = world("superapp-unavailable");
    let (dev, o) = (&w.dev, &w.observer);
    dev.run(&["--json", "publish"]).ok();
    dev.run(&["--json", "release", "latest", "--target-app", STAGING])
        .ok();
    let url = w.console.url().to_string();
    let space = o.space.clone();
    let app = o.app.clone();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "whitelist",
                "latest",
                "--target-app",
                STAGING,
                "--users",
                "100001,100002",
            ],
            "setting a whitelist",
        ),
        (
            vec![
                "grayscale",
                "latest",
                "--target-app",
                STAGING,
                "--ratio",
                "10",
            ],
            "grayscale",
        ),
        (vec!["rollback", "--target-app", STAGING], "rolling back"),
        (
            vec!["qr", "latest", "--target-app", STAGING, "--format", "url"],
            "the temporary code",
        ),
        (
            vec!["withdraw", "latest", "--target-app", STAGING],
            "withdrawing from review",
        ),
        (
            vec!["cancel", "latest", "--target-app", STAGING],
            "cancelling a release",
        ),
        (
            vec![
                "review",
                "approve",
                "--app",
                &app,
                "--version",
                "1.0.1",
                "--target-app",
                STAGING,
            ],
            "reviewing releases",
        ),
        (
            vec![
                "review",
                "reject",
                "--app",
                &app,
                "--version",
                "1.0.1",
                "--target-app",
                STAGING,
                "--reason",
                "blurry",
            ],
            "reviewing releases",
        ),
        (vec!["token", "create", "--name", "ci"], "access tokens"),
        (vec!["token", "list"], "access tokens"),
        (vec!["token", "revoke", "ci"], "access tokens"),
        (vec!["audit"], "the audit log"),
        (vec!["spaces"], "listing spaces"),
        (vec!["apps", "--space", &space], "listing MiniApps"),
    ];
    for (args, feature) in cases {
        let mut full = vec!["--json", "--yes"];
        full.extend(&args);
        let run = dev.run(&full);
        assert_eq!(
            run.code,
            7,
            "`{}` should be exit 7\nstdout:\n{}\nstderr:\n{}",
            args.join(" "),
            run.stdout,
            run.stderr
        );
        let error = &run.json()["error"];
        assert_eq!(
            error["code"], "not_available_on_portal",
            "{args:?}: {error}"
        );
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(feature) && message.contains(&url),
            "{args:?}: {message}"
        );
        let hint = error["hint"]["text"].as_str().unwrap();
        assert!(
            hint.contains("portal's own pages") && hint.contains(&url),
            "{args:?}: {hint}"
        );
        assert!(run.stderr.contains("error: "), "{}", run.stderr);
    }
    // Target apps cannot be listed either, but a bound project knows the ones it was given.
    let listed = dev.run(&["--json", "target-apps"]).ok().json();
    assert_eq!(
        listed["targetApps"][0]["id"],
        o.channel.as_str(),
        "{listed}"
    );
    // Nothing moved: one version, its release still in Version Creation.
    assert_eq!(o.versions().len(), 1);
    assert_eq!(o.status_of("1.0.1"), "INIT");
    assert_eq!(o.history("1.0.1"), ["CREATE"]);
}

/// The console forgets the session while the build runs (the build itself logs out through
/// the console's logout): publish stops at the upload with exit 3 and "log in again",
/// package.json is back byte-for-byte, the console has no version; after logging in again the
/// same publish makes 1.0.1. A session lost before a release step changes nothing either.
#[test]
fn a_session_lost_mid_way_is_exit_3_and_leaves_nothing_half_made() {
    let w = world("superapp-lost");
    let (dev, o) = (&w.dev, &w.observer);
    let url = w.console.url().to_string();

    // A bogus cookie is refused at login, before it is kept.
    let stranger = User::new(w.root.path(), "stranger", &dev.project, &url);
    let bogus = stranger.run_with_stdin(
        &["--json", "login", "--backend", "superapp", "--cookie-stdin"],
        "SA_CONSOLE_SESSION=sa_forged",
    );
    let bogus = bogus.code(3);
    // A refused login, worded for the cookie, not "the session expired and could not be
    // renewed; log in" to someone logging in (issue #20 item 27).
    let error = &bogus.json()["error"];
    assert_eq!(error["code"], "invalid_credentials", "{error}");
    assert_eq!(error["hint"]["kind"], "loginRefused", "{error}");
    assert!(
        error["hint"]["text"]
            .as_str()
            .unwrap()
            .contains("Cookie header"),
        "{error}"
    );
    assert!(
        !error["message"]
            .as_str()
            .unwrap()
            .contains("could not be renewed"),
        "{error}"
    );
    assert!(!stranger.home.join("credentials.json").exists());

    // The build logs the CLI's session out at its end, after the bump.
    let cookie_file = w.root.path().join("cli-cookie");
    std::fs::write(&cookie_file, stored_cookie(dev)).unwrap();
    std::fs::write(
        dev.project.join("logout.mjs"),
        format!(
            "const cookie = (await import('node:fs')).readFileSync({file:?}, 'utf8');\n\
             const r = await fetch({url:?} + '/logout', {{method: 'POST', redirect: 'manual', headers: {{Cookie: cookie, Origin: {url:?}}}}});\n\
             if (r.status !== 303) {{ console.error('logout answered ' + r.status); process.exit(1); }}\n",
            file = cookie_file.display().to_string(),
        ),
    )
    .unwrap();
    let binding_file = dev.project.join("gopay-miniapp.json");
    let mut binding: Value =
        serde_json::from_slice(&std::fs::read(&binding_file).unwrap()).unwrap();
    binding["buildCommand"] = json!("npm run build && node logout.mjs");
    std::fs::write(&binding_file, serde_json::to_vec_pretty(&binding).unwrap()).unwrap();

    let before = std::fs::read(dev.project.join("package.json")).unwrap();
    let run = dev.run(&["--json", "publish"]).code(3);
    assert!(run.stderr.contains("log in again"), "{}", run.stderr);
    let error = &run.json()["error"];
    assert_eq!(error["code"], "session_expired", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("restored to 1.0.0"),
        "{error}"
    );
    assert!(error["hint"]["text"]
        .as_str()
        .unwrap()
        .contains("gopay-miniapp login"));
    assert_eq!(
        std::fs::read(dev.project.join("package.json")).unwrap(),
        before,
        "package.json is back byte-for-byte"
    );
    assert!(
        o.versions().is_empty(),
        "no version half-made: {:?}",
        o.versions()
    );

    // Log in again (the build no longer logs out): the same publish makes 1.0.1, not 1.0.2.
    binding["buildCommand"] = json!("npm run build");
    std::fs::write(&binding_file, serde_json::to_vec_pretty(&binding).unwrap()).unwrap();
    log_in(dev, "demo", "demo");
    let published = dev.run(&["--json", "publish"]).ok().json();
    assert_eq!(published["version"], "1.0.1");
    assert_eq!(o.versions().len(), 1);

    // Lost before a release step: exit 3, and no release on the console.
    revoke(&url, &stored_cookie(dev));
    let run = dev
        .run(&["--json", "release", "latest", "--target-app", STAGING])
        .code(3);
    assert!(run.stderr.contains("log in again"), "{}", run.stderr);
    assert!(o.releases("1.0.1").is_empty());
    // A status that shows a problem exits with the problem's code (issue #21 item 1).
    let run = dev.run(&["--json", "status"]);
    let status = run.json();
    assert!(
        status["problem"]["code"] == "session_expired" || status["loggedIn"] == false,
        "{status}"
    );
    let expected = if status.get("problem").is_some() {
        3
    } else {
        0
    };
    assert_eq!(run.code, expected, "{status}");
}
