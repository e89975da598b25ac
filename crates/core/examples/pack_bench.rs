//! Benchmark of the packer against Info-ZIP on a build-output-like tree.
//!
//! ```text
//! cargo run --release -p gopay-miniapp-core --example pack_bench -- [DIR] [--runs N] [--level L]
//! ```
//!
//! DIR is the tree to pack; it is generated with `shared/bench/make_build_tree.py DIR 1`
//! (~40 MB, ~1,500 files) when it does not exist, and in a temporary folder when no DIR is
//! given. Both packers run as child processes, alternately, N times (default 5), and the
//! medians of their wall times (process start to exit, for both) are compared. Our packer runs
//! with source maps included so that both archives hold the same files, and with the default
//! deflate level unless `--level` says otherwise. Peak RSS is the child's own `VmHWM`.
//!
//! This is a benchmark, not a test: it prints figures and never fails on them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gopay_miniapp_core::project::pack::{self, PackOptions, WriterTuning};

const CHILD_FLAG: &str = "--pack-child";

/// What one run of our packer reports from inside its process.
struct ChildReport {
    wall: Duration,
    plan: Duration,
    write: Duration,
    peak_rss_kib: u64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(CHILD_FLAG) {
        child(
            Path::new(&args[1]),
            Path::new(&args[2]),
            args[3].parse().unwrap(),
        );
        return;
    }
    let mut runs = 5usize;
    let mut level = WriterTuning::default().level;
    let mut dir: Option<PathBuf> = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--runs" => runs = rest.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--level" => {
                level = rest
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("--level 0-9")
            }
            other => dir = Some(PathBuf::from(other)),
        }
    }

    let temp = tempfile::tempdir().expect("temporary folder");
    let tree = dir.unwrap_or_else(|| temp.path().join("tree"));
    if !tree.exists() {
        generate_tree(&tree);
    }
    let (files, bytes) = tree_stats(&tree);
    println!(
        "tree: {} ({files} files, {:.1} MB)",
        tree.display(),
        bytes as f64 / 1e6
    );
    println!(
        "cores: {}, deflate level (ours): {level}, runs: {runs} each, alternating; medians:",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let ours_zip = temp.path().join("ours.zip");
    let info_zip = temp.path().join("info-zip.zip");
    let mut ours = Vec::new();
    let mut info_times = Vec::new();
    for _ in 0..runs {
        ours.push(run_ours(&tree, &ours_zip, level));
        info_times.push(run_info_zip(&tree, &info_zip));
    }
    let ours_wall = median(ours.iter().map(|r| r.wall).collect());
    let ours_plan = median(ours.iter().map(|r| r.plan).collect());
    let ours_write = median(ours.iter().map(|r| r.write).collect());
    let peak_rss_kib = ours.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
    let info = median(info_times);
    let ours_size = std::fs::metadata(&ours_zip).unwrap().len();
    let info_size = std::fs::metadata(&info_zip).unwrap().len();
    println!(
        "  ours      (plan + write_archive): {:>8.1} ms  (plan {:.1} ms, write {:.1} ms)",
        ms(ours_wall),
        ms(ours_plan),
        ms(ours_write)
    );
    println!("  Info-ZIP  (zip -r -6 -q)        : {:>8.1} ms", ms(info));
    println!(
        "  time ratio ours / zip           : {:>8.3}",
        ms(ours_wall) / ms(info)
    );
    println!("  archive ours                    : {ours_size:>10} bytes");
    println!("  archive zip                     : {info_size:>10} bytes");
    println!(
        "  size ratio ours / zip           : {:>8.2} %",
        100.0 * ours_size as f64 / info_size as f64
    );
    println!(
        "  peak RSS ours (VmHWM, max)      : {:>8.1} MiB",
        peak_rss_kib as f64 / 1024.0
    );
}

/// The packer itself, in a child process so that its peak RSS is its own. Prints
/// `plan_ns write_ns vmhwm_kib`.
fn child(tree: &Path, out: &Path, level: u32) {
    let mut options = PackOptions::new(tree);
    options.include_source_maps = true;
    let started = Instant::now();
    let plan = pack::plan(&options).unwrap_or_else(|err| panic!("{err}"));
    let planned = Instant::now();
    let tuning = WriterTuning {
        level,
        ..WriterTuning::default()
    };
    pack::write_archive_with(&plan, out, &tuning, |_, _| {}).unwrap_or_else(|err| panic!("{err}"));
    let written = Instant::now();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    println!(
        "{} {} {hwm}",
        (planned - started).as_nanos(),
        (written - planned).as_nanos()
    );
}

fn run_ours(tree: &Path, out: &Path, level: u32) -> ChildReport {
    let _ = std::fs::remove_file(out);
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let output = Command::new(exe)
        .arg(CHILD_FLAG)
        .arg(tree)
        .arg(out)
        .arg(level.to_string())
        .stderr(Stdio::inherit())
        .output()
        .expect("run the packer child");
    let wall = started.elapsed();
    assert!(output.status.success(), "packer child failed");
    let report = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<u64> = report
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    ChildReport {
        wall,
        plan: Duration::from_nanos(numbers[0]),
        write: Duration::from_nanos(numbers[1]),
        peak_rss_kib: numbers[2],
    }
}

fn run_info_zip(tree: &Path, out: &Path) -> Duration {
    // zip adds to an existing archive; start from nothing each time.
    let _ = std::fs::remove_file(out);
    let started = Instant::now();
    let status = Command::new("zip")
        .args(["-r", "-6", "-q"])
        .arg(out)
        .arg(".")
        .current_dir(tree)
        .status()
        .expect("run Info-ZIP zip (apt-get install zip)");
    let elapsed = started.elapsed();
    assert!(status.success(), "zip failed");
    elapsed
}

/// Runs the shared generator: `shared/` sits next to the repository (or at /work/shared).
fn generate_tree(tree: &Path) {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = [
        repository.join("../shared/bench/make_build_tree.py"),
        PathBuf::from("/work/shared/bench/make_build_tree.py"),
    ]
    .into_iter()
    .find(|path| path.exists())
    .expect("shared/bench/make_build_tree.py next to the repository");
    let status = Command::new("python3")
        .arg(&script)
        .arg(tree)
        .arg("1")
        .status()
        .expect("run python3");
    assert!(status.success(), "make_build_tree.py failed");
}

fn tree_stats(tree: &Path) -> (usize, u64) {
    let (mut files, mut bytes) = (0, 0);
    let mut stack = vec![tree.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
