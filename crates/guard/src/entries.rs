//! Which package entries are accepted: one validator for `pack` (before it reads a byte of the
//! files), for the CLI's `upload` (before it sends a byte) and for both local portals (before
//! they store a package). What one side refuses, the others refuse the same way, with the same
//! typed error ([`EntryError`]); docs/security.md, "Packages and reads" has the rules and limits.
//!
//! A name is refused when it could land outside the folder a package is unpacked into, or be
//! read differently by another unzip tool or file system: `..`, a leading `/`, a drive letter
//! or any `:` (Windows drives and alternate data streams), a backslash (a folder separator on
//! Windows, a plain character elsewhere), NUL and other control characters (C0, DEL, C1) and
//! bidi controls (which make a name display as another), `.` or empty parts (a second spelling
//! of the same path), names that are not UTF-8, and names longer than
//! [`MAX_NAME_BYTES`]. Entries that are symbolic links (Unix mode `S_IFLNK` in the external
//! attributes) or other special files are refused: a link entry is how an unpacker is made to
//! write outside its folder.
//!
//! Two entries whose names differ only by case are refused too: the package is unpacked on
//! devices whose file systems ignore case (macOS and Windows by default, Android's shared
//! storage), where one would overwrite the other depending on the unzip order, so the same
//! package would behave differently on different devices. A build that relies on such names
//! is broken on those devices already; the error names both.
//!
//! Sizes: at most [`MAX_ENTRIES`] entries, [`MAX_EXPANDED`] bytes unpacked, and unpacked at
//! most [`MAX_RATIO`] times the archive's size once more than [`RATIO_FREE_BYTES`] are
//! unpacked. Declared sizes are checked first (so a sparse 2 GiB file is refused before it is
//! read, and a bomb before it is inflated), and [`check_zip`] then inflates every entry
//! counting the real bytes, because a ZIP bomb lies in its headers.

use crate::text::Shown;
use std::collections::HashMap;
use std::io::{self, Read, Seek};
use std::path::Path;

/// At most this many entries (files and folders). The benchmark tree of docs/benchmarks.md
/// (a large real build) has 1,503 files; the packer's ZIP64 test packs 66,000, which stays
/// packable. The memory of reading the names is bounded by the archive's size anyway; this
/// bounds the files an unpacker creates and the time it spends per entry.
pub const MAX_ENTRIES: usize = 100_000;
/// At most this many bytes unpacked (the sum of the entries' sizes). Four times what the
/// largest package a portal accepts by default (50 MiB) holds uncompressed at the typical
/// 2–5× of web code, and above the 200 MiB stored package of the upload benchmark.
pub const MAX_EXPANDED: u64 = 256 * 1024 * 1024;
/// At most this many unpacked bytes per archive byte. Measured: the benchmark build packs at
/// 1.6 (43.0 MB into 26.9 MB), examples/hello-miniapp below 1 (tiny files), and the most
/// compressible real assets (minified JSON, SVG, source maps) at 10–20. Deflate's own maximum
/// is about 1,032; a bomb sits there.
pub const MAX_RATIO: u64 = 100;
/// The ratio is not checked while the unpacked total stays under this: a small package of
/// repetitive text may pack at any ratio and costs nothing to unpack.
pub const RATIO_FREE_BYTES: u64 = 16 * 1024 * 1024;
/// The longest entry name, in bytes (Linux allows 4,096 for a path; this is plenty).
pub const MAX_NAME_BYTES: usize = 1024;

/// The limits one check applies (the constants above by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_expanded: u64,
    pub max_ratio: u64,
    pub ratio_free_bytes: u64,
    pub max_name_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: MAX_ENTRIES,
            max_expanded: MAX_EXPANDED,
            max_ratio: MAX_RATIO,
            ratio_free_bytes: RATIO_FREE_BYTES,
            max_name_bytes: MAX_NAME_BYTES,
        }
    }
}

impl Limits {
    /// The default limits for a portal that accepts packages of up to `max_package_size`
    /// bytes: a portal set to take larger packages than [`MAX_EXPANDED`] must be able to
    /// unpack a stored one.
    pub fn for_package_size(max_package_size: u64) -> Self {
        Limits {
            max_expanded: MAX_EXPANDED.max(max_package_size),
            ..Limits::default()
        }
    }
}

