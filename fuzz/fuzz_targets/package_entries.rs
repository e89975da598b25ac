//! The package entry validator (crates/guard/src/entries.rs), the one `pack`, `upload` and both
//! portals use.
//!
//! Properties, for any input: nothing panics; every name accepted (alone, or inside a ZIP
//! read the way the portals read packages) stays inside the package: no `..` part, no leading
//! `/`, no `\`, no NUL or other control character, no `:` (so no drive letter); an accepted
//! ZIP unpacks to no more than the limit, counted. Three views of the input: one name; a ZIP
//! read as it is; and a ZIP built from it (lines are entry names, each stored with a few
//! bytes, the first byte deciding whether one entry is a link), so names reach the ZIP check
//! far more often than random bytes would make a valid ZIP.
#![no_main]

use std::io::Cursor;

use gopay_miniapp_guard::entries::testing::{raw_zip, RawEntry};
use gopay_miniapp_guard::entries::{check_name, check_zip, Limits};
use libfuzzer_sys::fuzz_target;

fn assert_stays_inside(name: &str) {
    assert!(!name.starts_with('/'), "{name:?} is absolute");
    assert!(!name.contains('\\'), "{name:?} has a backslash");
    assert!(!name.contains(':'), "{name:?} has a colon (a drive letter)");
    assert!(
        !name.chars().any(char::is_control),
        "{name:?} has a control character"
    );
    assert!(
        !name.split('/').any(|part| part == ".."),
        "{name:?} escapes"
    );
}

fuzz_target!(|data: &[u8]| {
    // A small unpacked limit keeps every run's inflating short.
    let limits = Limits {
        max_expanded: 1 << 20,
        ratio_free_bytes: 64 * 1024,
        ..Limits::default()
    };

    if check_name(data, &limits).is_ok() {
        let name = std::str::from_utf8(data).expect("an accepted name is UTF-8");
        assert_stays_inside(name);
    }

    if let Ok(checked) = check_zip(Cursor::new(data), data.len() as u64, &limits) {
        checked
            .names
            .iter()
            .for_each(|name| assert_stays_inside(name));
        assert!(checked.expanded <= limits.max_expanded);
    }

    let (first, rest) = data.split_first().unwrap_or((&0, &[]));
    let mut entries: Vec<RawEntry> = rest
        .split(|&b| b == b'\n')
        .take(64)
        .map(|name| RawEntry::stored(name, &name[..name.len().min(8)]))
        .collect();
    if let Some(entry) = entries.first_mut() {
        if first & 1 == 1 {
            entry.unix_mode = 0o120777;
        }
    }
    let zip = raw_zip(&entries);
    if let Ok(checked) = check_zip(Cursor::new(&zip), zip.len() as u64, &limits) {
        assert_eq!(checked.names.len(), entries.len());
        for (name, entry) in checked.names.iter().zip(&entries) {
            assert_stays_inside(name);
            assert_eq!(name.as_bytes(), entry.name.as_slice());
            assert!(check_name(&entry.name, &limits).is_ok());
        }
        assert!(
            first & 1 == 0 || entries.is_empty(),
            "a link entry was accepted"
        );
    }
});
