//! Route recipes (issue #22): a console step or list learned from the user's own portal, once,
//! and replayed by the tool. Pure: no HTTP client, no browser, nothing of core or the portal
//! clients, so both can use it.
//!
//! - [`format`]: the versioned recipe format (docs/recipes.md), the checks of a recipe read
//!   from disk (outside data) and its content hash;
//! - [`har`]: HAR 1.2 input (bounded) and the recorded request the live recorder also makes;
//! - [`learn`]: recorded requests + the step's typed values → a recipe or a typed refusal;
//! - [`replay`]: a recipe + values + the session's cookies → the requests to send, the check
//!   of their answers, a list's items and pages, and the redacted view for `--dry-run`.
//!
//! No recipe holds a session value: cookies are referred to by name, `Authorization` and the
//! session's headers are dropped, and a field that would keep a secret is refused.

pub mod format;
pub mod har;
pub mod learn;
pub mod replay;
pub mod values;

pub use format::{
    fingerprint, origin_dir, CodeShape, Feature, Input, Method, Recipe, RecipeError,
    RecipeFileError, Slot,
};
pub use har::{parse_har, read_har_file, HarError, RecordedRequest};
pub use learn::{learn_list, learn_step, Learned, ListExpect, Literals, Options, Refusal};
pub use replay::{
    check_answer, dry_run, first_page, list_items, next_page, prepare, temporary_code, AnswerError,
    Code, Context, ListItem, Prepared, Redacted, TemplateError,
};
pub use values::Values;
