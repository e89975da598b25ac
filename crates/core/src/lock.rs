//! One publish per project at a time, across processes (a terminal and an editor, two CI
//! jobs in one checkout). An advisory `flock` on a file in the user's home, keyed by the
//! project's canonical path: the kernel drops it when the holder dies, so a crash never
//! leaves a stale lock behind.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::CoreError;

pub struct ProjectLock {
    _file: File,
}

impl ProjectLock {
    pub fn acquire(home: &Path, project: &Path) -> Result<ProjectLock, CoreError> {
        let canonical = project
            .canonicalize()
            .map_err(|e| CoreError::io(project.display(), e))?;
        let key = hex::encode(&Sha256::digest(canonical.to_string_lossy().as_bytes())[..12]);
        let dir = home.join("locks");
        std::fs::create_dir_all(&dir).map_err(|e| CoreError::io(dir.display(), e))?;
        let path = dir.join(format!("publish-{key}.lock"));
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
            return Err(CoreError::Busy {
                project: canonical.display().to_string(),
            });
        }
        let _ = file.set_len(0);
        let _ = writeln!(file, "{} {}", std::process::id(), canonical.display());
        Ok(ProjectLock { _file: file })
    }
}
