//! The one retry policy of every backend: exponential backoff with jitter (the `backon`
//! crate), about a minute in all: long enough to ride out a portal restart or a flaky proxy.
//! Callers sleep between attempts with `tokio::select!` on their cancellation token, so a
//! cancel never waits for a backoff.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio_util::sync::CancellationToken;

use crate::error::PortalError;

/// Retries for idempotent work (reads, upload chunks, completing an upload).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts after the first failure.
    pub retries: usize,
    pub initial_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 12,
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The delays before each retry; exhausted after `retries`.
    pub fn delays(&self) -> impl Iterator<Item = Duration> {
        ExponentialBuilder::default()
            .with_min_delay(self.initial_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.retries)
            .with_jitter()
            .build()
    }
}

impl RetryPolicy {
    /// Runs `attempt` until it succeeds, fails for good, or the retries run out, sleeping the
    /// policy's delays between attempts; a cancel stops an attempt or a sleep at once.
    pub async fn run<T, F, Fut>(
        &self,
        cancel: &CancellationToken,
        mut attempt: F,
    ) -> Result<T, PortalError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, PortalError>>,
    {
        let mut delays = self.delays();
        loop {
            let result = tokio::select! {
                _ = cancel.cancelled() => return Err(PortalError::Cancelled),
                r = attempt() => r,
            };
            match result {
                Err(err) if err.retryable() => {
                    let Some(delay) = delays.next() else {
                        return Err(err);
                    };
                    tracing::warn!("{err}; retrying in {delay:?}");
                    tokio::select! {
                        _ = cancel.cancelled() => return Err(PortalError::Cancelled),
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_bounded_and_end() {
        let policy = RetryPolicy {
            retries: 5,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
        };
        let delays: Vec<Duration> = policy.delays().collect();
        assert_eq!(delays.len(), 5);
        // Jitter adds up to one more delay on top of each step.
        for d in &delays {
            assert!(
                *d >= Duration::from_millis(100) && *d <= Duration::from_millis(800),
                "{d:?}"
            );
        }
        assert!(delays[4] >= Duration::from_millis(400), "{delays:?}");
    }
}
