//! `package.json`: read the MiniApp's version and change it without reformatting the file.
//!
//! Publish bumps the version in the user's own file, so the edit must be invisible apart from
//! the number: indentation, key order, line endings (CRLF), a UTF-8 byte order mark, a missing
//! final newline and every other byte stay exactly as they were. A JSON library would re-print
//! the document, so instead a small scanner walks the raw bytes, tracks positions, and finds the
//! byte span of the top-level `"version"` string; only that span is replaced. The whole document
//! is still validated with `serde_json` first, so the scanner only ever sees valid JSON and
//! invalid files are reported with the line and column `serde_json` found.
//!
//! [`PackageJson::write_version`] returns a [`VersionEdit`] guard: a publish that fails after the
//! bump calls [`VersionEdit::restore`] (the original bytes go back, byte for byte), a publish
//! that went through calls [`VersionEdit::commit`]. Every write is atomic (temporary file in the
//! same folder, fsync, rename) and keeps the file's permissions.

use std::fs;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use gopay_miniapp_guard::limits::{read_file_io, LOCK_FILE_MAX, PROJECT_FILE_MAX};
use gopay_miniapp_portal::VersionNumber;

use gopay_miniapp_guard::files::{self, FileError, Permissions};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Everything that can go wrong with `package.json`. Each message names the file, the field and
/// what to do about it, because users read these messages as they are.
#[derive(Debug, thiserror::Error)]
pub enum PackageJsonError {
    #[error("could not read {}: {source}. Check that the project folder contains a package.json you can read.", path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("{} is not valid JSON: {message} (line {line}, column {column}). Fix the file there (a missing or trailing comma is the usual cause) and try again.", path.display())]
    InvalidJson {
        path: PathBuf,
        message: String,
        line: usize,
        column: usize,
    },

