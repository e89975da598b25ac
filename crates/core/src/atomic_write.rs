//! Replace a file's content so that a reader (or a crash) sees either the old bytes or the new
//! ones, never half of each: write a temporary file in the same folder, fsync it, rename it over
//! the original, fsync the folder. The one way this crate writes a file that matters:
//! `package.json` (the user's file: losing it to a crash in the middle of a publish would be
//! worse than any failed upload), `gopay-miniapp.json`, `credentials.json` (owner-only).

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Who may read the file once written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permissions {
    /// Whatever the file had (a fresh temporary file would otherwise come with 0600 and the
    /// user's `package.json` would silently change mode); a new file gets the usual mode.
    Keep,
    /// Only the owner (0600), whatever the file had: for secrets.
    Private,
}

/// Writes `bytes` to `path` atomically with `permissions`.
///
/// `path` must be the real file, not a symlink to it: `rename` replaces the directory entry, so a
/// symlink would be replaced by a regular file. Callers resolve symlinks first.
pub fn write_atomically(path: &Path, bytes: &[u8], permissions: Permissions) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let kept = match (permissions, fs::metadata(path)) {
        (Permissions::Private, _) => None,
        (Permissions::Keep, Ok(metadata)) => Some(metadata.permissions()),
        (Permissions::Keep, Err(err)) if err.kind() == io::ErrorKind::NotFound => {
            Some(new_file_permissions(dir)?)
        }
        (Permissions::Keep, Err(err)) => return Err(err),
    };
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    // tempfile creates the file 0600: right for secrets, and set before any byte is written.
    temp.write_all(bytes)?;
    if let Some(permissions) = kept {
        temp.as_file().set_permissions(permissions)?;
    }
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|err| err.error)?;
    // The rename itself is only durable once the directory is synced. Some file systems do not
    // allow fsync on a directory; the content is already safe, so that is not worth an error.
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The mode a plain `File::create` would give a new file in `dir` (0666 less the umask), read
/// off a probe file, since the umask cannot be read without changing it.
fn new_file_permissions(dir: &Path) -> io::Result<fs::Permissions> {
    let probe = tempfile::Builder::new()
        .prefix(".mode-probe.")
        .tempfile_in(dir)?;
    let path = probe.path().to_path_buf();
    drop(probe);
    let file = fs::File::create(&path)?;
    let permissions = file.metadata()?.permissions();
    drop(file);
    let _ = fs::remove_file(&path);
    Ok(permissions)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_files_are_owner_only_and_kept_modes_stay() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret.json");
        write_atomically(&secret, b"{}", Permissions::Private).unwrap();
        let mode = fs::metadata(&secret).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);

        let shared = dir.path().join("package.json");
        fs::write(&shared, b"old").unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomically(&shared, b"new", Permissions::Keep).unwrap();
        assert_eq!(fs::read(&shared).unwrap(), b"new");
        let mode = fs::metadata(&shared).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);

        let fresh = dir.path().join("gopay-miniapp.json");
        write_atomically(&fresh, b"{}", Permissions::Keep).unwrap();
        let mode = fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_ne!(
            mode, 0o600,
            "a new shared file gets the usual mode, not a temp file's"
        );
    }
}
