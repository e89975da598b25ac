//! Keeps `docs/portal-api.md` and the contract in agreement:
//! - every route of `routes::ALL` has a section whose heading holds "`METHOD /path`";
//! - every "METHOD /api/…" the document mentions is a route of the table (concrete paths such
//!   as `/api/v1/uploads/up_1/chunks/0` match their `{placeholder}` route);
//! - every error code of `error::codes::ALL` is in the document;
//! - the lifecycle table in the document is the one rendered from `lifecycle::TRANSITIONS`.

use std::path::PathBuf;

use gopay_miniapp_portal::codes;
use gopay_miniapp_portal::lifecycle::{Actor, TRANSITIONS};
use gopay_miniapp_portal::native::routes::{self, Route};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

fn doc() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/portal-api.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn headings(doc: &str) -> Vec<&str> {
    doc.lines()
        .filter(|line| line.trim_start().starts_with('#'))
        .collect()
}

/// Does a concrete or templated path match a route's path template?
fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

fn find_route(method: &str, path: &str) -> Option<&'static Route> {
    routes::ALL
        .iter()
        .find(|r| r.method == method && matches(r.path, path))
}

/// Every "METHOD /api/…" in the text: (method, path, line number).
fn mentions(doc: &str) -> Vec<(String, String, usize)> {
    let mut found = Vec::new();
    for (n, line) in doc.lines().enumerate() {
        for method in METHODS {
            let needle = format!("{method} /api/");
            let mut rest = line;
            while let Some(at) = rest.find(&needle) {
                let before_ok = at == 0
                    || !rest[..at]
                        .chars()
                        .last()
                        .is_some_and(|c| c.is_ascii_alphanumeric());
                let start = at + method.len() + 1;
                let path: String = rest[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "/_-.{}".contains(*c))
                    .collect();
                // A sentence may end right after a path.
                let path = path.trim_end_matches('.').to_string();
                if before_ok {
                    found.push((method.to_string(), path.clone(), n + 1));
                }
                rest = &rest[start + path.len().max(1)..];
            }
        }
    }
    found
}

#[test]
fn every_route_has_a_section() {
    let doc = doc();
    let headings = headings(&doc);
    let missing: Vec<String> = routes::ALL
        .iter()
        .map(|r| format!("`{} {}`", r.method, r.path))
        .filter(|needle| !headings.iter().any(|h| h.contains(needle.as_str())))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/portal-api.md has no section heading for: {missing:?}"
    );
}

#[test]
fn every_route_the_doc_mentions_exists() {
    let doc = doc();
    let found = mentions(&doc);
    assert!(
        found.len() >= routes::ALL.len(),
        "the scan found too little"
    );
    let unknown: Vec<String> = found
        .iter()
        .filter(|(method, path, _)| find_route(method, path).is_none())
        .map(|(method, path, line)| format!("line {line}: {method} {path}"))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/portal-api.md mentions routes that are not in routes::ALL: {unknown:?}"
    );
}

#[test]
fn the_scan_catches_what_it_should() {
    let text = "see `POST /api/v1/nope` and GET /api/v1/uploads/up_1. And PUT /api/v1/uploads/up_1/chunks/0?x=1";
    let found = mentions(text);
    assert_eq!(found.len(), 3);
    assert!(found
        .iter()
        .any(|(m, path, _)| m == "GET" && path == "/api/v1/uploads/up_1"));
    assert!(find_route("POST", "/api/v1/nope").is_none());
    assert!(find_route("GET", "/api/v1/uploads/up_1").is_some());
    assert!(find_route("PUT", "/api/v1/uploads/up_1/chunks/0").is_some());
    assert!(find_route("GET", "/api/v1/uploads/up_1/chunks/0").is_none());
}

#[test]
fn every_error_code_is_documented() {
    let doc = doc();
    let missing: Vec<&str> = codes::ALL
        .iter()
        .copied()
        .filter(|code| !doc.contains(&format!("`{code}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "error codes missing from the doc: {missing:?}"
    );
}

/// The lifecycle table as the document shows it, rendered from the rules.
fn lifecycle_table() -> String {
    let mut out = String::from(
        "| state | step | portal label | next state | who | on a first release |\n|---|---|---|---|---|---|\n",
    );
    for t in TRANSITIONS {
        let who = match t.actor {
            Actor::Developer => "developer",
            Actor::TargetAppAdmin => "target-app admin",
        };
        let first = if t.not_on_first_release {
            "refused (`first_release_official_only`)"
        } else {
            "allowed"
        };
        out.push_str(&format!(
            "| {} (`{}`) | `{}` | {} | {} (`{}`) | {who} | {first} |\n",
            t.from.label(),
            t.from.as_str(),
            t.step.as_str(),
            t.step.label(),
            t.to.label(),
            t.to.as_str(),
        ));
    }
    out
}

#[test]
fn the_lifecycle_table_is_rendered_from_the_rules() {
    let doc = doc();
    let table = lifecycle_table();
    assert!(
        doc.contains(&table),
        "the lifecycle table in docs/portal-api.md differs from lifecycle::TRANSITIONS; it should read:\n\n{table}"
    );
}
