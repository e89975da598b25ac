//! The rules outside data passes before it reaches a terminal, a log, a URL opener, a file or
//! memory, each with one home (docs/security.md has the threat model and the limit values):
//!
//! - [`text`]: every line printed from outside data (control characters, ANSI, bidi
//!   controls neutralised; long values cut);
//! - [`url`]: which URLs are accepted, opened and followed (http(s) only, no credentials in
//!   URLs, the portal's origin for anything opened, no credentials across origins);
//! - [`limits`]: how much is read from outside (HTTP bodies per route kind, files, build
//!   output queued for an editor);
//! - [`files`]: how the files we write are written (never the project's own by mistake,
//!   symlinks and hard links, mode and group kept, 0700/0600 for what is ours);
//! - [`entries`]: which package entries are accepted, by `pack` and by both portals (names,
//!   links, expanded size and ratio).
//!
//! It depends on nothing of ours, so every crate (the portal client, the local portal, core,
//! the sidecar, the CLI) and the fuzz targets can use it.

pub mod entries;
pub mod files;
pub mod limits;
pub mod text;
pub mod url;
