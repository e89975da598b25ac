//! The version-number parser (crates/portal/src/version_number.rs).
//!
//! Properties: parsing any text never panics; a parsed value prints back to exactly the text
//! it came from (x.y.z has one spelling: no signs, no leading zeros) and parses back to itself,
//! also through serde; any three numbers print as text that parses back to them; `bump` never
//! panics or wraps: it gives a higher version, or an error exactly when the part it raises is
//! already `u64::MAX`.
#![no_main]

use gopay_miniapp_portal::{BumpKind, VersionNumber};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(v) = text.parse::<VersionNumber>() {
            assert_eq!(v.to_string(), text, "a version has one spelling");
            check(v);
        }
    }
    // Any three numbers (the first 24 bytes), e.g. u64::MAX parts a text rarely reaches.
    if data.len() >= 24 {
        let part = |i: usize| u64::from_le_bytes(data[i * 8..i * 8 + 8].try_into().unwrap());
        let v = VersionNumber::new(part(0), part(1), part(2));
        assert_eq!(v.to_string().parse::<VersionNumber>(), Ok(v));
        check(v);
    }
});

fn check(v: VersionNumber) {
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(serde_json::from_str::<VersionNumber>(&json).unwrap(), v);
    for kind in [BumpKind::Patch, BumpKind::Minor, BumpKind::Major] {
        let raised = match kind {
            BumpKind::Patch => v.patch,
            BumpKind::Minor => v.minor,
            BumpKind::Major => v.major,
        };
        match v.bump(kind) {
            Ok(next) => {
                assert!(
                    next > v,
                    "{v} bumped ({kind:?}) to {next}, which is not higher"
                );
                let expected = match kind {
                    BumpKind::Patch => VersionNumber::new(v.major, v.minor, v.patch + 1),
                    BumpKind::Minor => VersionNumber::new(v.major, v.minor + 1, 0),
                    BumpKind::Major => VersionNumber::new(v.major + 1, 0, 0),
                };
                assert_eq!(next, expected);
            }
            Err(err) => {
                assert_eq!(raised, u64::MAX, "{v} ({kind:?}): {err}");
                assert!(err.to_string().contains(&v.to_string()), "{err}");
            }
        }
    }
}
