//! How the files we write are written: one policy, one path (docs/security.md, "Files, signals and secrets").
//!
//! Three kinds of file:
//! - **the user's files we edit** (`package.json`, `gopay-miniapp.json`): [`replace`] with the
//!   project as `root`. A symlink whose target is inside the project writes its target; one
//!   pointing outside is refused (a project is untrusted input: a link to `~/.bashrc` must not
//!   be written through). A file with other hard links is refused (the atomic rename would give
//!   this name new content and leave the others with the old one). A read-only file is refused,
//!   as `npm version` does: the owner marked it so. Mode, owner and group are kept.
//! - **outputs the user names** (`pack --out`, `qr --out`): [`check_output`] first. The
//!   project's own files are never overwritten, and an existing file that is not of the kind
//!   written ([`OutputKind`], by its first bytes) only when the caller was asked to (`force`).
//! - **what is ours** (the tool's home, credentials, the publish journal, the local portal's
//!   database and package store): folders [`PRIVATE_DIR_MODE`], files [`PRIVATE_FILE_MODE`]
//!   ([`create_private_dir`], [`private_open_options`], [`replace`] with
//!   [`Permissions::Private`]); [`tighten_private_file`] for a file found looser.
//!
//! Every replacement is atomic: a temporary file in the same folder, fsynced, renamed over the
//! original, the folder fsynced; a reader (or a crash) sees the old bytes or the new ones.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Folders that are ours: only the owner may list or enter them.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Files that are ours: only the owner may read them.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Who may read a replaced file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permissions {
    /// Whatever the file had (mode, owner, group); a new file gets the usual mode (0666 less
    /// the umask), never a temporary file's 0600.
    Keep,
    /// Only the owner ([`PRIVATE_FILE_MODE`]), whatever the file had: for what is ours.
    Private,
}

/// Why a file is not written. Messages name the file, the reason and the way out; how to ask
/// for an overwrite is each front end's word (a flag, a setting).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{} is a symlink to {}, which is outside {}: nothing is written through it. Replace the link with the file itself, or point it inside.", path.display(), target.display(), root.display())]
    SymlinkOutside {
        path: PathBuf,
        target: PathBuf,
        root: PathBuf,
    },
    #[error("{} has {links} hard links: replacing it would leave the other names with the old content. Make it a file of its own (copy it over the links) and try again.", path.display())]
    HardLinked { path: PathBuf, links: u64 },
    #[error("{} is read-only, so it is not changed. Make it writable (chmod u+w) if it should be.", path.display())]
    ReadOnly { path: PathBuf },
    #[error("{} is the project's own file and is never overwritten by an output. Write the output to another file.", path.display())]
    ProjectFile { path: PathBuf },
    #[error("{} exists and is not {kind}, so it is not overwritten. Write to another file, or ask to overwrite it.", path.display())]
    NotOurKind { path: PathBuf, kind: &'static str },
    #[error("{} is not a regular file, so it is not overwritten. Write to another file.", path.display())]
    NotAFile { path: PathBuf },
    #[error("{} could not be replaced with its owner and group kept ({source}); nothing was written. Write it as its owner.", path.display())]
    Ownership { path: PathBuf, source: io::Error },
    #[error("could not write {}: {source}. Check that the file and its folder are writable.", path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl FileError {
    fn io(path: &Path, source: io::Error) -> Self {
        FileError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The underlying I/O error kind, for callers that map errors to their own types.
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            FileError::Io { source, .. } | FileError::Ownership { source, .. } => {
                Some(source.kind())
            }
            _ => None,
        }
    }
}