    #[error("{} must contain a JSON object ({{ ... }}) at the top level, but it starts with {found}.", path.display())]
    NotAnObject { path: PathBuf, found: &'static str },

    #[error("{} has no top-level \"version\" field. Add \"version\": \"0.0.0\" to it; publish then sets the real version number.", path.display())]
    MissingVersion { path: PathBuf },

    #[error("\"version\" in {} (line {line}) is {found}, not a string. Write it as a string of the form x.y.z, e.g. \"version\": \"1.0.0\".", path.display())]
    VersionNotAString {
        path: PathBuf,
        found: &'static str,
        line: usize,
    },

    #[error("\"version\" in {} (line {line}) is \"{}\", which is not a version number of the form x.y.z (three whole numbers without a prefix or suffix, e.g. 1.4.2). Change it to such a number, e.g. \"1.0.0\".", path.display(), gopay_miniapp_guard::text::Shown(value))]
    InvalidVersion {
        path: PathBuf,
        value: String,
        line: usize,
    },

    #[error("{} has {} top-level \"version\" fields (lines {}). Keep only one of them.", path.display(), lines.len(), join_numbers(lines))]
    DuplicateVersion { path: PathBuf, lines: Vec<usize> },

    #[error("{} changed on disk since it was read (another program edited it). Nothing was written; run the command again.", path.display())]
    ChangedOnDisk { path: PathBuf },

    #[error("could not write {}: {source}. Check that the file and its folder are writable.", path.display())]
    Write { path: PathBuf, source: io::Error },

    /// The write policy refused the file (a symlink out of the project, other hard links,
    /// read-only): nothing was written.
    #[error(transparent)]
    Refused(FileError),

    #[error("could not put the original {} back: {source}. Set its \"version\" back to \"{original_version}\" by hand.", path.display())]
    Restore {
        path: PathBuf,
        original_version: String,
        source: io::Error,
    },
}

fn join_numbers(numbers: &[usize]) -> String {
    numbers
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `package.json` as it is on disk: its exact bytes plus what the scanner found in them.
#[derive(Debug, Clone)]
pub struct PackageJson {
    /// The path the caller gave (used in messages).
    path: PathBuf,
    /// The file that is actually written: `path` with symlinks resolved, so that an edit
    /// replaces the target's content instead of replacing the symlink with a regular file.
    real_path: PathBuf,
    bytes: Vec<u8>,
    /// Byte range of the version string's contents (between the quotes) in `bytes`.
    version_span: Range<usize>,
    /// The version string as JSON decodes it (escapes resolved).
    version: String,
    version_line: usize,
    name: Option<String>,
}

impl PackageJson {
    /// Reads and checks `path`. Fails when the file is not valid JSON, is not an object, or has
    /// no top-level `"version"` string; a version that is a string but not x.y.z is accepted
    /// here (so the file can be shown) and reported by [`PackageJson::version`].
    pub fn read(path: impl AsRef<Path>) -> Result<Self, PackageJsonError> {
        let path = path.as_ref().to_path_buf();
        let bytes =
            read_file_io(&path, PROJECT_FILE_MAX).map_err(|source| PackageJsonError::Read {
                path: path.clone(),
                source,
            })?;
        let real_path = real_path_of(&path)?;
        Self::from_bytes(path, real_path, bytes)
    }

    /// Checks `bytes` as the content of a `package.json` that is not read from disk (the fuzz
    /// target uses it): the same rules as [`PackageJson::read`], with `path` named in messages.
    /// [`PackageJson::write_version`] on the result writes to `path` as given.
    pub fn parse(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Self, PackageJsonError> {
        let path = path.into();
        Self::from_bytes(path.clone(), path, bytes)
    }

    fn from_bytes(
        path: PathBuf,
        real_path: PathBuf,
        bytes: Vec<u8>,
    ) -> Result<Self, PackageJsonError> {
        let body_start = bom_len(&bytes);
        let body = &bytes[body_start..];
        let document: serde_json::Value =
            serde_json::from_slice(body).map_err(|err| invalid_json(&path, &err))?;
        let object = match &document {
            serde_json::Value::Object(object) => object,
            other => {
                return Err(PackageJsonError::NotAnObject {
                    path,
                    found: json_kind(other),
                })
            }
        };
        let name = object
            .get("name")
            .and_then(|name| name.as_str())
            .map(str::to_string);

        let fields = scan_top_level_fields(body, "version");
        let line_of = |offset: usize| line_number(&bytes, body_start + offset);
        let field = match fields.as_slice() {
            [] => return Err(PackageJsonError::MissingVersion { path }),
            [field] => field,
            many => {
                return Err(PackageJsonError::DuplicateVersion {
                    lines: many.iter().map(|f| line_of(f.value.start)).collect(),
                    path,
                })
            }
        };
        let version_line = line_of(field.value.start);
        if body[field.value.start] != b'"' {
            return Err(PackageJsonError::VersionNotAString {
                found: json_kind(object.get("version").unwrap_or(&serde_json::Value::Null)),
                path,
                line: version_line,
            });
        }
        // The token is known to be a valid JSON string, so serde_json decodes its escapes.
        let version: String = serde_json::from_slice(&body[field.value.clone()])
            .expect("a string token of a valid JSON document decodes");
        let version_span = body_start + field.value.start + 1..body_start + field.value.end - 1;
        Ok(Self {
            path,
            real_path,
            bytes,
            version_span,
            version,
            version_line,
            name,
        })
    }

    /// The path this file was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `"name"` field, if it is a string.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The `"version"` value exactly as JSON decodes it, valid or not.
    pub fn version_str(&self) -> &str {
        &self.version
    }

    /// The `"version"` value as a version number; an error names the file and the value when it
    /// is not plain x.y.z.
    pub fn version(&self) -> Result<VersionNumber, PackageJsonError> {
        self.version
            .parse()
            .map_err(|_| PackageJsonError::InvalidVersion {
                path: self.path.clone(),
                value: self.version.clone(),
                line: self.version_line,
            })
    }

    /// The file's exact bytes as read.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The file's bytes with only the version value replaced: what [`Self::write_version`]
    /// writes.
    pub fn bytes_with_version(&self, version: &VersionNumber) -> Vec<u8> {
        let new_value = version.to_string();
        splice(
            &self.bytes,
            std::slice::from_ref(&self.version_span),
            &new_value,
        )
    }

    /// Writes `version` into the file (atomically) and returns the guard that can put the
    /// original back. Refuses when the file changed on disk since it was read, so an edit made
    /// in the editor meanwhile is never overwritten.
    pub fn write_version(&self, version: &VersionNumber) -> Result<VersionEdit, PackageJsonError> {
        write_edit(
            &self.path,
            &self.real_path,
            &self.bytes,
            self.bytes_with_version(version),
            &self.version,
            *version,
        )
    }
}

/// Where the JSON starts: serde_json does not accept a byte order mark; editors on Windows
/// like to add one.
fn bom_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    }
}

fn real_path_of(path: &Path) -> Result<PathBuf, PackageJsonError> {
    fs::canonicalize(path).map_err(|source| PackageJsonError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn invalid_json(path: &Path, err: &serde_json::Error) -> PackageJsonError {
    PackageJsonError::InvalidJson {
        path: path.to_path_buf(),
        message: describe_json_error(err),
        line: err.line(),
        column: err.column(),
    }
}

/// `bytes` with each of `spans` (in order, not overlapping) replaced by `value`. A version
/// number is digits and dots: it never needs escaping inside a JSON string.
fn splice(bytes: &[u8], spans: &[Range<usize>], value: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + spans.len() * value.len());
    let mut at = 0;
    for span in spans {
        out.extend_from_slice(&bytes[at..span.start]);
        out.extend_from_slice(value.as_bytes());
        at = span.end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

/// Writes `new_bytes` over `path` if it still holds `bytes`; the guard puts `bytes` back.
fn write_edit(
    path: &Path,
    real_path: &Path,
    bytes: &[u8],
    new_bytes: Vec<u8>,
    original_version: &str,
    version: VersionNumber,
) -> Result<VersionEdit, PackageJsonError> {
    let on_disk = fs::read(real_path).map_err(|source| PackageJsonError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if on_disk != bytes {
        return Err(PackageJsonError::ChangedOnDisk {
            path: path.to_path_buf(),
        });
    }
    files::replace(path, Some(project_of(path)), &new_bytes, Permissions::Keep).map_err(|err| {
        match err {
            FileError::Io { source, .. } => PackageJsonError::Write {
                path: path.to_path_buf(),
                source,
            },
            refused => PackageJsonError::Refused(refused),
        }
    })?;
    Ok(VersionEdit {
        path: path.to_path_buf(),
        original: bytes.to_vec(),
        original_version: original_version.to_string(),
        new_version: version,
        settled: false,
    })
}

/// `package-lock.json`: npm writes the project's own version into it twice (the top-level
/// `"version"` and `packages[""].version`, lockfile v2/v3; v1 has only the first). Publish
/// bumps both with package.json, by the same byte-exact edit, so the lock never names an
/// older version than the manifest it locks; it is put back with package.json.
#[derive(Debug, Clone)]
pub struct PackageLock {
    path: PathBuf,
    real_path: PathBuf,
    bytes: Vec<u8>,
    /// The version strings' contents (between the quotes), in file order.
    spans: Vec<Range<usize>>,
    /// The first of them, as JSON decodes it.
    version: String,
}

impl PackageLock {
    pub const FILE: &'static str = "package-lock.json";

    /// The project's package-lock.json; `None` when there is none, or it names no version
    /// of the project (nothing to keep in step). A lock that is not valid JSON is an error:
    /// publish would otherwise leave it older than package.json without a word.
    pub fn read(project: &Path) -> Result<Option<Self>, PackageJsonError> {
        let path = project.join(Self::FILE);
        let bytes = match read_file_io(&path, LOCK_FILE_MAX) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(PackageJsonError::Read { path, source }),
        };
        let real_path = real_path_of(&path)?;
        Self::from_bytes(path, real_path, bytes)
    }

    /// [`PackageLock::read`] of bytes not read from disk (`path` names them).
    pub fn parse(
        path: impl Into<PathBuf>,
        bytes: Vec<u8>,
    ) -> Result<Option<Self>, PackageJsonError> {
        let path = path.into();
        Self::from_bytes(path.clone(), path, bytes)
    }

    fn from_bytes(
        path: PathBuf,
        real_path: PathBuf,
        bytes: Vec<u8>,
    ) -> Result<Option<Self>, PackageJsonError> {
        let body_start = bom_len(&bytes);
        let body = &bytes[body_start..];
        if let Err(err) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            return Err(invalid_json(&path, &err));
        }
        let string_value = |field: &ScannedField| -> Option<Range<usize>> {
            (body[field.value.start] == b'"')
                .then(|| body_start + field.value.start + 1..body_start + field.value.end - 1)
        };
        let mut spans = Vec::new();
        let mut top = Scanner::at_object(body);
        if let Some([field]) = top.as_mut().map(|s| s.fields("version")).as_deref() {
            spans.extend(string_value(field));
        }
        let root_package = Scanner::at_object(body)
            .map(|mut s| s.fields("packages"))
            .and_then(|packages| match packages.as_slice() {
                [packages] => Scanner::at(body, packages.value.start).map(|mut s| s.fields("")),
                _ => None,
            });
        if let Some([root]) = root_package.as_deref() {
            if let Some(mut scanner) = Scanner::at(body, root.value.start) {
                if let [field] = scanner.fields("version").as_slice() {
                    spans.extend(string_value(field));
                }
            }
        }
        let Some(first) = spans.first() else {
            return Ok(None);
        };
        let version = String::from_utf8_lossy(&bytes[first.clone()]).into_owned();
        Ok(Some(Self {
            path,
            real_path,
            bytes,
            spans,
            version,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes with every version of the project replaced, nothing else.
    pub fn bytes_with_version(&self, version: &VersionNumber) -> Vec<u8> {
        splice(&self.bytes, &self.spans, &version.to_string())
    }

    pub fn write_version(&self, version: &VersionNumber) -> Result<VersionEdit, PackageJsonError> {
        write_edit(
            &self.path,
            &self.real_path,
            &self.bytes,
            self.bytes_with_version(version),
            &self.version,
            *version,
        )
    }
}

/// A version written into `package.json` that is not final yet.
///
/// Call [`VersionEdit::commit`] once the publish went through (the new version stays), or
/// [`VersionEdit::restore`] when it did not (the original bytes go back, byte for byte, so no
/// "bumped package.json left behind after a failed upload"). Dropping the guard without either
/// restores too, as a best effort: an error then can only be logged (`tracing::warn!`), so call
/// `restore` explicitly wherever the error can be shown to the user.
#[derive(Debug)]
#[must_use = "dropping a VersionEdit restores the original package.json; call commit() to keep the new version"]
pub struct VersionEdit {
    path: PathBuf,
    original: Vec<u8>,
    original_version: String,
    new_version: VersionNumber,
    settled: bool,
}

impl VersionEdit {
    /// The path of the edited `package.json`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The version string the file had before the edit.
    pub fn original_version(&self) -> &str {
        &self.original_version
    }

    /// The version the file has now.
    pub fn new_version(&self) -> VersionNumber {
        self.new_version
    }

    /// Keeps the new version.
    pub fn commit(mut self) {
        self.settled = true;
    }

    /// Writes the original bytes back (atomically).
    pub fn restore(mut self) -> Result<(), PackageJsonError> {
        self.settled = true;
        self.write_original()
    }

    fn write_original(&self) -> Result<(), PackageJsonError> {
        files::replace(
            &self.path,
            Some(project_of(&self.path)),
            &self.original,
            Permissions::Keep,
        )
        .map(|_| ())
        .map_err(|err| PackageJsonError::Restore {
            path: self.path.clone(),
            original_version: self.original_version.clone(),
            source: match err {
                FileError::Io { source, .. } => source,
                refused => io::Error::other(refused.to_string()),
            },
        })
    }
}

impl Drop for VersionEdit {
    fn drop(&mut self) {
        if !self.settled {
            if let Err(err) = self.write_original() {
                tracing::warn!("{err}");
            }
        }
    }
}

/// The folder a package.json belongs to: a symlink may only lead to a file inside it.
fn project_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn describe_json_error(err: &serde_json::Error) -> String {
    // serde_json appends " at line L column C" to its messages; we report those separately.
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// 1-based line of a byte offset. Lines end at `\n`, which also covers CRLF files.
fn line_number(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A `"key": value` pair of the top-level object, as byte ranges of the raw document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ScannedField {
    /// The key token, quotes included.
    key: Range<usize>,
    /// The value token (for a string: quotes included).
    value: Range<usize>,
}

/// Finds every top-level field called `wanted` in a document that is known to be valid JSON
/// whose top level is an object. Keys are compared after decoding escapes, so `"vers\u0069on"`
/// is found too, exactly as `JSON.parse` would see it.
fn scan_top_level_fields(json: &[u8], wanted: &str) -> Vec<ScannedField> {
    Scanner::at_object(json).map_or_else(Vec::new, |mut s| s.fields(wanted))
}

/// A cursor over valid JSON. It does not validate (serde_json did); it only finds where tokens
/// start and end.
struct Scanner<'a> {
    json: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// On the top-level value, if it is an object.
    fn at_object(json: &'a [u8]) -> Option<Self> {
        let mut scanner = Scanner { json, pos: 0 };
        scanner.skip_whitespace();
        (scanner.peek() == Some(b'{')).then_some(scanner)
    }

    /// On the value at `pos`, if it is an object.
    fn at(json: &'a [u8], pos: usize) -> Option<Self> {
        (json.get(pos) == Some(&b'{')).then_some(Scanner { json, pos })
    }

    /// Every field called `wanted` of the object the scanner is on (keys compared after
    /// decoding escapes).
    fn fields(&mut self, wanted: &str) -> Vec<ScannedField> {
        let json = self.json;
        let mut found = Vec::new();
        self.pos += 1;
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'"') => {}
                // `}` of the object (or a comma, skipped on the next turn).
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                _ => return found,
            }
            let key = self.string_token();
            self.skip_whitespace();
            debug_assert_eq!(self.peek(), Some(b':'));
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value_token();
            let key_text: String = serde_json::from_slice(&json[key.clone()]).unwrap_or_default();
            if key_text == wanted {
                found.push(ScannedField { key, value });
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.json.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The string starting at `pos` (on its opening quote), quotes included.
    fn string_token(&mut self) -> Range<usize> {
        let start = self.pos;
        self.pos += 1;
        while let Some(byte) = self.peek() {
            self.pos += 1;
            match byte {
                // Skip the escaped character: `\"` must not end the string. `\uXXXX` needs no
                // special case, its hex digits are never quotes or backslashes.
                b'\\' => self.pos += 1,
                b'"' => break,
                _ => {}
            }
        }
        start..self.pos
    }

    /// Any value starting at `pos`: strings, nested objects and arrays (whose strings may
    /// contain brackets), numbers and literals.
    fn value_token(&mut self) -> Range<usize> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                self.string_token();
            }
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while let Some(byte) = self.peek() {
                    match byte {
                        b'"' => {
                            self.string_token();
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
            }
            _ => {
                while let Some(byte) = self.peek() {
                    if matches!(byte, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
            }
        }
        start..self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #20 item 32: a 10 kB version in package.json is not echoed whole.
    #[test]
    fn a_long_invalid_version_is_cut_in_the_message() {
        let json = format!("{{\"version\": \"{}\"}}", "7".repeat(10_000));
        let file = PackageJson::parse("package.json", json.into_bytes()).unwrap();
        let message = file.version().unwrap_err().to_string();
        assert!(message.len() < 600, "{} bytes", message.len());
        assert!(message.contains("…[+9800 characters]"), "{message}");
    }

    fn keys(json: &str, wanted: &str) -> Vec<(String, String)> {
        scan_top_level_fields(json.as_bytes(), wanted)
            .into_iter()
            .map(|f| (json[f.key].to_string(), json[f.value].to_string()))
            .collect()
    }

    #[test]
    fn scanner_skips_nested_and_string_lookalikes() {
        let json = r#"{"a": {"version": "9.9.9", "b": ["]", "}", {"version": 1}]},
            "text": "\"version\": \"8.8.8\" \\",
            "version" : "1.2.3", "z": null}"#;
        assert_eq!(
            keys(json, "version"),
            vec![("\"version\"".to_string(), "\"1.2.3\"".to_string())]
        );
    }

    #[test]
    fn scanner_decodes_escaped_keys_and_reports_duplicates() {
        let json = r#"{"vers\u0069on": "1.0.0", "version": 2}"#;
        let found = keys(json, "version");
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].1, "2");
    }

    #[test]
    fn scanner_handles_numbers_and_literals_before_the_field() {
        let json = "{\"n\":-1.5e+3,\"t\":true,\"f\":false,\"x\":null,\"version\":\"0.0.1\"}";
        assert_eq!(keys(json, "version")[0].1, "\"0.0.1\"");
    }

    /// Issue #21 item 21: package-lock.json's two versions of the project change, nothing
    /// else (a dependency's "version" nor the formatting).
    #[test]
    fn the_lock_bumps_its_top_version_and_the_root_package_only() {
        let lock = "{\r\n  \"name\": \"x\",\r\n  \"version\": \"1.0.0\",\r\n  \"lockfileVersion\": 3,\r\n  \"packages\": {\r\n    \"node_modules/a\": {\"version\": \"1.0.0\"},\r\n    \"\": {\r\n      \"name\": \"x\",\r\n      \"version\": \"1.0.0\"\r\n    }\r\n  }\r\n}";
        let parsed = PackageLock::parse("package-lock.json", lock.as_bytes().to_vec())
            .unwrap()
            .unwrap();
        let bumped =
            String::from_utf8(parsed.bytes_with_version(&"1.0.1".parse().unwrap())).unwrap();
        assert_eq!(
            bumped,
            lock.replacen(
                "\"version\": \"1.0.0\",\r\n  \"lockfileVersion",
                "\"version\": \"1.0.1\",\r\n  \"lockfileVersion",
                1
            )
            .replace(
                "\"version\": \"1.0.0\"\r\n    }",
                "\"version\": \"1.0.1\"\r\n    }"
            )
        );
        assert!(bumped.contains("\"node_modules/a\": {\"version\": \"1.0.0\"}"));
        // Lockfile v1: the top version only; a lock without any: nothing to do.
        let v1 = PackageLock::parse("l", br#"{"version": "2.0.0", "dependencies": {}}"#.to_vec())
            .unwrap()
            .unwrap();
        assert_eq!(
            v1.bytes_with_version(&"2.0.1".parse().unwrap()),
            br#"{"version": "2.0.1", "dependencies": {}}"#
        );
        assert!(
            PackageLock::parse("l", br#"{"packages": {"": {}}}"#.to_vec())
                .unwrap()
                .is_none()
        );
        assert!(PackageLock::parse("l", b"{".to_vec()).is_err());
    }

    #[test]
    fn line_numbers_count_newlines() {
        assert_eq!(line_number(b"a\r\nb\nc", 0), 1);
        assert_eq!(line_number(b"a\r\nb\nc", 3), 2);
        assert_eq!(line_number(b"a\r\nb\nc", 5), 3);
    }
}
