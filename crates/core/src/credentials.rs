//! Where sessions live between runs: one credentials file per user, one entry per portal
//! URL (`{backend, portal, username, expiresAt}`), mode 0600, replaced atomically. The
//! session itself (the backend's own opaque state: tokens, cookies) is in the OS keyring
//! where there is one ([`crate::keyring`]; the entry then says `keyring: {stamp}`), else in
//! the entry (`session`). Passwords are never stored. In CI, `GOPAY_MINIAPP_TOKEN` supplies
//! an access token and neither is used.
//!
//! Which store a write uses: [`crate::keyring::STORE_ENV`] (`auto` by default: the keyring
//! for the user's own home when it answers within its timeout, else the file). A session
//! already in the file stays readable there and moves to the keyring at its next write (a
//! login, or a renewal by the backend); a session in the keyring is read from it whatever
//! the setting says, as its entry says where it is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gopay_miniapp_portal::{native, Backend, Session};
use serde::{Deserialize, Serialize};

use crate::atomic_write::{write_atomically, Permissions};
use crate::error::CoreError;
use crate::hint::Hint;
pub use crate::keyring::SessionStore;
use crate::keyring::StoreChoice;

pub const HOME_ENV: &str = "GOPAY_MINIAPP_HOME";
pub const TOKEN_ENV: &str = "GOPAY_MINIAPP_TOKEN";
pub const PORTAL_ENV: &str = "GOPAY_MINIAPP_PORTAL";

/// The per-user directory for credentials and locks: `$GOPAY_MINIAPP_HOME`, else the OS
/// config dir (`~/.config/gopay-miniapp` on Linux).
pub fn default_home() -> PathBuf {
    if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(home);
    }
    users_home()
}

/// The user's own home (the OS config dir's), whatever `GOPAY_MINIAPP_HOME` says.
fn users_home() -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("gopay-miniapp")
}

/// One portal's session as kept between runs: which backend made it, who logged in, and
/// the backend's own session state, which core never looks into.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StoredSession {
    pub backend: Backend,
    pub portal: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub session: Session,
}

impl std::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSession")
            .field("backend", &self.backend)
            .field("portal", &self.portal)
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A file entry: the index of one portal's session, with the session itself (`session`) or
/// a mark that it is in the OS keyring (`keyring`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    backend: Backend,
    portal: String,
    username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<Session>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keyring: Option<KeyringMark>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("backend", &self.backend)
            .field("portal", &self.portal)
            .field("username", &self.username)
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

/// The session is in the OS keyring (service `gopay-miniapp`, account `account`); `stamp`
/// changes at every write, so other processes know to read it again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyringMark {
    account: String,
    stamp: String,
}

impl Entry {
    fn store(&self) -> SessionStore {
        if self.keyring.is_some() {
            SessionStore::Keyring
        } else {
            SessionStore::File
        }
    }
}

/// An entry as written by any version of this tool: the current shape, or the first one
/// (native tokens at the top level), migrated on read.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredEntry {
    Current(Entry),
    #[serde(rename_all = "camelCase")]
    Legacy {
        username: String,
        access_token: String,
        refresh_token: String,
        expires_at: String,
    },
}

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct CredentialsFile {
    /// The portal most recently logged in to; the default when nothing else names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_portal: Option<String>,
    #[serde(default)]
    sessions: BTreeMap<String, Entry>,
}

impl<'de> Deserialize<'de> for CredentialsFile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            #[serde(default)]
            last_portal: Option<String>,
            #[serde(default)]
            sessions: BTreeMap<String, StoredEntry>,
        }
        let raw = Raw::deserialize(deserializer)?;
        let sessions = raw
            .sessions
            .into_iter()
            .map(|(portal, entry)| {
                let session = match entry {
                    StoredEntry::Current(session) => session,
                    StoredEntry::Legacy {
                        username,
                        access_token,
                        refresh_token,
                        expires_at,
                    } => Entry {
                        backend: Backend::Native,
                        portal: portal.clone(),
                        username,
                        session: Some(native::legacy_session(
                            &access_token,
                            &refresh_token,
                            &expires_at,
                        )),
                        expires_at: Some(expires_at),
                        keyring: None,
                    },
                };
                (portal, session)
            })
            .collect();
        Ok(CredentialsFile {
            last_portal: raw.last_portal,
            sessions,
        })
    }
}

/// The credentials file of one home directory, and the keyring entries it points to.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    path: PathBuf,
    /// Where new secrets go: the keyring (`Some(loud)`: a fallback to the file is a warning
    /// when the keyring was asked for by name), or the file (`None`).
    keyring: Option<bool>,
    /// The keyring account's suffix for a home other than the user's own (the keyring is
    /// per user, a home is not): empty for the user's home.
    account_suffix: String,
}

