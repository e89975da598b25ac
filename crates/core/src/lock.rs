//! One publish per project at a time, across processes (a terminal and an editor, two CI
//! jobs in one checkout). An advisory `flock` on a file in the user's home, keyed by the
//! project's canonical path: the kernel drops it when the holder dies, so a crash never
//! leaves a stale lock behind. The publish journal lives next to it
//! (crates/core/src/journal.rs): a journal whose lock is free belongs to a dead publish.

use std::fs::{File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::CoreError;

pub struct ProjectLock {
    _file: File,
    /// The project's canonical path.
    pub project: PathBuf,
}

/// Where a project's lock and journal files live: `<home>/locks/publish-<key>.*`.
#[derive(Debug, Clone)]
pub struct LockArea {
    /// The project's canonical path.
    pub project: PathBuf,
    pub dir: PathBuf,
    /// `publish-<first 12 bytes of sha256(canonical path), hex>`.
    pub stem: String,
}

impl LockArea {
    pub fn of(home: &Path, project: &Path) -> Result<LockArea, CoreError> {
        let canonical = project
            .canonicalize()
            .map_err(|e| CoreError::io(project.display(), e))?;
        let key = hex::encode(&Sha256::digest(canonical.to_string_lossy().as_bytes())[..12]);
        Ok(LockArea {
            project: canonical,
            dir: home.join("locks"),
            stem: format!("publish-{key}"),
        })
    }

    /// `<stem><suffix>` in the lock folder.
    pub fn file(&self, suffix: &str) -> PathBuf {
        self.dir.join(format!("{}{suffix}", self.stem))
    }
}

impl ProjectLock {
    pub fn acquire(home: &Path, project: &Path) -> Result<ProjectLock, CoreError> {
        let area = LockArea::of(home, project)?;
        ProjectLock::try_acquire(&area)?.ok_or_else(|| CoreError::Busy {
            project: area.project.display().to_string(),
        })
    }

    /// The lock, or `None` when another process (or another publish in this one) holds it.
    pub fn try_acquire(area: &LockArea) -> Result<Option<ProjectLock>, CoreError> {
        crate::atomic_write::create_private_dir(&area.dir)?;
        let path = area.file(".lock");
        let mut file = gopay_miniapp_guard::files::private_open_options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| CoreError::io(path.display(), e))?;
        if !lock_exclusive(&file, &path)? {
            return Ok(None);
        }
        let _ = file.set_len(0);
        let _ = writeln!(file, "{} {}", std::process::id(), area.project.display());
        Ok(Some(ProjectLock {
            _file: file,
            project: area.project.clone(),
        }))
    }
}

/// The lock under which a portal's stored session is renewed: `<home>/locks/session-<key>.lock`
/// (key: the first 12 bytes of sha256 of the portal key, hex). Several processes finding the
/// same expired session refresh it in turn (a refresh token works once), so the second one
/// finds the first one's saved session instead of spending a dead token (issue #20 item 20).
/// Waits at most `wait` (a holder only holds it for one refresh request and a file write);
/// `None` when the lock could not be had, and the caller goes on without it.
pub fn session_renewal_lock(
    home: &Path,
    portal_key: &str,
    wait: std::time::Duration,
) -> Option<File> {
    let dir = home.join("locks");
    let key = hex::encode(&Sha256::digest(portal_key.as_bytes())[..12]);
    let path = dir.join(format!("session-{key}.lock"));
    let opened = std::fs::create_dir_all(&dir).and_then(|()| {
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
    });
    let file = match opened {
        Ok(file) => file,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot open the session lock; renewing without it");
            return None;
        }
    };
    let deadline = std::time::Instant::now() + wait;
    loop {
        match lock_exclusive(&file, &path) {
            Ok(true) => return Some(file),
            Ok(false) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(false) => {
                tracing::warn!(
                    "another process held the session lock too long; renewing without it"
                );
                return None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the session lock; renewing without it");
                return None;
            }
        }
    }
}

/// Takes the advisory lock on `file` without waiting (`flock(LOCK_EX | LOCK_NB)` on Linux):
/// false when another publish holds it (another process, or another open of the file in
/// this one). Any other failure is an I/O error naming the lock file, never "busy".
fn lock_exclusive(file: &File, path: &Path) -> Result<bool, CoreError> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => Err(CoreError::io(path.display(), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_busy_until_its_holder_lets_go() {
        let home = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        let area = LockArea::of(home.path(), project.path()).unwrap();
        let held = ProjectLock::try_acquire(&area)
            .unwrap()
            .expect("a free lock");
        assert!(ProjectLock::try_acquire(&area).unwrap().is_none());
        let err = ProjectLock::acquire(home.path(), project.path())
            .err()
            .unwrap();
        assert!(matches!(err, CoreError::Busy { .. }), "{err}");
        drop(held);
        assert!(ProjectLock::try_acquire(&area).unwrap().is_some());
    }

    #[test]
    fn a_lock_file_that_cannot_be_made_is_an_io_error_naming_it() {
        let home = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        let mut area = LockArea::of(home.path(), project.path()).unwrap();
        // The lock file's parent is a file.
        std::fs::create_dir_all(&area.dir).unwrap();
        std::fs::write(area.dir.join("a-file"), b"").unwrap();
        area.stem = format!("a-file/{}", area.stem);
        let err = ProjectLock::try_acquire(&area).err().expect("an error");
        let CoreError::Io { message } = &err else {
            panic!("not an I/O error: {err:?}");
        };
        assert!(
            message.contains(&area.file(".lock").display().to_string()),
            "{message}"
        );
    }

    /// A lock call that fails for a reason other than a holder (here EBADF: an `O_PATH`
    /// descriptor cannot be locked) is an I/O error naming the lock file, not "busy".
    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_lock_call_is_an_io_error_not_busy() {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("publish-x.lock");
        std::fs::write(&path, b"").unwrap();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_PATH)
            .open(&path)
            .unwrap();
        let err = lock_exclusive(&file, &path).expect_err("an error");
        let CoreError::Io { message } = &err else {
            panic!("not an I/O error: {err:?}");
        };
        assert!(message.contains(&path.display().to_string()), "{message}");
    }
}
