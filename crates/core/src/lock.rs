//! One publish per project at a time, across processes (a terminal and an editor, two CI
//! jobs in one checkout). An advisory `flock` on a file in the user's home, keyed by the
//! project's canonical path: the kernel drops it when the holder dies, so a crash never
//! leaves a stale lock behind. The publish journal lives next to it
//! (crates/core/src/journal.rs): a journal whose lock is free belongs to a dead publish.

use std::fs::File;
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
        std::fs::create_dir_all(&area.dir).map_err(|e| CoreError::io(area.dir.display(), e))?;
        let path = area.file(".lock");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| CoreError::io(path.display(), e))?;
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file descriptor we own; no memory is shared.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
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
