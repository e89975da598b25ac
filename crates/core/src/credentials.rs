//! Where sessions live between runs: one credentials file per user, one entry per portal
//! URL, mode 0600, replaced atomically. Passwords are never stored — only the session's
//! tokens. In CI, `GOPAY_MINIAPP_TOKEN` supplies an access token and the file is not used.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

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

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StoredSession {
    pub username: String,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: String,
}

impl std::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSession")
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialsFile {
    /// The portal most recently logged in to; the default when nothing else names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_portal: Option<String>,
    #[serde(default)]
    sessions: BTreeMap<String, StoredSession>,
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
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                CoreError::invalid(
                    format!(
                        "{} is not a valid credentials file: {e}",
                        self.path.display()
                    ),
                    "delete it and log in again",
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CredentialsFile::default()),
            Err(e) => Err(CoreError::io(self.path.display(), e)),
        }
    }

    fn save(&self, file: &CredentialsFile) -> Result<(), CoreError> {
        let dir = self.path.parent().expect("credentials file has a parent");
        std::fs::create_dir_all(dir).map_err(|e| CoreError::io(dir.display(), e))?;
        let json = serde_json::to_vec_pretty(file).expect("serializable");
        write_private_atomically(&self.path, &json)
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

    /// Updates the tokens of an existing entry (after a transparent refresh).
    pub fn update_tokens(
        &self,
        portal: &str,
        access_token: &str,
        refresh_token: &str,
        expires_at: &str,
    ) -> Result<(), CoreError> {
        let mut file = self.load()?;
        if let Some(entry) = file.sessions.get_mut(&portal_key(portal)) {
            entry.access_token = access_token.to_string();
            entry.refresh_token = refresh_token.to_string();
            entry.expires_at = expires_at.to_string();
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

/// Writes a file readable only by its owner: a temp file created 0600 in the same
/// directory, fsynced, renamed over the target.
pub fn write_private_atomically(path: &Path, bytes: &[u8]) -> Result<(), CoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".credentials")
        .tempfile_in(dir)
        .map_err(|e| CoreError::io(dir.display(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CoreError::io(path.display(), e))?;
    }
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| CoreError::io(path.display(), e))?;
    tmp.persist(path)
        .map_err(|e| CoreError::io(path.display(), e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(token: &str) -> StoredSession {
        StoredSession {
            username: "demo".into(),
            access_token: token.into(),
            refresh_token: "r".into(),
            expires_at: "2030-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn one_entry_per_portal_and_private_mode() {
        let home = tempfile::tempdir().unwrap();
        let store = CredentialStore::new(home.path());
        store.put("http://a/", session("A")).unwrap();
        store.put("http://b", session("B")).unwrap();
        assert_eq!(store.get("http://a").unwrap().unwrap().access_token, "A");
        assert_eq!(store.get("http://b/").unwrap().unwrap().access_token, "B");
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
    fn debug_never_shows_tokens() {
        let text = format!("{:?}", session("SECRET-TOKEN"));
        assert!(!text.contains("SECRET-TOKEN"));
    }
}
