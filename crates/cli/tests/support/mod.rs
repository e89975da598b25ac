//! Test support: the real binary, a real local portal in its own process on loopback,
//! and throwaway homes and projects.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gopay_miniapp_portal_server::{TestClock, TEST_CLOCK_ENV};

pub mod sidecar;

pub const BIN: &str = env!("CARGO_BIN_EXE_gopay-miniapp");

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A free loopback port (bound and released; good enough for tests that restart on it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `gopay-miniapp portal serve` in its own process.
pub struct Portal {
    pub url: String,
    pub port: u16,
    pub data: PathBuf,
    extra: Vec<String>,
    /// Extra environment for the next (re)start (e.g. `GOPAY_MINIAPP_PAUSE_AT`).
    pub env: Vec<(String, String)>,
    /// Every stderr line of every start, in order (also forwarded to the test's stderr).
    pub stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    child: Option<Child>,
    /// Every line the portal printed on stdout (the SuperApp emulator prints the ids its API
    /// needs after its URL).
    printed: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Portal {
    pub fn start(data: &Path) -> Portal {
        Portal::start_with(data, &[])
    }

    pub fn start_with(data: &Path, extra: &[&str]) -> Portal {
        Portal::start_with_env(data, extra, vec![])
    }

    /// A portal whose expiry (tokens, sessions) runs on a test clock, and the clock: the
    /// test advances it instead of sleeping until a token expires.
    pub fn start_on_test_clock(data: &Path, extra: &[&str]) -> (Portal, TestClock) {
        let clock = TestClock::at(data.with_extension("test-clock"));
        let env = vec![(
            TEST_CLOCK_ENV.to_string(),
            clock.path().display().to_string(),
        )];
        (Portal::start_with_env(data, extra, env), clock)
    }

    fn start_with_env(data: &Path, extra: &[&str], env: Vec<(String, String)>) -> Portal {
        let mut portal = Portal {
            url: String::new(),
            port: free_port(),
            data: data.to_path_buf(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            env,
            stderr: Default::default(),
            child: None,
            printed: Default::default(),
        };
        portal.spawn();
        portal
    }

    fn spawn(&mut self) {
        let mut child = Command::new(BIN)
            .args(["portal", "serve", "--seed-demo", "--addr"])
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--data")
            .arg(&self.data)
            .args(&self.extra)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn portal");
        let stderr = child.stderr.take().unwrap();
        let seen = self.stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("portal: {line}");
                seen.lock().unwrap().push(line);
            }
        });
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().expect("portal prints its URL").unwrap();
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {first:?}"))
            .to_string();
        // Keep draining stdout so the portal never blocks on a full pipe.
        let printed = self.printed.clone();
        printed.lock().unwrap().push(first.clone());
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                printed.lock().unwrap().push(line);
            }
        });
        self.url = url;
        self.child = Some(child);
    }

    /// The lines printed so far.
    pub fn printed(&self) -> Vec<String> {
        self.printed.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Waits until the portal wrote a stderr line containing `text`.
    pub fn wait_stderr(&self, text: &str) {
        wait_until(
            &format!("the portal to print {text:?}"),
            Duration::from_secs(60),
            || self.stderr.lock().unwrap().iter().any(|l| l.contains(text)),
        );
    }

    /// SIGKILL: no graceful anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start again on the same port and data dir.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpListener::bind(("127.0.0.1", self.port)).is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "port {} stays busy", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
        self.spawn();
    }

    /// Peak resident memory (VmHWM) of the portal process, in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        read_status_kib(self.pid(), "VmHWM:")
    }
}

