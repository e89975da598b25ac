//! A test-only hook to stop a process at an exact point (the fault suite kills it there).
//!
//! `GOPAY_MINIAPP_PAUSE_AT=<point>` makes [`pause_at`] at that point write one line,
//! `GOPAY_MINIAPP_PAUSED_AT <point>`, to stderr and then block the calling thread for good;
//! the test waits for the line and sends a signal: SIGKILL, or SIGTERM/SIGHUP, whose handler
//! calls [`release`] so that the paused publish goes on and meets its cancellation. Unset (always, outside the fault suite) it
//! costs one environment lookup. The points, in the order a publish passes them:
//! `publish-before-bump`, `publish-bumped`, `publish-packing`, `publish-mid-upload`, `publish-uploaded`,
//! `publish-version-made` (crates/core/src/workflows/publish.rs), and on the local portal
//! `portal-upload-complete` (package stored, version not yet recorded) and `portal-step`
//! (inside a release step's transaction). See docs/crash-safety.md.

/// The environment variable naming the one point to pause at.
pub const PAUSE_ENV: &str = "GOPAY_MINIAPP_PAUSE_AT";
/// What is written to stderr when pausing.
pub const PAUSED_MARKER: &str = "GOPAY_MINIAPP_PAUSED_AT";

/// Set once the process is told to stop (see [`release`]).
static RELEASED: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
static RELEASE: std::sync::Condvar = std::sync::Condvar::new();

/// Blocks at `point` if `GOPAY_MINIAPP_PAUSE_AT` names it, until [`release`] (for good when
/// nothing releases it); returns at once otherwise.
pub fn pause_at(point: &str) {
    if std::env::var_os(PAUSE_ENV).is_some_and(|p| p == point) {
        eprintln!("{PAUSED_MARKER} {point}");
        let mut released = RELEASED.lock().unwrap_or_else(|e| e.into_inner());
        while !*released {
            released = RELEASE.wait(released).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Lets every paused point go on: called when the process is told to stop (SIGTERM, SIGHUP,
/// Ctrl-C), so that the fault suite's "signal at this point" meets a publish that is running
/// there and sees the cancellation, as a real one would.
pub fn release() {
    *RELEASED.lock().unwrap_or_else(|e| e.into_inner()) = true;
    RELEASE.notify_all();
}
