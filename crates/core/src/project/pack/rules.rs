//! Which files of the build output go into the package: ignore rules and the secret scan.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::PackError;

/// The name of the ignore file, looked up in the output folder and in the project root.
pub const MINIAPPIGNORE: &str = ".miniappignore";

/// Left out of every package. Patterns of `.miniappignore` come after these, so a `!pattern`
/// there can bring one back.
const DEFAULT_IGNORES: &[&str] = &[".DS_Store", "Thumbs.db", MINIAPPIGNORE];
/// Left out unless source maps are asked for: they reveal the original sources and are often
/// as large as the code itself.
const SOURCE_MAP_IGNORE: &str = "*.map";

/// How much of each file the secret scan reads. Keys are small text files; a PEM block buried
/// past the first MiB of a bundle is not what this scan is for.
pub const SECRET_SCAN_BYTES: usize = 1024 * 1024;

/// Builds the ignore matcher. Patterns are gitignore syntax and are matched against paths
/// relative to the output folder (= paths in the archive), whichever of the two files they come
/// from: the project root's file describes the package, not the project tree.
pub(crate) fn ignore_matcher(
    output_dir: &Path,
    project_root: Option<&Path>,
    include_source_maps: bool,
) -> Result<(Gitignore, Vec<PathBuf>), PackError> {
    let mut builder = GitignoreBuilder::new(output_dir);
    for pattern in DEFAULT_IGNORES {
        builder
            .add_line(None, pattern)
            .expect("built-in patterns are valid");
    }
    if !include_source_maps {
        builder
            .add_line(None, SOURCE_MAP_IGNORE)
            .expect("built-in patterns are valid");
    }
    // Project root first, output folder second: the more specific file wins on conflicts.
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(root) = project_root {
        candidates.push(root.join(MINIAPPIGNORE));
    }
    candidates.push(output_dir.join(MINIAPPIGNORE));
    let mut used = Vec::new();
    for candidate in candidates {
        if !candidate.is_file() {
            continue;
        }
        // The same file twice (output folder = project root) would only repeat its patterns.
        let canonical = std::fs::canonicalize(&candidate).unwrap_or(candidate.clone());
        if used
            .iter()
            .any(|u: &PathBuf| std::fs::canonicalize(u).ok().as_ref() == Some(&canonical))
        {
            continue;
        }
        if let Some(err) = builder.add(&candidate) {
            return Err(PackError::IgnoreFile {
                file: candidate,
                message: describe_ignore_error(&err),
            });
        }
        used.push(candidate);
    }
    let matcher = builder.build().map_err(|err| PackError::IgnoreFile {
        file: used
            .last()
            .cloned()
            .unwrap_or_else(|| output_dir.join(MINIAPPIGNORE)),
        message: err.to_string(),
    })?;
    Ok((matcher, used))
}

/// The first problem of an ignore-file error, as "line N: what", without the file's path
/// (the message names the file already).
fn describe_ignore_error(err: &ignore::Error) -> String {
    match err {
        ignore::Error::Partial(errors) => errors
            .first()
            .map(describe_ignore_error)
            .unwrap_or_else(|| err.to_string()),
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            describe_ignore_error(err)
        }
        ignore::Error::WithLineNumber { line, err } => {
            format!("line {line}: {}", describe_ignore_error(err))
        }
        other => other.to_string(),
    }
}

/// Why a file looks like a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretReason {
    /// The file name matches one of [`SECRET_NAME_PATTERNS`].
    Name { pattern: &'static str },
    /// The file contains a PEM private key block (the line is 1-based).
    PrivateKey { marker: String, line: usize },
}

impl std::fmt::Display for SecretReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretReason::Name { pattern } => write!(f, "its name matches `{pattern}`"),
            SecretReason::PrivateKey { marker, line } => {
                write!(f, "it contains `{marker}` on line {line}")
            }
        }
    }
}

/// A file of the package that looks like a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFinding {
    /// Path in the archive.
    pub path: String,
    pub reason: SecretReason,
}

