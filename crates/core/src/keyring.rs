//! The OS keyring, where sessions' secrets go when there is one (issue #23): the Secret
//! Service on Linux (GNOME Keyring, KWallet, KeePassXC), the Keychain on macOS, through the
//! `keyring` crate. The credentials file ([`crate::credentials`]) stays the index and the
//! fallback.
//!
//! Every call is bounded: it runs on a thread of its own and is given up after
//! [`TIMEOUT`] (a machine without a desktop session, a locked keyring that prompts, a D-Bus
//! that never answers must not hang a command). Once a call was given up, this process does
//! not ask the keyring again (the call may still be hanging); after a call that failed, not
//! for [`RETRY_AFTER`] (the long-lived sidecar asks again later: the keyring may have been
//! unlocked, or its service started, meanwhile). Meanwhile the file is used. What is read is cached for the
//! process's life, keyed by the stamp the file's entry carries: a login, renewal or logout in
//! another process writes a new stamp (or removes the entry), so a long-lived sidecar reads
//! the keyring again exactly when the file says the secret changed.
//!
//! Nothing here ever puts a secret in a message: failures are described by the keyring's
//! kind of failure and the platform's own error (a D-Bus error name and text).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// `file`, `keyring` or `auto` (the default): where new sessions' secrets are written.
pub const STORE_ENV: &str = "GOPAY_MINIAPP_CREDENTIAL_STORE";

/// The keyring entries' service; the account is the portal's key.
pub const SERVICE: &str = "gopay-miniapp";

/// How long one keyring call may take before the file is used instead.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// Which store holds a session's secret (whoami, doctor, the login result).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SessionStore {
    /// The OS keyring (Secret Service, Keychain); the credentials file keeps the index.
    Keyring,
    /// The credentials file itself (mode 0600).
    File,
}

/// What [`STORE_ENV`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    /// The file only (tests, machines where the keyring is not wanted).
    File,
    /// The keyring, for any home; a keyring that cannot be reached is a warning.
    Keyring,
    /// The keyring for the user's own home (not for a `GOPAY_MINIAPP_HOME` elsewhere, which
    /// is self-contained), quietly falling back to the file.
    Auto,
}

impl StoreChoice {
    pub fn from_env() -> StoreChoice {
        match std::env::var(STORE_ENV) {
            Err(_) => StoreChoice::Auto,
            Ok(value) => match value.trim().to_ascii_lowercase().as_str() {
                "" | "auto" => StoreChoice::Auto,
                "file" => StoreChoice::File,
                "keyring" => StoreChoice::Keyring,
                _ => {
                    tracing::warn!("{STORE_ENV} is neither file, keyring nor auto; auto is used");
                    StoreChoice::Auto
                }
            },
        }
    }
}

/// Whether this build can reach an OS keyring at all.
pub const BUILT_IN: bool = cfg!(all(
    feature = "os-keyring",
    any(target_os = "linux", target_os = "macos")
));

/// After a failed call, how long the keyring is not asked again.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);

/// Set once a call was given up: the rest of the process uses the file.
static HUNG: AtomicBool = AtomicBool::new(false);

/// When a call last failed (an answer that was an error).
static FAILED_AT: Mutex<Option<Instant>> = Mutex::new(None);

/// Secrets read or written by this process, by account: (stamp, secret).
static CACHE: Mutex<Option<HashMap<String, (String, String)>>> = Mutex::new(None);

/// Why the keyring was not used (never a secret).
#[derive(Debug, Clone)]
pub struct Unreachable(pub String);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// Without a keyring in the build, nothing reads the secret of `Set`.
#[cfg_attr(
    not(all(feature = "os-keyring", any(target_os = "linux", target_os = "macos"))),
    allow(dead_code)
)]
enum Op {
    Get,
    Set(String),
    Delete,
}

/// The secret stored for `account` under `stamp`: from this process's cache when the stamp
/// is the one it read or wrote, else from the keyring (`None`: no such entry).
pub fn read(account: &str, stamp: &str) -> Result<Option<String>, Unreachable> {
    if let Some(secret) = cached(account, stamp) {
        return Ok(Some(secret));
    }
    let secret = call(account, Op::Get)?;
    if let Some(secret) = &secret {
        remember(account, stamp, secret);
    }
    Ok(secret)
}

/// Stores `secret` for `account`; the file then records `stamp` beside the index entry.
pub fn write(account: &str, stamp: &str, secret: String) -> Result<(), Unreachable> {
    call(account, Op::Set(secret.clone()))?;
    remember(account, stamp, &secret);
    Ok(())
}

/// Removes `account`'s entry (none there is not a failure).
pub fn delete(account: &str) -> Result<(), Unreachable> {
    forget(account);
    call(account, Op::Delete).map(|_| ())
}