/// Why an entry (or the package) is refused. The names in messages are escaped: they come
/// from outside.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("the package has an entry with an empty name")]
    EmptyName,
    #[error(
        "the package has an entry `{}` whose name is not UTF-8; rename it",
        Shown(name)
    )]
    NotUtf8 { name: String },
    #[error("the package has an entry `{}` whose name is {len} bytes long, over the limit of {limit}; shorten it", Shown(name))]
    NameTooLong {
        name: String,
        len: usize,
        limit: usize,
    },
    #[error("the package has an entry `{}` with a control character ({}) in its name; rename it", Shown(name), describe_char(*character))]
    ControlCharacter { name: String, character: char },
    #[error("the package has an entry `{}` with a backslash in its name, a folder separator on Windows and a plain character elsewhere; rename it (folders are separated by `/`)", Shown(name))]
    Backslash { name: String },
    #[error(
        "the package has an entry `{}` that points outside the package (an absolute path or `..`)",
        Shown(name)
    )]
    Escapes { name: String },
    #[error("the package has an entry `{}` that starts with a drive letter, which points outside the package on Windows", Shown(name))]
    DriveLetter { name: String },
    #[error("the package has an entry `{}` with `:` in its name, which Windows reads as a drive or a hidden data stream; rename it", Shown(name))]
    Colon { name: String },
    #[error("the package has an entry `{}` with a `.` or empty part in its path, a second spelling of another path; write it plainly", Shown(name))]
    NotNormal { name: String },
    #[error("the package has an entry `{}` that is a symbolic link, which could point an unpacker outside the package; put the file itself in", Shown(name))]
    Link { name: String },
    #[error(
        "the package has an entry `{}` that is not a file or a folder (Unix mode {mode:o})",
        Shown(name)
    )]
    SpecialFile { name: String, mode: u32 },
    #[error("the package has two entries `{}` and `{}` whose names differ only by case: on devices that ignore case one overwrites the other; rename one", Shown(first), Shown(name))]
    Duplicate { name: String, first: String },
    #[error("the package has more than {limit} entries; leave out what the MiniApp does not need")]
    TooManyEntries { limit: usize },
    #[error("`{}` brings the package's unpacked size to {} ({total} bytes), over the limit of {} ({limit} bytes)", Shown(name), human_size(*total), human_size(*limit))]
    ExpandedTooLarge {
        name: String,
        total: u64,
        limit: u64,
    },
    #[error("the package unpacks to {expanded} bytes from {archive} bytes, more than {limit} times its size (a ZIP bomb, or files of repeated bytes); leave such files out")]
    RatioTooHigh {
        expanded: u64,
        archive: u64,
        limit: u64,
    },
    #[error("the entry `{}` unpacks to more bytes than its header says ({declared}): the package is damaged or lies about its sizes", Shown(name))]
    SizeMismatch { name: String, declared: u64 },
    #[error("the package's central directory lists {listed} entries but only {distinct} distinct names: two entries share a name, and unpackers disagree on which one wins; rename one")]
    SameName { listed: u64, distinct: usize },
    #[error("the package is not a readable ZIP archive ({why})")]
    NotZip { why: String },
    #[error("the package's entry `{}` cannot be read ({why})", Shown(name))]
    Unreadable { name: String, why: String },
}

impl EntryError {
    /// Whether the package is refused for its size (the way out is a smaller package), not
    /// for a name or a kind of entry.
    pub fn is_size(&self) -> bool {
        matches!(
            self,
            EntryError::TooManyEntries { .. }
                | EntryError::ExpandedTooLarge { .. }
                | EntryError::RatioTooHigh { .. }
        )
    }
}

