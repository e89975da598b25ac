//! The portal's clock: what decides when access and refresh tokens, personal access tokens,
//! device codes and web and console sessions expire.
//!
//! It is the system clock, unless a test set a [`TestClock`]: then it runs ahead of the system
//! clock by what the test advanced it, so a test sees a token expire without sleeping for it.
//! Timestamps shown to users (`createdAt`, the audit log) stay on the system clock.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::store::now_ms;

/// The environment variable that gives a portal in another process a [`TestClock`]: the path
/// of its file. Test only; read once, by [`crate::start`], when the configuration has none.
pub const TEST_CLOCK_ENV: &str = "GOPAY_MINIAPP_PORTAL_TEST_CLOCK";

/// **Test only.** A clock a test moves forward. Its state is a file holding how many
/// milliseconds the portal's clock is ahead of the system clock (no file: none), so a test
/// can advance a portal it started in its own process ([`crate::PortalConfig::test_clock`])
/// or in another one (`GOPAY_MINIAPP_PORTAL_TEST_CLOCK=<file>`) alike. The portal reads the
/// file whenever it asks the time, which only a portal with a test clock does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestClock {
    file: PathBuf,
}

impl TestClock {
    /// A clock whose state is `file` (created by the first [`TestClock::advance`]).
    pub fn at(file: impl Into<PathBuf>) -> TestClock {
        TestClock { file: file.into() }
    }

    /// The file, e.g. for `GOPAY_MINIAPP_PORTAL_TEST_CLOCK` of a portal in another process.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Moves the portal's clock `by` forward. The file is replaced whole (written beside it,
    /// then renamed), so the portal never reads half of it.
    pub fn advance(&self, by: Duration) -> std::io::Result<()> {
        let ahead = self.ahead_ms() + i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let mut next = self.file.clone().into_os_string();
        next.push(".next");
        std::fs::write(&next, ahead.to_string())?;
        std::fs::rename(&next, &self.file)
    }

    fn ahead_ms(&self) -> i64 {
        std::fs::read_to_string(&self.file)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// The clock a running portal asks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Clock {
    test: Option<TestClock>,
}

impl Clock {
    pub fn new(test: Option<TestClock>) -> Clock {
        if let Some(test) = &test {
            tracing::warn!(file = %test.path().display(), "the portal runs on a test clock");
        }
        Clock { test }
    }

    /// Milliseconds since the Unix epoch, on this portal's clock.
    pub fn now_ms(&self) -> i64 {
        now_ms() + self.test.as_ref().map_or(0, TestClock::ahead_ms)
    }
}
