//! THE table of commands: every `workspace/executeCommand` command the sidecar serves, with
//! its argument fields and what it returns. `initialize` advertises exactly these names,
//! arguments are checked against it before a handler runs, and a test keeps it and
//! `docs/protocol.md` in agreement.

use serde_json::Value;

/// The JSON type of one argument field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    String,
    Boolean,
    Integer,
    /// An array of strings, or one string with comma-separated items.
    StringList,
}

impl ArgType {
    /// How `docs/protocol.md` names the type.
    pub fn doc_name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Boolean => "boolean",
            ArgType::Integer => "integer",
            ArgType::StringList => "string[]",
        }
    }

    pub fn accepts(self, value: &Value) -> bool {
        match self {
            ArgType::String => value.is_string(),
            ArgType::Boolean => value.is_boolean(),
            ArgType::Integer => value.is_i64() || value.is_u64(),
            ArgType::StringList => {
                value.is_string()
                    || value
                        .as_array()
                        .is_some_and(|items| items.iter().all(Value::is_string))
            }
        }
    }
}

/// One field of a command's argument object.
#[derive(Debug, Clone, Copy)]
pub struct ArgSpec {
    pub name: &'static str,
    pub ty: ArgType,
    pub doc: &'static str,
}

/// Whether a command needs a project, and whether it may ask which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectUse {
    /// The command acts on a project: when it is ambiguous, the user is asked.
    Required,
    /// The project only picks the portal (its binding's): never asked.
    Optional,
}

/// Every command, as a closed set: the dispatcher matches on it exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandId {
    Status,
    Login,
    Logout,
    ListSpaces,
    ListApps,
    ListTargetApps,
    Bind,
    Pack,
    Publish,
    ListVersions,
    Release,
    TemporaryCode,
    ApplyRelease,
    WaitForReview,
    WithdrawRelease,
    SetWhitelist,
    CheckUserIds,
    StartGrayscale,
    OfficialRelease,
    CancelRelease,
    Rollback,
}

#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub id: CommandId,
    pub name: &'static str,
    pub summary: &'static str,
    pub args: &'static [ArgSpec],
    /// What the result object is (the CLI `--json` document it matches).
    pub result: &'static str,
    pub project: ProjectUse,
    /// Changes what `miniapp.status` shows: a `miniapp/didChangeStatus` follows it.
    pub mutating: bool,
    /// Long work: reports `$/progress` (begin/report/end, percentage, cancellable).
    pub progress: bool,
}

