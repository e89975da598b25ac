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

/// Why a file looks like a secret. Never carries the secret itself: messages name the rule
/// and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretReason {
    /// The file name matches one of [`SECRET_NAME_PATTERNS`] (case-insensitively).
    Name { pattern: &'static str },
    /// A folder on the file's path is one of [`SECRET_FOLDERS`] (case-insensitively).
    Folder { folder: &'static str },
    /// The file contains a PEM private key block (the line is 1-based).
    PrivateKey { marker: String, line: usize },
    /// The file contains what one of [`SECRET_CONTENT_RULES`] describes (the line is 1-based).
    Content { rule: &'static str, line: usize },
}

impl std::fmt::Display for SecretReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretReason::Name { pattern } => write!(f, "its name matches `{pattern}`"),
            SecretReason::Folder { folder } => write!(f, "it is inside a `{folder}` folder"),
            SecretReason::PrivateKey { marker, line } => {
                write!(f, "it contains `{marker}` on line {line}")
            }
            SecretReason::Content { rule, line } => write!(f, "it contains {rule} on line {line}"),
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

/// File names that are secrets (or hold them) far more often than not, matched
/// case-insensitively (`.ENV` and `server.PEM` are what they look like). Anchored on
/// gitleaks' and secretlint's file rules, plus this tool's own credentials file.
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
    // This tool's own sessions (a copy of its home in the output folder).
    "credentials.json",
    ".netrc",
    "_netrc",
    ".htpasswd",
    "*.keystore",
    "*.jks",
    ".git-credentials",
    ".pgpass",
];

/// Folders whose content is never meant to ship: a repository (its config may hold a token
/// in a remote URL, its objects every past secret) and SSH, AWS and GnuPG homes.
pub const SECRET_FOLDERS: &[&str] = &[".git", ".ssh", ".aws", ".gnupg"];

/// What the content scan looks for in the first [`SECRET_SCAN_BYTES`] of every file, besides
/// PEM private keys: token formats with a fixed prefix (gitleaks' `aws-access-token`,
/// `github-pat`/`-oauth`/`-app-token`/`-refresh-token`/`github-fine-grained-pat`,
/// `npm-access-token`, `slack-*-token`; secretlint's aws/github/npm/slack rules) and env-file
/// style assignments. `(name, prefixes, alphabet, shortest body)`.
pub const SECRET_CONTENT_RULES: &[(&str, &[&str], TokenAlphabet, usize)] = &[
    (
        "a gopay-miniapp token",
        &["gpm_at_", "gpm_rt_", "gpm_pat_", "gpm_dc_", "gpm_ws_"],
        TokenAlphabet::Alphanumeric,
        16,
    ),
    (
        "an AWS access key id",
        &["AKIA", "ASIA", "ABIA", "ACCA"],
        TokenAlphabet::UpperDigits,
        16,
    ),
    (
        "a GitHub token",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        TokenAlphabet::Alphanumeric,
        36,
    ),
    (
        "a GitHub token",
        &["github_pat_"],
        TokenAlphabet::AlphanumericUnderscore,
        22,
    ),
    ("an npm token", &["npm_"], TokenAlphabet::Alphanumeric, 36),
    (
        "a Slack token",
        &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
        TokenAlphabet::AlphanumericDash,
        10,
    ),
];

/// Words that make an `UPPER_CASE_NAME=value` line a secret assignment (`JWT_SECRET=…`,
/// `DB_PASSWORD: …`, `export API_KEY=…`).
pub const SECRET_ASSIGNMENT_WORDS: &[&str] = &[
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];
/// The shortest value that counts as a secret in an assignment (`TOKEN=` or `TOKEN=x` do not).
pub const SECRET_ASSIGNMENT_MIN_VALUE: usize = 6;

/// Which characters a token's body is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAlphabet {
    Alphanumeric,
    AlphanumericUnderscore,
    AlphanumericDash,
    UpperDigits,
}

