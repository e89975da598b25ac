//! What every handler shares.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::Clock;
use crate::store::Store;
use crate::throttle::LoginThrottle;

#[derive(Clone)]
pub(crate) struct AppState(Arc<Shared>);

pub(crate) struct Shared {
    pub store: Store,
    /// `http://127.0.0.1:PORT` or the configured public URL, without a trailing slash.
    pub base_url: String,
    pub max_package_size: u64,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// What decides expiry: the system clock, or a test's.
    pub clock: Clock,
    /// Failed logins back off (every way of logging in).
    pub login_throttle: LoginThrottle,
    /// One lock per upload: a chunk and a completion of the same upload never overlap.
    upload_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl AppState {
    pub fn new(
        store: Store,
        base_url: String,
        max_package_size: u64,
        access_ttl: Duration,
        refresh_ttl: Duration,
        clock: Clock,
    ) -> Self {
        AppState(Arc::new(Shared {
            store,
            base_url,
            max_package_size,
            access_ttl,
            refresh_ttl,
            clock,
            login_throttle: LoginThrottle::default(),
            upload_locks: Mutex::new(HashMap::new()),
        }))
    }

    pub fn upload_lock(&self, upload_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .0
            .upload_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Forget locks nobody holds any more, so the map stays small.
        if locks.len() > 256 {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks
            .entry(upload_id.to_string())
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone()
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
