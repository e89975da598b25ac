//! No log level ever prints a secret: the sidecar run with every `RUST_LOG` level, a password
//! login and a session command with a `token` argument, and neither value in its stderr.

mod support;

use serde_json::json;
use support::sidecar::Sidecar;
use support::*;

const PASSWORD: &str = "Known-Password-7f3a9c";
const TOKEN: &str = "gpm_pat_KnownTokenValue5e8d2b41c7";

#[test]
fn no_log_level_prints_the_password_or_a_token() {
    let root = tempfile::Builder::new().prefix("logs").tempdir().unwrap();
    let portal = Portal::start(&root.path().join("portal"));
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    for level in ["trace", "debug", "info", "warn", "error"] {
        let mut user = User::new(root.path(), level, &project, &portal.url);
        user.env.push(("RUST_LOG".into(), level.into()));
        let mut sidecar = Sidecar::start(&user);
        // A wrong password (the value is what matters) and a good login, then a command with
        // a `token` argument.
        let id = sidecar.start_request(
            "workspace/executeCommand",
            json!({"command": "miniapp.login", "arguments": [{"username": "demo", "password": PASSWORD}]}),
        );
        sidecar.wait_for("the failed login", |m| {
            m["id"] == json!(id) && m.get("method").is_none()
        });
        sidecar.request(
            "workspace/executeCommand",
            json!({"command": "miniapp.login", "arguments": [{"username": "demo", "password": "demo"}]}),
        );
        let id = sidecar.start_request(
            "workspace/executeCommand",
            json!({"command": "miniapp.listSpaces", "arguments": [{"token": TOKEN}]}),
        );
        sidecar.wait_for("the token's answer", |m| {
            m["id"] == json!(id) && m.get("method").is_none()
        });
        // Closing stdin ends the sidecar; its stderr is then complete.
        let (_, log) = sidecar.close();
        let log = log.join("\n");
        assert!(
            !log.contains(PASSWORD),
            "RUST_LOG={level} printed the password:\n{log}"
        );
        assert!(
            !log.contains(TOKEN),
            "RUST_LOG={level} printed the token:\n{log}"
        );
        if level == "trace" {
            // The sweep means something only if the messages are traced at all.
            assert!(
                log.contains("miniapp.login") && log.contains("<redacted>"),
                "RUST_LOG=trace traced no message:\n{log}"
            );
        }
    }
}
