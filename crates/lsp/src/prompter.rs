//! Core's questions as `window/showMessageRequest`: a choice offers the options as actions,
//! a confirmation offers Yes and No. Every question has a timeout (5 min by default) and
//! ends when the command is cancelled. When the client cannot ask (it does not implement
//! the request, it errors, nobody answers in time) the command fails with an error naming
//! the argument that answers the question without asking.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use gopay_miniapp_core::events::{Confirm, Prompter};
use gopay_miniapp_core::{CoreError, Hint, Input};
use tokio_util::sync::CancellationToken;
use tower_lsp_server::ls_types::{MessageActionItem, MessageType};

use crate::errors::{codes, CommandError, INVALID_PARAMS, REQUEST_FAILED};
use crate::state::{ask_client, human, ClientFailure, Shared};

pub const YES: &str = "Yes";
pub const NO: &str = "No";

pub struct LspPrompter {
    shared: Arc<Shared>,
    cancel: CancellationToken,
    assume_yes: bool,
    /// Why the last question failed, worded for the editor (core's error names CLI flags).
    failure: Mutex<Option<CommandError>>,
}

impl LspPrompter {
    pub fn new(shared: Arc<Shared>, cancel: CancellationToken, assume_yes: bool) -> Self {
        LspPrompter {
            shared,
            cancel,
            assume_yes,
            failure: Mutex::new(None),
        }
    }

    pub fn take_failure(&self) -> Option<CommandError> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    fn fail(&self, question: &str, input: Input, failure: ClientFailure) -> CoreError {
        let argument = crate::words::argument(input);
        let error = match &failure {
            ClientFailure::Cancelled | ClientFailure::Closed => return CoreError::Cancelled,
            ClientFailure::Unsupported => CommandError::new(
                INVALID_PARAMS,
                gopay_miniapp_core::codes::NEEDS_INPUT,
                format!(
                    "{question} — this editor cannot show choices (no window/showMessageRequest)"
                ),
                Hint::Provide { input },
            ),
            ClientFailure::Timeout(d) => CommandError::new(
                REQUEST_FAILED,
                codes::PROMPT_TIMEOUT,
                format!(
                    "{question} — no answer within {} (answer in time, or pass the `{argument}` argument)",
                    human(*d)
                ),
                Hint::Provide { input },
            ),
            ClientFailure::Error(_) => CommandError::new(
                REQUEST_FAILED,
                codes::PROMPT_FAILED,
                format!("{question} — {failure}"),
                Hint::Provide { input },
            ),
        };
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
        CoreError::NeedsInput {
            question: question.to_string(),
            input,
        }
    }

    /// Asks; `Ok(None)` when the user dismissed the question.
    async fn ask(
        &self,
        question: &str,
        titles: Vec<String>,
        input: Input,
        kind: MessageType,
    ) -> Result<Option<String>, CoreError> {
        if self.cancel.is_cancelled() {
            return Err(CoreError::Cancelled);
        }
        let timeout = self.shared.options().prompt_timeout;
        let actions = titles
            .into_iter()
            .map(|title| MessageActionItem {
                title,
                properties: Default::default(),
            })
            .collect();
        let asked =
            self.shared
                .client()
                .show_message_request(kind, question.to_string(), Some(actions));
        match ask_client(&self.shared, asked, timeout, &self.cancel).await {
            Ok(answer) => Ok(answer.map(|a| a.title)),
            Err(failure) => Err(self.fail(question, input, failure)),
        }
    }

    fn dismissed(&self, question: &str) -> CoreError {
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(CommandError::new(
            REQUEST_FAILED,
            gopay_miniapp_core::codes::CANCELLED,
            format!("{question} — no choice was made, so nothing was done"),
            Hint::NothingChanged,
        ));
        CoreError::Cancelled
    }
}

/// Unique titles: a repeated one gets " (2)", " (3)"…
pub fn unique_titles(options: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(options.len());
    for option in options {
        let mut title = option.clone();
        let mut n = 2;
        while out.contains(&title) {
            title = format!("{option} ({n})");
            n += 1;
        }
        out.push(title);
    }
    out
}

#[async_trait]
impl Prompter for LspPrompter {
    async fn choose(
        &self,
        question: &str,
        options: &[String],
        input: Input,
    ) -> Result<usize, CoreError> {
        let titles = unique_titles(options);
        match self
            .ask(question, titles.clone(), input, MessageType::INFO)
            .await?
        {
            Some(answer) => titles.iter().position(|t| *t == answer).ok_or_else(|| {
                CoreError::invalid(
                    format!("the editor answered \"{answer}\", which was not one of the choices"),
                    Hint::Provide { input },
                )
            }),
            None => Err(self.dismissed(question)),
        }
    }

    async fn confirm(&self, confirm: &Confirm<'_>) -> Result<bool, CoreError> {
        if self.assume_yes {
            // `yes` answers confirmations, not a question that has its own argument.
            return if confirm.input == Input::Confirmation {
                Ok(true)
            } else {
                Err(CoreError::NeedsInput {
                    question: confirm.question.to_string(),
                    input: confirm.input,
                })
            };
        }
        // The yes is the action's own verb ("Roll Back"), the no a plain No.
        let yes = confirm.action.to_string();
        match self
            .ask(
                confirm.question,
                vec![yes.clone(), NO.into()],
                confirm.input,
                // What reaches everyone or cannot be undone is asked as a warning.
                if confirm.destructive {
                    MessageType::WARNING
                } else {
                    MessageType::INFO
                },
            )
            .await?
        {
            Some(answer) => Ok(answer == yes || answer == YES),
            // Dismissing a confirmation is a No.
            None => Ok(false),
        }
    }
}