/// File names that are secrets (or hold them) far more often than not.
pub const SECRET_NAME_PATTERNS: &[&str] = &[
    ".env*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".npmrc",
    "*.p12",
    "*.pfx",
];

/// The pattern of [`SECRET_NAME_PATTERNS`] that `file_name` matches, if any.
pub fn secret_name_pattern(file_name: &str) -> Option<&'static str> {
    SECRET_NAME_PATTERNS.iter().copied().find(|pattern| {
        if let Some(prefix) = pattern.strip_suffix('*') {
            file_name.starts_with(prefix)
        } else if let Some(suffix) = pattern.strip_prefix('*') {
            file_name.len() > suffix.len() && file_name.ends_with(suffix)
        } else {
            file_name == *pattern
        }
    })
}

/// Looks for `-----BEGIN ... PRIVATE KEY-----` in the first [`SECRET_SCAN_BYTES`] of a file.
pub(crate) fn scan_file_for_private_key(path: &Path) -> std::io::Result<Option<SecretReason>> {
    let mut head = Vec::with_capacity(64 * 1024);
    File::open(path)?
        .take(SECRET_SCAN_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(find_private_key(&head))
}

/// Finds a PEM private key header (RSA, EC, DSA, OPENSSH, ENCRYPTED or plain PKCS#8).
pub fn find_private_key(bytes: &[u8]) -> Option<SecretReason> {
    const END: &[u8] = b"PRIVATE KEY-----";
    const BEGIN: &[u8] = b"-----BEGIN ";
    let end_finder = memchr::memmem::Finder::new(END);
    for end_at in end_finder.find_iter(bytes) {
        // The BEGIN marker sits on the same line, a few words before.
        let line_start = bytes[..end_at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = &bytes[line_start..end_at];
        if let Some(begin_at) = memchr::memmem::rfind(line, BEGIN) {
            let between = &line[begin_at + BEGIN.len()..];
            // "-----BEGIN RSA PRIVATE KEY-----": only key-type words may stand between.
            if between.len() <= 24 && between.iter().all(|b| b.is_ascii_uppercase() || *b == b' ') {
                let marker_start = line_start + begin_at;
                let marker =
                    String::from_utf8_lossy(&bytes[marker_start..end_at + END.len()]).into_owned();
                let line_number = bytes[..marker_start]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                return Some(SecretReason::PrivateKey {
                    marker,
                    line: line_number,
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            ".env",
            ".env.local",
            "server.pem",
            "tls.key",
            "id_rsa",
            "id_rsa.pub",
            ".npmrc",
            "id_ed25519",
            "cert.p12",
        ] {
            assert!(
                secret_name_pattern(name).is_some(),
                "{name} should be a secret name"
            );
        }
        for name in [
            "env.js",
            "keyboard.js",
            "monkey.png",
            "app.json",
            "pem",
            ".key",
        ] {
            assert_eq!(
                secret_name_pattern(name),
                None,
                "{name} is not a secret name"
            );
        }
    }

    #[test]
    fn private_key_markers() {
        let text = b"const a = 1;\n// -----BEGIN RSA PRIVATE KEY-----\nMIIE...\n";
        assert_eq!(
            find_private_key(text),
            Some(SecretReason::PrivateKey {
                marker: "-----BEGIN RSA PRIVATE KEY-----".to_string(),
                line: 2
            })
        );
        assert!(find_private_key(b"-----BEGIN PRIVATE KEY-----").is_some());
        assert!(find_private_key(b"x-----BEGIN OPENSSH PRIVATE KEY-----").is_some());
        // Public keys and certificates are fine to ship.
        assert_eq!(
            find_private_key(b"-----BEGIN PUBLIC KEY-----\n-----BEGIN CERTIFICATE-----"),
            None
        );
        // The words must be on one line, as in a real PEM header.
        assert_eq!(find_private_key(b"-----BEGIN \nPRIVATE KEY-----"), None);
    }
}
