//! Sessions in the OS keyring (issue #23), against a real Secret Service: Debian's
//! gnome-keyring-daemon on a private D-Bus session bus of this test's own (never the
//! developer's keyring), looked at from outside with `secret-tool`. And without one: a bus
//! address where nothing listens, and a socket that accepts but never answers (the keyring
//! call is given up after its timeout and the file is used).
//!
//! Skipped, saying so, only where gnome-keyring, dbus or libsecret-tools is missing; where the
//! tests must run (`CI`, `GOPAY_MINIAPP_REQUIRE_KEYRING=1`, `GOPAY_MINIAPP_TESTS_REQUIRE_TOOLS`,
//! set by tests/run-all.sh) a missing tool fails the test.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::*;

const STORE_ENV: &str = "GOPAY_MINIAPP_CREDENTIAL_STORE";

fn required() -> bool {
    ["CI", "GOPAY_MINIAPP_TESTS_REQUIRE_TOOLS"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty()))
        || std::env::var("GOPAY_MINIAPP_REQUIRE_KEYRING").as_deref() == Ok("1")
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false)
}

/// Whether the Secret Service tools are here; a stop where they must be.
fn tools() -> bool {
    let missing: Vec<&str> = [
        "dbus-daemon",
        "dbus-send",
        "gnome-keyring-daemon",
        "secret-tool",
    ]
    .into_iter()
    .filter(|tool| !on_path(tool))
    .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "{} not installed (Debian: apt-get install dbus gnome-keyring libsecret-tools; tests/debian-packages.txt)",
        missing.join(", ")
    );
    assert!(!required(), "{message}");
    eprintln!("SKIPPED: {message}");
    false
}

/// A private session bus with gnome-keyring-daemon's Secret Service on it, unlocked.
struct SecretService {
    _dir: tempfile::TempDir,
    address: String,
    bus: Child,
    daemon: Child,
}

