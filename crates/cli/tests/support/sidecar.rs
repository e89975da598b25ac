//! `gopay-miniapp lsp` as a real process, spoken to over its stdio (LSP base protocol).

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

use super::{stderr_lines, User};

const WAIT: Duration = Duration::from_secs(60);

/// `gopay-miniapp lsp` as a real process, spoken to over its stdio.
pub struct Sidecar {
    pub child: Child,
    /// `None` once closed.
    pub stdin: Option<ChildStdin>,
    pub messages: mpsc::Receiver<Value>,
    /// The sidecar's stderr, line by line (its log).
    pub stderr: mpsc::Receiver<String>,
    next_id: i64,
}

impl Sidecar {
    pub fn start(user: &User) -> Sidecar {
        let mut child = user
            .command(&["lsp"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = stderr_lines(&mut child, "sidecar");
        let mut stdout = child.stdout.take().unwrap();
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 16384];
            loop {
                while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let header = String::from_utf8_lossy(&buf[..end]).to_string();
                    let len: usize = header
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .trim()
                        .parse()
                        .unwrap();
                    if buf.len() < end + 4 + len {
                        break;
                    }
                    let body = serde_json::from_slice(&buf[end + 4..end + 4 + len]).unwrap();
                    buf.drain(..end + 4 + len);
                    if tx.send(body).is_err() {
                        return;
                    }
                }
                match stdout.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        let mut sidecar = Sidecar {
            child,
            stdin: Some(stdin),
            messages,
            stderr,
            next_id: 1,
        };
        let root = format!("file://{}", user.project.display());
        sidecar.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root,
                "workspaceFolders": [{"uri": root, "name": "p"}],
                "capabilities": {"window": {"workDoneProgress": true, "showMessage": {}}},
            }),
        );
        sidecar.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        sidecar
    }

    pub fn send(&mut self, message: Value) {
        let body = message.to_string();
        let stdin = self.stdin.as_mut().expect("the sidecar's stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a request without waiting for its answer; returns its id.
    pub fn start_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the first message `pick` accepts, answering the server's own requests
    /// (progress tokens, questions) with an empty result meanwhile.
    pub fn wait_for(&mut self, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .messages
                .recv_timeout(WAIT)
                .unwrap_or_else(|e| panic!("no {what} from the sidecar ({e})"));
            if pick(&message) {
                return message;
            }
            if message.get("method").is_some() {
                if let Some(id) = message.get("id") {
                    let id = id.clone();
                    self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}));
                }
            }
        }
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.start_request(method, params);
        let answer = self.wait_for(&format!("answer to {method}"), |m| {
            m.get("id") == Some(&json!(id)) && m.get("method").is_none()
        });
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].clone()
    }
}

impl Sidecar {
    /// Closes stdin (the client goes away), waits for the sidecar to end and returns its exit
    /// code and its whole stderr.
    pub fn close(&mut self) -> (Option<i32>, Vec<String>) {
        self.stdin.take();
        let status = self.child.wait().unwrap();
        (status.code(), self.stderr.iter().collect())
    }

    /// Waits for the sidecar to end (after a signal) and returns its exit code and stderr.
    pub fn wait_exit(&mut self) -> (Option<i32>, Vec<String>) {
        let status = self.child.wait().unwrap();
        (status.code(), self.stderr.iter().collect())
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
