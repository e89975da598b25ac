//! How workflows talk to whoever runs them, without knowing what that is. The CLI turns
//! these into stderr lines and TTY prompts, the sidecar into `$/progress`,
//! `window/logMessage` and `window/showMessageRequest`, tests into scripted answers.

use async_trait::async_trait;
use serde::Serialize;

use crate::error::CoreError;
use crate::hint::Input;

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    /// Our own narration ("Fetching the latest version…").
    Workflow,
    /// A line printed by the build command.
    Build,
}

/// Where a running workflow is, typed, so that no front end reads it out of the words: a
/// bar is drawn only where a real fraction exists (the upload's bytes), everything else is
/// a step without a percentage. The sidecar sends it in `$/progress` as `phase`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
#[schemars(rename = "ProgressPhase")]
pub enum Phase {
    /// Preflight: the project, the binding, the lock.
    Check,
    /// Asking the portal for the latest version.
    Latest,
    /// Writing the new version into package.json (and package-lock.json).
    Bump { version: String },
    /// Running the build command.
    Build { version: String, command: String },
    /// Packing the output folder.
    Pack { version: String },
    /// Sending the package: `done` of `total` bytes acknowledged.
    Upload {
        version: String,
        done: u64,
        total: u64,
    },
    /// Logging in (a password, or waiting for the browser).
    Login,
    /// Finished.
    Done,
}

impl Phase {
    /// The percentage a bar may show: only the upload's bytes and the end are real fractions.
    pub fn percent(&self) -> Option<u8> {
        match self {
            Phase::Upload { done, total, .. } => Some(if *total == 0 {
                100
            } else {
                (done.min(total).saturating_mul(100) / total) as u8
            }),
            Phase::Done => Some(100),
            _ => None,
        }
    }
}

/// Progress and narration of a running workflow.
pub trait Reporter: Send + Sync {
    /// A new phase of the work began ("Building", "Uploading").
    fn step(&self, _title: &str) {}
    /// Where the workflow is (typed) with a short message for people.
    fn progress(&self, _phase: &Phase, _message: &str) {}
    fn log(&self, _source: LogSource, _line: &str) {}
    fn warn(&self, _message: &str) {}
    /// Something the status snapshot shows changed (login, binding, versions, releases).
    fn changed(&self) {}
}

/// Reports nothing.
pub struct Silent;
impl Reporter for Silent {}

/// Questions a workflow needs answered. Front ends that cannot ask (CI with `--yes`)
/// answer with [`CoreError::NeedsInput`], naming the input that would have answered.
#[async_trait]
pub trait Prompter: Send + Sync {
    /// Choose one of `options`; returns its index. `input` is what supplies the answer
    /// without asking (a CLI flag, a command argument).
    async fn choose(
        &self,
        question: &str,
        options: &[String],
        input: Input,
    ) -> Result<usize, CoreError>;
    /// Yes or no. `action` is the verb of the yes ("Release to Everyone", "Roll Back"), for
    /// front ends that label buttons; `destructive` marks what cannot be undone.
    async fn confirm(&self, question: &Confirm<'_>) -> Result<bool, CoreError>;
}

/// A yes/no question.
#[derive(Debug, Clone, Copy)]
pub struct Confirm<'a> {
    pub question: &'a str,
    /// What answers it without asking: [`Input::Confirmation`] (`--yes`) for most; a question
    /// `--yes` must not answer names its own input (publishing an identical package).
    pub input: Input,
    /// The verb of "yes", e.g. "Roll Back".
    pub action: &'a str,
    /// Reaches everyone or cannot be undone: front ends ask with a warning.
    pub destructive: bool,
}

/// Never asks: every question becomes an error naming the flag (CLI `--yes` for choices,
/// confirmations are answered yes by [`AssumeYes`]).
pub struct NoPrompts;

#[async_trait]
impl Prompter for NoPrompts {
    async fn choose(
        &self,
        question: &str,
        _options: &[String],
        input: Input,
    ) -> Result<usize, CoreError> {
        Err(CoreError::NeedsInput {
            question: question.to_string(),
            input,
        })
    }
    async fn confirm(&self, confirm: &Confirm<'_>) -> Result<bool, CoreError> {
        Err(CoreError::NeedsInput {
            question: confirm.question.to_string(),
            input: confirm.input,
        })
    }
}

/// `--yes`: confirmations are answered yes; choices still need their flag.
pub struct AssumeYes;

#[async_trait]
impl Prompter for AssumeYes {
    async fn choose(
        &self,
        question: &str,
        options: &[String],
        input: Input,
    ) -> Result<usize, CoreError> {
        NoPrompts.choose(question, options, input).await
    }
    async fn confirm(&self, confirm: &Confirm<'_>) -> Result<bool, CoreError> {
        if confirm.input == Input::Confirmation {
            Ok(true)
        } else {
            NoPrompts.confirm(confirm).await
        }
    }
}
