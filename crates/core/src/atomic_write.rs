//! Every file this crate writes goes through the write policy of `gopay_miniapp_guard::files`
//! (atomic replace; symlinks, hard links, read-only files; mode, owner and group kept;
//! 0700/0600 for what is ours). This module only maps its errors to core's.

pub use gopay_miniapp_guard::files::{FileError, Permissions};

use std::path::Path;

use crate::error::CoreError;

/// Replaces `path` (a file of ours, or one already resolved by the policy) with `bytes`.
/// A symlink is followed only to a file in its own folder.
pub fn write_atomically(
    path: &Path,
    bytes: &[u8],
    permissions: Permissions,
) -> Result<(), FileError> {
    gopay_miniapp_guard::files::replace(path, None, bytes, permissions).map(|_| ())
}

/// Creates a folder of ours (the tool's home and what is in it) owner-only.
pub fn create_private_dir(dir: &Path) -> Result<(), CoreError> {
    gopay_miniapp_guard::files::create_private_dir(dir).map_err(|e| CoreError::io(dir.display(), e))
}