fn describe_char(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// `1536` → `1.5 KiB`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Checks one entry name (the raw bytes of the ZIP's name field, or a path made of `/`-joined
/// file names). A trailing `/` marks a folder entry and is allowed.
pub fn check_name(raw: &[u8], limits: &Limits) -> Result<(), EntryError> {
    let Ok(name) = std::str::from_utf8(raw) else {
        return Err(EntryError::NotUtf8 {
            name: String::from_utf8_lossy(raw).into_owned(),
        });
    };
    let owned = || name.to_string();
    if name.is_empty() {
        return Err(EntryError::EmptyName);
    }
    if name.len() > limits.max_name_bytes {
        return Err(EntryError::NameTooLong {
            name: name.chars().take(80).collect::<String>() + "…",
            len: name.len(),
            limit: limits.max_name_bytes,
        });
    }
    if let Some(character) = name
        .chars()
        .find(|&c| c.is_control() || crate::text::is_bidi_control(c))
    {
        return Err(EntryError::ControlCharacter {
            name: owned(),
            character,
        });
    }
    if name.contains('\\') {
        return Err(EntryError::Backslash { name: owned() });
    }
    if name.starts_with('/') {
        return Err(EntryError::Escapes { name: owned() });
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(EntryError::DriveLetter { name: owned() });
    }
    if name.contains(':') {
        return Err(EntryError::Colon { name: owned() });
    }
    let path = name.strip_suffix('/').unwrap_or(name);
    let mut not_normal = path.is_empty();
    for part in path.split('/') {
        if part == ".." {
            return Err(EntryError::Escapes { name: owned() });
        }
        not_normal |= part.is_empty() || part == ".";
    }
    if not_normal {
        return Err(EntryError::NotNormal { name: owned() });
    }
    Ok(())
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Folder,
    /// A symbolic link (mode `S_IFLNK`).
    Link,
    /// A FIFO, device or socket: the Unix mode.
    Special(u32),
}

impl EntryKind {
    const S_IFMT: u32 = 0o170000;
    const S_IFREG: u32 = 0o100000;
    const S_IFDIR: u32 = 0o040000;
    const S_IFLNK: u32 = 0o120000;

    /// The kind from a ZIP entry's Unix mode (`None`: made on a system without one) and
    /// whether its name ends in `/`.
    pub fn from_mode(mode: Option<u32>, name_ends_with_slash: bool) -> Self {
        match mode.map(|m| m & Self::S_IFMT) {
            Some(Self::S_IFLNK) => EntryKind::Link,
            Some(Self::S_IFDIR) => EntryKind::Folder,
            Some(0) | Some(Self::S_IFREG) | None if name_ends_with_slash => EntryKind::Folder,
            Some(0) | Some(Self::S_IFREG) | None => EntryKind::File,
            Some(_) => EntryKind::Special(mode.unwrap_or_default()),
        }
    }
}

/// The running check over a package's entries: names, kinds, duplicates, the count and the
/// unpacked total. Feed it every entry with [`Entries::add`], then [`Entries::finish`] with
/// the archive's size.
#[derive(Debug)]
pub struct Entries {
    limits: Limits,
    /// Case-folded name (without a trailing `/`) → the name as first seen.
    seen: HashMap<String, String>,
    expanded: u64,
}

impl Entries {
    pub fn new(limits: Limits) -> Self {
        Entries {
            limits,
            seen: HashMap::new(),
            expanded: 0,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The unpacked total so far.
    pub fn expanded(&self) -> u64 {
        self.expanded
    }

    /// How many entries so far.
    pub fn count(&self) -> usize {
        self.seen.len()
    }

    /// Checks one entry, `size` its unpacked size (as declared, or as measured).
    pub fn add(&mut self, raw_name: &[u8], kind: EntryKind, size: u64) -> Result<(), EntryError> {
        check_name(raw_name, &self.limits)?;
        let name = std::str::from_utf8(raw_name).expect("checked by check_name");
        match kind {
            EntryKind::File | EntryKind::Folder => {}
            EntryKind::Link => {
                return Err(EntryError::Link {
                    name: name.to_string(),
                })
            }
            EntryKind::Special(mode) => {
                return Err(EntryError::SpecialFile {
                    name: name.to_string(),
                    mode,
                })
            }
        }
        if self.seen.len() >= self.limits.max_entries {
            return Err(EntryError::TooManyEntries {
                limit: self.limits.max_entries,
            });
        }
        let key = name.strip_suffix('/').unwrap_or(name).to_lowercase();
        if let Some(first) = self.seen.get(&key) {
            return Err(EntryError::Duplicate {
                name: name.to_string(),
                first: first.clone(),
            });
        }
        self.seen.insert(key, name.to_string());
        self.grow(name, size)
    }

    /// Adds `bytes` to the unpacked total (the real bytes of `name` as they are inflated).
    pub fn grow(&mut self, name: &str, bytes: u64) -> Result<(), EntryError> {
        self.expanded = self.expanded.saturating_add(bytes);
        if self.expanded > self.limits.max_expanded {
            return Err(EntryError::ExpandedTooLarge {
                name: name.to_string(),
                total: self.expanded,
                limit: self.limits.max_expanded,
            });
        }
        Ok(())
    }

    /// The ratio check, once the archive's size is known.
    pub fn finish(&self, archive_size: u64) -> Result<(), EntryError> {
        check_ratio(self.expanded, archive_size, &self.limits)
    }
}

/// Refuses `expanded` bytes unpacked from an `archive` of that many bytes when over the ratio
/// (and over [`Limits::ratio_free_bytes`]).
pub fn check_ratio(expanded: u64, archive: u64, limits: &Limits) -> Result<(), EntryError> {
    if expanded > limits.ratio_free_bytes && expanded > archive.saturating_mul(limits.max_ratio) {
        return Err(EntryError::RatioTooHigh {
            expanded,
            archive,
            limit: limits.max_ratio,
        });
    }
    Ok(())
}

/// What [`check_zip`] found in an accepted package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedZip {
    /// The entry names, in the central directory's order.
    pub names: Vec<String>,
    /// Bytes unpacked, counted.
    pub expanded: u64,
}

/// The first bytes of every ZIP that starts with an entry (`PK\3\4`) or is empty (`PK\5\6`).
pub fn has_zip_magic(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// Checks a whole ZIP: its magic bytes, then every entry of the central directory with the
/// declared sizes (nothing inflated yet: a bomb is refused by its headers when they tell the
/// truth), then every file entry inflated, counting the real bytes against the declared size
/// and the limits, stopping at the first byte over (a bomb that lies in its headers is refused
/// after at most the limit's worth of inflating), CRC-32 checked; last the ratio against
/// `archive_size` (the real size of the file, not a header's word).
pub fn check_zip<R: Read + Seek>(
    mut reader: R,
    archive_size: u64,
    limits: &Limits,
) -> Result<CheckedZip, EntryError> {
    let mut head = [0u8; 4];
    let got = read_up_to(&mut reader, &mut head)
        .map_err(|e| EntryError::NotZip { why: e.to_string() })?;
    if !has_zip_magic(&head[..got]) {
        return Err(EntryError::NotZip {
            why: "it does not start with a ZIP header".into(),
        });
    }
    reader
        .rewind()
        .map_err(|e| EntryError::NotZip { why: e.to_string() })?;
    let listed = listed_entries(&mut reader, archive_size)
        .map_err(|e| EntryError::NotZip { why: e.to_string() })?;
    reader
        .rewind()
        .map_err(|e| EntryError::NotZip { why: e.to_string() })?;
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| EntryError::NotZip { why: e.to_string() })?;
    if archive.len() > limits.max_entries {
        return Err(EntryError::TooManyEntries {
            limit: limits.max_entries,
        });
    }
    // The zip crate indexes entries by name: of two entries with one name it keeps one, so
    // the duplicate check below would never see the other (found by fuzz/package_entries).
    // What the end record lists must be what the crate read.
    if listed != Some(archive.len() as u64) {
        return Err(EntryError::SameName {
            listed: listed.unwrap_or_default(),
            distinct: archive.len(),
        });
    }

    // 1. Headers only.
    let mut declared = Entries::new(*limits);
    let mut files: Vec<(usize, String, u64)> = Vec::with_capacity(archive.len());
    let mut names = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| EntryError::NotZip { why: e.to_string() })?;
        let raw = entry.name_raw().to_vec();
        let kind = EntryKind::from_mode(entry.unix_mode(), raw.ends_with(b"/"));
        let size = if kind == EntryKind::File {
            entry.size()
        } else {
            0
        };
        declared.add(&raw, kind, size)?;
        let name = String::from_utf8(raw).expect("checked by Entries::add");
        if entry.encrypted() {
            return Err(EntryError::Unreadable {
                name,
                why: "it is encrypted".into(),
            });
        }
        if kind == EntryKind::File {
            files.push((index, name.clone(), size));
        }
        names.push(name);
    }
    declared.finish(archive_size)?;

    // 2. The real bytes.
    let mut real = Entries::new(*limits);
    let mut buffer = vec![0u8; 64 * 1024];
    for (index, name, declared_size) in files {
        let unreadable = |e: &dyn std::fmt::Display| EntryError::Unreadable {
            name: name.clone(),
            why: e.to_string(),
        };
        let mut entry = archive.by_index(index).map_err(|e| unreadable(&e))?;
        let mut counted: u64 = 0;
        loop {
            let n = match entry.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(unreadable(&e)),
            };
            counted += n as u64;
            real.grow(&name, n as u64)?;
            if counted > declared_size {
                return Err(EntryError::SizeMismatch {
                    name,
                    declared: declared_size,
                });
            }
        }
        if counted != declared_size {
            return Err(unreadable(&format!(
                "it holds {counted} bytes, its header says {declared_size}"
            )));
        }
    }
    real.finish(archive_size)?;
    Ok(CheckedZip {
        names,
        expanded: real.expanded(),
    })
}

