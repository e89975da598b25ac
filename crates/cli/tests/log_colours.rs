//! Issue #20 item 34: a log written through a redirect (not a terminal) carries no ANSI colour
//! codes, from the CLI and from the sidecar (one binary, one logging setup).

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    let home = tempfile::tempdir().unwrap().keep();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gopay-miniapp"));
    cmd.env("GOPAY_MINIAPP_HOME", home)
        .env_remove("NO_COLOR")
        .env_remove("GOPAY_MINIAPP_TOKEN")
        .env_remove("GOPAY_MINIAPP_PORTAL")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn logs_through_a_redirect_have_no_colour_codes() {
    // The CLI: a portal that is not there, logged at debug.
    let out = bin()
        .args(["--portal", "http://127.0.0.1:9", "doctor"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DEBUG"), "no log lines to check:\n{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in a redirected log:\n{stderr}"
    );

    // The sidecar: an initialize, then stdin closes.
    let mut sidecar = bin().arg("lsp").stdin(Stdio::piped()).spawn().unwrap();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
    let mut stdin = sidecar.stdin.take().unwrap();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    drop(stdin);
    let out = sidecar.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("INFO"), "no log lines to check:\n{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in a redirected log:\n{stderr}"
    );
}