const PROJECT: ArgSpec = ArgSpec {
    name: "project",
    ty: ArgType::String,
    doc: "Project folder (path or file:// URI). Default: the one bound workspace folder, else the only folder, else asked.",
};
const PORTAL: ArgSpec = ArgSpec {
    name: "portal",
    ty: ArgType::String,
    doc: "Portal URL. Default: the binding's portal, else the last one logged in to, else http://127.0.0.1:8780.",
};
const TOKEN: ArgSpec = ArgSpec {
    name: "token",
    ty: ArgType::String,
    doc: "An access token (made on the portal for CI) used for this command only instead of the stored session, like GOPAY_MINIAPP_TOKEN. Never stored.",
};
const YES: ArgSpec = ArgSpec {
    name: "yes",
    ty: ArgType::Boolean,
    doc: "Answer every confirmation with Yes instead of asking (for clients without window/showMessageRequest).",
};
const TARGET_APPS: ArgSpec = ArgSpec {
    name: "targetApps",
    ty: ArgType::StringList,
    doc: "Target apps as `NAME=ID`, for portals that cannot list them (an array, or one string with comma-separated items). Remembered in the binding.",
};
const REBIND: ArgSpec = ArgSpec {
    name: "rebind",
    ty: ArgType::Boolean,
    doc: "The user already chose to rebind: do not ask again.",
};
const USERNAME: ArgSpec = ArgSpec {
    name: "username",
    ty: ArgType::String,
    doc: "With `password`: password login.",
};
const PASSWORD: ArgSpec = ArgSpec {
    name: "password",
    ty: ArgType::String,
    doc: "Sent to the portal once, never stored. Without it: browser/device login.",
};
const SPACE: ArgSpec = ArgSpec {
    name: "space",
    ty: ArgType::String,
    doc: "Space name or id. Default: asked (the bound space for listApps).",
};
const APP: ArgSpec = ArgSpec {
    name: "app",
    ty: ArgType::String,
    doc: "MiniApp name or id. Default: asked.",
};
const BUMP: ArgSpec = ArgSpec {
    name: "bump",
    ty: ArgType::String,
    doc: "`patch`, `minor`, `major` or an exact `x.y.z`. Default: the binding's bump (patch).",
};
const DESCRIPTION: ArgSpec = ArgSpec {
    name: "description",
    ty: ArgType::String,
    doc: "The version's description.",
};
const DRY_RUN: ArgSpec = ArgSpec {
    name: "dryRun",
    ty: ArgType::Boolean,
    doc: "Check, build and pack; upload nothing, change nothing.",
};
const NO_BUILD: ArgSpec = ArgSpec {
    name: "noBuild",
    ty: ArgType::Boolean,
    doc: "Pack the output folder as it is.",
};
const ALLOW_SECRETS: ArgSpec = ArgSpec {
    name: "allowSecrets",
    ty: ArgType::Boolean,
    doc: "Pack files that look like secrets instead of refusing.",
};
const OUT: ArgSpec = ArgSpec {
    name: "out",
    ty: ArgType::String,
    doc: "Write the ZIP to this path.",
};
const LIST: ArgSpec = ArgSpec {
    name: "list",
    ty: ArgType::Boolean,
    doc: "Include the list of files.",
};
const VERSION: ArgSpec = ArgSpec {
    name: "version",
    ty: ArgType::String,
    doc: "`x.y.z` or `latest`. Default: asked.",
};
const TARGET_APP: ArgSpec = ArgSpec {
    name: "targetApp",
    ty: ArgType::String,
    doc: "Target app name or id (\"GoPay\", \"GoPay Staging\"). Default: asked.",
};
const NOTES: ArgSpec = ArgSpec {
    name: "notes",
    ty: ArgType::String,
    doc: "Release notes for the review. Default: the version's description.",
};
const USERS: ArgSpec = ArgSpec {
    name: "users",
    ty: ArgType::StringList,
    doc: "Whitelist user IDs: an array, or the text as typed (separated by commas, semicolons, spaces or newlines; `#` starts a comment). Required (free text cannot be asked).",
};
const RATIO: ArgSpec = ArgSpec {
    name: "ratio",
    ty: ArgType::Integer,
    doc: "Grayscale ratio in percent, 1–100, only up. Default: asked from 1, 5, 10, 25, 50, 100 above the current ratio.",
};
const FORMAT: ArgSpec = ArgSpec {
    name: "format",
    ty: ArgType::String,
    doc: "Only this rendering of the QR: `svg`, `png`, `terminal` or `url`. Default: all of them.",
};
const PATH: ArgSpec = ArgSpec {
    name: "path",
    ty: ArgType::String,
    doc: "A page in the MiniApp to open (`mini_app_path` of the deeplink).",
};
const TIMEOUT: ArgSpec = ArgSpec {
    name: "timeout",
    ty: ArgType::Integer,
    doc: "Give up after this many seconds. Default: wait until cancelled.",
};

const STEP_RESULT: &str = "`{appId, version, versionId, release: ReleaseView, archivedVersion?, restoredVersion?}` (CLI `--json` of the release verbs)";