impl TokenAlphabet {
    fn contains(self, b: u8) -> bool {
        match self {
            TokenAlphabet::Alphanumeric => b.is_ascii_alphanumeric(),
            TokenAlphabet::AlphanumericUnderscore => b.is_ascii_alphanumeric() || b == b'_',
            TokenAlphabet::AlphanumericDash => b.is_ascii_alphanumeric() || b == b'-',
            TokenAlphabet::UpperDigits => b.is_ascii_uppercase() || b.is_ascii_digit(),
        }
    }
}

/// The pattern of [`SECRET_NAME_PATTERNS`] that `file_name` matches, if any (ASCII
/// case-insensitively).
pub fn secret_name_pattern(file_name: &str) -> Option<&'static str> {
    let name = file_name.to_ascii_lowercase();
    SECRET_NAME_PATTERNS.iter().copied().find(|pattern| {
        if let Some(prefix) = pattern.strip_suffix('*') {
            name.starts_with(prefix)
        } else if let Some(suffix) = pattern.strip_prefix('*') {
            name.len() > suffix.len() && name.ends_with(suffix)
        } else {
            name == *pattern
        }
    })
}

/// Why the archive path (`/`-separated) looks like a secret by its name or its folders.
pub fn secret_path_reason(archive_path: &str) -> Option<SecretReason> {
    let mut parts: Vec<&str> = archive_path.split('/').collect();
    let file_name = parts.pop().unwrap_or("");
    for part in parts {
        if let Some(folder) = SECRET_FOLDERS
            .iter()
            .copied()
            .find(|folder| part.eq_ignore_ascii_case(folder))
        {
            return Some(SecretReason::Folder { folder });
        }
    }
    secret_name_pattern(file_name).map(|pattern| SecretReason::Name { pattern })
}