/// [`check_zip`] of the file at `path`, which must be a regular file (see
/// [`open_regular_file`]).
pub fn check_zip_file(path: &Path, limits: &Limits) -> Result<CheckedZip, ZipFileError> {
    let (file, size) = open_regular_file(path)?;
    check_zip(io::BufReader::new(file), size, limits).map_err(|source| ZipFileError::Entry {
        path: path.to_path_buf(),
        source,
    })
}

/// Why a package file cannot be checked or is refused.
#[derive(Debug, thiserror::Error)]
pub enum ZipFileError {
    #[error("{} is {what}, not a regular file; give the path of the ZIP package", path.display())]
    NotRegular {
        path: std::path::PathBuf,
        what: &'static str,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: io::Error,
    },
    #[error("{}: {source}", path.display())]
    Entry {
        path: std::path::PathBuf,
        source: EntryError,
    },
}

/// Opens `path` for reading only if it is a regular file, with its size: a FIFO would block
/// the open or the read forever and a device (`/dev/zero`) never ends or has no size. The
/// file is opened non-blocking (a FIFO opens at once) and checked on the open handle, so
/// what is read is what was checked.
pub fn open_regular_file(path: &Path) -> Result<(std::fs::File, u64), ZipFileError> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let read_error = |source| ZipFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    let kind = metadata.file_type();
    let what = if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a folder")
    } else if kind.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("not a file")
    };
    if let Some(what) = what {
        return Err(ZipFileError::NotRegular {
            path: path.to_path_buf(),
            what,
        });
    }
    Ok((file, metadata.len()))
}