/// False once a call was given up in this process, or for a while after one failed.
pub fn reachable_so_far() -> bool {
    not_given_up().is_ok()
}

fn not_given_up() -> Result<(), Unreachable> {
    if HUNG.load(Ordering::Relaxed) {
        return Err(Unreachable(
            "the keyring did not answer earlier in this process".into(),
        ));
    }
    let failed_at = *FAILED_AT.lock().unwrap_or_else(|e| e.into_inner());
    if failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
        return Err(Unreachable(format!(
            "the keyring failed less than {} s ago",
            RETRY_AFTER.as_secs()
        )));
    }
    Ok(())
}

/// A new stamp for a write: unique per write on this machine, and no secret.
pub fn new_stamp() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{nanos:x}-{:x}-{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn cached(account: &str, stamp: &str) -> Option<String> {
    let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .as_ref()?
        .get(account)
        .filter(|(s, _)| s == stamp)
        .map(|(_, secret)| secret.clone())
}

fn remember(account: &str, stamp: &str, secret: &str) {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .get_or_insert_with(HashMap::new)
        .insert(account.to_string(), (stamp.to_string(), secret.to_string()));
}

fn forget(account: &str) {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(cache) = cache.as_mut() {
        cache.remove(account);
    }
}

/// One keyring call on a thread of its own, given up after [`TIMEOUT`] (the thread is left
/// to finish or hang; it holds nothing of ours and the process does not wait for it).
fn call(account: &str, op: Op) -> Result<Option<String>, Unreachable> {
    not_given_up()?;
    let (tx, rx) = mpsc::channel();
    let owned = account.to_string();
    let spawned = std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = tx.send(platform::run(&owned, op));
        });
    if let Err(e) = spawned {
        return Err(Unreachable(format!("no thread for the keyring call: {e}")));
    }
    match rx.recv_timeout(TIMEOUT) {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(failed)) => {
            *FAILED_AT.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
            Err(failed)
        }
        Err(_) => {
            HUNG.store(true, Ordering::Relaxed);
            Err(Unreachable(format!(
                "the keyring did not answer within {} s",
                TIMEOUT.as_secs()
            )))
        }
    }
}

#[cfg(all(feature = "os-keyring", any(target_os = "linux", target_os = "macos")))]
mod platform {
    use super::{Op, Unreachable, SERVICE};

    pub(super) fn run(account: &str, op: Op) -> Result<Option<String>, Unreachable> {
        let entry = keyring::Entry::new(SERVICE, account).map_err(described)?;
        match op {
            Op::Get => match entry.get_password() {
                Ok(secret) => Ok(Some(secret)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(described(e)),
            },
            Op::Set(secret) => entry
                .set_password(&secret)
                .map(|()| None)
                .map_err(described),
            Op::Delete => match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(described(e)),
            },
        }
    }

    /// The failure without what the keyring held: `BadEncoding` carries the stored bytes and
    /// `Ambiguous` the matching credentials, so neither is shown beyond its kind.
    fn described(e: keyring::Error) -> Unreachable {
        Unreachable(match e {
            keyring::Error::PlatformFailure(e) => format!("the keyring failed: {e}"),
            keyring::Error::NoStorageAccess(e) => format!("the keyring is not accessible: {e}"),
            keyring::Error::NoEntry => "the keyring has no such entry".into(),
            keyring::Error::BadEncoding(_) => "the keyring entry is not text".into(),
            keyring::Error::TooLong(name, limit) => {
                format!("the keyring refused the entry's {name} (longer than {limit})")
            }
            keyring::Error::Invalid(name, why) => {
                format!("the keyring refused the entry's {name}: {why}")
            }
            keyring::Error::Ambiguous(found) => {
                format!("the keyring has {} entries for this portal", found.len())
            }
            _ => "the keyring failed".into(),
        })
    }
}

#[cfg(not(all(feature = "os-keyring", any(target_os = "linux", target_os = "macos"))))]
mod platform {
    use super::{Op, Unreachable};

    pub(super) fn run(_account: &str, _op: Op) -> Result<Option<String>, Unreachable> {
        Err(Unreachable("this build has no OS keyring".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Memory only: no test here asks a keyring (the developer's own would answer).
    #[test]
    fn a_secret_is_served_from_memory_under_its_stamp_only() {
        remember("test-account", "stamp-1", "S");
        assert_eq!(cached("test-account", "stamp-1").as_deref(), Some("S"));
        assert_eq!(
            cached("test-account", "stamp-2"),
            None,
            "another write since"
        );
        forget("test-account");
        assert_eq!(cached("test-account", "stamp-1"), None, "logged out");
    }

    #[test]
    fn every_write_has_a_stamp_of_its_own() {
        assert_ne!(new_stamp(), new_stamp());
    }
}