/// Portal URLs are keys: `http://127.0.0.1:8780/` and `http://127.0.0.1:8780` are the same.
pub fn portal_key(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

impl CredentialStore {
    /// The store of `home`, with the keyring as [`crate::keyring::STORE_ENV`] says.
    pub fn new(home: &Path) -> Self {
        Self::with_choice(home, StoreChoice::from_env())
    }

    pub fn with_choice(home: &Path, choice: StoreChoice) -> Self {
        let own = home == users_home();
        let keyring = match choice {
            StoreChoice::File => None,
            StoreChoice::Keyring => Some(true),
            StoreChoice::Auto => own.then_some(false),
        }
        .filter(|_| crate::keyring::BUILT_IN);
        CredentialStore {
            path: home.join("credentials.json"),
            keyring,
            account_suffix: if own {
                String::new()
            } else {
                format!(" ({})", home.display())
            },
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self) -> Result<CredentialsFile, CoreError> {
        // A file others may read (copied by hand, restored from a backup) is made owner-only
        // before its sessions are used, and the user is told: refusing it would only force a
        // new login without undoing what others may have read, while the warning says what
        // to do about that.
        match gopay_miniapp_guard::files::tighten_private_file(&self.path) {
            Ok(Some(mode)) => tracing::warn!(
                "{} could be read by other users (mode {mode:04o}); it is now readable by you alone (0600). Anyone who read it could use the sessions in it: log out and log in again to end them.",
                self.path.display()
            ),
            Ok(None) => {}
            Err(e) => return Err(CoreError::io(self.path.display(), e)),
        }
        match gopay_miniapp_guard::limits::read_file_io(
            &self.path,
            gopay_miniapp_guard::limits::HOME_FILE_MAX,
        ) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                CoreError::invalid(
                    format!(
                        "{} is not a valid credentials file: {e}",
                        self.path.display()
                    ),
                    Hint::ResetCredentials {
                        file: self.path.display().to_string(),
                    },
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CredentialsFile::default()),
            Err(e) => Err(CoreError::io(self.path.display(), e)),
        }
    }

    fn save(&self, file: &CredentialsFile) -> Result<(), CoreError> {
        let dir = self.path.parent().expect("credentials file has a parent");
        crate::atomic_write::create_private_dir(dir)?;
        let json = serde_json::to_vec_pretty(file).expect("serializable");
        write_atomically(&self.path, &json, Permissions::Private).map_err(CoreError::from)
    }

    /// The session stored for `portal`, its secret read from where its entry says (the
    /// keyring once per process and stamp). A session whose keyring cannot be reached now is
    /// `None`, with a warning (the file has no copy of it).
    pub fn get(&self, portal: &str) -> Result<Option<StoredSession>, CoreError> {
        let Some(entry) = self.load()?.sessions.remove(&portal_key(portal)) else {
            return Ok(None);
        };
        Ok(self.resolve(entry))
    }

    /// Which store holds `portal`'s session (`None`: no session stored).
    pub fn stored_in(&self, portal: &str) -> Result<Option<SessionStore>, CoreError> {
        Ok(self
            .load()?
            .sessions
            .get(&portal_key(portal))
            .map(Entry::store))
    }

    /// Where new sessions' secrets go from this process (the keyring until it failed once).
    pub fn writes_to(&self) -> SessionStore {
        if self.keyring.is_some() && crate::keyring::reachable_so_far() {
            SessionStore::Keyring
        } else {
            SessionStore::File
        }
    }

    fn resolve(&self, entry: Entry) -> Option<StoredSession> {
        let session = match (&entry.session, &entry.keyring) {
            (Some(session), _) => session.clone(),
            (None, Some(mark)) => match crate::keyring::read(&mark.account, &mark.stamp) {
                Ok(Some(secret)) => match serde_json::from_str(&secret) {
                    Ok(session) => session,
                    Err(_) => {
                        tracing::warn!(
                            "the keyring entry of {} is not a session this tool wrote; log in again",
                            entry.portal
                        );
                        return None;
                    }
                },
                Ok(None) => {
                    tracing::warn!(
                        "the session of {} is gone from the keyring (removed there?); log in again",
                        entry.portal
                    );
                    return None;
                }
                Err(why) => {
                    warn_once(&format!(
                        "the session of {} is in the OS keyring, which cannot be used now ({why}); log in again to keep one in {}",
                        entry.portal,
                        self.path.display()
                    ));
                    return None;
                }
            },
            (None, None) => return None,
        };
        Some(StoredSession {
            backend: entry.backend,
            portal: entry.portal,
            username: entry.username,
            expires_at: entry.expires_at,
            session,
        })
    }

    /// The entry for `stored`, its secret in the keyring when this store writes there and
    /// the keyring answers, else in the file (said at debug level, or as a warning when the
    /// keyring was asked for by name).
    fn entry_for(&self, key: &str, stored: StoredSession) -> Entry {
        let mut entry = Entry {
            backend: stored.backend,
            portal: stored.portal,
            username: stored.username,
            expires_at: stored.expires_at,
            session: None,
            keyring: None,
        };
        if let Some(loud) = self.keyring {
            let account = format!("{key}{}", self.account_suffix);
            let stamp = crate::keyring::new_stamp();
            let secret = serde_json::to_string(&stored.session).expect("serializable");
            match crate::keyring::write(&account, &stamp, secret) {
                Ok(()) => {
                    entry.keyring = Some(KeyringMark { account, stamp });
                    return entry;
                }
                Err(why) if loud => tracing::warn!(
                    "the session is kept in {} instead of the OS keyring: {why}",
                    self.path.display()
                ),
                Err(why) => tracing::debug!(
                    "the session is kept in {} instead of the OS keyring: {why}",
                    self.path.display()
                ),
            }
        }
        entry.session = Some(stored.session);
        entry
    }

    pub fn put(&self, portal: &str, session: StoredSession) -> Result<(), CoreError> {
        let key = portal_key(portal);
        let mut file = self.load()?;
        let entry = self.entry_for(&key, session);
        let old = file.sessions.insert(key.clone(), entry);
        self.forget_moved(old.as_ref(), file.sessions.get(&key));
        file.last_portal = Some(key);
        self.save(&file)
    }

    /// Replaces the session of an existing entry (the backend renewed it by itself).
    pub fn update_session(&self, portal: &str, session: &Session) -> Result<(), CoreError> {
        let key = portal_key(portal);
        let mut file = self.load()?;
        let Some(old) = file.sessions.get(&key).cloned() else {
            return Ok(());
        };
        let entry = self.entry_for(
            &key,
            StoredSession {
                backend: old.backend,
                portal: old.portal.clone(),
                username: old.username.clone(),
                expires_at: old.expires_at.clone(),
                session: session.clone(),
            },
        );
        self.forget_moved(Some(&old), Some(&entry));
        file.sessions.insert(key, entry);
        self.save(&file)
    }

    pub fn remove(&self, portal: &str) -> Result<bool, CoreError> {
        let mut file = self.load()?;
        let Some(old) = file.sessions.remove(&portal_key(portal)) else {
            return Ok(false);
        };
        self.forget_moved(Some(&old), None);
        self.save(&file)?;
        Ok(true)
    }

    /// A keyring entry its index no longer points to (a logout, or a session now kept in the
    /// file) is deleted; one that cannot be is named, so the user can remove it.
    fn forget_moved(&self, old: Option<&Entry>, new: Option<&Entry>) {
        let Some(mark) = old.and_then(|e| e.keyring.as_ref()) else {
            return;
        };
        if new
            .and_then(|e| e.keyring.as_ref())
            .is_some_and(|m| m.account == mark.account)
        {
            return;
        }
        if let Err(why) = crate::keyring::delete(&mark.account) {
            tracing::warn!(
                "the keyring entry \"{}\" of service \"{}\" could not be removed ({why}); remove it with the keyring's own tool",
                mark.account,
                crate::keyring::SERVICE
            );
        }
    }

    pub fn last_portal(&self) -> Result<Option<String>, CoreError> {
        Ok(self.load()?.last_portal)
    }
}

/// A warning said once per process (the sidecar reads the credentials at every refresh).
fn warn_once(message: &str) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!("{message}");
    } else {
        tracing::debug!("{message}");
    }
}

