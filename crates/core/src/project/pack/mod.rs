//! Packing the build output: the ZIP that publish uploads.
//!
//! Two steps, so that front ends can show what will be uploaded before anything is written:
//!
//! 1. [`plan`] walks the output folder and decides what goes in. It fails early, with a message
//!    that names the files, on everything that must not be uploaded:
//!    - a missing or empty output folder (naming the folder and the build command);
//!    - a symlink that points outside the output folder (those inside are followed);
//!    - files that look like secrets (by name, [`SECRET_NAME_PATTERNS`]; by folder,
//!      [`SECRET_FOLDERS`]; by content in the first MiB, a PEM private key,
//!      [`SECRET_CONTENT_RULES`] or a `NAME_SECRET=value` line), unless
//!      [`PackOptions::allow_secrets`]; every offending file is listed.
//!
//!    What is left out: `.DS_Store`, `Thumbs.db`, `.miniappignore` itself, `*.map` unless
//!    [`PackOptions::include_source_maps`], and whatever `.miniappignore` says (gitignore syntax;
//!    read from the project root and from the output folder, patterns relative to the output
//!    folder; `!pattern` brings back a default). Hidden files are seen (so `.env` is caught) and
//!    `.gitignore` files are not applied: a build output folder often has a `.gitignore` of `*`,
//!    which must not empty the package. Non-regular files (sockets, FIFOs) are skipped;
//!    directories get no entries of their own, so empty folders are not packed.
//!
//! 2. [`write_archive`] writes the plan as a deterministic ZIP (entries sorted by path, dated
//!    1980-01-01 00:00, mode 0644, `/` separators, the output folder's content at the archive
//!    root, ZIP64 only when needed), streaming its SHA-256, and then checks the size budget: the
//!    budget is about what is uploaded, so it is checked against the archive's size, and an
//!    archive over it is deleted and the error lists the 10 largest files. Already-compressed
//!    types ([`STORED_EXTENSIONS`]) are stored, everything else deflated (level
//!    [`DEFAULT_DEFLATE_LEVEL`]), and a file that deflate would make larger is stored too.
//!
//! Speed: files are cut into chunks of up to 1 MiB that are compressed on all cores (raw deflate
//! with zlib-rs; chunks after the first are primed with the previous 32 KiB as a dictionary and
//! end on a sync flush, so the concatenation is one deflate stream, as in pigz). A single writer
//! puts finished entries into the archive in order; it holds at most [`IN_FLIGHT_BYTES`] of
//! chunks that are ahead of it, and an entry larger than [`SPOOL_IN_MEMORY_MAX`] is gathered in a
//! temporary file beside the archive, so memory stays bounded whatever the package holds. The
//! archive is written to a temporary file and renamed into place when complete: a failed or
//! cancelled pack never leaves half an archive under the final name.

mod rules;
mod writer;
mod zip_format;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use gopay_miniapp_guard::entries::{Entries, EntryError, EntryKind, Limits, ZipFileError};
use ignore::WalkBuilder;

pub use rules::{
    find_private_key, find_secret, secret_name_pattern, secret_path_reason, SecretFinding,
    SecretReason, TokenAlphabet, MINIAPPIGNORE, SECRET_ASSIGNMENT_WORDS, SECRET_CONTENT_RULES,
    SECRET_FOLDERS, SECRET_NAME_PATTERNS, SECRET_SCAN_BYTES,
};
pub use writer::{write_archive, write_archive_with, WriterTuning, DEFAULT_DEFLATE_LEVEL};

/// File types that are compressed already: deflating them again costs time and saves nothing.
pub const STORED_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "avif", "woff", "woff2", "mp3", "mp4", "zip", "gz", "br",
];
/// How many files a budget error lists.
pub const LARGEST_FILES_LISTED: usize = 10;
/// At most this many bytes of compressed chunks wait for the writer (see the module doc).
pub const IN_FLIGHT_BYTES: u64 = 16 * 1024 * 1024;
/// Entries up to this size are gathered in memory before they are written; larger ones in a
/// temporary file.
pub const SPOOL_IN_MEMORY_MAX: u64 = 8 * 1024 * 1024;

