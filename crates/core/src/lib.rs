//! Workflows (login, bind, publish, release) and the project side of publishing.
//!
//! No terminal and no LSP knowledge lives here: workflows report through [`events::Reporter`]
//! and ask through [`events::Prompter`]; the CLI and the sidecar implement both.

pub mod atomic_write;
pub mod binding;
pub mod codes;
pub mod context;
pub mod credentials;
pub mod error;
pub mod events;
pub mod hint;
pub mod journal;
pub mod keyring;
pub mod lock;
pub mod presets;
pub mod process;
pub mod project;
pub mod recipes;
/// The QR renderings live with the deeplink they encode, in the portal crate.
pub use gopay_miniapp_portal::qr;
pub mod user_ids;
pub mod workflows;

pub use context::{Context, PortalChoice, PortalFrom};
pub use error::{CoreError, ErrorReport, HintWords};
pub use hint::{Hint, Input, Named};
