//! A scripted LSP client for the end-to-end tests: real framed JSON-RPC bytes over an
//! in-memory pipe to `gopay_miniapp_lsp::serve`, a handler that answers the server's
//! requests (showMessageRequest, showDocument, workDoneProgress/create), and a log of every
//! notification.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gopay_miniapp_core::Context;
use gopay_miniapp_lsp::{serve, Options};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, WriteHalf};
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;

pub const TIMEOUT: Duration = Duration::from_secs(90);

/// How the scripted client answers a request from the server.
pub enum Reply {
    Result(Value),
    Error(i64, String),
    /// Never answer.
    Silence,
}

pub type Handler = Arc<dyn Fn(&str, &Value) -> Reply + Send + Sync>;

pub struct TestClient {
    writer: tokio::sync::Mutex<Option<WriteHalf<DuplexStream>>>,
    pending: Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>>,
    /// Every message from the server that is not a response to us, in order.
    pub log: Arc<Mutex<Vec<Value>>>,
    arrived: Arc<Notify>,
    next_id: AtomicI64,
    pub server: Mutex<Option<JoinHandle<i32>>>,
    reader: JoinHandle<()>,
}

pub fn frame(body: &str) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

impl TestClient {
    pub fn start(ctx: Context, options: Options, handler: Handler) -> Arc<TestClient> {
        let (client_side, server_side) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_side);
        let server = tokio::spawn(serve(ctx, server_read, server_write, options));
        let (mut read, write) = tokio::io::split(client_side);
        let pending: Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>> = Default::default();
        let log: Arc<Mutex<Vec<Value>>> = Default::default();
        let arrived = Arc::new(Notify::new());
        let (reply_tx, mut reply_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
        let reader = {
            let pending = pending.clone();
            let log = log.clone();
            let arrived = arrived.clone();
            tokio::spawn(async move {
                let mut buf: Vec<u8> = Vec::new();
                let mut chunk = vec![0u8; 64 * 1024];
                loop {
                    // Parse every whole frame in the buffer.
                    while let Some(end) = find(&buf, b"\r\n\r\n") {
                        let header = String::from_utf8_lossy(&buf[..end]).to_string();
                        let length: usize = header
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .expect("Content-Length")
                            .trim()
                            .parse()
                            .unwrap();
                        if buf.len() < end + 4 + length {
                            break;
                        }
                        let body: Value = serde_json::from_slice(&buf[end + 4..end + 4 + length])
                            .expect("the server writes valid JSON");
                        buf.drain(..end + 4 + length);
                        if body.get("method").is_some() {
                            if let Some(id) = body.get("id").cloned() {
                                let method = body["method"].as_str().unwrap().to_string();
                                let params = body.get("params").cloned().unwrap_or(Value::Null);
                                let handler = handler.clone();
                                let reply_tx = reply_tx.clone();
                                log.lock().unwrap().push(body.clone());
                                // Answer off the reader so a slow handler never blocks reading.
                                tokio::task::spawn_blocking(move || {
                                    let answer = match handler(&method, &params) {
                                        Reply::Result(v) => {
                                            json!({"jsonrpc":"2.0","id":id,"result":v})
                                        }
                                        Reply::Error(code, message) => {
                                            json!({"jsonrpc":"2.0","id":id,"error":{"code":code,"message":message}})
                                        }
                                        Reply::Silence => return,
                                    };
                                    let _ = reply_tx.send(frame(&answer.to_string()));
                                });
                            } else {
                                log.lock().unwrap().push(body);
                            }
                            arrived.notify_waiters();
                        } else if let Some(tx) = body
                            .get("id")
                            .and_then(Value::as_i64)
                            .and_then(|id| pending.lock().unwrap().remove(&id))
                        {
                            let _ = tx.send(body);
                        } else {
                            log.lock().unwrap().push(body);
                            arrived.notify_waiters();
                        }
                    }
                    match read.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            })
        };
        let client = Arc::new(TestClient {
            writer: tokio::sync::Mutex::new(Some(write)),
            pending,
            log,
            arrived,
            next_id: AtomicI64::new(1),
            server: Mutex::new(Some(server)),
            reader,
        });
        {
            let client = client.clone();
            tokio::spawn(async move {
                while let Some(bytes) = reply_rx.recv().await {
                    client.send_raw(&bytes).await;
                }
            });
        }
        client
    }

    pub async fn send_raw(&self, bytes: &[u8]) {
        let mut writer = self.writer.lock().await;
        if let Some(w) = writer.as_mut() {
            let _ = w.write_all(bytes).await;
            let _ = w.flush().await;
        }
    }

    pub async fn send(&self, message: Value) {
        self.send_raw(&frame(&message.to_string())).await;
    }

    pub fn next_id(&self) -> i64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Sends a request; the returned receiver gets the whole response message.
    pub async fn start_request(
        &self,
        id: i64,
        method: &str,
        params: Value,
    ) -> oneshot::Receiver<Value> {
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        self.send(json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}))
            .await;
        rx
    }

    pub async fn wait_response(rx: oneshot::Receiver<Value>) -> Value {
        tokio::time::timeout(TIMEOUT, rx)
            .await
            .expect("a response in time")
            .expect("the response")
    }

    /// `Ok(result)` or `Err(error object)`.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id();
        let rx = self.start_request(id, method, params).await;
        let response = Self::wait_response(rx).await;
        match response.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(response["result"].clone()),
        }
    }

    pub async fn execute(&self, command: &str, args: Value) -> Result<Value, Value> {
        let arguments = if args.is_null() {
            json!([])
        } else {
            json!([args])
        };
        self.request(
            "workspace/executeCommand",
            json!({"command": command, "arguments": arguments}),
        )
        .await
    }

    pub async fn initialize(&self, root: &Path, window: Value, options: Value) -> Value {
        let uri = format!("file://{}", root.display());
        let result = self
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": uri,
                    "workspaceFolders": [{"uri": uri, "name": "project"}],
                    "capabilities": {"window": window},
                    "clientInfo": {"name": "test-client"},
                    "initializationOptions": options,
                }),
            )
            .await
            .expect("initialize");
        self.send(json!({"jsonrpc":"2.0","method":"initialized","params":{}}))
            .await;
        result
    }

    pub fn messages(&self, method: &str) -> Vec<Value> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m["method"] == method)
            .cloned()
            .collect()
    }

    pub fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }

    /// Waits until a message matching `pred` has arrived.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let notified = self.arrived.notified();
            if let Some(m) = self.log.lock().unwrap().iter().find(|m| pred(m)).cloned() {
                return m;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "timed out waiting for {what}; got {:#?}",
                    self.log.lock().unwrap()
                );
            }
        }
    }

    /// Closes our end of the pipe (the editor went away) and returns the server's exit code.
    pub async fn close(&self) -> i32 {
        if let Some(mut w) = self.writer.lock().await.take() {
            let _ = w.shutdown().await;
        }
        let server = self.server.lock().unwrap().take().expect("running");
        tokio::time::timeout(TIMEOUT, server)
            .await
            .expect("the server exits")
            .expect("no panic")
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub struct Portal {
    pub url: String,
    pub running: Option<gopay_miniapp_portal_server::RunningPortal>,
    pub _data: tempfile::TempDir,
}

pub async fn portal() -> Portal {
    let data = tempfile::tempdir().unwrap();
    let config = gopay_miniapp_portal_server::PortalConfig {
        data_dir: data.path().to_path_buf(),
        seed_demo: true,
        ..Default::default()
    };
    let running = gopay_miniapp_portal_server::start(config)
        .await
        .expect("the local portal");
    Portal {
        url: running.url.clone(),
        running: Some(running),
        _data: data,
    }
}

/// A fresh copy of the fixture project in a temp dir.
pub fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("hello-miniapp");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hello-miniapp");
    copy_dir(&fixture, &project);
    (dir, project)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A context like the CLI's for `gopay-miniapp lsp --portal URL` with its own home: the
/// server's `--portal` is its default for unbound projects (a binding wins over it).
pub fn context(home: &Path, project: &Path, portal: &str) -> Context {
    let mut ctx = Context::new(home.to_path_buf(), project.to_path_buf());
    ctx.portal_setting = Some(portal.to_string());
    ctx
}

/// A handler answering questions from a script of (text the question contains, answer).
pub fn scripted(script: Vec<(&'static str, &'static str)>) -> Handler {
    let script = Arc::new(Mutex::new(script));
    Arc::new(move |method, params| match method {
        "window/showMessageRequest" => {
            let message = params["message"].as_str().unwrap_or_default();
            let mut script = script.lock().unwrap();
            let Some(i) = script.iter().position(|(q, _)| message.contains(q)) else {
                panic!("unexpected question: {message}");
            };
            let (_, answer) = script.remove(i);
            Reply::Result(json!({"title": answer}))
        }
        "window/workDoneProgress/create" => Reply::Result(Value::Null),
        _ => Reply::Error(-32601, format!("{method} not supported by the test client")),
    })
}

pub fn full_window() -> Value {
    json!({"workDoneProgress": true, "showMessage": {"messageActionItem": {"additionalPropertiesSupport": false}}, "showDocument": {"support": true}})
}

/// Whether a process is alive (zombies count as dead).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .chars()
                .next();
            state != Some('Z') && state != Some('X')
        }
        Err(_) => false,
    }
}

pub async fn wait_file(path: &Path) -> String {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            if !text.is_empty() {
                return text;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