/// What to pack and how.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// The build output folder; its content becomes the archive root.
    pub output_dir: PathBuf,
    /// The project folder, where a second `.miniappignore` may live. `None`: only the output
    /// folder's `.miniappignore` is read.
    pub project_root: Option<PathBuf>,
    /// The build command, only used to word "run the build first" messages.
    pub build_command: Option<String>,
    /// Pack `*.map` files too.
    pub include_source_maps: bool,
    /// Pack files that look like secrets instead of refusing.
    pub allow_secrets: bool,
    /// The largest archive (bytes) that may be uploaded.
    pub size_budget: Option<u64>,
}

impl PackOptions {
    /// Options with the defaults: no source maps, secrets refused, no budget.
    pub fn new(output_dir: impl Into<PathBuf>) -> Self {
        Self {
            output_dir: output_dir.into(),
            project_root: None,
            build_command: None,
            include_source_maps: false,
            allow_secrets: false,
            size_budget: None,
        }
    }
}

/// How an entry is put into the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryCompression {
    Stored,
    Deflated,
}

/// One file to pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEntry {
    /// Path inside the archive: relative to the output folder, `/`-separated.
    pub archive_path: String,
    /// Where to read it (inside the output folder; through a symlink that stays inside).
    pub source: PathBuf,
    pub size: u64,
    pub compression: EntryCompression,
}

/// What [`plan`] decided: the files that go in, sorted by archive path.
#[derive(Debug, Clone)]
pub struct PackPlan {
    output_dir: PathBuf,
    entries: Vec<PlannedEntry>,
    total_size: u64,
    ignored: usize,
    ignore_files: Vec<PathBuf>,
    allowed_secrets: Vec<SecretFinding>,
    size_budget: Option<u64>,
}

impl PackPlan {
    pub fn output_dir(&self) -> &Path {
        &self.output_dir
    }

    /// The files that go in, sorted by archive path.
    pub fn entries(&self) -> &[PlannedEntry] {
        &self.entries
    }

    /// Total uncompressed size.
    pub fn total_size(&self) -> u64 {
        self.total_size
    }

    /// How many files and folders the ignore rules left out.
    pub fn ignored_count(&self) -> usize {
        self.ignored
    }

    /// The `.miniappignore` files that were applied.
    pub fn ignore_files(&self) -> &[PathBuf] {
        &self.ignore_files
    }

    /// Files that look like secrets but go in because [`PackOptions::allow_secrets`] was set
    /// (front ends should still warn about them).
    pub fn allowed_secrets(&self) -> &[SecretFinding] {
        &self.allowed_secrets
    }

    pub fn size_budget(&self) -> Option<u64> {
        self.size_budget
    }

    /// The `n` largest files, largest first (ties by path, so the list is stable).
    pub fn largest(&self, n: usize) -> Vec<&PlannedEntry> {
        let mut by_size: Vec<&PlannedEntry> = self.entries.iter().collect();
        by_size.sort_by(|a, b| {
            b.size
                .cmp(&a.size)
                .then(a.archive_path.cmp(&b.archive_path))
        });
        by_size.truncate(n);
        by_size
    }
}

/// One file as it went into the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedEntry {
    pub path: String,
    pub size: u64,
    pub compressed_size: u64,
    pub stored: bool,
    pub crc32: u32,
}

/// The finished archive.
#[derive(Debug, Clone)]
pub struct PackedArchive {
    pub path: PathBuf,
    /// Archive size in bytes.
    pub size: u64,
    /// SHA-256 of the archive, lowercase hex.
    pub sha256: String,
    pub entries: Vec<PackedEntry>,
}

impl PackedArchive {
    /// Total uncompressed size of the entries.
    pub fn uncompressed_size(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }
}