/// How many entries the ZIP's end record (the ZIP64 one when present) lists, read from the
/// last end-of-central-directory record whose comment reaches the end of the file; `None`
/// when there is none.
fn listed_entries<R: Read + Seek>(reader: &mut R, size: u64) -> io::Result<Option<u64>> {
    const EOCD: &[u8; 4] = b"PK\x05\x06";
    const EOCD_LEN: u64 = 22;
    let tail_len = size.min(EOCD_LEN + u64::from(u16::MAX));
    reader.seek(io::SeekFrom::Start(size - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    reader.read_exact(&mut tail)?;
    let Some(at) = (0..tail.len().saturating_sub(EOCD_LEN as usize - 1))
        .rev()
        .find(|&i| {
            tail[i..].starts_with(EOCD) && {
                let comment = u16::from_le_bytes([tail[i + 20], tail[i + 21]]) as usize;
                i + EOCD_LEN as usize + comment == tail.len()
            }
        })
    else {
        return Ok(None);
    };
    let total = u16::from_le_bytes([tail[at + 10], tail[at + 11]]);
    // A ZIP64 locator right before the record points at the ZIP64 end record.
    let locator = at
        .checked_sub(20)
        .filter(|&l| tail[l..].starts_with(b"PK\x06\x07"));
    let Some(locator) = locator else {
        return Ok(Some(u64::from(total)));
    };
    let offset = u64::from_le_bytes(tail[locator + 8..locator + 16].try_into().unwrap());
    let mut record = [0u8; 40];
    reader.seek(io::SeekFrom::Start(offset))?;
    reader.read_exact(&mut record)?;
    if !record.starts_with(b"PK\x06\x06") {
        return Ok(Some(u64::from(total)));
    }
    Ok(Some(u64::from_le_bytes(record[32..40].try_into().unwrap())))
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Hand-made ZIPs for tests and the fuzz target: entries whose headers say what the test
/// wants (a lying size, a link mode, any name bytes), which no well-kept ZIP writer produces.
pub mod testing {
    /// One entry: the name bytes, the method (0 stored, 8 deflated), the data as it is in the
    /// archive, the CRC-32 and unpacked size its headers declare, and its Unix mode.
    #[derive(Debug, Clone)]
    pub struct RawEntry {
        pub name: Vec<u8>,
        pub method: u16,
        pub data: Vec<u8>,
        pub crc32: u32,
        pub declared_size: u64,
        pub unix_mode: u32,
    }

    impl RawEntry {
        /// A stored regular file with true headers.
        pub fn stored(name: &[u8], data: &[u8]) -> Self {
            RawEntry {
                name: name.to_vec(),
                method: 0,
                data: data.to_vec(),
                crc32: crc32fast::hash(data),
                declared_size: data.len() as u64,
                unix_mode: 0o100644,
            }
        }
    }

    /// The ZIP of `entries` (local headers, data, central directory, end record; sizes under
    /// 4 GiB).
    pub fn raw_zip(entries: &[RawEntry]) -> Vec<u8> {
        fn u16le(out: &mut Vec<u8>, v: u16) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        fn u32le(out: &mut Vec<u8>, v: u32) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let mut out = Vec::new();
        let mut central = Vec::new();
        for entry in entries {
            let offset = out.len() as u32;
            let name_len = entry.name.len().min(u16::MAX as usize);
            let name = &entry.name[..name_len];
            let size = entry.declared_size.min(u32::MAX as u64) as u32;
            u32le(&mut out, 0x0403_4b50);
            u16le(&mut out, 20);
            u16le(&mut out, 0);
            u16le(&mut out, entry.method);
            u16le(&mut out, 0);
            u16le(&mut out, (1 << 5) | 1);
            u32le(&mut out, entry.crc32);
            u32le(&mut out, entry.data.len() as u32);
            u32le(&mut out, size);
            u16le(&mut out, name_len as u16);
            u16le(&mut out, 0);
            out.extend_from_slice(name);
            out.extend_from_slice(&entry.data);

            u32le(&mut central, 0x0201_4b50);
            u16le(&mut central, (3 << 8) | 20);
            u16le(&mut central, 20);
            u16le(&mut central, 0);
            u16le(&mut central, entry.method);
            u16le(&mut central, 0);
            u16le(&mut central, (1 << 5) | 1);
            u32le(&mut central, entry.crc32);
            u32le(&mut central, entry.data.len() as u32);
            u32le(&mut central, size);
            u16le(&mut central, name_len as u16);
            u16le(&mut central, 0);
            u16le(&mut central, 0);
            u16le(&mut central, 0);
            u16le(&mut central, 0);
            u32le(&mut central, entry.unix_mode << 16);
            u32le(&mut central, offset);
            central.extend_from_slice(name);
        }
        let central_offset = out.len() as u32;
        out.extend_from_slice(&central);
        let count = entries.len().min(u16::MAX as usize) as u16;
        u32le(&mut out, 0x0605_4b50);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u16le(&mut out, count);
        u16le(&mut out, count);
        u32le(&mut out, central.len() as u32);
        u32le(&mut out, central_offset);
        u16le(&mut out, 0);
        out
    }

    /// A deflated entry of `mib` MiB of zeros (a ZIP bomb: about 1 KiB per MiB), its headers
    /// declaring `declared_size` (the truth when `None`). Built from one compressed MiB
    /// repeated, as pigz joins chunks: each MiB after the first is compressed with the 32 KiB of
    /// zeros before it as its dictionary and ends on a sync flush, so the copies chain into one
    /// deflate stream; a GiB costs milliseconds, not a GiB of compressing.
    pub fn zero_bomb(name: &[u8], mib: u64, declared_size: Option<u64>) -> RawEntry {
        use flate2::{Compress, Compression, FlushCompress};
        const MIB: usize = 1024 * 1024;
        let zeros = vec![0u8; MIB];
        let chunk = |dictionary: bool, input: &[u8], flush: FlushCompress| {
            let mut compress = Compress::new(Compression::best(), false);
            if dictionary {
                compress
                    .set_dictionary(&zeros[..32 * 1024])
                    .expect("a dictionary");
            }
            let mut out = Vec::with_capacity(64 * 1024);
            compress
                .compress_vec(input, &mut out, flush)
                .expect("deflate");
            out
        };
        let mut data = Vec::new();
        if mib > 0 {
            data.extend(chunk(false, &zeros, FlushCompress::Sync));
            let next = chunk(true, &zeros, FlushCompress::Sync);
            for _ in 1..mib {
                data.extend_from_slice(&next);
            }
        }
        data.extend(chunk(mib > 0, &[], FlushCompress::Finish));
        let mut crc = crc32fast::Hasher::new();
        let mut one = crc32fast::Hasher::new();
        one.update(&zeros);
        for _ in 0..mib {
            crc.combine(&one);
        }
        RawEntry {
            name: name.to_vec(),
            method: 8,
            data,
            crc32: crc.finalize(),
            declared_size: declared_size.unwrap_or(mib * MIB as u64),
            unix_mode: 0o100644,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{raw_zip, zero_bomb, RawEntry};
    use super::*;

    fn name_error(name: &[u8]) -> Option<EntryError> {
        check_name(name, &Limits::default()).err()
    }

    #[test]
    fn a_refused_name_is_shown_cleaned_and_cut_in_the_message() {
        // A name with an escape sequence and far over the shown length: the message carries
        // neither the raw ESC nor the whole name (guard::text's rule, not escape_debug's).
        let mut name = b"a\x1b]0;owned\x07".to_vec();
        name.extend(std::iter::repeat_n(b'x', 5_000));
        let message = name_error(&name).expect("refused").to_string();
        assert!(
            !message.contains('\x1b') && !message.contains('\x07'),
            "{message}"
        );
        assert!(
            message.chars().count() < 400,
            "{} chars",
            message.chars().count()
        );
        let message = name_error(b"../\x1b[2J").expect("refused").to_string();
        assert!(!message.contains('\x1b'), "{message}");
    }

    #[test]
    fn names_that_escape_or_read_differently_are_refused() {
        type Expected = fn(&EntryError) -> bool;
        let cases: &[(&[u8], Expected)] = &[
            (b"", |e| matches!(e, EntryError::EmptyName)),
            (b"../evil", |e| matches!(e, EntryError::Escapes { .. })),
            (b"a/../../evil", |e| matches!(e, EntryError::Escapes { .. })),
            (b"/etc/passwd", |e| matches!(e, EntryError::Escapes { .. })),
            (b"C:/Windows/x", |e| {
                matches!(e, EntryError::DriveLetter { .. })
            }),
            (b"c:x", |e| matches!(e, EntryError::DriveLetter { .. })),
            (b"app.js:stream", |e| matches!(e, EntryError::Colon { .. })),
            (b"a\\b.js", |e| matches!(e, EntryError::Backslash { .. })),
            (b"..\\evil", |e| matches!(e, EntryError::Backslash { .. })),
            (b"a\0b", |e| {
                matches!(
                    e,
                    EntryError::ControlCharacter {
                        character: '\0',
                        ..
                    }
                )
            }),
            (b"a\x1b[2Jb", |e| {
                matches!(e, EntryError::ControlCharacter { .. })
            }),
            ("a\u{202E}gnp.js".as_bytes(), |e| {
                matches!(e, EntryError::ControlCharacter { .. })
            }),
            ("a\u{85}b".as_bytes(), |e| {
                matches!(e, EntryError::ControlCharacter { .. })
            }),
            (b"\xff\xfe", |e| matches!(e, EntryError::NotUtf8 { .. })),
            (b"./index.html", |e| {
                matches!(e, EntryError::NotNormal { .. })
            }),
            (b"a//b", |e| matches!(e, EntryError::NotNormal { .. })),
            (b"/", |e| matches!(e, EntryError::Escapes { .. })),
        ];
        for (name, expected) in cases {
            let err = name_error(name).unwrap_or_else(|| panic!("{name:?} was accepted"));
            assert!(expected(&err), "{name:?}: {err:?}");
            // No raw control character reaches a message.
            assert!(!err.to_string().chars().any(char::is_control), "{err}");
        }
        for name in [
            "index.html",
            "pages/a b/ü.js",
            "assets/",
            "a..b",
            ".well-known/x",
        ] {
            assert_eq!(name_error(name.as_bytes()), None, "{name}");
        }
        let long = "a".repeat(MAX_NAME_BYTES + 1);
        assert!(matches!(
            name_error(long.as_bytes()),
            Some(EntryError::NameTooLong { .. })
        ));
    }

    /// Found by fuzz/package_entries (crash-eab4c69f…): two entries with exactly one name were
    /// read as one by the zip crate (it indexes entries by name), so the duplicate rule never
    /// saw the second, and which one an unpacker writes last was up to the unpacker.
    #[test]
    fn two_entries_with_one_name_are_refused() {
        let zip = raw_zip(&[
            RawEntry::stored(b"index.html", b"first"),
            RawEntry::stored(b"app.js", b"a"),
            RawEntry::stored(b"index.html", b"second"),
        ]);
        let err =
            check_zip(io::Cursor::new(&zip), zip.len() as u64, &Limits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                EntryError::SameName {
                    listed: 3,
                    distinct: 2
                }
            ),
            "{err:?}"
        );
        let fuzzed = include_bytes!(
            "../../../fuzz/corpus/package_entries/crash-eab4c69f2c549568567d98b7555cbe84cd97f51f"
        );
        let entries: Vec<RawEntry> = fuzzed[1..]
            .split(|&b| b == b'\n')
            .map(|name| RawEntry::stored(name, &name[..name.len().min(8)]))
            .collect();
        let zip = raw_zip(&entries);
        assert!(check_zip(io::Cursor::new(&zip), zip.len() as u64, &Limits::default()).is_err());
        // Distinct names still pass.
        let zip = raw_zip(&[
            RawEntry::stored(b"index.html", b"x"),
            RawEntry::stored(b"app.js", b"a"),
        ]);
        check_zip(io::Cursor::new(&zip), zip.len() as u64, &Limits::default()).unwrap();
    }

    #[test]
    fn links_duplicates_counts_and_sizes() {
        let mut entries = Entries::new(Limits::default());
        entries.add(b"App.js", EntryKind::File, 1).unwrap();
        let err = entries.add(b"app.JS", EntryKind::File, 1).unwrap_err();
        assert!(matches!(err, EntryError::Duplicate { .. }), "{err:?}");
        assert!(err.to_string().contains("App.js") && err.to_string().contains("app.JS"));
        let err = entries.add(b"link", EntryKind::Link, 0).unwrap_err();
        assert!(matches!(err, EntryError::Link { .. }));
        assert_eq!(EntryKind::from_mode(Some(0o120777), false), EntryKind::Link);
        assert_eq!(
            EntryKind::from_mode(Some(0o010644), false),
            EntryKind::Special(0o010644)
        );
        assert_eq!(EntryKind::from_mode(None, true), EntryKind::Folder);
        assert_eq!(EntryKind::from_mode(Some(0o100644), false), EntryKind::File);

        let limits = Limits {
            max_entries: 2,
            ..Limits::default()
        };
        let mut entries = Entries::new(limits);
        entries.add(b"a", EntryKind::File, 0).unwrap();
        entries.add(b"b", EntryKind::File, 0).unwrap();
        assert!(matches!(
            entries.add(b"c", EntryKind::File, 0),
            Err(EntryError::TooManyEntries { limit: 2 })
        ));

        // A sparse 2 GiB file: refused by its size alone, named, with the limit.
        let mut entries = Entries::new(Limits::default());
        entries.add(b"small.js", EntryKind::File, 10).unwrap();
        let err = entries
            .add(b"big.bin", EntryKind::File, 2 << 30)
            .unwrap_err();
        assert!(
            matches!(err, EntryError::ExpandedTooLarge { .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("big.bin") && text.contains("256.0 MiB"),
            "{text}"
        );

        // The ratio applies above the free allowance only.
        assert!(check_ratio(RATIO_FREE_BYTES, 1, &Limits::default()).is_ok());
        assert!(check_ratio(RATIO_FREE_BYTES + 1, 1, &Limits::default()).is_err());
        assert!(check_ratio(100 << 20, 1 << 20, &Limits::default()).is_ok());
        assert!(check_ratio(101 << 20, 1 << 20, &Limits::default()).is_err());
    }

    fn check(bytes: &[u8]) -> Result<CheckedZip, EntryError> {
        check_zip(
            io::Cursor::new(bytes),
            bytes.len() as u64,
            &Limits::default(),
        )
    }

    #[test]
    fn zip_checks_names_links_and_magic() {
        let ok = raw_zip(&[
            RawEntry::stored(b"index.html", b"<html></html>"),
            RawEntry::stored(b"pages/", b""),
        ]);
        let checked = check(&ok).unwrap();
        assert_eq!(checked.names, ["index.html", "pages/"]);
        assert_eq!(checked.expanded, 13);

        let mut link = RawEntry::stored(b"evil", b"/etc/passwd");
        link.unix_mode = 0o120777;
        let err = check(&raw_zip(&[RawEntry::stored(b"index.html", b"x"), link])).unwrap_err();
        assert!(matches!(err, EntryError::Link { .. }), "{err:?}");
        for name in [&b"C:\\x"[..], b"a\0b", b"a\\b"] {
            let err = check(&raw_zip(&[RawEntry::stored(name, b"x")])).unwrap_err();
            assert!(!matches!(err, EntryError::NotZip { .. }), "{err:?}");
        }
        let err = check(b"this is not a zip file at all").unwrap_err();
        assert!(matches!(err, EntryError::NotZip { .. }));
        assert!(err.to_string().contains("not a readable ZIP"));
        // A ZIP after something else (a self-extracting archive) is not a package.
        let mut prefixed = b"#!/bin/sh\n".to_vec();
        prefixed.extend(&ok);
        assert!(matches!(check(&prefixed), Err(EntryError::NotZip { .. })));
    }

    #[test]
    fn a_bomb_is_refused_by_its_headers_or_by_its_bytes() {
        // 1 GiB of zeros in about 1 MiB, headers telling the truth: refused before inflating.
        let honest = raw_zip(&[
            RawEntry::stored(b"index.html", b"x"),
            zero_bomb(b"bomb", 1024, None),
        ]);
        assert!(honest.len() < 2 << 20, "{}", honest.len());
        let err = check(&honest).unwrap_err();
        assert!(
            matches!(err, EntryError::ExpandedTooLarge { .. }),
            "{err:?}"
        );

        // The same bomb declaring 1 KiB: inflating stops right after the declared size.
        let lying = raw_zip(&[zero_bomb(b"bomb", 1024, Some(1024))]);
        let err = check(&lying).unwrap_err();
        assert!(
            matches!(err, EntryError::SizeMismatch { declared: 1024, .. }),
            "{err:?}"
        );

        // Within the size limit but over the ratio: 64 MiB from 64 KiB.
        let dense = raw_zip(&[zero_bomb(b"zeros.bin", 64, None)]);
        let err = check(&dense).unwrap_err();
        assert!(matches!(err, EntryError::RatioTooHigh { .. }), "{err:?}");

        // A true small one passes, counted.
        let fine = raw_zip(&[zero_bomb(b"zeros.bin", 2, None)]);
        assert_eq!(check(&fine).unwrap().expanded, 2 << 20);
    }

    #[test]
    fn only_regular_files_are_opened() {
        let err = open_regular_file(Path::new("/dev/zero")).unwrap_err();
        assert!(
            matches!(
                err,
                ZipFileError::NotRegular {
                    what: "a device",
                    ..
                }
            ),
            "{err}"
        );
        let dir = std::env::temp_dir();
        let err = open_regular_file(&dir).unwrap_err();
        assert!(
            matches!(
                err,
                ZipFileError::NotRegular {
                    what: "a folder",
                    ..
                }
            ),
            "{err}"
        );
    }
}
