//! The one parser of whitelist user-ID lists, for every front end: the CLI's `--users` and
//! `--users-file`, the sidecar's `users` argument (the VS Code input box sends its text as
//! it is). IDs are separated by commas, semicolons, whitespace or newlines; `#` starts a
//! comment (files); duplicates are dropped and counted; an ID with a character outside
//! letters, digits and `._-@+:` is refused, naming it.

use serde::Serialize;

use crate::error::CoreError;
use crate::hint::{Hint, Input};

/// Longest ID accepted: target-app UIDs are short; anything longer is a pasted paragraph.
pub const MAX_USER_ID_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserIds {
    /// In the order given, each once.
    pub ids: Vec<String>,
    /// How many repeats were dropped.
    pub duplicates: usize,
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+' | ':')
}

pub fn parse_user_ids(text: &str) -> Result<UserIds, CoreError> {
    let mut ids: Vec<String> = Vec::new();
    let mut duplicates = 0;
    let mut bad: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        for id in line.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
            if id.is_empty() {
                continue;
            }
            if !id.chars().all(allowed) || id.len() > MAX_USER_ID_LEN {
                bad.push(id.to_string());
            } else if ids.iter().any(|x| x == id) {
                duplicates += 1;
            } else {
                ids.push(id.to_string());
            }
        }
    }
    if !bad.is_empty() {
        let shown: Vec<String> = bad.iter().take(5).map(|b| format!("\"{b}\"")).collect();
        return Err(CoreError::invalid(
            format!(
                "not a user ID: {}{} (IDs are letters, digits and . _ - @ + :, at most {MAX_USER_ID_LEN} characters)",
                shown.join(", "),
                if bad.len() > 5 { " …" } else { "" }
            ),
            Hint::Provide {
                input: Input::Users,
            },
        ));
    }
    if ids.is_empty() {
        return Err(CoreError::invalid(
            "the whitelist is empty",
            Hint::Provide {
                input: Input::Users,
            },
        ));
    }
    Ok(UserIds { ids, duplicates })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_separator_splits_and_duplicates_are_counted() {
        let parsed = parse_user_ids("u1, u2;u3\tu4\nu5 u1 # a comment, u9\n\n").unwrap();
        assert_eq!(parsed.ids, ["u1", "u2", "u3", "u4", "u5"]);
        assert_eq!(parsed.duplicates, 1);
        assert_eq!(parse_user_ids("a;b").unwrap().ids, ["a", "b"]);
    }

    #[test]
    fn bad_ids_and_empty_lists_are_refused_by_name() {
        let err = parse_user_ids("u1, u1, bad id!").unwrap_err().to_string();
        assert!(err.contains("\"id!\""), "{err}");
        assert!(parse_user_ids(" , ;\n# only a comment").is_err());
        assert!(parse_user_ids(&"x".repeat(65)).is_err());
    }
}