/// A file named in a budget error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSize {
    pub path: String,
    pub size: u64,
    pub compressed_size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("the build output folder {} does not exist. {}", dir.display(), run_build_hint(build_command))]
    OutputDirMissing {
        dir: PathBuf,
        build_command: Option<String>,
    },

    #[error("the build output folder {} is not a folder. Point the output folder setting at the folder your build writes.", dir.display())]
    OutputDirNotAFolder { dir: PathBuf },

    #[error("the build output folder {} is {}, outside the project {}: only a folder inside the project is packed. Point the output folder setting at the folder your build writes inside the project.", dir.display(), real.display(), project.display())]
    OutputDirOutsideProject {
        dir: PathBuf,
        /// Where it really is (symlinks resolved).
        real: PathBuf,
        project: PathBuf,
    },

    #[error("the build output folder {} is the project folder itself, which would pack the sources, .git and everything else in it. Point the output folder setting at the folder your build writes (e.g. dist).", dir.display())]
    OutputDirIsProject { dir: PathBuf },

    #[error("the build output folder {} is empty{}. {}", dir.display(), ignored_note(*ignored), run_build_hint(build_command))]
    OutputDirEmpty {
        dir: PathBuf,
        build_command: Option<String>,
        ignored: usize,
    },

    #[error("{} is a symlink to {}, which is outside the build output folder {}. Copy the file into the output folder instead, or leave the link out with .miniappignore.", link.display(), target.display(), dir.display())]
    SymlinkEscapes {
        link: PathBuf,
        target: PathBuf,
        dir: PathBuf,
    },

    #[error("{} is a broken symlink (its target does not exist). Remove it or leave it out with .miniappignore.", link.display())]
    BrokenSymlink { link: PathBuf },

    #[error("{} is a symlink that loops back to {}. Remove it or leave it out with .miniappignore.", link.display(), ancestor.display())]
    SymlinkLoop { link: PathBuf, ancestor: PathBuf },

    #[error("{} has a name that is not valid UTF-8, which a ZIP archive cannot carry portably. Rename it.", path.display())]
    NonUtf8Path { path: PathBuf },

    #[error("{} has a pattern that cannot be used: {message}. Fix that line (the file uses .gitignore syntax).", file.display())]
    IgnoreFile { file: PathBuf, message: String },

    #[error("{}", describe_secrets(dir, findings))]
    SecretsFound {
        dir: PathBuf,
        findings: Vec<SecretFinding>,
    },

    #[error("{}", describe_budget(*archive_size, *budget, largest))]
    OverBudget {
        archive_size: u64,
        budget: u64,
        /// The largest files by compressed size, largest first.
        largest: Vec<FileSize>,
    },

    #[error("the archive {} would be inside the build output folder {}, which would pack it into itself next time. Write it somewhere else.", archive.display(), dir.display())]
    ArchiveInsideOutputDir { archive: PathBuf, dir: PathBuf },

    #[error("could not read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("{} changed while it was being packed (expected {expected} bytes). Wait for the build to finish, then pack again.", path.display())]
    FileChanged { path: PathBuf, expected: u64 },

    #[error("could not write the archive {}: {source}. Check the free disk space and that the folder is writable.", path.display())]
    Write { path: PathBuf, source: io::Error },

    #[error("packing stopped because a compression worker failed: {message}")]
    Worker { message: String },

    /// A file the portals would refuse (its name, its size, the package's unpacked size or
    /// ratio: `guard::entries`), found before anything is read or uploaded.
    // The path is cleaned: its file name comes from the build and may carry control
    // characters.
    #[error("{} cannot go into the package: {source}", gopay_miniapp_guard::text::clean(&path.display().to_string()))]
    Entry { path: PathBuf, source: EntryError },

    /// A ZIP made elsewhere that the portals would refuse, or that is no file at all.
    #[error(transparent)]
    Package(#[from] ZipFileError),
}

impl PackError {
    /// Refused for its size (the way out is a smaller package), not for a name or a kind.
    pub fn is_size(&self) -> bool {
        match self {
            PackError::OverBudget { .. } => true,
            PackError::Entry { source, .. }
            | PackError::Package(ZipFileError::Entry { source, .. }) => source.is_size(),
            _ => false,
        }
    }
}

/// The entry limits of a package within `size_budget` (the portal's own limit by default):
/// the limits the portals apply to it.
pub fn entry_limits(size_budget: Option<u64>) -> Limits {
    Limits::for_package_size(size_budget.unwrap_or(0))
}