pub fn read_status_kib(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A user (home dir with credentials) working in one project against one portal.
pub struct User {
    pub home: PathBuf,
    pub project: PathBuf,
    pub portal: String,
    pub env: Vec<(String, String)>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl User {
    pub fn new(root: &Path, name: &str, project: &Path, portal: &str) -> User {
        let home = root.join(format!("home-{name}"));
        std::fs::create_dir_all(&home).unwrap();
        User {
            home,
            project: project.to_path_buf(),
            portal: portal.to_string(),
            env: vec![],
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--project").arg(&self.project);
        // An empty portal: none given (the binding, the environment or the last login says).
        if !self.portal.is_empty() {
            cmd.arg("--portal").arg(&self.portal);
        }
        cmd.args(args)
            .env("GOPAY_MINIAPP_HOME", &self.home)
            // Never the developer's own keyring (a test home keeps its file anyway; this
            // holds even where the shell names the keyring). tests/keyring.rs names it.
            .env("GOPAY_MINIAPP_CREDENTIAL_STORE", "file")
            .env_remove("GOPAY_MINIAPP_TOKEN")
            .env_remove("GOPAY_MINIAPP_PORTAL")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        to_run(self.command(args).output().expect("run gopay-miniapp"))
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        to_run(child.wait_with_output().unwrap())
    }

    pub fn login(&self, username: &str, password: &str) {
        self.run_with_stdin(
            &["login", "--username", username, "--password-stdin"],
            password,
        )
        .ok();
    }

    pub fn bind(&self, app: &str) {
        self.run(&["--yes", "bind", "--space", "Demo Space", "--app", app])
            .ok();
    }
}

pub fn to_run(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A copy of a project (without node_modules, except where asked) in `root`.
pub fn copy_project(from: &Path, to: &Path, with_node_modules: bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "dist" || (!with_node_modules && name == "node_modules") {
            continue;
        }
        let ty = entry.file_type().unwrap();
        let target = to.join(&name);
        if ty.is_symlink() {
            let link = std::fs::read_link(entry.path()).unwrap();
            std::os::unix::fs::symlink(link, &target).unwrap();
        } else if ty.is_dir() {
            copy_project(&entry.path(), &target, with_node_modules);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A tiny project whose build is a shell line: fast, and shaped as the test needs.
pub fn shell_project(dir: &Path, build: &str, package_json: Option<&str>) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/index.html"),
        "<!doctype html><title>t</title>\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/app.json"), "{\"pages\":[\"index\"]}\n").unwrap();
    let pj = package_json.map(str::to_string).unwrap_or_else(|| {
        format!(
            "{{\n  \"name\": \"shell-app\",\n  \"version\": \"1.0.0\",\n  \"scripts\": {{\n    \"build\": {}\n  }}\n}}\n",
            serde_json::to_string(build).unwrap()
        )
    });
    std::fs::write(dir.join("package.json"), pj).unwrap();
}

pub const COPY_BUILD: &str = "rm -rf dist && mkdir -p dist && cp -R src/. dist/";

/// Unzip's own integrity test and Python's zipfile, both must accept the archive.
pub fn verify_zip(path: &Path) -> Vec<String> {
    let out = Command::new("unzip").arg("-t").arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "unzip -t failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = Command::new("python3")
        .args([
            "-c",
            "import zipfile,sys,json; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(json.dumps(z.namelist()))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python zipfile failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The package the portal stored for a sha256.
pub fn stored_package(data: &Path, sha256: &str) -> PathBuf {
    let mut found = None;
    for entry in walk(data) {
        if entry
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(sha256))
        {
            found = Some(entry);
        }
    }
    found.unwrap_or_else(|| panic!("no stored package {sha256} under {}", data.display()))
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads a child's stderr on a thread: every line is forwarded (after `label`) to the test's
/// stderr and sent on the channel.
pub fn stderr_lines(child: &mut Child, label: &'static str) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{label}: {line}");
            let _ = tx.send(line);
        }
    });
    rx
}

/// Waits (a minute at most) for a line that contains one of `texts`, and returns it.
#[track_caller]
pub fn wait_line(lines: &mpsc::Receiver<String>, texts: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if texts.iter().any(|t| line.contains(t)) => return line,
            Ok(_) => {}
            Err(e) => panic!("no line with any of {texts:?} ({e})"),
        }
    }
}

/// A gate a fixture's build waits at until the test opens it: a FIFO the build reads to its
/// end (`timeout`, so that a build never waits for good behind a test that failed first).
pub struct Gate {
    path: PathBuf,
}

impl Gate {
    pub fn new(path: &Path) -> Gate {
        let made = Command::new("mkfifo").arg(path).status().unwrap();
        assert!(made.success(), "mkfifo {}", path.display());
        Gate {
            path: path.to_path_buf(),
        }
    }

    /// The shell command that waits at the gate (it fails if the gate stays shut 2 minutes).
    pub fn wait_command(&self) -> String {
        format!("timeout 120 cat '{}' > /dev/null", self.path.display())
    }

    /// Lets the build through, once it waits at the gate.
    pub fn open(&self) {
        wait_until(
            "the build to wait at the gate",
            Duration::from_secs(60),
            || self.try_open(),
        );
    }

    /// Without a reader, a non-blocking open of a FIFO for writing fails (ENXIO); with the
    /// build waiting it succeeds, and closing it again is the end of the build's input.
    fn try_open(&self) -> bool {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&self.path)
            .is_ok()
    }
}

impl Drop for Gate {
    /// A test that fails with the build at the gate lets it through.
    fn drop(&mut self) {
        self.try_open();
    }
}

/// Incompressible bytes (xorshift), deterministic.
pub fn noise(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in bytes.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    bytes
}

/// A portal with a bound shell project: `demo` develops it, `admin` reviews.
pub struct ReleaseWorld {
    pub root: tempfile::TempDir,
    pub portal: Portal,
    pub dev: User,
    pub admin: User,
    pub app_id: String,
}

pub fn release_world(prefix: &str) -> ReleaseWorld {
    let root = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    let portal = Portal::start(&root.path().join("portal"));
    let project = root.path().join("p");
    shell_project(&project, COPY_BUILD, None);
    let dev = User::new(root.path(), "demo", &project, &portal.url);
    dev.login("demo", "demo");
    dev.bind("Hello MiniApp");
    let admin = User::new(root.path(), "admin", &project, &portal.url);
    admin.login("admin", "admin");
    let status = dev.run(&["--json", "status"]).ok().json();
    let app_id = status["binding"]["app"]["id"].as_str().unwrap().to_string();
    ReleaseWorld {
        root,
        portal,
        dev,
        admin,
        app_id,
    }
}
