//! `gopay-miniapp login` on the SuperApp console (emulator, its own process on loopback)
//! through a real headless Chromium (Debian's /usr/bin/chromium): `--username --password-stdin`
//! fills the console's login page, the session then works (`whoami`, `bind`, `versions`), and
//! at `RUST_LOG=trace` nothing on stderr carries the session's cookie. No browser, no display
//! and a wrong password each end with their exit code and name the fallback.

mod support;

use support::*;

/// The emulator's fixed demo ids (docs/portal-superapp.md).
const SA_DEMO_SPACE: &str = "1532000000000000000001";
const SA_HELLO: &str = "1512000000000000000001";
const SA_STAGING: &str = "1611000000000000000002";

fn chromium() -> String {
    let path = std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: apt-get install -y chromium (or set CHROMIUM)"
    );
    path
}

struct World {
    root: tempfile::TempDir,
    _emulator: Portal,
    url: String,
}

fn world() -> World {
    let root = tempfile::tempdir().unwrap();
    let emulator = Portal::start_with(&root.path().join("data"), &["--backend", "superapp"]);
    std::fs::create_dir_all(root.path().join("project")).unwrap();
    // A MiniApp project (bind refuses a folder without package.json).
    std::fs::write(
        root.path().join("project/package.json"),
        "{\"name\": \"p\", \"version\": \"1.0.0\"}\n",
    )
    .unwrap();
    World {
        url: emulator.url.clone(),
        _emulator: emulator,
        root,
    }
}

impl World {
    fn user(&self, name: &str, env: &[(&str, &str)]) -> User {
        let mut user = User::new(
            self.root.path(),
            name,
            &self.root.path().join("project"),
            &self.url,
        );
        user.env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        user
    }
}

/// `login --backend superapp --username demo --password-stdin` with `password` on stdin.
fn password_login(user: &User, password: &str) -> Run {
    user.run_with_stdin(
        &[
            "login",
            "--backend",
            "superapp",
            "--username",
            "demo",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    )
}

/// The secret part of the stored console cookie (`SA_CONSOLE_SESSION=<secret>`).
fn stored_cookie_secret(user: &User) -> String {
    let text = std::fs::read_to_string(user.home.join("credentials.json")).unwrap();
    let start = text
        .find("SA_CONSOLE_SESSION=")
        .expect("the stored session has the console's cookie")
        + "SA_CONSOLE_SESSION=".len();
    let secret: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(
        secret.len() > 20,
        "a cookie secret: {} characters",
        secret.len()
    );
    secret
}

#[test]
fn a_password_login_fills_the_console_page_and_no_log_carries_the_cookie() {
    let w = world();
    let chromium = chromium();
    let dev = w.user(
        "dev",
        &[("RUST_LOG", "trace"), ("GOPAY_MINIAPP_BROWSER", &chromium)],
    );
    let login = password_login(&dev, "demo").ok();
    assert!(
        login.stderr.contains("headless browser"),
        "says what happens:\n{}",
        login.stderr
    );
    assert!(login.stdout.contains("as demo"), "{}", login.stdout);
    let secret = stored_cookie_secret(&dev);
    // The trace level was on (so the DevTools traffic would have been logged), yet the
    // cookie is nowhere.
    assert!(login.stderr.contains("TRACE"), "RUST_LOG=trace took effect");
    assert!(
        !login.stderr.contains(&secret) && !login.stdout.contains(&secret),
        "the session cookie leaked into the output"
    );

    let whoami = dev.run(&["whoami"]).ok();
    assert!(whoami.stdout.starts_with("demo "), "{}", whoami.stdout);
    dev.run(&[
        "--yes",
        "bind",
        "--backend",
        "superapp",
        "--space-id",
        SA_DEMO_SPACE,
        "--app-id",
        SA_HELLO,
        "--target-app",
        &format!("GoPay Staging={SA_STAGING}"),
    ])
    .ok();
    let versions = dev.run(&["--json", "versions"]).ok();
    assert!(
        versions.json()["versions"].is_array(),
        "the session reads versions: {}",
        versions.stdout
    );
    for run in [whoami, versions] {
        assert!(!run.stderr.contains(&secret) && !run.stdout.contains(&secret));
    }
}

#[test]
fn a_wrong_password_is_exit_3_with_the_pages_words() {
    let w = world();
    let dev = w.user("dev", &[("GOPAY_MINIAPP_BROWSER", &chromium())]);
    let run = password_login(&dev, "not-the-password").code(3);
    assert!(
        run.stderr.contains("Wrong username or password."),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not-the-password"));
    assert!(
        !dev.home.join("credentials.json").exists() || {
            let text = std::fs::read_to_string(dev.home.join("credentials.json")).unwrap();
            !text.contains("SA_CONSOLE_SESSION")
        }
    );
}

#[test]
fn without_a_browser_both_ways_name_the_variable_and_the_cookie_fallback() {
    let w = world();
    let dev = w.user("dev", &[("GOPAY_MINIAPP_BROWSER", "/nonexistent")]);
    let browser = dev
        .run(&["login", "--backend", "superapp", "--browser"])
        .code(4);
    let password = password_login(&dev, "demo").code(4);
    for run in [browser, password] {
        for needle in ["GOPAY_MINIAPP_BROWSER", "`/nonexistent`", "--cookie-stdin"] {
            assert!(run.stderr.contains(needle), "{needle}:\n{}", run.stderr);
        }
        // Another browser login would fail the same way: not offered.
        assert!(!run.stderr.contains("--password-stdin`"), "{}", run.stderr);
    }
    let json = dev
        .run(&["--json", "login", "--backend", "superapp", "--browser"])
        .code(4);
    assert_eq!(json.json()["error"]["code"], "login_unavailable");
}

#[test]
fn a_browser_window_without_a_display_names_the_headless_and_cookie_ways() {
    let w = world();
    let dev = w.user("dev", &[("GOPAY_MINIAPP_BROWSER", &chromium())]);
    let mut cmd = dev.command(&["login", "--backend", "superapp", "--browser"]);
    cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    let run = to_run(cmd.output().unwrap()).code(4);
    for needle in [
        "no display",
        "--username U --password-stdin",
        "--cookie-stdin",
    ] {
        assert!(run.stderr.contains(needle), "{needle}:\n{}", run.stderr);
    }
}