fn run_build_hint(build_command: &Option<String>) -> String {
    match build_command {
        Some(command) => format!(
            "Run the build first (`{command}`), or check that the output folder setting matches where the build writes."
        ),
        None => "Run the build first, or check that the output folder setting matches where the build writes.".to_string(),
    }
}

fn ignored_note(ignored: usize) -> String {
    if ignored == 0 {
        String::new()
    } else {
        format!(" (after leaving out {ignored} files or folders by the ignore rules; check .miniappignore)")
    }
}

fn describe_secrets(dir: &Path, findings: &[SecretFinding]) -> String {
    let mut text = format!(
        "refusing to pack {}: {} {} like {}:\n",
        dir.display(),
        findings.len(),
        if findings.len() == 1 {
            "file looks"
        } else {
            "files look"
        },
        if findings.len() == 1 {
            "a secret"
        } else {
            "secrets"
        },
    );
    for finding in findings {
        text.push_str(&format!("  - {} ({})\n", finding.path, finding.reason));
    }
    // How to allow them is the typed hint's (`LeaveOutSecrets`), worded by each front end.
    text.push_str(&format!(
        "To leave them out, add one line per file to {MINIAPPIGNORE} (in the project root or in the output folder), e.g. `/{}`.",
        findings[0].path
    ));
    text
}

fn describe_budget(archive_size: u64, budget: u64, largest: &[FileSize]) -> String {
    let mut text = format!(
        "the package is {}, over the size budget of {} by {}. The largest files:\n",
        exact_size(archive_size),
        exact_size(budget),
        human_size(archive_size - budget),
    );
    for file in largest {
        text.push_str(&format!(
            "  - {}  {} ({} compressed)\n",
            file.path,
            human_size(file.size),
            human_size(file.compressed_size)
        ));
    }
    text.push_str(&format!(
        "Leave files out with {MINIAPPIGNORE}, make them smaller, or raise the size budget."
    ));
    text
}

/// `1536` → `1.5 KiB (1536 bytes)`: budgets are set in bytes, so the exact figure is shown too.
fn exact_size(bytes: u64) -> String {
    if bytes < 1024 {
        human_size(bytes)
    } else {
        format!("{} ({bytes} bytes)", human_size(bytes))
    }
}

/// `1536` → `1.5 KiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: &[&str] = &["bytes", "KiB", "MiB", "GiB", "TiB"];
    if bytes == 1 {
        return "1 byte".to_string();
    }
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn compression_for(archive_path: &str) -> EntryCompression {
    let extension = archive_path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if !extension.contains('/') && STORED_EXTENSIONS.contains(&extension.as_str()) {
        EntryCompression::Stored
    } else {
        EntryCompression::Deflated
    }
}

