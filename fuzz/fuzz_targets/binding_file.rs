//! The binding file reader (`gopay-miniapp.json`, crates/core/src/binding.rs).
//!
//! Properties: any bytes give a binding or a `BadBinding` error that names the file and a
//! line/column, never a panic; a binding that was read, written the way `Binding::write`
//! writes it, reads back equal.
#![no_main]

use std::path::Path;

use gopay_miniapp_core::binding::Binding;
use gopay_miniapp_core::CoreError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/project/gopay-miniapp.json");
    match Binding::parse(data, path) {
        Ok(binding) => {
            let mut written = serde_json::to_string_pretty(&binding).unwrap();
            written.push('\n');
            let again = Binding::parse(written.as_bytes(), path).expect("what we write reads back");
            assert_eq!(again, binding);
        }
        Err(CoreError::BadBinding { file, message }) => {
            assert_eq!(file, path.display().to_string());
            let rest = message.strip_prefix("line ").expect(&message);
            let (line, rest) = rest.split_once(", column ").expect(&message);
            let (column, _) = rest.split_once(": ").expect(&message);
            let line: usize = line.parse().expect(&message);
            column.parse::<usize>().expect(&message);
            assert!(line >= 1, "{message}");
            let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
            assert!(
                line <= lines,
                "line {line} of a {lines}-line file: {message}"
            );
        }
        Err(other) => panic!("not a BadBinding error: {other:?}"),
    }
});
