//! The first error of a failed build that names a file of the project, typed (file, line,
//! column, message), so that editors put it in their problems list and every front end says
//! it instead of "error during build:".
//!
//! The shapes are those the common tools print (observed in their output, not a standard):
//! `file:line:col` (vite, rollup, esbuild, eslint, `tsc --pretty`), `file(line,col)` (plain
//! `tsc`), `file (line:col)` (rollup's plugin errors) and `file line:col` (webpack's
//! `ERROR in ./src/x.js 3:7`). A location is only taken when its file exists inside the project
//! and outside `node_modules`: a stack trace of the tool itself, a URL or a path elsewhere on
//! the machine is never offered as the user's file. The message is the location line's own
//! text, or, when the location stands on a line of its own (esbuild's and vite 7's frames),
//! the last error-looking line before it.

use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// Longer messages are cut (the whole output went to the log).
const MESSAGE_MAX: usize = 300;

/// A build error at a place in a file of the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceError {
    /// Relative to the project folder, with `/` separators.
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based, when the tool gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

static LOCATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
        (?P<file>(?:[A-Za-z]:)?[\w@~./\\-]*[\w-]\.[A-Za-z][A-Za-z0-9]{0,5})
        (?:
            :(?P<l1>\d{1,7}):(?P<c1>\d{1,7})        # file:line:col
          | \((?P<l2>\d{1,7}),(?P<c2>\d{1,7})\)     # file(line,col)
          | \s\((?P<l3>\d{1,7}):(?P<c3>\d{1,7})\)   # file (line:col)
          | \s(?P<l4>\d{1,7}):(?P<c4>\d{1,7})\b     # file line:col
          | :(?P<l5>\d{1,7})\b                      # file:line
        )"#,
    )
    .expect("the location pattern compiles")
});

static ANSI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]").expect("the ANSI pattern compiles"));

