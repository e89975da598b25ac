//! The workflows every front end runs: the CLI verbs, the sidecar's commands and the demo
//! are thin shells around these functions. Each returns a serializable result (the CLI's
//! `--json` document, the sidecar's command result) or a [`crate::CoreError`].

pub mod account;
pub mod bind;
pub mod catalog;
pub mod detect;
pub mod doctor;
pub mod learn;
pub mod publish;
pub mod release;
pub mod status;
