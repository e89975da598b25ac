//! docs/protocol.md and the code agree: every command of the table is documented with exactly
//! its arguments and their types, every documented command exists, and the error-code table
//! matches the codes the server uses. A handler receives every argument the table lists, with
//! the table's type.

use std::collections::BTreeMap;

use gopay_miniapp_lsp::commands::ArgType;
use gopay_miniapp_lsp::handlers;
use gopay_miniapp_lsp::RPC_ERROR_CODES;
use serde_json::{json, Map, Value};

fn doc() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/protocol.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `### `miniapp.x`` sections → their `| `arg` | type |` rows.
fn documented_commands(doc: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        if let Some(rest) = line.strip_prefix("### `") {
            let name = rest.trim_end_matches('`').to_string();
            current = name.starts_with("miniapp.").then_some(name.clone());
            if let Some(c) = &current {
                assert!(
                    out.insert(c.clone(), vec![]).is_none(),
                    "{c} is documented twice"
                );
            }
            continue;
        }
        if line.starts_with("## ") {
            current = None;
        }
        let Some(command) = &current else { continue };
        if let Some(row) = line.strip_prefix("| `") {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let name = cells[0].trim_end_matches('`').to_string();
            out.get_mut(command)
                .unwrap()
                .push((name, cells[1].to_string()));
        }
    }
    out
}

#[test]
fn every_command_and_argument_is_documented_and_nothing_else() {
    let doc = doc();
    let documented = documented_commands(&doc);
    let mut problems = vec![];
    for spec in handlers::all() {
        let Some(args) = documented.get(spec.name) else {
            problems.push(format!(
                "{} is not documented (### `{}`)",
                spec.name, spec.name
            ));
            continue;
        };
        let mut want: Vec<(String, String)> = spec
            .args
            .iter()
            .map(|a| (a.name.to_string(), a.ty.doc_name().to_string()))
            .collect();
        want.sort();
        let mut args = args.clone();
        args.sort();
        if args != want {
            problems.push(format!(
                "{}: the doc lists {args:?}, the table {want:?}",
                spec.name
            ));
        }
        // Its result is named: the type whose schema the exported table carries.
        if !doc.contains(&format!("**Result:** `{}`", spec.result)) {
            problems.push(format!(
                "{}: the result is not named `{}`",
                spec.name, spec.result
            ));
        }
        // Every command has an example of its request.
        if !doc.contains(&format!("\"command\": \"{}\"", spec.name)) {
            problems.push(format!("{}: no example", spec.name));
        }
    }
    for name in documented.keys() {
        if handlers::find(name).is_none() {
            problems.push(format!("{name} is documented but not in the command table"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/protocol.md and the command table disagree:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_error_code_is_documented() {
    let doc = doc();
    let errors = &doc[doc.find("## Errors").expect("an Errors section")..];
    let mut documented: Vec<(i64, String)> = vec![];
    for line in errors.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 3 {
            if let Ok(code) = cells[1].parse::<i64>() {
                documented.push((code, cells[2].to_string()));
            }
        }
    }
    let table: Vec<(i64, String)> = RPC_ERROR_CODES
        .iter()
        .map(|(c, n, _)| (*c, n.to_string()))
        .collect();
    assert_eq!(
        documented, table,
        "docs/protocol.md's error table and errors::RPC_ERROR_CODES disagree"
    );
    for notification in [
        "miniapp/didChangeStatus",
        "$/progress",
        "window/logMessage",
        "window/showMessageRequest",
        "window/showDocument",
    ] {
        assert!(
            doc.contains(&format!("`{notification}`")),
            "{notification} is not documented"
        );
    }
}

fn wrong(ty: ArgType) -> Value {
    match ty {
        ArgType::String => json!(5),
        ArgType::Boolean => json!("yes"),
        ArgType::Integer => json!("ten"),
        ArgType::StringList => json!(5),
    }
}

fn right(ty: ArgType) -> Value {
    match ty {
        // A string every string argument takes (`bump` parses its text).
        ArgType::String => json!("patch"),
        ArgType::Boolean => json!(true),
        ArgType::Integer => json!(10),
        ArgType::StringList => json!(["a", "b"]),
    }
}

#[test]
fn handlers_take_every_argument_of_the_table_with_its_type() {
    for spec in handlers::all() {
        let all: Map<String, Value> = spec
            .args
            .iter()
            .map(|a| (a.name.to_string(), right(a.ty)))
            .collect();
        handlers::parse_for(spec.name, &all)
            .unwrap_or_else(|e| panic!("{}: {}", spec.name, e.report.message));
        for arg in &spec.args {
            let mut one = Map::new();
            one.insert(arg.name.clone(), wrong(arg.ty));
            assert!(
                handlers::parse_for(spec.name, &one).is_err(),
                "{}: the handler ignores `{}` (not a field of its arguments?)",
                spec.name,
                arg.name
            );
        }
    }
}

/// `### Error codes`' rows (`| `code` | when |`), in order.
fn documented_error_codes(doc: &str) -> Vec<String> {
    let section = &doc[doc.find("### Error codes").expect("an Error codes section")..];
    let section = &section[..section[4..].find("\n#").map_or(section.len(), |i| i + 4)];
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .map(|row| row.split('`').next().unwrap_or_default().to_string())
        .filter(|code| code != "data.code")
        .collect()
}

#[test]
fn every_user_facing_error_code_is_documented_in_order_and_nothing_else() {
    let documented = documented_error_codes(&doc());
    let table: Vec<String> = gopay_miniapp_lsp::errors::user_facing_codes()
        .iter()
        .map(|c| c.code.to_string())
        .collect();
    assert_eq!(
        documented, table,
        "docs/protocol.md's `### Error codes` and the typed list (core's codes::all, then the sidecar's errors::SIDECAR_CODES) disagree"
    );
}
