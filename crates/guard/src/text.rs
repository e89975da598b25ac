//! Text from outside (a portal's answers, names and notes written by other people, a project's
//! files and build output) on its way to a terminal, a log or an editor.
//!
//! A terminal obeys what it is sent: an escape sequence from a reject reason can retitle the
//! window, clear the screen or overwrite the line above, a carriage return can hide what came
//! before it, and a bidi control can make text read differently from what it is (Trojan
//! Source). So every character that is not meant to be seen is **shown instead of obeyed**, in
//! a form a person can read back:
//!
//! | what | shown as |
//! | --- | --- |
//! | `\n`, `\r`, `\t` | `\n`, `\r`, `\t` (`\n` and `\t` kept as they are in [`Lines`]) |
//! | other C0 controls and DEL (U+0000–U+001F, U+007F), e.g. ESC | `\x1b` (two hex digits) |
//! | C1 controls (U+0080–U+009F) | `\u{9b}` |
//! | bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) | `\u{202e}` |
//! | invisible format characters: U+00AD, U+180E, U+200B, U+2028, U+2029, U+2060–U+2064, U+206A–U+206F, U+FEFF, U+FFF9–U+FFFB, tags U+E0000–U+E007F | `\u{200b}` |
//!
//! Everything else passes unchanged, so plain text (any script, emoji with their joiners U+200C
//! and U+200D) is printed exactly as it was written. A backslash is not escaped: the shown form
//! is for reading, not for decoding.
//!
//! Long values are cut: a value inside a message at [`VALUE_CHARS`] characters, a line printed
//! on its own (a build's output line, a log line) at [`LINE_CHARS`], counted in characters as
//! shown. The cut is marked: `…[+9800 characters]` (how many characters of the value were not
//! shown). So a 10 kB version string costs a message 200 characters, not 10 kB.
//!
//! The API:
//! - [`Shown`] (`Shown(value)` or [`shown`]): one value inside a message; single-line, cut at
//!   [`VALUE_CHARS`]. `format!("version \"{}\" is not x.y.z", Shown(&v))`.
//! - [`Line`]: one line printed on its own (a portal's error message, a build's output line);
//!   single-line, cut at [`LINE_CHARS`].
//! - [`Lines`]: text of several lines printed as it is meant (a log, a notice); `\n` and `\t`
//!   kept, every line cut at [`LINE_CHARS`].
//! - [`clean`] / [`clean_lines`]: the same without cutting, as a `Cow` (borrowed when nothing
//!   needed changing), for text we already bound otherwise.
//! - [`cut`]: cutting alone, for a limit of the caller's.

use std::borrow::Cow;
use std::fmt::{self, Display, Write};

/// Characters of one value inside a message (a name, a version, a reason) as shown.
pub const VALUE_CHARS: usize = 200;

/// Characters of one line printed on its own (a build's output line, a log line, each line of
/// a [`Lines`]) as shown.
pub const LINE_CHARS: usize = 2000;

/// One value inside a message: every control, bidi and invisible format character shown
/// (newlines too: a value never starts a line of its own), cut at [`VALUE_CHARS`].
#[derive(Clone, Copy)]
pub struct Shown<'a>(pub &'a str);

/// [`Shown`] of a value.
pub fn shown(value: &str) -> Shown<'_> {
    Shown(value)
}

impl Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.width().is_some() {
            // `{:<20}` in a table: pad what is shown.
            let mut shown = String::new();
            write_cut(&mut shown, self.0, false, VALUE_CHARS)?;
            return f.pad(&shown);
        }
        write_cut(f, self.0, false, VALUE_CHARS)
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// One line printed on its own from outside (a portal's message, a build's output line, a log
/// line): as [`Shown`], cut at [`LINE_CHARS`].
#[derive(Clone, Copy)]
pub struct Line<'a>(pub &'a str);

impl Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_cut(f, self.0, false, LINE_CHARS)
    }
}

