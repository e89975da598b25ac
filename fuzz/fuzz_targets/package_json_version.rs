//! The byte-exact version edit of package.json (crates/core/src/project/package_json.rs).
//!
//! Input: a first line with the new version (when it is no x.y.z, 1.3.0 is used), then the
//! file's bytes. Properties, for any bytes:
//! - parsing gives a `PackageJson` or a typed `PackageJsonError`, never a panic;
//! - the edited bytes differ from the input only inside one JSON string token, whose old
//!   content decodes to the version that was read and whose new content is the new version;
//! - the edited bytes parse again, with the new version, and as JSON they equal the input with
//!   its top-level "version" replaced;
//! - on disk: `write_version` writes exactly those bytes, `restore` (and dropping the guard)
//!   gives the original bytes back, byte for byte.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use gopay_miniapp_core::project::package_json::PackageJson;
use gopay_miniapp_portal::VersionNumber;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let (first, file) = match data.iter().position(|&b| b == b'\n') {
        Some(cut) => (&data[..cut], &data[cut + 1..]),
        None => (&b""[..], data),
    };
    let new_version = std::str::from_utf8(first)
        .ok()
        .and_then(|t| t.parse::<VersionNumber>().ok())
        .unwrap_or(VersionNumber::new(1, 3, 0));
    let Ok(package) = PackageJson::parse("package.json", file.to_vec()) else {
        return;
    };
    assert_eq!(package.bytes(), file);
    let edited = package.bytes_with_version(&new_version);
    check_only_the_version_changed(file, &edited, package.version_str(), &new_version);

    let reread = PackageJson::parse("package.json", edited.clone())
        .unwrap_or_else(|e| panic!("the edited file does not read: {e}"));
    assert_eq!(reread.version().ok(), Some(new_version));
    let mut expected = document(file);
    expected["version"] = Value::String(new_version.to_string());
    assert_eq!(document(&edited), expected);

    check_on_disk(file, &edited, &new_version);
});

/// The document as JSON (a BOM skipped, as the reader does).
fn document(bytes: &[u8]) -> Value {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(body).unwrap()
}

/// `edited` is `original[..a] + new + original[b..]` where `original[a-1..=b]` is a JSON string
/// token that decodes to `old`.
fn check_only_the_version_changed(original: &[u8], edited: &[u8], old: &str, new: &VersionNumber) {
    let new = new.to_string();
    let new = new.as_bytes();
    let common = original
        .iter()
        .zip(edited)
        .take_while(|(a, b)| a == b)
        .count();
    let common_suffix = original
        .iter()
        .rev()
        .zip(edited.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    // `a` is where the string's content starts (after its quote): the bytes before it are
    // unchanged, so `a <= common`; the bytes after the new version are the original's tail.
    let found = (1..=common.min(original.len())).any(|a| {
        if original[a - 1] != b'"' || a + new.len() > edited.len() {
            return false;
        }
        let rest = edited.len() - a - new.len();
        if rest > common_suffix || rest > original.len() {
            return false;
        }
        let b = original.len() - rest;
        b >= a
            && &edited[a..a + new.len()] == new
            && original.get(b) == Some(&b'"')
            && serde_json::from_slice::<String>(&original[a - 1..=b])
                .ok()
                .as_deref()
                == Some(old)
    });
    assert!(
        found,
        "the edit changed more than the version string:\n{:?}\n{:?}",
        String::from_utf8_lossy(original),
        String::from_utf8_lossy(edited)
    );
}

fn check_on_disk(original: &[u8], edited: &[u8], new_version: &VersionNumber) {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        if shm.is_dir() {
            tempfile::tempdir_in(shm).unwrap()
        } else {
            tempfile::tempdir().unwrap()
        }
    });
    let path = dir.path().join("package.json");
    std::fs::write(&path, original).unwrap();
    let package = PackageJson::read(&path).unwrap();
    let edit = package.write_version(new_version).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), edited);
    edit.restore().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), original, "restore");
    let edit = package.write_version(new_version).unwrap();
    drop(edit);
    assert_eq!(std::fs::read(&path).unwrap(), original, "drop restores");
}
