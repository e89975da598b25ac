//! The one way the CLI writes text to the terminal (docs/security.md, "Output and URLs").
//!
//! Much of what the CLI prints comes from outside: reject reasons written by a target app's
//! admin, descriptions and release notes, names of apps, spaces and tokens, the portal's error
//! messages, file names of a project, a build's output. A terminal obeys the escape sequences
//! in such text, so every byte of text the CLI prints goes through [`gopay_miniapp_guard::text`]
//! here: `say!`/`sayln!` (stdout) and `esay!`/`esayln!` (stderr) replace `print!` and friends
//! (`tests/say.rs` fails on any other printing in the crate). Our own newlines and tabs stay;
//! everything else the guard lists is shown instead of obeyed, and each line is cut at
//! [`gopay_miniapp_guard::text::LINE_CHARS`]. Values embedded in one line (a reason, a name)
//! are also wrapped in [`gopay_miniapp_guard::text::Shown`] where they are formatted, so a
//! newline inside one cannot forge a line of ours.
//!
//! `--json` documents are printed by [`json`]: serde_json escapes control characters already;
//! the other hidden characters (C1, bidi, invisible format characters) are escaped as `\uXXXX`
//! too, so the document means the same and shows the same.

use std::io::Write;

use gopay_miniapp_guard::text::{self, Lines};

/// `print!` through the sanitiser.
macro_rules! say {
    ($($arg:tt)*) => { $crate::say::stdout(&format!($($arg)*), false) };
}

/// `println!` through the sanitiser.
macro_rules! sayln {
    () => { $crate::say::stdout("", true) };
    ($($arg:tt)*) => { $crate::say::stdout(&format!($($arg)*), true) };
}

/// `eprint!` through the sanitiser.
macro_rules! esay {
    ($($arg:tt)*) => { $crate::say::stderr(&format!($($arg)*), false) };
}

/// `eprintln!` through the sanitiser.
macro_rules! esayln {
    () => { $crate::say::stderr("", true) };
    ($($arg:tt)*) => { $crate::say::stderr(&format!($($arg)*), true) };
}

pub fn stdout(text: &str, newline: bool) {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{}", Lines(text));
    if newline {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}

pub fn stderr(text: &str, newline: bool) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{}", Lines(text));
    if newline {
        let _ = err.write_all(b"\n");
    }
    let _ = err.flush();
}

/// A progress line redrawn in place on a terminal: our own carriage return, then `text`.
pub fn redraw(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r{}", Lines(text));
    let _ = err.flush();
}

/// One JSON document on stdout, pretty-printed, hidden characters escaped.
pub fn json(value: &serde_json::Value) {
    let mut bytes = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut bytes, Escaping::default());
    serde::Serialize::serialize(value, &mut ser).expect("results serialize");
    bytes.push(b'\n');
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&bytes);
    let _ = out.flush();
}

/// serde_json's pretty formatter, with every character the guard hides escaped as `\uXXXX`
/// inside strings (serde_json escapes C0 itself).
#[derive(Default)]
struct Escaping(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for Escaping {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if text::is_hidden(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{:04x}", unit)?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    // The rest is the pretty formatter's.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_escapes_hidden_characters_and_means_the_same() {
        let value =
            serde_json::json!({"reason": "a\u{1b}[2J\u{202e}b\u{9b}\u{e0041}", "n": [1, 2]});
        let mut bytes = Vec::new();
        let mut ser =
            serde_json::Serializer::with_formatter(&mut bytes, super::Escaping::default());
        serde::Serialize::serialize(&value, &mut ser).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.is_ascii(), "{text}");
        assert!(
            text.contains(r#""a\u001b[2J\u202eb\u009b\udb40\udc41""#),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }
}

/// The rule of this module kept: no printing in the crate but here.
#[cfg(test)]
mod one_path {
    #[test]
    fn nothing_else_in_the_crate_prints() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        let mut dirs = vec![src];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.file_name().unwrap() == "say.rs" {
                    continue;
                }
                let code = std::fs::read_to_string(&path).unwrap();
                for (n, line) in code.lines().enumerate() {
                    let raw = ["print!(", "println!(", "eprint!(", "eprintln!("]
                        .iter()
                        .any(|m| line.contains(m))
                        || line.contains("io::stdout()")
                        || line.contains("io::stderr().write")
                        || line.contains("writeln!(");
                    if raw {
                        offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "print through crate::say (say!, sayln!, esay!, esayln!):\n{}",
            offenders.join("\n")
        );
    }
}