/// Decides what goes into the package (see the module doc). Reads the first MiB of every file
/// for the private-key scan; everything else is metadata.
pub fn plan(options: &PackOptions) -> Result<PackPlan, PackError> {
    let dir = &options.output_dir;
    let metadata = match fs::metadata(dir) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(PackError::OutputDirMissing {
                dir: dir.clone(),
                build_command: options.build_command.clone(),
            })
        }
        Err(source) => {
            return Err(PackError::Read {
                path: dir.clone(),
                source,
            })
        }
    };
    if !metadata.is_dir() {
        return Err(PackError::OutputDirNotAFolder { dir: dir.clone() });
    }
    let canonical_dir = fs::canonicalize(dir).map_err(|source| PackError::Read {
        path: dir.clone(),
        source,
    })?;
    if let Some(project) = &options.project_root {
        confine_output_dir(dir, &canonical_dir, project)?;
    }
    // Rooted at the absolute folder: with a relative root ("dist"), the matcher would also strip
    // that prefix from a relative path such as "dist/x" inside the output folder.
    let (matcher, ignore_files) = rules::ignore_matcher(
        &canonical_dir,
        options.project_root.as_deref(),
        options.include_source_maps,
    )?;

    // The walker's filter decides ignore rules and symlink escapes; it cannot return errors, so
    // it records them and prunes the entry.
    let ignored = Arc::new(AtomicUsize::new(0));
    let ignored_count = Arc::clone(&ignored);
    let walk_matcher = matcher.clone();
    let escapes: Arc<Mutex<Vec<PackError>>> = Arc::default();
    let mut walk = WalkBuilder::new(dir);
    walk.standard_filters(false).follow_links(true);
    {
        let ignored = Arc::clone(&ignored);
        let escapes = Arc::clone(&escapes);
        let dir = dir.clone();
        let canonical_dir = canonical_dir.clone();
        walk.filter_entry(move |entry| {
            if entry.depth() == 0 {
                return true;
            }
            let Ok(relative) = entry.path().strip_prefix(&dir) else {
                return true;
            };
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if matcher.matched(relative, is_dir).is_ignore() {
                ignored.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            if entry.path_is_symlink() {
                match fs::canonicalize(entry.path()) {
                    Ok(target) if !target.starts_with(&canonical_dir) => {
                        escapes.lock().unwrap().push(PackError::SymlinkEscapes {
                            link: entry.path().to_path_buf(),
                            target,
                            dir: dir.clone(),
                        });
                        return false;
                    }
                    Ok(_) => {}
                    // Broken links come back from the walker as errors; report them there.
                    Err(_) => {}
                }
            }
            true
        });
    }

    let mut entries = Vec::new();
    for result in walk.build() {
        let entry = match result {
            Ok(entry) => entry,
            Err(err) => {
                // The walker reports a broken symlink before the filter sees it: an ignored one
                // is no error.
                let ignored_path = error_path(&err)
                    .and_then(|path| path.strip_prefix(dir).ok().map(Path::to_path_buf))
                    .is_some_and(|relative| walk_matcher.matched(relative, false).is_ignore());
                if ignored_path {
                    ignored_count.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                return Err(walk_error(err));
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(dir)
            .expect("the walker yields paths under its root");
        let mut archive_path = String::new();
        for component in relative.components() {
            let Some(part) = component.as_os_str().to_str() else {
                return Err(PackError::NonUtf8Path {
                    path: entry.path().to_path_buf(),
                });
            };
            if !archive_path.is_empty() {
                archive_path.push('/');
            }
            archive_path.push_str(part);
        }
        let size = entry
            .metadata()
            .map_err(|err| PackError::Read {
                path: entry.path().to_path_buf(),
                source: err
                    .into_io_error()
                    .unwrap_or_else(|| io::Error::other("could not read metadata")),
            })?
            .len();
        entries.push(PlannedEntry {
            compression: compression_for(&archive_path),
            archive_path,
            source: entry.into_path(),
            size,
        });
    }
    let mut escapes = std::mem::take(&mut *escapes.lock().unwrap());
    if !escapes.is_empty() {
        // Report the first by path so the message does not depend on the walk order.
        escapes.sort_by_key(|e| match e {
            PackError::SymlinkEscapes { link, .. } => link.clone(),
            _ => PathBuf::new(),
        });
        return Err(escapes.swap_remove(0));
    }
    let ignored = ignored.load(Ordering::Relaxed);
    if entries.is_empty() {
        return Err(PackError::OutputDirEmpty {
            dir: dir.clone(),
            build_command: options.build_command.clone(),
            ignored,
        });
    }
    entries.sort_by(|a, b| a.archive_path.cmp(&b.archive_path));
    check_entries(&entries, options.size_budget)?;

    let findings = find_secrets(&entries)?;
    let allowed_secrets = if findings.is_empty() || options.allow_secrets {
        findings
    } else {
        return Err(PackError::SecretsFound {
            dir: dir.clone(),
            findings,
        });
    };

    Ok(PackPlan {
        output_dir: dir.clone(),
        total_size: entries.iter().map(|e| e.size).sum(),
        entries,
        ignored,
        ignore_files,
        allowed_secrets,
        size_budget: options.size_budget,
    })
}

/// The output folder must be inside the project and not the project itself (symlinks
/// resolved: a `dist` linked out of the project is outside): an `outputDir` of `/`, `..`, `.`
/// or `~/.config/gopay-miniapp` would pack what was never meant to ship.
fn confine_output_dir(dir: &Path, canonical_dir: &Path, project: &Path) -> Result<(), PackError> {
    let canonical_project = fs::canonicalize(project).map_err(|source| PackError::Read {
        path: project.to_path_buf(),
        source,
    })?;
    if canonical_dir == canonical_project {
        return Err(PackError::OutputDirIsProject {
            dir: dir.to_path_buf(),
        });
    }
    if !canonical_dir.starts_with(&canonical_project) {
        return Err(PackError::OutputDirOutsideProject {
            dir: dir.to_path_buf(),
            real: canonical_dir.to_path_buf(),
            project: project.to_path_buf(),
        });
    }
    Ok(())
}

/// The package entry rules (`guard::entries`, the portals' own) over the planned files, by
/// name and size alone: a file the portals would refuse, or a sparse 2 GiB file, is named
/// before a byte of any file is read.
fn check_entries(entries: &[PlannedEntry], size_budget: Option<u64>) -> Result<(), PackError> {
    let mut checked = Entries::new(entry_limits(size_budget));
    for entry in entries {
        checked
            .add(entry.archive_path.as_bytes(), EntryKind::File, entry.size)
            .map_err(|source| PackError::Entry {
                path: entry.source.clone(),
                source,
            })?;
    }
    Ok(())
}

/// The secret scan over all planned files, by name and by content, in path order. The content
/// reads run on all cores: on a large output folder they are most of `plan`'s time.
fn find_secrets(entries: &[PlannedEntry]) -> Result<Vec<SecretFinding>, PackError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(entries.len().max(1));
    let next = AtomicUsize::new(0);
    type Scanned = (usize, Result<Option<SecretReason>, PackError>);
    let results: Mutex<Vec<Scanned>> = Mutex::default();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(entry) = entries.get(index) else {
                    break;
                };
                let result = match rules::secret_path_reason(&entry.archive_path) {
                    Some(reason) => Ok(Some(reason)),
                    None => rules::scan_file_for_secrets(&entry.source).map_err(|source| {
                        PackError::Read {
                            path: entry.source.clone(),
                            source,
                        }
                    }),
                };
                if !matches!(result, Ok(None)) {
                    results.lock().unwrap().push((index, result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(index, _)| *index);
    let mut findings = Vec::new();
    for (index, result) in results {
        if let Some(reason) = result? {
            findings.push(SecretFinding {
                path: entries[index].archive_path.clone(),
                reason,
            });
        }
    }
    Ok(findings)
}

/// The path a walker error is about, if it names one.
fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// Turns a walker error into one that names the path and the way out.
fn walk_error(err: ignore::Error) -> PackError {
    let mut path: Option<PathBuf> = None;
    let mut current = &err;
    loop {
        match current {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert_with(|| p.clone());
                current = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                current = err
            }
            ignore::Error::Loop { ancestor, child } => {
                return PackError::SymlinkLoop {
                    link: child.clone(),
                    ancestor: ancestor.clone(),
                }
            }
            ignore::Error::Io(io_err) => {
                let path = path.unwrap_or_default();
                let is_link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
                if io_err.kind() == io::ErrorKind::NotFound && is_link {
                    return PackError::BrokenSymlink { link: path };
                }
                return PackError::Read {
                    path,
                    source: io::Error::new(io_err.kind(), io_err.to_string()),
                };
            }
            other => {
                return PackError::Read {
                    path: path.unwrap_or_default(),
                    source: io::Error::other(other.to_string()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_types_are_recognised_case_insensitively() {
        assert_eq!(compression_for("a/b.PNG"), EntryCompression::Stored);
        assert_eq!(compression_for("fonts/x.woff2"), EntryCompression::Stored);
        assert_eq!(compression_for("app.js"), EntryCompression::Deflated);
        assert_eq!(compression_for("png"), EntryCompression::Deflated);
        assert_eq!(compression_for("dir.png/file"), EntryCompression::Deflated);
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(12), "12 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
    }
}