/// Every command the sidecar serves, in the order `initialize` lists them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        id: CommandId::Status,
        name: "miniapp.status",
        summary: "Login, binding, versions with each target app's release state, running jobs.",
        args: &[PROJECT, PORTAL, TOKEN],
        result: "The status snapshot (the same object `miniapp/didChangeStatus` carries).",
        project: ProjectUse::Optional,
        mutating: false,
        progress: false,
    },
    CommandSpec {
        id: CommandId::Login,
        name: "miniapp.login",
        summary: "Password login with `username`+`password`; without a password the browser/device login (the page opens with window/showDocument).",
        args: &[PROJECT, PORTAL, USERNAME, PASSWORD],
        result: "`{portal, username, displayName, expiresAt, credentialsFile}` (CLI `login --json`).",
        project: ProjectUse::Optional,
        mutating: true,
        progress: true,
    },
    CommandSpec {
        id: CommandId::Logout,
        name: "miniapp.logout",
        summary: "The portal revokes the session; the stored tokens are deleted (for the CLI too).",
        args: &[PROJECT, PORTAL],
        result: "`{portal, loggedOut, revoked}` (CLI `logout --json`).",
        project: ProjectUse::Optional,
        mutating: true,
        progress: false,
    },
    CommandSpec {
        id: CommandId::ListSpaces,
        name: "miniapp.listSpaces",
        summary: "Spaces the user belongs to.",
        args: &[PROJECT, PORTAL, TOKEN],
        result: "`{spaces: [{id, name}]}` (CLI `spaces --json`).",
        project: ProjectUse::Optional,
        mutating: false,
        progress: false,
    },
    CommandSpec {
        id: CommandId::ListApps,
        name: "miniapp.listApps",
        summary: "MiniApps of a space (default: the bound space, else asked).",
        args: &[PROJECT, PORTAL, TOKEN, SPACE],
        result: "`{space: {id, name}, apps: [{id, name, spaceId, …}]}` (CLI `apps --json`).",
        project: ProjectUse::Optional,
        mutating: false,
        progress: false,
    },
    CommandSpec {
        id: CommandId::ListTargetApps,
        name: "miniapp.listTargetApps",
        summary: "Target apps a MiniApp can be released to.",
        args: &[PROJECT, PORTAL, TOKEN],
        result: "`{targetApps: [{id, name, scheme, …}]}` (CLI `target-apps --json`).",
        project: ProjectUse::Optional,
        mutating: false,
        progress: false,
    },
    CommandSpec {
        id: CommandId::Bind,
        name: "miniapp.bind",
        summary: "Bind the project to a MiniApp (writes gopay-miniapp.json); asks before rebinding.",
        args: &[PROJECT, PORTAL, TOKEN, SPACE, APP, TARGET_APPS, REBIND, YES],
        result: "`{binding, changed, file}` (CLI `bind --json`).",
        project: ProjectUse::Required,
        mutating: true,
        progress: false,
    },
    CommandSpec {
        id: CommandId::Pack,
        name: "miniapp.pack",
        summary: "Pack the build output exactly as publish would, without the network and without building.",
        args: &[PROJECT, ALLOW_SECRETS, OUT, LIST],
        result: "`{path?, size, sha256, files, uncompressedSize, entries?}` (CLI `pack --json`).",
        project: ProjectUse::Required,
        mutating: false,
        progress: true,
    },
    CommandSpec {
        id: CommandId::Publish,
        name: "miniapp.publish",
        summary: "Latest version → bump package.json → build → pack → upload. One per project at a time; cancelling restores package.json.",
        args: &[
            PROJECT,
            PORTAL,
            TOKEN,
            BUMP,
            DESCRIPTION,
            DRY_RUN,
            NO_BUILD,
            ALLOW_SECRETS,
        ],
        result: "`{version, appId, app, versionId?, dryRun, previousVersion?, packageJsonVersion, size, sha256, files, identicalToPrevious, elapsedMs}` (CLI `publish --json`).",
        project: ProjectUse::Required,
        mutating: true,
        progress: true,
    },
    CommandSpec {
        id: CommandId::ListVersions,
        name: "miniapp.listVersions",
        summary: "Versions, newest first, each with its releases.",
        args: &[PROJECT, PORTAL, TOKEN],
        result: "`{appId, app, versions: [VersionView]}` (CLI `versions --json`).",
        project: ProjectUse::Required,
        mutating: false,
        progress: false,
    },
    CommandSpec {
        id: CommandId::Release,
        name: "miniapp.release",
        summary: "Release a version to a target app (→ Version Creation).",
        args: &[PROJECT, PORTAL, TOKEN, VERSION, TARGET_APP],
        result: STEP_RESULT,
        project: ProjectUse::Required,
        mutating: true,
        progress: false,
    },
    CommandSpec {
        id: CommandId::TemporaryCode,
        name: "miniapp.temporaryCode",
        summary: "The temporary code: the working deeplink and its QR (SVG, PNG, terminal text).",
        args: &[PROJECT, PORTAL, TOKEN, VERSION, TARGET_APP, PATH, FORMAT],
        result: "`{appId, version, targetApp, publishId, deeplink, expiresAt, svg?, pngBase64?, terminal?}` (CLI `qr --json` plus the renderings).",
        project: ProjectUse::Required,
        mutating: false,
        progress: false,
    },
    CommandSpec {
        id: CommandId::ApplyRelease,
        name: "miniapp.applyRelease",
        summary: "Apply Release: shows the release information, asks to confirm, submits for review.",
        args: &[PROJECT, PORTAL, TOKEN, VERSION, TARGET_APP, NOTES, YES],
        result: STEP_RESULT,
        project: ProjectUse::Required,
        mutating: true,
        progress: false,
    },
    CommandSpec {
        id: CommandId::WaitForReview,
        name: "miniapp.waitForReview",
        summary: "Wait until the target-app admin approves or rejects (progress, cancellable).",
        args: &[PROJECT, PORTAL, TOKEN, VERSION, TARGET_APP, TIMEOUT],
        result: "`{version, targetApp, approved, state, rejectReason?}` (CLI `wait --json`).",
        project: ProjectUse::Required,
        mutating: true,
        progress: true,
    },
    CommandSpec {
        id: CommandId::WithdrawRelease,
        name: "miniapp.withdrawRelease",
        summary: "Take a release out of review.",
        args: &[PROJECT, PORTAL, TOKEN, VERSION, TARGET_APP],
        result: STEP_RESULT,
        project: ProjectUse::Required,
        mutating: true,
        progress: false,
    },
    CommandSpec {
        id: CommandId::SetWhitelist,
        name: "miniapp.setWhitelist",
        summary: "Set the whitelist user IDs and start whitelist testing.",
        args: &[PROJECT, PORTAL, TOKEN, VERSION, TARGET_APP, USERS],
        result: STEP_RESULT,
        project: ProjectUse::Required,
        mutating: true,
        progress: false,
    },
    CommandSpec {
        id: CommandId::CheckUserIds,
        name: "miniapp.checkUserIds",
        summary: "Parse whitelist user IDs exactly as `miniapp.setWhitelist` will (for validating an input box as the user types); nothing is sent to the portal.",
        args: &[USERS],
        result: "`{ids, duplicates}`: the IDs in the order given, each once, and how many repeats were dropped; bad IDs are an `invalid` error naming them",
        project: ProjectUse::Optional,
        mutating: false,
        progress: false,
    },
    CommandSpec {
        id: CommandId::StartGrayscale,
        name: "miniapp.startGrayscale",
        summary: "Start grayscale or raise its ratio (1–100, only up).",
        args: &[PROJECT, PORTAL, TOKEN, VERSION, TARGET_APP, RATIO],
        result: STEP_RESULT,
        project: ProjectUse::Required,
        mutating: true,
        progress: false,
    },
    CommandSpec {
        id: CommandId::OfficialRelease,
        name: "miniapp.officialRelease",
        summary: "Officially release to everyone; confirms, naming the live version that will be archived.",
        args: &[PROJECT, PORTAL, TOKEN, VERSION, TARGET_APP, YES],
        result: STEP_RESULT,
        project: ProjectUse::Required,
        mutating: true,
        progress: false,
    },
    CommandSpec {
        id: CommandId::CancelRelease,
        name: "miniapp.cancelRelease",
        summary: "Cancel a release (confirms).",
        args: &[PROJECT, PORTAL, TOKEN, VERSION, TARGET_APP, YES],
        result: STEP_RESULT,
        project: ProjectUse::Required,
        mutating: true,
        progress: false,
    },
    CommandSpec {
        id: CommandId::Rollback,
        name: "miniapp.rollback",
        summary: "Bring back the last archived version on a target app (confirms, naming it).",
        args: &[PROJECT, PORTAL, TOKEN, TARGET_APP, YES],
        result: STEP_RESULT,
        project: ProjectUse::Required,
        mutating: true,
        progress: false,
    },
];