/// Reads the first [`SECRET_SCAN_BYTES`] of a file and looks for secrets in them.
pub(crate) fn scan_file_for_secrets(path: &Path) -> std::io::Result<Option<SecretReason>> {
    let mut head = Vec::with_capacity(64 * 1024);
    File::open(path)?
        .take(SECRET_SCAN_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(find_secret(&head))
}

/// The first secret in `bytes` by [`find_private_key`], [`SECRET_CONTENT_RULES`] and
/// secret assignments; the earliest line wins, and on one line the first of those in that
/// order.
pub fn find_secret(bytes: &[u8]) -> Option<SecretReason> {
    let line_of = |at: usize| memchr::memchr_iter(b'\n', &bytes[..at]).count() + 1;
    let key = find_private_key(bytes).map(|reason| {
        let line = match &reason {
            SecretReason::PrivateKey { line, .. } => *line,
            _ => 0,
        };
        (line, reason)
    });
    let content = find_content_secret(bytes).map(|(at, rule)| {
        let line = line_of(at);
        (line, SecretReason::Content { rule, line })
    });
    match (key, content) {
        (Some(key), Some(content)) if content.0 < key.0 => Some(content.1),
        (Some(key), _) => Some(key.1),
        (None, content) => content.map(|(_, reason)| reason),
    }
}

/// The rule named for a secret assignment.
const ASSIGNMENT_RULE: &str = "a secret assignment (NAME=value)";

/// What one pattern of [`CONTENT_SCAN`] stands for.
enum Needle {
    /// A token prefix of [`SECRET_CONTENT_RULES`]; `order` is its rule's place in the table.
    Token {
        rule: &'static str,
        order: usize,
        alphabet: TokenAlphabet,
        min_body: usize,
    },
    /// One of [`SECRET_ASSIGNMENT_WORDS`]: the line that holds it may be an assignment.
    AssignmentWord,
}

/// Every token prefix and assignment word in one automaton, built once per process.
///
/// Why one automaton: a `memmem` pass per prefix (21 of them) plus a line-by-line assignment
/// scan cost 29 ms on the benchmark tree (37 MB); one leftmost-first search, which
/// aho-corasick runs with its SIMD "Teddy" prefilter, costs 7.6 ms for the same bytes
/// (docs/benchmarks.md, "Pack after #20"). An overlapping search, or an automaton built per
/// file, was slower than the passes it replaces.
static CONTENT_SCAN: std::sync::LazyLock<(aho_corasick::AhoCorasick, Vec<Needle>)> =
    std::sync::LazyLock::new(|| {
        let mut patterns: Vec<&'static str> = Vec::new();
        let mut needles = Vec::new();
        for (order, (rule, prefixes, alphabet, min_body)) in SECRET_CONTENT_RULES.iter().enumerate()
        {
            for prefix in *prefixes {
                patterns.push(prefix);
                needles.push(Needle::Token {
                    rule,
                    order,
                    alphabet: *alphabet,
                    min_body: *min_body,
                });
            }
        }
        for word in SECRET_ASSIGNMENT_WORDS {
            patterns.push(word);
            needles.push(Needle::AssignmentWord);
        }
        let automaton = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(&patterns)
            .expect("the secret scan's patterns are a small fixed list");
        (automaton, needles)
    });

/// The position and rule of the first token of [`SECRET_CONTENT_RULES`] (a prefix not glued
/// to a word before it, followed by at least its rule's shortest body) or secret assignment
/// line; on one line a token wins over an assignment, an earlier rule over a later one.
fn find_content_secret(bytes: &[u8]) -> Option<(usize, &'static str)> {
    let (automaton, needles) = &*CONTENT_SCAN;
    // (line start, order on the line, position, rule) of the best secret so far.
    let mut best: Option<(usize, usize, usize, &'static str)> = None;
    let mut line_start = 0;
    let mut lines_known_to = 0;
    let mut assignment_checked_on: Option<usize> = None;
    let mut from = 0;
    // Each search starts one byte after the last match's start, not after its end, so a
    // pattern that starts inside another's match is still seen (`AKIASIA…`).
    while let Some(found) = automaton.find(aho_corasick::Input::new(bytes).span(from..bytes.len()))
    {
        let at = found.start();
        from = at + 1;
        if let Some(newline) = memchr::memrchr(b'\n', &bytes[lines_known_to..at]) {
            line_start = lines_known_to + newline + 1;
        }
        lines_known_to = at;
        if best.is_some_and(|(best_line, ..)| line_start > best_line) {
            break;
        }
        let candidate = match needles[found.pattern().as_usize()] {
            Needle::Token {
                rule,
                order,
                alphabet,
                min_body,
            } => {
                let glued =
                    at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
                let body = bytes[found.end()..]
                    .iter()
                    .take_while(|&&b| alphabet.contains(b))
                    .count();
                (!glued && body >= min_body).then_some((order, at, rule))
            }
            Needle::AssignmentWord if assignment_checked_on != Some(line_start) => {
                assignment_checked_on = Some(line_start);
                let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
                assignment_line(&bytes[line_start..line_end]).then_some((
                    SECRET_CONTENT_RULES.len(),
                    line_start,
                    ASSIGNMENT_RULE,
                ))
            }
            Needle::AssignmentWord => None,
        };
        if let Some((order, at, rule)) = candidate {
            if best.is_none_or(|(best_line, best_order, ..)| {
                (line_start, order) < (best_line, best_order)
            }) {
                best = Some((line_start, order, at, rule));
            }
        }
    }
    best.map(|(_, _, at, rule)| (at, rule))
}

/// Whether `line` is `[export ]UPPER_NAME = value` (or `:`) whose name holds one of
/// [`SECRET_ASSIGNMENT_WORDS`] and whose value is at least [`SECRET_ASSIGNMENT_MIN_VALUE`]
/// characters that are not a reference (`${…}`, `process.env…`).
fn assignment_line(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii_start();
    let trimmed = trimmed.strip_prefix(b"export ").unwrap_or(trimmed);
    let name_len = trimmed
        .iter()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
        .count();
    if name_len == 0 || !trimmed[0].is_ascii_uppercase() {
        return false;
    }
    let name = &trimmed[..name_len];
    if !SECRET_ASSIGNMENT_WORDS
        .iter()
        .any(|word| memchr::memmem::find(name, word.as_bytes()).is_some())
    {
        return false;
    }
    let rest = trimmed[name_len..].trim_ascii_start();
    let Some(value) = rest.strip_prefix(b"=").or_else(|| rest.strip_prefix(b":")) else {
        return false;
    };
    let value = value.trim_ascii();
    let value = value
        .strip_prefix(b"\"")
        .and_then(|v| v.strip_suffix(b"\""))
        .or_else(|| value.strip_prefix(b"'").and_then(|v| v.strip_suffix(b"'")))
        .unwrap_or(value);
    let reference = value.starts_with(b"${") || value.starts_with(b"process.env");
    value.len() >= SECRET_ASSIGNMENT_MIN_VALUE && !reference
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

    /// One name per pattern, in another case too: every rule of the list is exercised.
    #[test]
    fn every_name_rule_matches_in_any_case() {
        let examples = [
            (".env*", ".ENV.production"),
            ("*.pem", "server.PEM"),
            ("*.key", "TLS.Key"),
            ("id_rsa*", "ID_RSA"),
            ("id_dsa*", "id_dsa.pub"),
            ("id_ecdsa*", "Id_Ecdsa"),
            ("id_ed25519*", "ID_ED25519"),
            (".npmrc", ".NPMRC"),
            ("*.p12", "cert.P12"),
            ("*.pfx", "cert.Pfx"),
            ("credentials.json", "Credentials.JSON"),
            (".netrc", ".NETRC"),
            ("_netrc", "_netrc"),
            (".htpasswd", ".HTPASSWD"),
            ("*.keystore", "release.KEYSTORE"),
            ("*.jks", "upload.JKS"),
            (".git-credentials", ".Git-Credentials"),
            (".pgpass", ".pgpass"),
        ];
        assert_eq!(examples.len(), SECRET_NAME_PATTERNS.len());
        for (pattern, name) in examples {
            assert_eq!(secret_name_pattern(name), Some(pattern), "{name}");
        }
    }

    #[test]
    fn every_folder_rule_matches_in_any_case() {
        for (folder, path) in [
            (".git", ".git/config"),
            (".ssh", "home/.SSH/known_hosts"),
            (".aws", ".aws/config"),
            (".gnupg", "x/.GnuPG/pubring.kbx"),
        ] {
            assert_eq!(
                secret_path_reason(path),
                Some(SecretReason::Folder { folder }),
                "{path}"
            );
        }
        assert_eq!(secret_path_reason("a/.gitkeep"), None);
        assert_eq!(secret_path_reason("git/index.js"), None);
    }

    #[test]
    fn every_content_rule_finds_its_token_on_its_line() {
        let body36 = "a".repeat(18) + &"B7".repeat(9);
        let cases = [
            (
                "a gopay-miniapp token",
                "gpm_at_0123456789abcdefXYZ".to_string(),
            ),
            (
                "a gopay-miniapp token",
                "gpm_pat_0123456789abcdefXYZ".to_string(),
            ),
            ("an AWS access key id", "AKIAIOSFODNN7EXAMPLE".to_string()),
            ("an AWS access key id", "ASIAIOSFODNN7EXAMPLE".to_string()),
            ("a GitHub token", format!("ghp_{body36}")),
            ("a GitHub token", format!("ghs_{body36}")),
            ("a GitHub token", format!("github_pat_11ABCDEFG_{body36}")),
            ("an npm token", format!("npm_{body36}")),
            ("a Slack token", "xoxb-1234567890-abcdef".to_string()),
        ];
        for (rule, token) in cases {
            let text = format!("const a = 1;\nconst t = \"{token}\";\n");
            assert_eq!(
                find_secret(text.as_bytes()),
                Some(SecretReason::Content { rule, line: 2 }),
                "{token}"
            );
        }
        // Too short, or glued to a word: not a token.
        assert_eq!(find_secret(b"AKIA1234"), None);
        assert_eq!(find_secret(b"MYAKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(find_secret(b"ghp_short"), None);
        assert_eq!(find_secret(b"var npm_config = 1"), None);
    }

    #[test]
    fn secret_assignments_are_found_and_references_are_not() {
        for line in [
            "JWT_SECRET=s3cr3t-value",
            "export API_KEY=\"abcdef123456\"",
            "  DB_PASSWORD: hunter22",
            "GITHUB_TOKEN = 'abcdefgh'",
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG",
        ] {
            let text = format!("# settings\n{line}\n");
            assert_eq!(
                find_secret(text.as_bytes()),
                Some(SecretReason::Content {
                    rule: ASSIGNMENT_RULE,
                    line: 2
                }),
                "{line}"
            );
        }
        for line in [
            "JWT_SECRET=",
            "TOKEN=abc",
            "API_KEY=${API_KEY}",
            "SECRET=process.env.SECRET",
            "const API_KEY = 'abcdefgh'",
            "jwt_secret=lowercase-is-code-not-env",
            "PORT=8080",
        ] {
            assert_eq!(find_secret(line.as_bytes()), None, "{line}");
        }
    }

    /// Leftmost-first reports one pattern per start position: none may be a prefix of another,
    /// or the shorter would hide the longer where both start.
    #[test]
    fn no_scan_pattern_is_a_prefix_of_another() {
        let patterns: Vec<&str> = SECRET_CONTENT_RULES
            .iter()
            .flat_map(|(_, prefixes, ..)| prefixes.iter().copied())
            .chain(SECRET_ASSIGNMENT_WORDS.iter().copied())
            .collect();
        for a in &patterns {
            for b in &patterns {
                assert!(a == b || !b.starts_with(a), "{a} is a prefix of {b}");
            }
        }
    }

    /// The plain definition of the content scan: a `memmem` pass per prefix and a line-by-line
    /// assignment scan (what the one automaton replaced for speed).
    fn content_secret_by_definition(bytes: &[u8]) -> Option<(usize, &'static str)> {
        let line_of = |at: usize| bytes[..at].iter().filter(|&&b| b == b'\n').count();
        let mut found: Option<(usize, usize, &'static str)> = None;
        let mut keep = |at: usize, rule: &'static str| {
            if found.is_none_or(|(line, ..)| line_of(at) < line) {
                found = Some((line_of(at), at, rule));
            }
        };
        for (rule, prefixes, alphabet, min_body) in SECRET_CONTENT_RULES {
            for prefix in *prefixes {
                let token = memchr::memmem::find_iter(bytes, prefix.as_bytes()).find(|&at| {
                    let glued =
                        at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
                    let body = bytes[at + prefix.len()..]
                        .iter()
                        .take_while(|&&b| alphabet.contains(b))
                        .count();
                    !glued && body >= *min_body
                });
                if let Some(at) = token {
                    keep(at, rule);
                }
            }
        }
        let mut start = 0;
        while start <= bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            if assignment_line(&bytes[start..end]) {
                keep(start, ASSIGNMENT_RULE);
                break;
            }
            start = end + 1;
        }
        found.map(|(_, at, rule)| (at, rule))
    }

    /// The automaton agrees with the definition on texts made of the rules' own pieces, glued
    /// and cut in every way a small generator reaches (deterministic: no flaky seeds).
    #[test]
    fn the_one_pass_scan_agrees_with_the_definition() {
        const PIECES: &[&str] = &[
            "AKIA",
            "ASIA",
            "ACCA",
            "SIA",
            "IOSFODNN7EXAMPLE",
            "\n",
            "x",
            "_",
            "-",
            " ",
            "ghp_",
            "github_pat_",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "JWT_SECRET",
            "API_KEY",
            "TOKEN",
            "PASSWORD",
            "=",
            ": ",
            "abcdefgh",
            "export ",
            "xoxb-",
            "1234567890",
            "npm_",
            "gpm_at_",
            "0123456789abcdef",
            "${X}",
            "'",
            "\"",
            "KEY",
            "é",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..1 + next(14) {
                text.push_str(PIECES[next(PIECES.len())]);
            }
            assert_eq!(
                find_content_secret(text.as_bytes()),
                content_secret_by_definition(text.as_bytes()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_earliest_secret_is_reported() {
        let text = b"x\nAKIAIOSFODNN7EXAMPLE\n-----BEGIN RSA PRIVATE KEY-----\n";
        assert_eq!(
            find_secret(text),
            Some(SecretReason::Content {
                rule: "an AWS access key id",
                line: 2
            })
        );
    }
}