/// The file to write for `path`: `path` itself, or a symlink's target when it is inside `root`
/// (`None`: the link's own folder). Refuses a link pointing outside, then applies
/// [`check_replaceable`] to the file found.
pub fn resolve_for_write(path: &Path, root: Option<&Path>) -> Result<PathBuf, FileError> {
    let real = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let root = match root {
                Some(root) => root.to_path_buf(),
                None => parent_of(path).to_path_buf(),
            };
            let canonical_root = fs::canonicalize(&root).map_err(|e| FileError::io(&root, e))?;
            // A dangling link: where it would write is its target's path, resolved as far as
            // it exists (its folder).
            let target = match fs::canonicalize(path) {
                Ok(target) => target,
                Err(_) => {
                    let link = fs::read_link(path).map_err(|e| FileError::io(path, e))?;
                    let joined = parent_of(path).join(link);
                    let dir = fs::canonicalize(parent_of(&joined)).unwrap_or(joined.clone());
                    dir.join(joined.file_name().unwrap_or_default())
                }
            };
            if !target.starts_with(&canonical_root) {
                return Err(FileError::SymlinkOutside {
                    path: path.to_path_buf(),
                    target,
                    root,
                });
            }
            target
        }
        Ok(_) => path.to_path_buf(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(path.to_path_buf()),
        Err(e) => return Err(FileError::io(path, e)),
    };
    check_replaceable(&real)?;
    Ok(real)
}

