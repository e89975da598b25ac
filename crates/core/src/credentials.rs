//! Where sessions live between runs: one credentials file per user, one entry per portal
//! URL (`{backend, portal, session}`, the session being the backend's own opaque state),
//! mode 0600, replaced atomically. Passwords are never stored. In CI, `GOPAY_MINIAPP_TOKEN`
//! supplies an access token and the file is not used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gopay_miniapp_portal::{native, Backend, Session};
use serde::{Deserialize, Serialize};

use crate::atomic_write::{write_atomically, Permissions};
use crate::error::CoreError;
use crate::hint::Hint;

pub const HOME_ENV: &str = "GOPAY_MINIAPP_HOME";
pub const TOKEN_ENV: &str = "GOPAY_MINIAPP_TOKEN";
pub const PORTAL_ENV: &str = "GOPAY_MINIAPP_PORTAL";

/// The per-user directory for credentials and locks: `$GOPAY_MINIAPP_HOME`, else the OS
/// config dir (`~/.config/gopay-miniapp` on Linux).
pub fn default_home() -> PathBuf {
    if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(home);
    }
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

/// An entry as written by any version of this tool: the current shape, or the first one
/// (native tokens at the top level), migrated on read.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredEntry {
    Current(StoredSession),
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
    sessions: BTreeMap<String, StoredSession>,
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
                    } => StoredSession {
                        backend: Backend::Native,
                        portal: portal.clone(),
                        username,
                        session: native::legacy_session(&access_token, &refresh_token, &expires_at),
                        expires_at: Some(expires_at),
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

/// The credentials file of one home directory.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    path: PathBuf,
}

/// Portal URLs are keys: `http://127.0.0.1:8780/` and `http://127.0.0.1:8780` are the same.
pub fn portal_key(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

impl CredentialStore {
    pub fn new(home: &Path) -> Self {
        CredentialStore {
            path: home.join("credentials.json"),
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

    pub fn get(&self, portal: &str) -> Result<Option<StoredSession>, CoreError> {
        Ok(self.load()?.sessions.get(&portal_key(portal)).cloned())
    }

    pub fn put(&self, portal: &str, session: StoredSession) -> Result<(), CoreError> {
        let mut file = self.load()?;
        file.sessions.insert(portal_key(portal), session);
        file.last_portal = Some(portal_key(portal));
        self.save(&file)
    }

    /// Replaces the session of an existing entry (the backend renewed it by itself).
    pub fn update_session(&self, portal: &str, session: &Session) -> Result<(), CoreError> {
        let mut file = self.load()?;
        if let Some(entry) = file.sessions.get_mut(&portal_key(portal)) {
            entry.session = session.clone();
            self.save(&file)?;
        }
        Ok(())
    }

    pub fn remove(&self, portal: &str) -> Result<bool, CoreError> {
        let mut file = self.load()?;
        let removed = file.sessions.remove(&portal_key(portal)).is_some();
        if removed {
            self.save(&file)?;
        }
        Ok(removed)
    }

    pub fn last_portal(&self) -> Result<Option<String>, CoreError> {
        Ok(self.load()?.last_portal)
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
        let store = CredentialStore::new(home.path());
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
        let store = CredentialStore::new(home.path());
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
        let store = CredentialStore::new(home.path());
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
    fn debug_never_shows_tokens() {
        let text = format!("{:?}", session("SECRET-TOKEN"));
        assert!(!text.contains("SECRET-TOKEN"), "{text}");
    }
}