fn looks_like_error(line: &str) -> bool {
    let lower = line.to_lowercase();
    ["error", "✘", "failed", "cannot", "could not", "unexpected"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Fed every line of a build's output; keeps the first error that names a project file.
#[derive(Debug)]
pub struct ErrorFinder {
    project: PathBuf,
    /// The last error-looking line without a location (the message of a frame that follows).
    last_error_text: Option<String>,
    found: Option<SourceError>,
}

impl ErrorFinder {
    pub fn new(project: &Path) -> Self {
        ErrorFinder {
            // Symlinks resolved once, so a file's own resolution compares with it.
            project: project
                .canonicalize()
                .unwrap_or_else(|_| project.to_path_buf()),
            last_error_text: None,
            found: None,
        }
    }

    pub fn found(self) -> Option<SourceError> {
        self.found
    }

    pub fn line(&mut self, raw: &str) {
        if self.found.is_some() {
            return;
        }
        let line = ANSI.replace_all(raw, "");
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        for caps in LOCATION.captures_iter(line) {
            let Some(file) = self.confined(&caps["file"]) else {
                continue;
            };
            let number = |a: &str, b: &str, c: &str, d: &str, e: &str| {
                [a, b, c, d, e]
                    .iter()
                    .find_map(|n| caps.name(n))
                    .and_then(|m| m.as_str().parse::<u32>().ok())
            };
            let Some(line_no) = number("l1", "l2", "l3", "l4", "l5").filter(|n| *n > 0) else {
                continue;
            };
            let column = ["c1", "c2", "c3", "c4"]
                .iter()
                .find_map(|n| caps.name(n))
                .and_then(|m| m.as_str().parse::<u32>().ok())
                .filter(|n| *n > 0);
            let whole = caps.get(0).expect("a match");
            let own = message_of(&line[..whole.start()], &line[whole.end()..]);
            let message = match (own, &self.last_error_text) {
                (Some(own), _) if looks_like_error(&own) || self.last_error_text.is_none() => own,
                (_, Some(before)) => before.clone(),
                (own, None) => own.unwrap_or_else(|| line.to_string()),
            };
            // A location with nothing said about an error anywhere near it is a listing
            // (vite's "dist/x.js 1.2 kB"), not an error.
            if !looks_like_error(line) && self.last_error_text.is_none() {
                continue;
            }
            self.found = Some(SourceError {
                file,
                line: line_no,
                column,
                message: shown_text(&message),
            });
            return;
        }
        if looks_like_error(line) {
            self.last_error_text = Some(shown_text(line));
        }
    }

    /// `name` as a path relative to the project, when it is an existing file inside it and
    /// not a dependency's.
    fn confined(&self, name: &str) -> Option<String> {
        let name = name.trim_start_matches("file://");
        let path = Path::new(name);
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.project.join(path)
        };
        let real = joined.canonicalize().ok()?;
        if !real.is_file() {
            return None;
        }
        let relative = real.strip_prefix(&self.project).ok()?;
        if relative
            .components()
            .any(|c| c == Component::Normal("node_modules".as_ref()))
        {
            return None;
        }
        let parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        // A name that would print as something else (bidi, controls) is not offered: the
        // editor opens the file by it, so it cannot be shown cleaned instead.
        let file = parts.join("/");
        gopay_miniapp_guard::text::check_name(&file).ok()?;
        Some(file)
    }
}

/// What a location line says besides the location: the text after it (`: message`,
/// ` - error TS2322: …`), else before it (`[plugin x] src/a.js (3:7)` keeps `[plugin x]`).
fn message_of(before: &str, after: &str) -> Option<String> {
    let after = after
        .trim_start_matches([':', ' ', '-', ']', '│', '╭', '─', '['])
        .trim();
    let before = before
        .trim_end_matches([' ', '[', '─', '╭', '│', ':'])
        .trim();
    let before = before.strip_prefix("ERROR in").map_or(before, str::trim);
    [after, before]
        .into_iter()
        .find(|t| t.chars().any(char::is_alphabetic))
        .map(str::to_string)
}

/// A build's text as shown anywhere (terminal, log, problems list): controls, bidi and
/// invisible characters shown instead of obeyed, cut at [`MESSAGE_MAX`] (guard::text's rules).
pub fn shown_text(text: &str) -> String {
    use gopay_miniapp_guard::text;
    text::cut(&text::clean(text), MESSAGE_MAX).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::create_dir_all(dir.path().join("node_modules/vite/dist")).unwrap();
        for f in [
            "src/main.js",
            "src/main.ts",
            "src/index.js",
            "node_modules/vite/dist/cli.js",
        ] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        dir
    }

    fn find(dir: &Path, output: &str) -> Option<SourceError> {
        let mut finder = ErrorFinder::new(dir);
        for line in output.lines() {
            finder.line(line);
        }
        finder.found()
    }

    fn at(file: &str, line: u32, column: Option<u32>, message: &str) -> Option<SourceError> {
        Some(SourceError {
            file: file.into(),
            line,
            column,
            message: message.into(),
        })
    }

    #[test]
    fn the_shapes_of_vite_rollup_esbuild_tsc_and_webpack() {
        let dir = project();
        let d = dir.path();
        // vite 7 (rolldown): the message first, the location in a frame below it.
        assert_eq!(
            find(
                d,
                "vite v7.0.0 building for production...\n✓ 3 modules transformed.\nerror during build:\nBuild failed with 1 error:\n[PARSE_ERROR] Error: Expected `,` or `)` but found `;`\n    ╭─[ src/main.js:61:55 ]\n 61 │ foo(;\n"
            ),
            at("src/main.js", 61, Some(55), "[PARSE_ERROR] Error: Expected `,` or `)` but found `;`")
        );
        // rollup / vite's plugin errors.
        assert_eq!(
            find(d, "error during build:\n[vite:esbuild] Transform failed with 1 error:\nsrc/main.ts (3:7): Unexpected \"}\""),
            at("src/main.ts", 3, Some(7), "Unexpected \"}\"")
        );
        // esbuild.
        assert_eq!(
            find(d, "✘ [ERROR] Could not resolve \"nope\"\n\n    src/index.js:1:7:\n      1 │ import \"nope\"\n"),
            at("src/index.js", 1, Some(7), "✘ [ERROR] Could not resolve \"nope\"")
        );
        // tsc, plain and pretty.
        assert_eq!(
            find(
                d,
                "src/main.ts(4,9): error TS2322: Type 'string' is not assignable to type 'number'."
            ),
            at(
                "src/main.ts",
                4,
                Some(9),
                "error TS2322: Type 'string' is not assignable to type 'number'."
            )
        );
        assert_eq!(
            find(d, "\x1b[96msrc/main.ts\x1b[0m:\x1b[93m4\x1b[0m:\x1b[93m9\x1b[0m - \x1b[91merror\x1b[0m TS2322: Nope."),
            at("src/main.ts", 4, Some(9), "error TS2322: Nope.")
        );
        // webpack: the location line says nothing else, so it is its own message.
        assert_eq!(
            find(
                d,
                "ERROR in ./src/index.js 3:7\nModule parse failed: Unexpected token (3:7)"
            ),
            at("src/index.js", 3, Some(7), "ERROR in ./src/index.js 3:7")
        );
    }

    #[test]
    fn files_outside_the_project_dependencies_and_listings_are_not_offered() {
        let dir = project();
        let d = dir.path();
        assert_eq!(
            find(
                d,
                "Error: boom\n    at run (node_modules/vite/dist/cli.js:12:3)"
            ),
            None
        );
        assert_eq!(find(d, "error: /etc/passwd:1:1: nope"), None);
        assert_eq!(find(d, "error: ../outside.js:1:1: nope"), None);
        assert_eq!(find(d, "error: src/missing.js:1:1: nope"), None);
        assert_eq!(
            find(d, "dist/index.html 0.45 kB\nsrc/main.js:1:1 listed"),
            None
        );
        let long = format!("src/main.js:2:3: error {}", "x".repeat(1000));
        let found = find(d, &long).unwrap();
        assert!(
            found.message.chars().count() < MESSAGE_MAX + 30,
            "{found:?}"
        );
        // What the build printed is shown, not obeyed.
        let hostile = find(d, "src/main.js:2:3: error \u{202e}evil\u{7}").unwrap();
        assert!(
            !hostile.message.contains('\u{202e}') && !hostile.message.contains('\u{7}'),
            "{hostile:?}"
        );
    }
}
