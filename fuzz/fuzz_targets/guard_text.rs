//! The output sanitiser (crates/guard/src/text.rs): whatever a portal or a project sends, what
//! reaches a terminal has no control, bidi or invisible format character, is bounded, and plain
//! printable text passes unchanged.
#![no_main]
use gopay_miniapp_guard::text::{self, Lines, Shown};
use libfuzzer_sys::fuzz_target;

fn hidden(s: &str, keep_lines: bool) -> Option<char> {
    s.chars()
        .find(|&c| text::is_hidden(c) && !(keep_lines && (c == '\n' || c == '\t')))
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);

    let shown = Shown(&input).to_string();
    assert_eq!(hidden(&shown, false), None, "{shown:?}");
    assert!(shown.chars().count() <= text::VALUE_SHOWN_MAX);

    let cleaned = text::clean(&input);
    assert_eq!(hidden(&cleaned, false), None);

    let lines = Lines(&input).to_string();
    assert_eq!(hidden(&lines, true), None);
    assert_eq!(lines.matches('\n').count(), input.matches('\n').count());
    for line in lines.split('\n') {
        assert!(line.chars().count() <= text::LINE_CHARS + text::MARKER_MAX);
    }

    // Identity on plain printable text.
    if hidden(&input, false).is_none() {
        assert_eq!(cleaned, input);
        if input.chars().count() <= text::VALUE_CHARS {
            assert_eq!(shown, input);
        }
    }
});