/// Text of several lines from outside: `\n` and `\t` kept, everything else of [`Shown`]'s
/// list shown, each line cut at [`LINE_CHARS`].
#[derive(Clone, Copy)]
pub struct Lines<'a>(pub &'a str);

impl Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.0.split('\n').enumerate() {
            if i > 0 {
                f.write_char('\n')?;
            }
            write_cut(f, line, true, LINE_CHARS)?;
        }
        Ok(())
    }
}

/// `value` as one line: every character of the table shown, `\n` and `\t` included. Not cut.
pub fn clean(value: &str) -> Cow<'_, str> {
    clean_with(value, false)
}

/// `text` with its lines kept: as [`clean`], but `\n` and `\t` stay. Not cut.
pub fn clean_lines(text: &str) -> Cow<'_, str> {
    clean_with(text, true)
}

/// `value` cut at `max_chars` characters (the marker is added past them): unchanged when it
/// is not longer. Nothing is cleaned: combine with [`clean`], or use [`Shown`].
pub fn cut(value: &str, max_chars: usize) -> Cow<'_, str> {
    match value.char_indices().nth(max_chars) {
        None => Cow::Borrowed(value),
        Some((at, _)) => {
            let rest = value[at..].chars().count();
            Cow::Owned(format!("{}{}", &value[..at], Marker(rest)))
        }
    }
}

/// Bidi controls (embeddings, overrides, isolates, marks): they make text display as other
/// text. Also refused in package entry names (`entries`).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is shown instead of printed as it is (in a single-line value).
pub fn is_hidden(c: char) -> bool {
    is_bidi_control(c)
        || matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // Invisible format characters and line/paragraph separators (some terminals and
        // editors break lines at them). ZWNJ/ZWJ (U+200C/D) stay: scripts and emoji need them.
        | '\u{ad}' | '\u{180e}' | '\u{200b}' | '\u{2028}' | '\u{2029}' | '\u{2060}'..='\u{2064}'
        | '\u{206a}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

/// Why a name (of a user, space, MiniApp, target app or token) is refused where it is stored:
/// a name is one line of visible text, so a character [`is_hidden`] (a newline included) is
/// refused rather than stored, whatever every reader of it does on its side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiddenInName {
    /// The first such character.
    pub found: char,
}

impl Display for HiddenInName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "contains the control or invisible character {} (U+{:04X}); a name is plain visible text on one line",
            Escaped(self.found),
            self.found as u32
        )
    }
}

impl std::error::Error for HiddenInName {}

/// `name` unless it has a character [`is_hidden`].
pub fn check_name(name: &str) -> Result<&str, HiddenInName> {
    match name.chars().find(|&c| is_hidden(c)) {
        Some(found) => Err(HiddenInName { found }),
        None => Ok(name),
    }
}

fn kept(c: char, lines: bool) -> bool {
    !is_hidden(c) || (lines && (c == '\n' || c == '\t'))
}

fn clean_with(value: &str, lines: bool) -> Cow<'_, str> {
    if value.chars().all(|c| kept(c, lines)) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if kept(c, lines) {
            out.push(c);
        } else {
            let _ = write!(out, "{}", Escaped(c));
        }
    }
    Cow::Owned(out)
}

/// Writes `value` cleaned, stopping before the shown text would pass `max` characters.
fn write_cut(f: &mut impl Write, value: &str, lines: bool, max: usize) -> fmt::Result {
    let mut written = 0;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        let width = if kept(c, lines) {
            1
        } else {
            Escaped(c).width()
        };
        if written + width > max {
            return write!(f, "{}", Marker(1 + chars.count()));
        }
        written += width;
        if kept(c, lines) {
            f.write_char(c)?;
        } else {
            write!(f, "{}", Escaped(c))?;
        }
    }
    Ok(())
}

/// The shown form of a hidden character.
struct Escaped(char);

impl Escaped {
    fn width(&self) -> usize {
        match self.0 {
            '\n' | '\r' | '\t' => 2,
            '\0'..='\u{1f}' | '\u{7f}' => 4,
            c => 4 + format!("{:x}", c as u32).len(),
        }
    }
}

