//! The store: one SQLite database (WAL mode) in the data directory, plus the package store
//! (`packages/ab/<sha256>.zip`) and partial uploads (`uploads/<id>.part`) beside it.
//!
//! Crash safety (docs/crash-safety.md): WAL with synchronous=FULL; a chunk's bytes are
//! fsynced before `received` counts them; a version row is written in the same transaction
//! that completes its upload, after its package is durable in the store, so no half-made
//! version is ever listed; stale and orphaned part files are cleaned at start.
//!
//! One connection behind a mutex; every request's database work is one short transaction run
//! on a blocking thread ([`Store::run`]). Request bodies are never streamed while the lock is
//! held.

use gopay_miniapp_guard::files;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::distributions::Alphanumeric;
use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::error::{ApiError, ServerError};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS spaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS space_members (
    space_id TEXT NOT NULL REFERENCES spaces(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (space_id, user_id)
);
CREATE TABLE IF NOT EXISTS apps (
    id TEXT PRIMARY KEY,
    space_id TEXT NOT NULL REFERENCES spaces(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (space_id, name)
);
CREATE TABLE IF NOT EXISTS target_apps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    scheme TEXT NOT NULL,
    -- 1: real users get what is released here; 0: a testing app; NULL: not said.
    production INTEGER
);
CREATE TABLE IF NOT EXISTS target_app_admins (
    target_app_id TEXT NOT NULL REFERENCES target_apps(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (target_app_id, user_id)
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,              -- access | refresh | pat
    hash TEXT NOT NULL UNIQUE,       -- sha256 of the secret; the secret is never stored
    user_id TEXT NOT NULL REFERENCES users(id),
    session_id TEXT REFERENCES sessions(id),
    name TEXT,
    created_at TEXT NOT NULL,
    expires_ms INTEGER,
    last_used_at TEXT,
    revoked_at TEXT,
    spent_at TEXT
);
CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens (user_id, kind);
CREATE TABLE IF NOT EXISTS device_codes (
    id TEXT PRIMARY KEY,
    device_hash TEXT NOT NULL UNIQUE,
    user_code TEXT NOT NULL,
    client_name TEXT,
    expires_ms INTEGER NOT NULL,
    status TEXT NOT NULL,            -- pending | approved | denied | consumed
    user_id TEXT REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS device_codes_by_user_code ON device_codes (user_code);
CREATE TABLE IF NOT EXISTS versions (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id),
    version TEXT NOT NULL,
    major INTEGER NOT NULL,
    minor INTEGER NOT NULL,
    patch INTEGER NOT NULL,
    description TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (app_id, version)
);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id),
    version TEXT NOT NULL,
    description TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,             -- open | complete | aborted
    version_id TEXT REFERENCES versions(id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_app_version ON uploads (app_id, version);
CREATE TABLE IF NOT EXISTS releases (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id),
    version_id TEXT NOT NULL REFERENCES versions(id),
    target_app_id TEXT NOT NULL REFERENCES target_apps(id),
    state TEXT NOT NULL,
    publish_id TEXT NOT NULL UNIQUE,
    notes TEXT,
    reject_reason TEXT,
    whitelist TEXT NOT NULL DEFAULT '[]',
    ratio INTEGER,
    ever_released INTEGER NOT NULL DEFAULT 0,
    rolled_back INTEGER NOT NULL DEFAULT 0,
    archived_seq INTEGER,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS releases_by_app_target ON releases (app_id, target_app_id);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_app ON audit (app_id, id);
CREATE TABLE IF NOT EXISTS web_sessions (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,       -- sha256 of the cookie's secret; the secret is never stored
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,              -- the token every form of this session carries
    created_at TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    revoked_at TEXT
);
"#;

/// First MiniApp id (16 digits, like the vendor's app ids).
pub(crate) const FIRST_APP_ID: i64 = 3_000_000_000_000_001;
/// First publish id (16 digits).
pub(crate) const FIRST_PUBLISH_ID: i64 = 5_000_000_000_000_001;

/// The local portal's data: SQLite + package store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<StoreInner>,
}

struct StoreInner {
    conn: Mutex<Connection>,
    data_dir: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.inner.data_dir)
            .finish()
    }
}