/// The stored session of one portal as its backend sees it when renewing it: renewals take
/// turns across processes ([`crate::lock::session_renewal_lock`]) and look at what is stored
/// first.
pub struct StoredRenewal {
    pub home: PathBuf,
    pub portal: String,
    pub backend: Backend,
}

/// Longer than one refresh request may take (30 s) plus writing the file.
const RENEWAL_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(45);

impl gopay_miniapp_portal::SessionRenewal for StoredRenewal {
    fn exclusive(&self) -> Box<dyn Send> {
        Box::new(crate::lock::session_renewal_lock(
            &self.home,
            &portal_key(&self.portal),
            RENEWAL_LOCK_WAIT,
        ))
    }

    fn stored(&self) -> Option<Session> {
        CredentialStore::new(&self.home)
            .get(&self.portal)
            .ok()
            .flatten()
            .filter(|stored| stored.backend == self.backend)
            .map(|stored| stored.session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(token: &str) -> StoredSession {
        StoredSession {
            backend: Backend::Native,
            portal: "http://a".into(),
            username: "demo".into(),
            expires_at: Some("2030-01-01T00:00:00Z".into()),
            session: native::legacy_session(token, "r", "2030-01-01T00:00:00Z"),
        }
    }

    #[test]
    fn one_entry_per_portal_and_private_mode() {
        let home = tempfile::tempdir().unwrap();
        let store = CredentialStore::with_choice(home.path(), StoreChoice::File);
        store.put("http://a/", session("A")).unwrap();
        store.put("http://b", session("B")).unwrap();
        assert_eq!(store.get("http://a").unwrap().unwrap(), session("A"));
        assert_eq!(store.get("http://b/").unwrap().unwrap(), session("B"));
        assert_eq!(store.last_portal().unwrap().as_deref(), Some("http://b"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(store.remove("http://a").unwrap());
        assert!(store.get("http://a").unwrap().is_none());
    }

    #[test]
    fn first_format_files_are_migrated_on_read_and_rewritten_in_the_new_shape() {
        let home = tempfile::tempdir().unwrap();
        let store = CredentialStore::with_choice(home.path(), StoreChoice::File);
        std::fs::write(
            store.path(),
            r#"{"lastPortal":"http://a","sessions":{"http://a":{"username":"demo","accessToken":"OLD-A","refreshToken":"OLD-R","expiresAt":"2030-01-01T00:00:00Z"}}}"#,
        )
        .unwrap();
        let migrated = store.get("http://a").unwrap().unwrap();
        assert_eq!(migrated.backend, Backend::Native);
        assert_eq!(migrated.username, "demo");
        assert_eq!(
            migrated.session,
            native::legacy_session("OLD-A", "OLD-R", "2030-01-01T00:00:00Z")
        );
        store.put("http://b", session("B")).unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["sessions"]["http://a"]["backend"], "native");
        assert_eq!(
            json["sessions"]["http://a"]["session"]["accessToken"],
            "OLD-A"
        );
        assert!(json["sessions"]["http://a"].get("accessToken").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_loose_credentials_file_is_made_owner_only_before_use() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let store = CredentialStore::with_choice(home.path(), StoreChoice::File);
        store.put("http://a", session("A")).unwrap();
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(store.get("http://a").unwrap().unwrap(), session("A"));
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_home_of_its_own_keeps_its_sessions_in_its_file_unless_the_keyring_is_named() {
        let home = tempfile::tempdir().unwrap();
        let auto = CredentialStore::with_choice(home.path(), StoreChoice::Auto);
        assert_eq!(auto.writes_to(), SessionStore::File);
        auto.put("http://a", session("A")).unwrap();
        assert_eq!(
            auto.stored_in("http://a").unwrap(),
            Some(SessionStore::File)
        );
        let text = std::fs::read_to_string(auto.path()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(json["sessions"]["http://a"].get("keyring").is_none());
        assert_eq!(json["sessions"]["http://a"]["session"]["accessToken"], "A");
        assert_eq!(
            CredentialStore::with_choice(home.path(), StoreChoice::File).keyring,
            None
        );
        assert_eq!(
            CredentialStore::with_choice(home.path(), StoreChoice::Keyring).keyring,
            crate::keyring::BUILT_IN.then_some(true)
        );
    }

    #[test]
    fn an_entry_marked_as_in_the_keyring_has_no_secret_in_the_file_and_its_debug_none() {
        let entry: Entry = serde_json::from_str(
            r#"{"backend":"native","portal":"http://a","username":"demo","keyring":{"account":"http://a","stamp":"1-2-3"}}"#,
        )
        .unwrap();
        assert_eq!(entry.store(), SessionStore::Keyring);
        assert!(entry.session.is_none());
        let shown = format!("{entry:?}");
        assert!(
            shown.contains("1-2-3") && !shown.contains("session:"),
            "{shown}"
        );
    }

    #[test]
    fn debug_never_shows_tokens() {
        let text = format!("{:?}", session("SECRET-TOKEN"));
        assert!(!text.contains("SECRET-TOKEN"), "{text}");
        let entry = Entry {
            backend: Backend::Native,
            portal: "http://a".into(),
            username: "demo".into(),
            expires_at: None,
            session: Some(session("SECRET-TOKEN").session),
            keyring: None,
        };
        let text = format!("{entry:?}");
        assert!(!text.contains("SECRET-TOKEN"), "{text}");
    }
}