impl Display for Escaped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            '\n' => f.write_str("\\n"),
            '\r' => f.write_str("\\r"),
            '\t' => f.write_str("\\t"),
            c @ ('\0'..='\u{1f}' | '\u{7f}') => write!(f, "\\x{:02x}", c as u32),
            c => write!(f, "\\u{{{:x}}}", c as u32),
        }
    }
}

/// The end of a cut value: how many characters were left out.
struct Marker(usize);

impl Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.0 == 1 { "" } else { "s" };
        write!(f, "{}{} character{s}]", Marker::START, self.0)
    }
}

impl Marker {
    const START: &'static str = "…[+";
}

/// `shown` without the markers of its cuts: what was kept of the values, for checks of what a
/// text shows (the fuzz oracles look for a password there; a marker's count is the tool's own
/// text, and `…[+147 characters]` holds a password `7`).
pub fn without_cut_markers(shown: &str) -> Cow<'_, str> {
    if !shown.contains(Marker::START) {
        return Cow::Borrowed(shown);
    }
    let mut out = String::with_capacity(shown.len());
    let mut rest = shown;
    while let Some(at) = rest.find(Marker::START) {
        let after = &rest[at + Marker::START.len()..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let marker = after[..digits]
            .parse()
            .ok()
            .map(|count| Marker(count).to_string())
            .filter(|m| rest[at..].starts_with(m.as_str()));
        match marker {
            Some(marker) => {
                out.push_str(&rest[..at]);
                rest = &rest[at + marker.len()..];
            }
            None => {
                out.push_str(&rest[..at + Marker::START.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The most characters a [`Shown`] of anything prints (the limit and the longest marker).
pub const VALUE_SHOWN_MAX: usize = VALUE_CHARS + MARKER_MAX;

/// The longest marker: `…[+` , 20 digits, ` characters]`.
pub const MARKER_MAX: usize = 3 + 20 + 12;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        // A title change, a screen clear and a line overwrite, as a reject reason.
        let reason = "\u{1b}]0;pwned\u{7}\u{1b}[2J\rok";
        assert_eq!(Shown(reason).to_string(), "\\x1b]0;pwned\\x07\\x1b[2J\\rok");
        assert_eq!(clean("a\u{9b}31m"), "a\\u{9b}31m");
    }

    #[test]
    fn bidi_and_invisible_characters_are_shown() {
        assert_eq!(clean("admin\u{202e}gnp.exe"), "admin\\u{202e}gnp.exe");
        assert_eq!(
            clean("a\u{2066}b\u{2069}\u{200e}\u{61c}"),
            "a\\u{2066}b\\u{2069}\\u{200e}\\u{61c}"
        );
        assert_eq!(
            clean("zero\u{200b}width\u{feff}"),
            "zero\\u{200b}width\\u{feff}"
        );
        assert_eq!(clean("tag\u{e0041}"), "tag\\u{e0041}");
    }

    #[test]
    fn plain_text_of_any_script_is_unchanged_and_borrowed() {
        for s in [
            "1.2.3",
            "Ünïcödé — ok",
            "日本語のテキスト",
            "👩‍💻 ship it",
            "نص عربي",
            "a\\x1b",
        ] {
            assert!(matches!(clean(s), Cow::Borrowed(_)), "{s}");
            assert_eq!(Shown(s).to_string(), s);
        }
    }

    #[test]
    fn newlines_are_kept_only_in_lines() {
        let text = "line one\n\tline two\r\n\u{1b}[1A";
        assert_eq!(clean(text), "line one\\n\\tline two\\r\\n\\x1b[1A");
        assert_eq!(clean_lines(text), "line one\n\tline two\\r\n\\x1b[1A");
        assert_eq!(Lines(text).to_string(), "line one\n\tline two\\r\n\\x1b[1A");
    }

    #[test]
    fn long_values_are_cut_with_a_marker() {
        let version = "9".repeat(10_000);
        let shown = Shown(&version).to_string();
        assert_eq!(shown, format!("{}…[+9800 characters]", "9".repeat(200)));
        assert_eq!(cut("abcdef", 3), "abc…[+3 characters]");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("ab…", 2), "ab…[+1 character]");
        let message = "m".repeat(LINE_CHARS + 1);
        assert_eq!(
            Line(&message).to_string(),
            format!("{}…[+1 character]", "m".repeat(LINE_CHARS))
        );
        // Lines cuts each line on its own.
        let text = format!("{}\nshort", "x".repeat(LINE_CHARS + 5));
        assert_eq!(
            Lines(&text).to_string(),
            format!("{}…[+5 characters]\nshort", "x".repeat(LINE_CHARS))
        );
    }

    #[test]
    fn the_markers_of_cuts_can_be_left_out() {
        let text = format!("{}\nshort", "x".repeat(LINE_CHARS + 147));
        let shown = Lines(&text).to_string();
        assert_eq!(
            without_cut_markers(&shown),
            format!("{}\nshort", "x".repeat(LINE_CHARS))
        );
        assert_eq!(without_cut_markers(&cut("ab…", 2)), "ab");
        // Only whole markers: text that merely starts like one stays.
        assert_eq!(
            without_cut_markers("a…[+7 apples] b…[+ c…[+1 characters]"),
            "a…[+7 apples] b…[+ c…[+1 characters]"
        );
    }

    #[test]
    fn names_with_hidden_characters_are_refused() {
        assert_eq!(check_name("Wallet Tools ✓"), Ok("Wallet Tools ✓"));
        let err = check_name("ci\u{1b}]0;x\u{7}").unwrap_err();
        assert_eq!(err.found, '\u{1b}');
        assert!(err.to_string().contains("\\x1b (U+001B)"), "{err}");
        assert!(check_name("a\nb").is_err());
        assert!(check_name("a\u{202e}b").is_err());
    }

    #[test]
    fn shown_pads_in_tables() {
        assert_eq!(format!("{:<6}|", Shown("a\u{1b}")), "a\\x1b |");
    }

    #[test]
    fn the_limit_counts_what_is_shown() {
        // 199 plain characters and an ESC (4 shown): the ESC does not fit.
        let value = format!("{}\u{1b}", "a".repeat(199));
        assert_eq!(
            Shown(&value).to_string(),
            format!("{}…[+1 character]", "a".repeat(199))
        );
    }

    fn printed_hidden(s: &str, lines: bool) -> Option<char> {
        s.chars()
            .find(|&c| is_hidden(c) && !(lines && (c == '\n' || c == '\t')))
    }

    proptest! {
        #[test]
        fn shown_has_no_hidden_character_and_is_bounded(s in any::<String>()) {
            let out = Shown(&s).to_string();
            prop_assert_eq!(printed_hidden(&out, false), None);
            prop_assert!(out.chars().count() <= VALUE_SHOWN_MAX);
        }

        #[test]
        fn lines_keep_only_newlines_and_tabs(s in "(\\PC|[\\x00-\\x1f\\x7f-\\x9f\u{202e}\u{2066}\u{200b}])*") {
            let out = Lines(&s).to_string();
            prop_assert_eq!(printed_hidden(&out, true), None);
            prop_assert_eq!(out.matches('\n').count(), s.matches('\n').count());
            for line in out.split('\n') {
                prop_assert!(line.chars().count() <= LINE_CHARS + MARKER_MAX);
            }
        }

        #[test]
        fn plain_printable_text_is_unchanged(s in "[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\x{e0000}-\\x{e007f}]{0,200}") {
            prop_assert_eq!(Shown(&s).to_string(), s.clone());
            prop_assert_eq!(clean(&s), s.as_str());
        }

        #[test]
        fn clean_is_shown_without_the_cut(s in any::<String>()) {
            let cleaned = clean(&s);
            prop_assert_eq!(printed_hidden(&cleaned, false), None);
            if cleaned.chars().count() <= VALUE_CHARS {
                prop_assert_eq!(Shown(&s).to_string(), cleaned.into_owned());
            }
        }
    }
}