/// An open upload untouched this long is abandoned when the portal starts.
pub const STALE_UPLOAD_MS: i64 = 7 * 86_400_000;

impl Store {
    /// Opens (creating if needed) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, ServerError> {
        // Users' packages and the login tables are nobody else's business: folders 0700,
        // files 0600 (guard::files). The data folder itself is left as it is if it exists
        // (the admin chose it); what the portal keeps in it is private.
        let private = |dir: &Path, made: std::io::Result<()>| {
            made.map_err(|e| ServerError::io(format!("cannot create {}", dir.display()), e))
        };
        private(data_dir, files::create_private_dir(data_dir))?;
        for dir in [data_dir.join("packages"), data_dir.join("uploads")] {
            private(&dir, files::make_private_dir(&dir))?;
        }
        // SQLite gives its -wal and -shm files the database file's mode.
        let db = data_dir.join("portal.sqlite3");
        files::ensure_private_file(&db)
            .map_err(|e| ServerError::io(format!("cannot create {}", db.display()), e))?;
        let conn = Connection::open(&db)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "SQLite did not switch to WAL mode");
        }
        // Durability (docs/crash-safety.md). WAL: readers never block the writer, and a
        // crash mid-write leaves the last committed state (the WAL is replayed on open).
        // synchronous=FULL: every commit fsyncs the WAL before it returns, so a transaction
        // the portal acknowledged survives a power cut, not only a killed process. NORMAL
        // would be enough for kill -9 (the OS still holds the written pages) but can lose the
        // last commits on power loss; the portal answers "version created" only after the
        // commit, so that answer must be durable.
        conn.execute_batch(
            "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA user_version=1;",
        )?;
        conn.execute_batch(SCHEMA)?;
        // Data made before target apps said whether they are production: add the column
        // (unknown until the seed, or an admin, says).
        let has_production = conn
            .prepare("SELECT 1 FROM pragma_table_info('target_apps') WHERE name = 'production'")?
            .exists([])?;
        if !has_production {
            conn.execute_batch("ALTER TABLE target_apps ADD COLUMN production INTEGER")?;
        }
        // Forget login tokens and device logins long past their expiry.
        let now = now_ms();
        conn.execute(
            "DELETE FROM tokens WHERE kind IN ('access', 'refresh') AND expires_ms < ?1",
            [now - 7 * 86_400_000],
        )?;
        conn.execute(
            "DELETE FROM device_codes WHERE expires_ms < ?1",
            [now - 86_400_000],
        )?;
        conn.execute(
            "DELETE FROM web_sessions WHERE expires_ms < ?1",
            [now - 86_400_000],
        )?;
        // Files the web upload form was streaming when the portal stopped.
        if let Ok(entries) = std::fs::read_dir(data_dir.join("uploads")) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with("web-") && name.ends_with(".tmp") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let store = Store {
            inner: Arc::new(StoreInner {
                conn: Mutex::new(conn),
                data_dir: data_dir.to_path_buf(),
            }),
        };
        store.abandon_stale_uploads(now)?;
        store.remove_orphan_parts()?;
        Ok(store)
    }

    /// Part files of uploads that are no longer open (a portal killed between marking an
    /// upload aborted or complete and deleting its bytes) are deleted at start. Files of open
    /// uploads stay: those uploads are resumable.
    fn remove_orphan_parts(&self) -> Result<(), ServerError> {
        let Ok(entries) = std::fs::read_dir(self.inner.data_dir.join("uploads")) else {
            return Ok(());
        };
        let conn = self.inner.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut closed = conn.prepare("SELECT 1 FROM uploads WHERE id = ?1 AND state != 'open'")?;
        let mut removed = 0usize;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".part")) else {
                continue;
            };
            if closed.exists([id])? && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        if removed > 0 {
            tracing::info!(
                count = removed,
                "removed the bytes of uploads no longer open"
            );
        }
        Ok(())
    }

    /// Uploads nobody came back to resume within [`STALE_UPLOAD_MS`] (a client that crashed
    /// or gave up without aborting) are abandoned and their bytes freed.
    fn abandon_stale_uploads(&self, now: i64) -> Result<(), ServerError> {
        let stale: Vec<String> = {
            let conn = self.inner.conn.lock().unwrap_or_else(|e| e.into_inner());
            let mut stmt = conn.prepare(
                "UPDATE uploads SET state = 'aborted', updated_at = ?1
                 WHERE state = 'open' AND updated_at < ?2 RETURNING id",
            )?;
            let ids = stmt
                .query_map(
                    params![rfc3339_ms(now), rfc3339_ms(now - STALE_UPLOAD_MS)],
                    |r| r.get(0),
                )?
                .collect::<Result<_, _>>()?;
            ids
        };
        for id in &stale {
            let _ = std::fs::remove_file(self.part_path(id));
        }
        if !stale.is_empty() {
            tracing::info!(count = stale.len(), "abandoned uploads idle for a week");
        }
        Ok(())
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Where a verified package lives: `packages/ab/<sha256>.zip`.
    pub fn package_path(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.inner
            .data_dir
            .join("packages")
            .join(prefix)
            .join(format!("{sha256}.zip"))
    }

    /// Where the bytes of an open upload accumulate.
    pub(crate) fn part_path(&self, upload_id: &str) -> PathBuf {
        self.inner
            .data_dir
            .join("uploads")
            .join(format!("{upload_id}.part"))
    }

    /// Runs `f` in one immediate transaction, on this thread (blocking). Commits on `Ok`.
    pub(crate) fn tx<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self
            .inner
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` in one transaction on a blocking thread.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.tx(f)).await?
    }

    // -----------------------------------------------------------------------------------------
    // Administration (seeding, tests, future admin commands). Each is idempotent by name.
    // -----------------------------------------------------------------------------------------

    /// Creates a user unless one with this username exists; returns the user's id.
    /// The password is stored only as a salted argon2 hash.
    pub fn ensure_user(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> Result<String, ServerError> {
        plain_name("username", username)?;
        plain_name("display name", display_name)?;
        if let Some(id) = self
            .tx(|tx| user_id_by_name(tx, username))
            .map_err(api_to_server)?
        {
            return Ok(id);
        }
        let hash = crate::auth::hash_password(password).map_err(ServerError::Other)?;
        self.tx(|tx| {
            if let Some(id) = user_id_by_name(tx, username)? {
                return Ok(id);
            }
            let id = new_id("usr");
            tx.execute(
                "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, username, display_name, hash, now_rfc3339()],
            )?;
            Ok(id)
        })
        .map_err(api_to_server)
    }

    /// Creates a space unless one with this name exists; returns its id.
    pub fn ensure_space(&self, name: &str) -> Result<String, ServerError> {
        plain_name("space name", name)?;
        self.tx(|tx| {
            if let Some(id) = tx
                .query_row("SELECT id FROM spaces WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?
            {
                return Ok(id);
            }
            let id = new_id("sp");
            tx.execute(
                "INSERT INTO spaces (id, name, created_at) VALUES (?1, ?2, ?3)",
                params![id, name, now_rfc3339()],
            )?;
            Ok(id)
        })
        .map_err(api_to_server)
    }

    pub fn add_member(&self, space_id: &str, user_id: &str) -> Result<(), ServerError> {
        self.tx(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO space_members (space_id, user_id) VALUES (?1, ?2)",
                params![space_id, user_id],
            )?;
            Ok(())
        })
        .map_err(api_to_server)
    }

    /// Creates a MiniApp in a space unless one with this name is there; returns its 16-digit id.
    pub fn ensure_app(&self, space_id: &str, name: &str) -> Result<String, ServerError> {
        plain_name("MiniApp name", name)?;
        self.tx(|tx| {
            if let Some(id) = tx
                .query_row(
                    "SELECT id FROM apps WHERE space_id = ?1 AND name = ?2",
                    params![space_id, name],
                    |r| r.get(0),
                )
                .optional()?
            {
                return Ok(id);
            }
            let id = next_counter(tx, "app_id", FIRST_APP_ID)?.to_string();
            tx.execute(
                "INSERT INTO apps (id, space_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, space_id, name, now_rfc3339()],
            )?;
            Ok(id)
        })
        .map_err(api_to_server)
    }

    /// Creates a target (host) app unless one with this name exists; returns its id.
    /// `production` is said once: an existing app that has not said it yet takes it.
    pub fn ensure_target_app(
        &self,
        name: &str,
        scheme: &str,
        production: Option<bool>,
    ) -> Result<String, ServerError> {
        plain_name("target app name", name)?;
        plain_name("target app scheme", scheme)?;
        self.tx(|tx| {
            if let Some(id) = tx
                .query_row("SELECT id FROM target_apps WHERE name = ?1", [name], |r| {
                    r.get::<_, String>(0)
                })
                .optional()?
            {
                tx.execute(
                    "UPDATE target_apps SET production = ?2 WHERE id = ?1 AND production IS NULL",
                    params![id, production],
                )?;
                return Ok(id);
            }
            let id = new_id("ta");
            tx.execute(
                "INSERT INTO target_apps (id, name, scheme, production) VALUES (?1, ?2, ?3, ?4)",
                params![id, name, scheme, production],
            )?;
            Ok(id)
        })
        .map_err(api_to_server)
    }

    pub fn add_target_admin(&self, target_app_id: &str, user_id: &str) -> Result<(), ServerError> {
        self.tx(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO target_app_admins (target_app_id, user_id) VALUES (?1, ?2)",
                params![target_app_id, user_id],
            )?;
            Ok(())
        })
        .map_err(api_to_server)
    }
}

fn api_to_server(err: ApiError) -> ServerError {
    ServerError::Other(err.body.message)
}

/// Names are stored only as plain visible text (guard::text::check_name).
fn plain_name(what: &'static str, name: &str) -> Result<(), ServerError> {
    gopay_miniapp_guard::text::check_name(name)
        .map(drop)
        .map_err(|source| ServerError::BadName {
            what,
            name: name.to_string(),
            source,
        })
}

fn user_id_by_name(tx: &Transaction<'_>, username: &str) -> Result<Option<String>, ApiError> {
    Ok(tx
        .query_row(
            "SELECT id FROM users WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .optional()?)
}

/// Next value of a named counter, starting at `first`.
pub(crate) fn next_counter(tx: &Transaction<'_>, name: &str, first: i64) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT OR IGNORE INTO counters (name, value) VALUES (?1, ?2)",
        params![name, first - 1],
    )?;
    tx.execute(
        "UPDATE counters SET value = value + 1 WHERE name = ?1",
        [name],
    )?;
    tx.query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
        r.get(0)
    })
}

/// `prefix_` + 16 random base62 characters.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_base62(16))
}

pub(crate) fn random_base62(len: usize) -> String {
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// RFC 3339, UTC, whole seconds: `2025-01-31T09:30:00Z`.
pub(crate) fn rfc3339_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

pub(crate) fn now_rfc3339() -> String {
    rfc3339_ms(now_ms())
}

/// Appends to a MiniApp's audit log.
pub(crate) fn audit(
    tx: &Transaction<'_>,
    app_id: &str,
    actor: &str,
    action: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO audit (app_id, at, actor, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![app_id, now_rfc3339(), actor, action, detail],
    )?;
    Ok(())
}

/// Creates the demo data unless it is there (safe to run on every start):
/// - `demo`/`demo` ("Demo Developer") in "Demo Space" with "Hello MiniApp" and "Wallet Tools";
/// - `other`/`other` ("Other Developer") in "Other Space" with "Other App";
/// - `admin`/`admin` ("Target App Admin"), administrator of "GoPay" (`gopay`) and
///   "GoPay Staging" (`gopaystaging`); "GoPay" is the production app.
pub fn seed_demo(store: &Store) -> Result<(), ServerError> {
    let demo = store.ensure_user("demo", "Demo Developer", "demo")?;
    let other = store.ensure_user("other", "Other Developer", "other")?;
    let admin = store.ensure_user("admin", "Target App Admin", "admin")?;

    let demo_space = store.ensure_space("Demo Space")?;
    store.add_member(&demo_space, &demo)?;
    store.ensure_app(&demo_space, "Hello MiniApp")?;
    store.ensure_app(&demo_space, "Wallet Tools")?;

    let other_space = store.ensure_space("Other Space")?;
    store.add_member(&other_space, &other)?;
    store.ensure_app(&other_space, "Other App")?;

    for (name, scheme, production) in [
        ("GoPay", "gopay", true),
        ("GoPay Staging", "gopaystaging", false),
    ] {
        let target = store.ensure_target_app(name, scheme, Some(production))?;
        store.add_target_admin(&target, &admin)?;
    }
    Ok(())
}