impl SecretService {
    fn start() -> SecretService {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir_all(&run).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", run.join("bus").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dbus-daemon");
        let mut first = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let address = first.trim().to_string();
        assert!(address.starts_with("unix:"), "{address:?}");
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--foreground"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", dir.path().join("home"))
            .env("XDG_DATA_HOME", dir.path().join("home/data"))
            .env("XDG_RUNTIME_DIR", &run)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start gnome-keyring-daemon");
        // The login keyring's password, then end of input: it is created unlocked.
        daemon
            .stdin
            .take()
            .unwrap()
            .write_all(b"test-keyring-password")
            .unwrap();
        let service = SecretService {
            _dir: dir,
            address,
            bus,
            daemon,
        };
        wait_until(
            "gnome-keyring-daemon owns org.freedesktop.secrets",
            Duration::from_secs(30),
            || {
                let out = Command::new("dbus-send")
                    .env("DBUS_SESSION_BUS_ADDRESS", &service.address)
                    .args([
                        "--session",
                        "--print-reply",
                        "--dest=org.freedesktop.DBus",
                        "/org/freedesktop/DBus",
                        "org.freedesktop.DBus.NameHasOwner",
                        "string:org.freedesktop.secrets",
                    ])
                    .output()
                    .unwrap();
                String::from_utf8_lossy(&out.stdout).contains("boolean true")
            },
        );
        service
    }

    /// What the Secret Service holds for the account, read from outside (`secret-tool`).
    fn lookup(&self, account: &str) -> Option<String> {
        let out = Command::new("secret-tool")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .args(["lookup", "service", "gopay-miniapp", "username", account])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// The user's own home (no `GOPAY_MINIAPP_HOME`): the OS config dir under `config`, where
/// the default store, `auto`, uses the keyring.
fn own_home_command(dev: &User, config: &Path, bus: &str, args: &[&str]) -> Command {
    let mut cmd = dev.command(args);
    cmd.env_remove("GOPAY_MINIAPP_HOME")
        .env_remove(STORE_ENV)
        .env("XDG_CONFIG_HOME", config)
        .env("DBUS_SESSION_BUS_ADDRESS", bus);
    cmd
}

fn run(mut cmd: Command, stdin: Option<&str>) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    // A guard against a hang (the point of the timeout), not a timing assert.
    let pid = child.id();
    let (done, waited) = std::sync::mpsc::channel::<()>();
    let guard = std::thread::spawn(move || {
        if waited.recv_timeout(Duration::from_secs(120)).is_err() {
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = done.send(());
    guard.join().unwrap();
    to_run(out)
}

/// A local portal and a user with a project, under `root`.
fn world(root: &Path) -> (Portal, User) {
    let portal = Portal::start(&root.join("portal"));
    let project = root.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let dev = User::new(root, "demo", &project, &portal.url);
    (portal, dev)
}

/// `dev` logs in (`--json`); the login result.
fn login(dev: &User) -> Value {
    dev.run_with_stdin(
        &["--json", "login", "--username", "demo", "--password-stdin"],
        "demo",
    )
    .ok()
    .json()
}

/// `dev`'s commands on the session bus at `address`, with `store` asked for.
fn on_bus(dev: &mut User, address: &str, store: &str) {
    dev.env
        .push(("DBUS_SESSION_BUS_ADDRESS".into(), address.to_string()));
    dev.env.push((STORE_ENV.into(), store.to_string()));
}

fn credentials(path: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(path).unwrap();
    let json = serde_json::from_str(&text).unwrap();
    (text, json)
}

#[test]
fn a_session_lives_in_the_secret_service_and_the_file_keeps_only_its_index() {
    if !tools() {
        return;
    }
    let service = SecretService::start();
    let root = tempfile::tempdir().unwrap();
    let (portal, dev) = world(root.path());
    let config = root.path().join("config");
    let file: PathBuf = config.join("gopay-miniapp/credentials.json");
    let cmd = |args: &[&str]| own_home_command(&dev, &config, &service.address, args);

    // A session from before the keyring (kept in the file) is read from the file...
    let mut before = cmd(&["--json", "login", "--username", "demo", "--password-stdin"]);
    before.env(STORE_ENV, "file");
    let login = run(before, Some("demo")).ok().json();
    assert_eq!(login["sessionStore"], "file", "{login}");
    let (_, json) = credentials(&file);
    let old_token = json["sessions"][&portal.url]["session"]["accessToken"]
        .as_str()
        .expect("the session in the file")
        .to_string();
    let who = run(cmd(&["--json", "whoami"]), None).ok().json();
    assert_eq!(who["sessionStore"], "file", "{who}");
    assert!(service.lookup(&portal.url).is_none());

    // ... and the next login (the default store: auto) puts it in the keyring.
    let login = run(
        cmd(&["--json", "login", "--username", "demo", "--password-stdin"]),
        Some("demo"),
    )
    .ok();
    let result = login.json();
    assert_eq!(result["sessionStore"], "keyring", "{result}");
    assert_eq!(result["credentialsFile"], file.display().to_string());
    let secret = service
        .lookup(&portal.url)
        .expect("secret-tool sees the session under service gopay-miniapp, account = the portal");
    let stored: Value = serde_json::from_str(&secret).unwrap();
    let token = stored["accessToken"].as_str().unwrap().to_string();
    assert_ne!(token, old_token);
    let (text, json) = credentials(&file);
    let entry = &json["sessions"][&portal.url];
    assert_eq!(entry["username"], "demo");
    assert_eq!(entry["keyring"]["account"], portal.url.as_str());
    assert!(entry.get("session").is_none(), "{text}");
    assert!(!text.contains(&token), "no token in the file: {text}");
    assert!(!login.stdout.contains(&token) && !login.stderr.contains(&token));
    let text_login = run(
        cmd(&["login", "--username", "demo", "--password-stdin"]),
        Some("demo"),
    )
    .ok();
    assert!(
        text_login
            .stdout
            .contains("Session saved in the OS keyring"),
        "{}",
        text_login.stdout
    );

    // A fresh process reads it: whoami and doctor say where it is, and use it.
    let who = run(cmd(&["--json", "whoami"]), None).ok();
    let whoami = who.json();
    assert_eq!(whoami["user"]["username"], "demo", "{whoami}");
    assert_eq!(whoami["sessionStore"], "keyring", "{whoami}");
    let words = run(cmd(&["whoami"]), None).ok();
    assert!(
        words.stdout.contains("kept in the OS keyring"),
        "{}",
        words.stdout
    );
    let doctor = run(cmd(&["--json", "doctor"]), None).ok();
    let report = doctor.json();
    assert_eq!(report["session"]["store"], "keyring", "{report}");
    assert_eq!(report["session"]["sent"], true, "{report}");
    let secret_now = service.lookup(&portal.url).unwrap();
    for out in [&who, &words, &doctor] {
        assert!(!out.stdout.contains(&secret_now) && !out.stderr.contains(&secret_now));
    }

    // Logout removes it from the keyring and the index.
    let out = run(cmd(&["--json", "logout"]), None).ok().json();
    assert_eq!(out["loggedOut"], true, "{out}");
    assert!(
        service.lookup(&portal.url).is_none(),
        "gone from the keyring"
    );
    let (_, json) = credentials(&file);
    assert!(
        json["sessions"].get(portal.url.as_str()).is_none(),
        "{json}"
    );
    let who = run(cmd(&["--json", "whoami"]), None);
    assert_ne!(who.code, 0, "logged out: {}", who.stdout);
}

/// The keyring named (`keyring`), for a home of its own: the account carries the home, as
/// the keyring is the user's and a home is not.
#[test]
fn a_home_of_its_own_uses_the_keyring_only_when_it_is_named() {
    if !tools() {
        return;
    }
    let service = SecretService::start();
    let root = tempfile::tempdir().unwrap();
    let (portal, mut dev) = world(root.path());
    on_bus(&mut dev, &service.address, "auto");
    let result = login(&dev);
    assert_eq!(result["sessionStore"], "file", "{result}");
    dev.env.pop();
    dev.env.push((STORE_ENV.into(), "keyring".into()));
    let result = login(&dev);
    assert_eq!(result["sessionStore"], "keyring", "{result}");
    let account = format!("{} ({})", portal.url, dev.home.display());
    assert!(service.lookup(&account).is_some(), "{account}");
    assert!(service.lookup(&portal.url).is_none());
    // `file` decides where new sessions go, not where this one is read: its entry says.
    dev.env.pop();
    dev.env.push((STORE_ENV.into(), "file".into()));
    let who = dev.run(&["--json", "whoami"]).ok().json();
    assert_eq!(who["sessionStore"], "keyring", "{who}");
    dev.run(&["logout"]).ok();
    assert!(service.lookup(&account).is_none());

    // A logout while the keyring cannot be reached still forgets the session here, and
    // names the keyring entry it could not delete (never its secret).
    dev.env.pop();
    dev.env.push((STORE_ENV.into(), "keyring".into()));
    login(&dev);
    let secret = service.lookup(&account).unwrap();
    let mut away = dev.command(&["--json", "logout"]);
    away.env(
        "DBUS_SESSION_BUS_ADDRESS",
        format!("unix:path={}", root.path().join("no-bus").display()),
    );
    let out = run(away, None).ok();
    assert_eq!(out.json()["loggedOut"], true, "{}", out.stdout);
    assert!(
        out.stderr.contains("could not be removed") && out.stderr.contains("gopay-miniapp"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(&secret) && !out.stdout.contains(&secret));
    let (_, json) = credentials(&dev.home.join("credentials.json"));
    assert!(
        json["sessions"].get(portal.url.as_str()).is_none(),
        "{json}"
    );
    assert!(
        service.lookup(&account).is_some(),
        "left in the keyring, and named"
    );
}

/// The sidecar lives long and reads the keyring once per stamp: a login and a logout in a
/// terminal are still seen by it.
#[test]
fn a_running_sidecar_sees_logins_and_logouts_of_other_processes() {
    if !tools() {
        return;
    }
    let service = SecretService::start();
    let root = tempfile::tempdir().unwrap();
    let (portal, mut dev) = world(root.path());
    on_bus(&mut dev, &service.address, "keyring");
    let mut sidecar = support::sidecar::Sidecar::start(&dev);
    let spaces = |sidecar: &mut support::sidecar::Sidecar| {
        let id = sidecar.start_request(
            "workspace/executeCommand",
            serde_json::json!({"command": "miniapp.listSpaces", "arguments": [{}]}),
        );
        sidecar.wait_for("the answer to listSpaces", |m| {
            m["id"] == serde_json::json!(id) && m.get("method").is_none()
        })
    };
    let answer = spaces(&mut sidecar);
    assert!(answer.get("error").is_some(), "not logged in yet: {answer}");
    let in_keyring = |dev: &User| {
        let result = login(dev);
        assert_eq!(result["sessionStore"], "keyring", "{result}");
    };
    in_keyring(&dev);
    let answer = spaces(&mut sidecar);
    assert!(
        answer.get("result").is_some(),
        "the terminal's login: {answer}"
    );
    dev.run(&["logout"]).ok();
    let answer = spaces(&mut sidecar);
    assert!(
        answer.get("error").is_some(),
        "the terminal's logout: {answer}"
    );
    in_keyring(&dev);
    let answer = spaces(&mut sidecar);
    assert!(answer.get("result").is_some(), "logged in again: {answer}");
    let (_, log) = sidecar.close();
    let secret = service
        .lookup(&format!("{} ({})", portal.url, dev.home.display()))
        .unwrap();
    let token = serde_json::from_str::<Value>(&secret).unwrap()["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !log.join("\n").contains(&token),
        "no token in the sidecar's log"
    );
}

/// No Secret Service on the bus named (nothing listens there): the file, at once.
#[test]
fn without_a_secret_service_the_file_is_used() {
    let root = tempfile::tempdir().unwrap();
    let (portal, mut dev) = world(root.path());
    let nowhere = format!("unix:path={}", root.path().join("no-bus").display());
    on_bus(&mut dev, &nowhere, "keyring");
    let login = dev.run_with_stdin(
        &["--json", "login", "--username", "demo", "--password-stdin"],
        "demo",
    );
    let result = login.json();
    assert_eq!(result["sessionStore"], "file", "{result}");
    assert!(
        login.stderr.contains("instead of the OS keyring"),
        "the fallback is said: {}",
        login.stderr
    );
    let (text, json) = credentials(&dev.home.join("credentials.json"));
    let token = json["sessions"][&portal.url]["session"]["accessToken"]
        .as_str()
        .expect("the session in the file");
    assert!(!login.stderr.contains(token) && !login.stdout.contains(token));
    assert!(
        json["sessions"][&portal.url].get("keyring").is_none(),
        "{text}"
    );
    let who = dev.run(&["--json", "whoami"]).ok().json();
    assert_eq!(who["sessionStore"], "file", "{who}");
}

/// A bus that accepts the connection and never answers (a hung keyring): the call is given
/// up after its timeout, the command goes on with the file and says so.
#[cfg(unix)]
#[test]
fn a_keyring_that_never_answers_is_given_up_and_the_file_used() {
    use std::os::unix::net::UnixListener;
    let root = tempfile::tempdir().unwrap();
    let socket = root.path().join("silent-bus");
    let listener = UnixListener::bind(&socket).unwrap();
    // Accepts every connection and holds it open, reading nothing and writing nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().map_while(Result::ok) {
            held.push(stream);
        }
    });
    let (_portal, mut dev) = world(root.path());
    on_bus(
        &mut dev,
        &format!("unix:path={}", socket.display()),
        "keyring",
    );
    let mut cmd = dev.command(&["--json", "login", "--username", "demo", "--password-stdin"]);
    cmd.env("NO_COLOR", "1");
    let login = run(cmd, Some("demo")).ok();
    assert_eq!(login.json()["sessionStore"], "file");
    assert!(
        login.stderr.contains("did not answer within"),
        "the timeout is said: {}",
        login.stderr
    );
    let who = dev.run(&["--json", "whoami"]).ok().json();
    assert_eq!(who["user"]["username"], "demo", "{who}");
    assert_eq!(who["sessionStore"], "file", "{who}");
}

/// A session the backend renews by itself (an expired access token refreshed) is written
/// back where it is: the keyring gets the new tokens, the file a new stamp and still no token.
#[test]
fn a_renewed_session_is_written_back_to_the_keyring() {
    if !tools() {
        return;
    }
    let service = SecretService::start();
    let root = tempfile::tempdir().unwrap();
    let (portal, clock) =
        Portal::start_on_test_clock(&root.path().join("portal"), &["--access-token-ttl", "10m"]);
    let project = root.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let mut dev = User::new(root.path(), "demo", &project, &portal.url);
    on_bus(&mut dev, &service.address, "keyring");
    login(&dev);
    let account = format!("{} ({})", portal.url, dev.home.display());
    let before = service.lookup(&account).unwrap();
    let (_, json) = credentials(&dev.home.join("credentials.json"));
    let stamp = json["sessions"][&portal.url]["keyring"]["stamp"].clone();
    clock.advance(Duration::from_secs(600)).unwrap();
    let who = dev.run(&["--json", "whoami"]).ok().json();
    assert_eq!(who["user"]["username"], "demo", "{who}");
    let after = service.lookup(&account).unwrap();
    assert_ne!(before, after, "the renewed session is in the keyring");
    let (text, json) = credentials(&dev.home.join("credentials.json"));
    assert_ne!(json["sessions"][&portal.url]["keyring"]["stamp"], stamp);
    let token = serde_json::from_str::<Value>(&after).unwrap()["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!text.contains(&token), "{text}");
    dev.run(&["--json", "whoami"]).ok();
}