/// Whether an existing regular file at `path` (not a symlink) may be replaced: not a
/// directory or device, no other hard links, not read-only. A missing file may be.
pub fn check_replaceable(path: &Path) -> Result<(), FileError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(FileError::io(path, e)),
    };
    if !meta.file_type().is_file() {
        return Err(FileError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let links = link_count(&meta);
    if links > 1 {
        return Err(FileError::HardLinked {
            path: path.to_path_buf(),
            links,
        });
    }
    if read_only(path, &meta) {
        return Err(FileError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Replaces `path` with `bytes` by the policy (see the module doc); returns the file written
/// (the symlink's target when `path` is a link inside `root`).
pub fn replace(
    path: &Path,
    root: Option<&Path>,
    bytes: &[u8],
    permissions: Permissions,
) -> Result<PathBuf, FileError> {
    let real = resolve_for_write(path, root)?;
    write_atomically(&real, bytes, permissions)?;
    Ok(real)
}

/// The atomic write itself, on a path already checked ([`resolve_for_write`]): keeps mode,
/// owner and group with [`Permissions::Keep`].
pub fn write_atomically(
    path: &Path,
    bytes: &[u8],
    permissions: Permissions,
) -> Result<(), FileError> {
    let dir = parent_of(path);
    let existing = match fs::metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(FileError::io(path, e)),
    };
    let mode = match (permissions, &existing) {
        (Permissions::Private, _) => Some(private_permissions()),
        (Permissions::Keep, Some(meta)) => Some(meta.permissions()),
        (Permissions::Keep, None) => {
            Some(new_file_permissions(dir).map_err(|e| FileError::io(path, e))?)
        }
    };
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    // tempfile creates the file 0600 (right for secrets) before any byte is written.
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| FileError::io(path, e))?;
    temp.write_all(bytes).map_err(|e| FileError::io(path, e))?;
    if permissions == Permissions::Keep {
        if let Some(meta) = &existing {
            keep_owner(temp.as_file(), meta).map_err(|source| FileError::Ownership {
                path: path.to_path_buf(),
                source,
            })?;
        }
    }
    if let Some(mode) = mode {
        temp.as_file()
            .set_permissions(mode)
            .map_err(|e| FileError::io(path, e))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| FileError::io(path, e))?;
    temp.persist(path)
        .map_err(|e| FileError::io(path, e.error))?;
    // The rename is only durable once the folder is synced. Some file systems refuse fsync on
    // a folder; the content is safe already, so that is not worth an error.
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A kind of file we write as an output, recognised by its first bytes.
#[derive(Debug, Clone, Copy)]
pub struct OutputKind {
    /// How messages name it ("a ZIP archive").
    pub name: &'static str,
    is_kind: fn(&[u8]) -> bool,
}

impl OutputKind {
    /// Whether `head` (the first bytes of a file) starts a file of this kind.
    pub fn matches(&self, head: &[u8]) -> bool {
        (self.is_kind)(head)
    }
}

/// How many first bytes [`check_output`] reads.
pub const MAGIC_BYTES: usize = 512;

/// A ZIP archive: a local file header, or the end record of an empty archive.
pub const ZIP: OutputKind = OutputKind {
    name: "a ZIP archive",
    is_kind: |head| head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06"),
};
/// A PNG image.
pub const PNG: OutputKind = OutputKind {
    name: "a PNG image",
    is_kind: |head| head.starts_with(b"\x89PNG\r\n\x1a\n"),
};
/// An SVG image: `<svg` or an XML declaration first (after a BOM and blanks).
pub const SVG: OutputKind = OutputKind {
    name: "an SVG image",
    is_kind: |head| {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = head
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(head.len());
        let head = &head[start..];
        head.starts_with(b"<svg") || head.starts_with(b"<?xml")
    },
};

/// Checks an output path the user named before anything is written; returns the file to
/// write. Refused: one of `own_files` (the project's own, e.g. package.json and
/// gopay-miniapp.json, whatever `force` says), a symlink out of `project` (when the path is a
/// link), a file with other hard links, something that is not a regular file, and — unless
/// `force` — an existing non-empty file that is not of `kind`. An empty file holds nothing to
/// lose.
pub fn check_output(
    path: &Path,
    project: &Path,
    own_files: &[PathBuf],
    kind: OutputKind,
    force: bool,
) -> Result<PathBuf, FileError> {
    let real = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let canonical_root =
                fs::canonicalize(project).map_err(|e| FileError::io(project, e))?;
            match fs::canonicalize(path) {
                Ok(target) if target.starts_with(&canonical_root) => target,
                Ok(target) => {
                    return Err(FileError::SymlinkOutside {
                        path: path.to_path_buf(),
                        target,
                        root: project.to_path_buf(),
                    })
                }
                // A dangling link is not followed: it would create a file wherever it points.
                Err(_) => {
                    return Err(FileError::NotAFile {
                        path: path.to_path_buf(),
                    })
                }
            }
        }
        Ok(_) => path.to_path_buf(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(path.to_path_buf()),
        Err(e) => return Err(FileError::io(path, e)),
    };
    let canonical = fs::canonicalize(&real).map_err(|e| FileError::io(path, e))?;
    if own_files
        .iter()
        .filter_map(|own| fs::canonicalize(own).ok())
        .any(|own| own == canonical)
    {
        return Err(FileError::ProjectFile {
            path: path.to_path_buf(),
        });
    }
    let meta = fs::metadata(&real).map_err(|e| FileError::io(path, e))?;
    if !meta.is_file() {
        return Err(FileError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let links = link_count(&meta);
    if links > 1 {
        return Err(FileError::HardLinked {
            path: path.to_path_buf(),
            links,
        });
    }
    if !force && meta.len() > 0 {
        let mut head = Vec::with_capacity(MAGIC_BYTES);
        io::Read::read_to_end(
            &mut io::Read::take(
                fs::File::open(&real).map_err(|e| FileError::io(path, e))?,
                MAGIC_BYTES as u64,
            ),
            &mut head,
        )
        .map_err(|e| FileError::io(path, e))?;
        if !kind.matches(&head) {
            return Err(FileError::NotOurKind {
                path: path.to_path_buf(),
                kind: kind.name,
            });
        }
    }
    Ok(real)
}

/// Creates `dir` and every missing parent [`PRIVATE_DIR_MODE`]. Folders that exist are left
/// as they are (the user may have chosen a shared one); what we put in them is private.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(PRIVATE_DIR_MODE);
    }
    builder.create(dir)
}

/// Creates `dir` like [`create_private_dir`] and makes it owner-only if it exists looser: for
/// folders that are ours alone whoever made them (the local portal's package store).
pub fn make_private_dir(dir: &Path) -> io::Result<()> {
    create_private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir)?.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(PRIVATE_DIR_MODE))?;
        }
    }
    Ok(())
}

