//! How workflows talk to whoever runs them, without knowing what that is. The CLI turns
//! these into stderr lines and TTY prompts, the sidecar into `$/progress`,
//! `window/logMessage` and `window/showMessageRequest`, tests into scripted answers.

use async_trait::async_trait;

use crate::error::CoreError;

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    /// Our own narration ("Fetching the latest version…").
    Workflow,
    /// A line printed by the build command.
    Build,
}

/// Progress and narration of a running workflow.
pub trait Reporter: Send + Sync {
    /// A new phase of the work began ("Building", "Uploading").
    fn step(&self, _title: &str) {}
    /// Overall progress of the workflow in percent, with a short message.
    fn progress(&self, _percent: u8, _message: &str) {}
    fn log(&self, _source: LogSource, _line: &str) {}
    fn warn(&self, _message: &str) {}
    /// Something the status snapshot shows changed (login, binding, versions, releases).
    fn changed(&self) {}
}

/// Reports nothing.
pub struct Silent;
impl Reporter for Silent {}

/// Questions a workflow needs answered. Front ends that cannot ask (CI with `--yes`)
/// answer with [`CoreError::NeedsInput`], naming the flag that would have answered.
#[async_trait]
pub trait Prompter: Send + Sync {
    /// Choose one of `options`; returns its index. `flag` names the CLI flag / argument
    /// that supplies the answer without asking.
    async fn choose(
        &self,
        question: &str,
        options: &[String],
        flag: &str,
    ) -> Result<usize, CoreError>;
    /// Yes or no.
    async fn confirm(&self, question: &str, flag: &str) -> Result<bool, CoreError>;
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
        flag: &str,
    ) -> Result<usize, CoreError> {
        Err(CoreError::NeedsInput {
            question: question.to_string(),
            flag: flag.to_string(),
        })
    }
    async fn confirm(&self, question: &str, flag: &str) -> Result<bool, CoreError> {
        Err(CoreError::NeedsInput {
            question: question.to_string(),
            flag: flag.to_string(),
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
        flag: &str,
    ) -> Result<usize, CoreError> {
        NoPrompts.choose(question, options, flag).await
    }
    async fn confirm(&self, _question: &str, _flag: &str) -> Result<bool, CoreError> {
        Ok(true)
    }
}
