//! Every error code a user can meet (`code` of the CLI's `--json` errors and of the sidecar's
//! error `data`), in one typed list: the portal client's, the portal contract's and core's
//! own. The sidecar adds its own (`crates/lsp/src/errors.rs`); `docs/protocol.md`
//! lists them all and a test keeps it in step. Later work adds its codes here.

use gopay_miniapp_portal::codes as wire;

/// One code and when it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ErrorCode {
    pub code: &'static str,
    pub meaning: &'static str,
}

const fn code(code: &'static str, meaning: &'static str) -> ErrorCode {
    ErrorCode { code, meaning }
}

// The portal client's (crates/portal `PortalError::code`), declared there.
pub use gopay_miniapp_portal::codes::{
    BROWSER_CHECK, CANCELLED, FOREIGN_ORIGIN, LEARNED_STEP_FAILED, LOCAL_IO, LOGIN_UNAVAILABLE,
    NETWORK, NOT_LOGGED_IN, PROTOCOL, RECORDING_UNAVAILABLE, REFUSED, SESSION_EXPIRED,
};
// Core's own.
pub const PACKAGE_JSON: &str = "package_json";
pub const BUILD_FAILED: &str = "build_failed";
pub const NOT_BOUND: &str = "not_bound";
pub const NO_PORTAL: &str = "no_portal";
pub const BAD_BINDING: &str = "bad_binding";
pub const NEEDS_INPUT: &str = "needs_input";
pub const UNKNOWN_NAME: &str = "unknown_name";
pub const INVALID: &str = "invalid";
pub const BUSY: &str = "busy";
pub const STILL_IN_REVIEW: &str = "still_in_review";
pub const IO: &str = "io";
pub const OUTPUT_DIR_MISSING: &str = "output_dir_missing";
pub const OUTPUT_DIR_EMPTY: &str = "output_dir_empty";
pub const BAD_SYMLINK: &str = "bad_symlink";
pub const SECRETS_FOUND: &str = "secrets_found";
pub const OVER_BUDGET: &str = "over_budget";
pub const BAD_IGNORE_FILE: &str = "bad_ignore_file";
pub const PACK_FAILED: &str = "pack_failed";
pub const FILE_REFUSED: &str = "file_refused";
pub const OUTPUT_DIR_OUTSIDE: &str = "output_dir_outside";
pub const BAD_RECIPE: &str = "bad_recipe";
pub const NOT_LEARNED: &str = "not_learned";

/// The codes of the portal client and of core, in documentation order.
pub const CORE: &[ErrorCode] = &[
    code(NOT_LOGGED_IN, "No session for this portal: log in."),
    code(SESSION_EXPIRED, "The session expired and could not be renewed: log in again."),
    code(NETWORK, "The portal could not be reached, or failed (5xx). Retryable."),
    code(PROTOCOL, "The answer was not what this kind of portal sends: the URL may not be a portal of this kind."),
    code(CANCELLED, "Cancelled by the user (a dismissed question, Ctrl-C, a cancelled request)."),
    code(LOCAL_IO, "A local file the portal client needs could not be read or written."),
    code(LOGIN_UNAVAILABLE, "This way of logging in cannot work here (no browser, no display); the hint names the ways that can."),
    code(RECORDING_UNAVAILABLE, "`learn` without a HAR file cannot record the portal's pages here (no browser, no display for its window, no terminal to say when the step is done): save a HAR in your own browser and learn from it. Nothing was recorded or saved."),
    code(REFUSED, "The SuperApp console refused without a code of its own (its own codes pass through, lowercased)."),
    code(FOREIGN_ORIGIN, "The portal refused a request made for another address than its own (its Origin check): the portal URL is not the portal's own address."),
    code(BROWSER_CHECK, "The portal's anti-bot firewall answered with its browser check (a challenge page) instead of the API: log in through the browser again, then retry."),
    code(LEARNED_STEP_FAILED, "A step or list done through a learned recipe was not accepted, or its answer no longer looks like the recording: the portal's own message, which request failed and what was already done (learn it again if the portal's page changed)."),
    code(PACKAGE_JSON, "package.json is missing, unreadable, or its version is not x.y.z."),
    code(BUILD_FAILED, "The build command failed; `data` names it, its exit code or signal and its first error line."),
    code(NOT_BOUND, "The project is not bound to a MiniApp (no gopay-miniapp.json)."),
    code(NO_PORTAL, "No portal is chosen (unbound project, no setting, no stored login): choose one, a preset (`portalPresets`) or another URL."),
    code(BAD_BINDING, "gopay-miniapp.json cannot be used (the message names the field)."),
    code(NEEDS_INPUT, "A question could not be asked (non-interactive): pass the input the hint names."),
    code(UNKNOWN_NAME, "A space, MiniApp, target app or version name matches nothing the user can see."),
    code(INVALID, "An input is not valid (the message says which and why)."),
    code(BUSY, "Another publish of this project is running. Retryable."),
    code(STILL_IN_REVIEW, "Waiting for the review timed out: the release is still in review (CLI exit 8). Retryable."),
    code(IO, "A local file could not be read or written."),
    code(OUTPUT_DIR_MISSING, "The build output folder does not exist or is not a folder."),
    code(OUTPUT_DIR_EMPTY, "The build output folder is empty."),
    code(BAD_SYMLINK, "A symlink in the output escapes it, is broken, or loops."),
    code(SECRETS_FOUND, "Files that look like secrets are in the output."),
    code(OVER_BUDGET, "The package is over the size budget."),
    code(BAD_IGNORE_FILE, ".miniappignore cannot be read."),
    code(PACK_FAILED, "The package could not be made (the message names the file)."),
    code(FILE_REFUSED, "A file is not written: it is the project's own, a symlink out of the project, has other hard links, is read-only, or is an existing file of another kind (the hint says how to overwrite it)."),
    code(OUTPUT_DIR_OUTSIDE, "The build output folder is not inside the project, or is the project itself."),
    code(BAD_RECIPE, "A stored route recipe (`learn`, docs/recipes.md) does not read as a recipe for this portal; it is not used (the message names the file and why)."),
    code(NOT_LEARNED, "`learn` refused the recording (another origin, no matching request, two candidates, an unexplained literal under `--yes`, not a HAR file): nothing was saved (CLI exit 9)."),
];

/// Every code a user can meet from core and the portals: [`CORE`], then the portal
/// contract's wire codes (`docs/portal-api.md`), then `not_available_on_portal`.
pub fn all() -> Vec<ErrorCode> {
    let mut out = CORE.to_vec();
    out.extend(
        wire::ALL
            .iter()
            .map(|c| code(c, "The portal refused (see docs/portal-api.md).")),
    );
    out.push(code(
        wire::NOT_AVAILABLE,
        "The portal's API cannot do this step; `data` has `portalUrl` and `feature`, and the step is done on the portal's own pages.",
    ));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in super::all() {
            assert!(seen.insert(c.code), "{} twice", c.code);
        }
    }
}