/// Open options that create a file [`PRIVATE_FILE_MODE`] (add `.write(true)` etc.).
pub fn private_open_options() -> fs::OpenOptions {
    #[allow(unused_mut)]
    let mut options = fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE_MODE);
    }
    options
}

/// Creates `path` empty and [`PRIVATE_FILE_MODE`] if it does not exist, so that whatever
/// opens it next (SQLite) finds it private; an existing one is tightened.
pub fn ensure_private_file(path: &Path) -> io::Result<()> {
    private_open_options()
        .create(true)
        .append(true)
        .open(path)?;
    tighten_private_file(path).map(|_| ())
}

/// Makes an existing file of ours owner-only if others may read or write it. Returns the mode
/// it had when it was changed (the caller says so), `None` when it was fine or is missing.
pub fn tighten_private_file(path: &Path) -> io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() => meta,
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 == 0 {
            return Ok(None);
        }
        fs::set_permissions(path, fs::Permissions::from_mode(PRIVATE_FILE_MODE))?;
        Ok(Some(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(None)
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(unix)]
fn link_count(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}
#[cfg(not(unix))]
fn link_count(_meta: &fs::Metadata) -> u64 {
    1
}

/// Read-only: nobody may write it by its mode (a file marked so on purpose, which root, who
/// may write anything, leaves alone too), or this user may not (`access(2)`).
fn read_only(path: &Path, meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o222 == 0 {
            return true;
        }
        let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: a valid NUL-terminated path; access(2) only reads it.
        unsafe { libc::access(c_path.as_ptr(), libc::W_OK) != 0 }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        meta.permissions().readonly()
    }
}

#[cfg(all(test, unix))]
fn current_uid() -> u32 {
    // SAFETY: getuid(2) cannot fail.
    unsafe { libc::getuid() }
}

#[cfg(unix)]
fn keep_owner(temp: &fs::File, original: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let now = temp.metadata()?;
    let uid = (now.uid() != original.uid()).then_some(original.uid());
    let gid = (now.gid() != original.gid()).then_some(original.gid());
    if uid.is_none() && gid.is_none() {
        return Ok(());
    }
    std::os::unix::fs::fchown(temp, uid, gid)
}
#[cfg(not(unix))]
fn keep_owner(_temp: &fs::File, _original: &fs::Metadata) -> io::Result<()> {
    Ok(())
}

