//! The login throttle: failed logins back off, per account and per client address, on every
//! way of logging in (the API, the web page, the console emulator's page, device approval;
//! all go through [`crate::auth::check_credentials`]).
//!
//! Only **failed** attempts count, so any number of good logins is never slowed (the test
//! suites log in hundreds of times). The first [`FREE_FAILURES_PER_ACCOUNT`] failures on an
//! account (and [`FREE_FAILURES_PER_ADDRESS`] from an address, which users behind one NAT
//! share) cost nothing; each further one closes the account (or address) for
//! [`FIRST_DELAY_SECS`] doubling up to [`MAX_DELAY_SECS`]. While closed, every login is
//! answered 429 with `Retry-After` without looking at the password, so a guess there tells
//! nothing. A good login clears its account's count (not its address's: one valid account
//! must not reset an address spraying others); counts are forgotten after [`FORGET_AFTER_SECS`]
//! without a failure. Times are the portal's clock (a test's [`crate::TestClock`] moves them).
//!
//! Behind a proxy every client has the proxy's address: the per-account limit still holds.
//! `X-Forwarded-For` is not believed (anyone can send it).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Failures on one account before it backs off.
pub const FREE_FAILURES_PER_ACCOUNT: u32 = 5;
/// Failures from one address before it backs off.
pub const FREE_FAILURES_PER_ADDRESS: u32 = 20;
/// The first wait after the free failures, doubled by each further failure.
pub const FIRST_DELAY_SECS: u64 = 2;
/// The longest wait.
pub const MAX_DELAY_SECS: u64 = 15 * 60;
/// A count with no failure for this long starts again from zero.
pub const FORGET_AFTER_SECS: u64 = 60 * 60;
/// Entries kept before the oldest quiet ones are dropped (memory stays bounded whatever an
/// attacker sends).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Account(u64),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure_ms: i64,
    closed_until_ms: i64,
}

/// The throttle's state (in memory: a restart forgets it, as a restart of a real portal's
/// front would).
#[derive(Debug, Default)]
pub(crate) struct LoginThrottle {
    entries: Mutex<HashMap<Key, Entry>>,
}

/// Why a login is not tried now: closed until `retry_after_secs` have passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed {
    pub retry_after_secs: u64,
}

fn account_key(username: &str) -> Key {
    use std::hash::{Hash, Hasher};
    // Hashed so the map holds no usernames an attacker typed; case-folded so `Demo` and
    // `demo` share a count.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    username.trim().to_lowercase().hash(&mut h);
    Key::Account(h.finish())
}

impl LoginThrottle {
    /// Whether a login for `username` from `from` may be tried at `now_ms`.
    pub fn check(&self, username: &str, from: Option<IpAddr>, now_ms: i64) -> Result<(), Closed> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let until = keys(username, from)
            .filter_map(|key| entries.get(&key))
            .map(|e| e.closed_until_ms)
            .max()
            .unwrap_or(i64::MIN);
        if now_ms < until {
            let ms = (until - now_ms) as u64;
            return Err(Closed {
                retry_after_secs: ms.div_ceil(1000).max(1),
            });
        }
        Ok(())
    }

    /// Counts a failed login.
    pub fn failed(&self, username: &str, from: Option<IpAddr>, now_ms: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            let forget = (FORGET_AFTER_SECS * 1000) as i64;
            entries
                .retain(|_, e| now_ms - e.last_failure_ms < forget && now_ms < e.closed_until_ms);
            if entries.len() >= MAX_ENTRIES {
                // Still full of fresh entries: an attack from many addresses. Keep the
                // accounts' counts, which are what protects the passwords.
                entries.retain(|k, _| matches!(k, Key::Account(_)));
            }
        }
        for key in keys(username, from) {
            let free = match key {
                Key::Account(_) => FREE_FAILURES_PER_ACCOUNT,
                Key::Address(_) => FREE_FAILURES_PER_ADDRESS,
            };
            let entry = entries.entry(key).or_insert(Entry {
                failures: 0,
                last_failure_ms: now_ms,
                closed_until_ms: i64::MIN,
            });
            if now_ms - entry.last_failure_ms >= (FORGET_AFTER_SECS * 1000) as i64 {
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure_ms = now_ms;
            if entry.failures >= free {
                let doublings = (entry.failures - free).min(20);
                let delay = FIRST_DELAY_SECS
                    .saturating_mul(1 << doublings)
                    .min(MAX_DELAY_SECS);
                entry.closed_until_ms = now_ms + (delay * 1000) as i64;
            }
        }
    }

    /// A good login: its account starts again from zero.
    pub fn succeeded(&self, username: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(&account_key(username));
    }
}

fn keys(username: &str, from: Option<IpAddr>) -> impl Iterator<Item = Key> {
    std::iter::once(account_key(username)).chain(from.map(Key::Address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_count_and_the_wait_doubles_up_to_the_cap() {
        let t = LoginThrottle::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..1000 {
            assert!(t.check("demo", Some(ip), 0).is_ok());
            t.succeeded("demo");
        }
        for _ in 0..FREE_FAILURES_PER_ACCOUNT - 1 {
            t.failed("demo", Some(ip), 0);
        }
        assert!(t.check("demo", Some(ip), 0).is_ok());
        t.failed("DEMO", Some(ip), 0);
        assert_eq!(
            t.check("demo", Some(ip), 0),
            Err(Closed {
                retry_after_secs: FIRST_DELAY_SECS
            })
        );
        t.failed("demo", Some(ip), 0);
        assert_eq!(
            t.check("demo", None, 0).unwrap_err().retry_after_secs,
            2 * FIRST_DELAY_SECS
        );
        for _ in 0..40 {
            t.failed("demo", Some(ip), 0);
        }
        assert_eq!(
            t.check("demo", None, 0).unwrap_err().retry_after_secs,
            MAX_DELAY_SECS
        );
        // Another account from another address is not affected.
        assert!(t
            .check("other", Some("192.0.2.2".parse().unwrap()), 0)
            .is_ok());
    }
}
