//! Replace a file's content so that a reader (or a crash) sees either the old bytes or the new
//! ones, never half of each: write a temporary file in the same folder, fsync it, rename it over
//! the original. Used for `package.json`, which is the user's file: losing it to a crash in the
//! middle of a publish would be worse than any failed upload.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically, keeping the permissions the file had (a fresh temporary
/// file would otherwise come with 0600 and the user's `package.json` would silently change mode).
///
/// `path` must be the real file, not a symlink to it: `rename` replaces the directory entry, so a
/// symlink would be replaced by a regular file. Callers resolve symlinks first.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let permissions = match fs::metadata(path) {
        Ok(metadata) => Some(metadata.permissions()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => return Err(err),
    };
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    if let Some(permissions) = permissions {
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