fn private_permissions() -> fs::Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::Permissions::from_mode(PRIVATE_FILE_MODE)
    }
    #[cfg(not(unix))]
    {
        let mut permissions = fs::metadata(".").map(|m| m.permissions()).unwrap();
        permissions.set_readonly(false);
        permissions
    }
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
    use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_files_are_owner_only_and_kept_modes_stay() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret.json");
        replace(&secret, None, b"{}", Permissions::Private).unwrap();
        assert_eq!(mode(&secret), 0o600);

        let shared = dir.path().join("package.json");
        fs::write(&shared, b"old").unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o640)).unwrap();
        replace(&shared, Some(dir.path()), b"new", Permissions::Keep).unwrap();
        assert_eq!(fs::read(&shared).unwrap(), b"new");
        assert_eq!(mode(&shared), 0o640);

        let fresh = dir.path().join("gopay-miniapp.json");
        replace(&fresh, Some(dir.path()), b"{}", Permissions::Keep).unwrap();
        assert_ne!(mode(&fresh), 0o600, "a new shared file gets the usual mode");
    }

    #[test]
    fn the_group_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("package.json");
        fs::write(&file, b"old").unwrap();
        // Any group this process may give a file: as root every group, else our own.
        let before = fs::metadata(&file).unwrap();
        let other_gid = if current_uid() == 0 {
            before.gid() + 1
        } else {
            before.gid()
        };
        std::os::unix::fs::chown(&file, None, Some(other_gid)).unwrap();
        replace(&file, Some(dir.path()), b"new", Permissions::Keep).unwrap();
        assert_eq!(fs::metadata(&file).unwrap().gid(), other_gid);
    }

    #[test]
    fn a_symlink_inside_writes_its_target_one_outside_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        let real = project.path().join("real.json");
        fs::write(&real, b"old").unwrap();
        let link = project.path().join("package.json");
        symlink(&real, &link).unwrap();
        let written = replace(&link, Some(project.path()), b"new", Permissions::Keep).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
        assert_eq!(written, fs::canonicalize(&real).unwrap());

        let target = outside.path().join("victim");
        fs::write(&target, b"theirs").unwrap();
        let escaping = project.path().join("gopay-miniapp.json");
        symlink(&target, &escaping).unwrap();
        let err = replace(&escaping, Some(project.path()), b"x", Permissions::Keep).unwrap_err();
        assert!(matches!(err, FileError::SymlinkOutside { .. }), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"theirs");
    }

    #[test]
    fn hard_links_and_read_only_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("package.json");
        fs::write(&file, b"old").unwrap();
        fs::hard_link(&file, dir.path().join("other-name.json")).unwrap();
        let err = replace(&file, Some(dir.path()), b"new", Permissions::Keep).unwrap_err();
        assert!(
            matches!(err, FileError::HardLinked { links: 2, .. }),
            "{err}"
        );
        fs::remove_file(dir.path().join("other-name.json")).unwrap();

        fs::set_permissions(&file, fs::Permissions::from_mode(0o444)).unwrap();
        let err = replace(&file, Some(dir.path()), b"new", Permissions::Keep).unwrap_err();
        assert!(matches!(err, FileError::ReadOnly { .. }), "{err}");
        assert_eq!(fs::read(&file).unwrap(), b"old");
    }

    #[test]
    fn outputs_never_replace_own_files_or_other_kinds_unless_forced() {
        let project = tempfile::tempdir().unwrap();
        let pj = project.path().join("package.json");
        fs::write(&pj, b"{}").unwrap();
        let own = [pj.clone()];
        let err = check_output(&pj, project.path(), &own, ZIP, true).unwrap_err();
        assert!(matches!(err, FileError::ProjectFile { .. }), "{err}");

        let notes = project.path().join("notes.txt");
        fs::write(&notes, b"my notes").unwrap();
        let err = check_output(&notes, project.path(), &own, ZIP, false).unwrap_err();
        assert!(matches!(err, FileError::NotOurKind { .. }), "{err}");
        assert!(check_output(&notes, project.path(), &own, ZIP, true).is_ok());

        let zip = project.path().join("app.zip");
        fs::write(&zip, b"PK\x03\x04rest").unwrap();
        assert!(check_output(&zip, project.path(), &own, ZIP, false).is_ok());
        let png = project.path().join("qr.png");
        fs::write(&png, b"\x89PNG\r\n\x1a\nrest").unwrap();
        assert!(check_output(&png, project.path(), &own, PNG, false).is_ok());
        let svg = project.path().join("qr.svg");
        fs::write(&svg, b"\xEF\xBB\xBF\n<svg xmlns=''/>").unwrap();
        assert!(check_output(&svg, project.path(), &own, SVG, false).is_ok());
        assert!(check_output(&svg, project.path(), &own, PNG, false).is_err());
        let new = project.path().join("new.zip");
        assert!(check_output(&new, project.path(), &own, ZIP, false).is_ok());
    }

    #[test]
    fn private_folders_and_tightened_files() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("a/b");
        create_private_dir(&home).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&home), 0o700);
        let file = home.join("credentials.json");
        fs::write(&file, b"{}").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(tighten_private_file(&file).unwrap(), Some(0o644));
        assert_eq!(mode(&file), 0o600);
        assert_eq!(tighten_private_file(&file).unwrap(), None);
        let db = home.join("portal.sqlite3");
        ensure_private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
    }
}
