//! The sidecar's modules form a stack: no module imports one that imports it back, directly
//! or through others (`docs/architecture.md`, "The sidecar", shows the layers). Read from the
//! sources: every `crate::<module>` and `super::<module>` path outside comments and tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut read = |module: &str, path: &Path| {
        let text = std::fs::read_to_string(path).unwrap();
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        out.entry(module.to_string())
            .or_insert_with(String::new)
            .push_str(&code);
    };
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if name != "lib" {
                read(&name, &path);
            }
        }
    }
    for entry in std::fs::read_dir(src.join("handlers")).unwrap() {
        read("handlers", &entry.unwrap().path());
    }
    out
}

/// module → the other modules it names.
fn imports(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (module, code) in modules {
        let mut deps = BTreeSet::new();
        for other in modules.keys().filter(|m| *m != module) {
            let named = [
                format!("crate::{other}::"),
                format!("crate::{other};"),
                format!("crate::{other},"),
                format!("crate::{other}}}"),
                format!("crate::{{{other}"),
                format!(", {other}::"),
                format!("{{{other}::"),
            ];
            if named.iter().any(|n| code.contains(n.as_str())) {
                deps.insert(other.clone());
            }
        }
        out.insert(module.clone(), deps);
    }
    out
}

#[test]
fn the_sidecar_modules_import_no_circle() {
    let graph = imports(&modules());
    assert!(
        graph["handlers"].contains("commands"),
        "the reader finds imports: {graph:?}"
    );
    // A module reaches itself through its imports: a circle.
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = graph[start].iter().collect();
        while let Some(next) = todo.pop() {
            assert!(
                next != start,
                "{start} imports itself through {seen:?}: {graph:#?}"
            );
            if seen.insert(next.clone()) {
                todo.extend(graph[next].iter());
            }
        }
    }
}