/// The table's row of a command.
pub fn spec(id: CommandId) -> &'static CommandSpec {
    COMMANDS
        .iter()
        .find(|c| c.id == id)
        .expect("every command id has a row in the table")
}

pub fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

pub fn names() -> Vec<String> {
    COMMANDS.iter().map(|c| c.name.to_string()).collect()
}

/// Checks an argument object against the table: known fields, right JSON types.
/// `null` fields count as absent.
pub fn check_args(spec: &CommandSpec, args: &serde_json::Map<String, Value>) -> Result<(), String> {
    for (key, value) in args {
        if value.is_null() {
            continue;
        }
        let Some(arg) = spec.args.iter().find(|a| a.name == key) else {
            let known: Vec<&str> = spec.args.iter().map(|a| a.name).collect();
            return Err(format!(
                "{} has no argument `{key}`; its arguments are: {}",
                spec.name,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        };
        if !arg.ty.accepts(value) {
            return Err(format!(
                "argument `{key}` of {} must be a {}, not {}",
                spec.name,
                arg.ty.doc_name(),
                json_type(value)
            ));
        }
    }
    Ok(())
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_prefixed() {
        let mut seen = std::collections::HashSet::new();
        for c in COMMANDS {
            assert!(c.name.starts_with("miniapp."), "{}", c.name);
            assert!(seen.insert(c.name), "duplicate {}", c.name);
            let mut args = std::collections::HashSet::new();
            for a in c.args {
                assert!(
                    args.insert(a.name),
                    "{}: duplicate argument {}",
                    c.name,
                    a.name
                );
            }
        }
    }

    #[test]
    fn arguments_are_checked() {
        let spec = find("miniapp.startGrayscale").unwrap();
        let ok = serde_json::json!({"ratio": 10, "version": "1.0.0", "project": null});
        assert!(check_args(spec, ok.as_object().unwrap()).is_ok());
        let bad = serde_json::json!({"ratio": "ten"});
        let err = check_args(spec, bad.as_object().unwrap()).unwrap_err();
        assert!(err.contains("`ratio`") && err.contains("integer"), "{err}");
        let unknown = serde_json::json!({"ratoi": 10});
        let err = check_args(spec, unknown.as_object().unwrap()).unwrap_err();
        assert!(err.contains("ratoi") && err.contains("ratio"), "{err}");
    }
}
