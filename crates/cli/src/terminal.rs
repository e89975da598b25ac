//! The terminal face of the workflows' events and questions. Everything here writes to
//! stderr: stdout carries only results (one JSON document with `--json`).

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use gopay_miniapp_core::events::{Confirm, LogSource, Phase, Prompter, Reporter};
use gopay_miniapp_core::{CoreError, Hint, Input};

/// Progress on stderr: a line per step, build output indented, and upload percentages
/// (redrawn in place on a TTY, every 10 % otherwise so CI logs stay short).
pub struct StderrReporter {
    tty: bool,
    last: Mutex<Option<(u8, String)>>,
}

/// Whether stderr ends in a progress line redrawn in place (no newline yet). One per process,
/// like stderr itself: whatever is written next (a step, a warning, the result on the same
/// terminal, an error) first ends it, so it never runs on into the next text.
static PROGRESS_LINE_OPEN: AtomicBool = AtomicBool::new(false);

/// Ends the progress line if one is open; a no-op otherwise (and always without a TTY).
pub fn end_progress_line() {
    if PROGRESS_LINE_OPEN.swap(false, Ordering::SeqCst) {
        esayln!();
    }
}

impl StderrReporter {
    pub fn new() -> Self {
        StderrReporter {
            tty: std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    fn end_progress_line(&self) {
        end_progress_line();
        *self.last.lock().unwrap() = None;
    }
}

impl Reporter for StderrReporter {
    fn step(&self, title: &str) {
        self.end_progress_line();
        esayln!("==> {title}");
    }

    fn progress(&self, phase: &Phase, message: &str) {
        // Only the upload has a percentage worth drawing; the other phases are steps.
        let (Phase::Upload { .. }, Some(percent)) = (phase, phase.percent()) else {
            return;
        };
        let mut last = self.last.lock().unwrap();
        if self.tty {
            crate::say::redraw(&format!("    {message:<60}"));
            let _ = std::io::stderr().flush();
            PROGRESS_LINE_OPEN.store(true, Ordering::SeqCst);
            *last = Some((percent, message.to_string()));
        } else {
            let bucket = percent / 10;
            if last.as_ref().map(|(p, _)| p / 10) != Some(bucket) {
                esayln!("    {message}");
                *last = Some((percent, message.to_string()));
            }
        }
    }

    fn log(&self, source: LogSource, line: &str) {
        self.end_progress_line();
        match source {
            LogSource::Build => esayln!("    │ {line}"),
            LogSource::Workflow => esayln!("    {line}"),
        }
    }

    fn warn(&self, message: &str) {
        self.end_progress_line();
        esayln!("warning: {message}");
    }
}

/// Asks on the terminal (stderr + stdin). Without a TTY every question is an error that
/// names the flag to pass instead; `--yes` answers confirmations.
pub struct TerminalPrompter {
    pub assume_yes: bool,
}

/// Whether questions can be asked (stdin and stderr are a terminal).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Which portal, for a first use: the presets (Enter takes the preselected one, GoPay) or
/// another URL. Returns a URL.
pub fn ask_portal() -> Result<String, CoreError> {
    use gopay_miniapp_core::presets::{self, PRESETS};
    let default = PRESETS
        .iter()
        .position(|p| p.id == presets::preselected().id)
        .expect("the preselected preset is in the table");
    esayln!("Which portal? (nothing is bound here and you have not logged in yet)");
    for (i, p) in PRESETS.iter().enumerate() {
        let mark = if i == default { " (default)" } else { "" };
        esayln!("  {}) {} — {} — {}{mark}", i + 1, p.name, p.url, p.detail);
    }
    esayln!("  {}) Other URL", PRESETS.len() + 1);
    loop {
        esay!(
            "Number [1-{}, Enter = {}]: ",
            PRESETS.len() + 1,
            default + 1
        );
        let _ = std::io::stderr().flush();
        let answer = TerminalPrompter::read_line()?;
        let index = if answer.is_empty() {
            default
        } else {
            match answer.parse::<usize>() {
                Ok(n) if (1..=PRESETS.len() + 1).contains(&n) => n - 1,
                _ => {
                    esayln!("Please type a number from 1 to {}.", PRESETS.len() + 1);
                    continue;
                }
            }
        };
        if let Some(preset) = PRESETS.get(index) {
            return Ok(preset.url.to_string());
        }
        esay!("Portal URL: ");
        let _ = std::io::stderr().flush();
        let url = TerminalPrompter::read_line()?;
        if !url.is_empty() {
            return Ok(presets::expand(&url));
        }
    }
}

impl TerminalPrompter {
    fn interactive() -> bool {
        interactive()
    }

    fn read_line() -> Result<String, CoreError> {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CoreError::io("stdin", e))?;
        if line.is_empty() {
            return Err(CoreError::Cancelled);
        }
        Ok(line.trim().to_string())
    }
}

#[async_trait]
impl Prompter for TerminalPrompter {
    async fn choose(
        &self,
        question: &str,
        options: &[String],
        input: Input,
    ) -> Result<usize, CoreError> {
        if !Self::interactive() {
            return Err(CoreError::NeedsInput {
                question: question.to_string(),
                input,
            });
        }
        let question = question.to_string();
        let options = options.to_vec();
        tokio::task::spawn_blocking(move || loop {
            esayln!("{question}");
            for (i, option) in options.iter().enumerate() {
                esayln!("  {}) {option}", i + 1);
            }
            esay!("Number [1-{}]: ", options.len());
            let _ = std::io::stderr().flush();
            let answer = Self::read_line()?;
            match answer.parse::<usize>() {
                Ok(n) if (1..=options.len()).contains(&n) => return Ok(n - 1),
                _ => {
                    if let Some(i) = options.iter().position(|o| o == &answer) {
                        return Ok(i);
                    }
                    esayln!("Please type a number from 1 to {}.", options.len());
                }
            }
        })
        .await
        .map_err(|e| CoreError::Io {
            message: e.to_string(),
        })?
    }

    async fn confirm(&self, confirm: &Confirm<'_>) -> Result<bool, CoreError> {
        let question = confirm.question;
        // --yes answers confirmations; a question with its own flag needs that flag.
        if self.assume_yes && confirm.input == Input::Confirmation {
            esayln!("{question} yes (--yes)");
            return Ok(true);
        }
        if self.assume_yes || !Self::interactive() {
            return Err(CoreError::NeedsInput {
                question: question.to_string(),
                input: confirm.input,
            });
        }
        let question = question.to_string();
        tokio::task::spawn_blocking(move || loop {
            esay!("{question} [y/N] ");
            let _ = std::io::stderr().flush();
            match Self::read_line()?.to_ascii_lowercase().as_str() {
                "y" | "yes" => return Ok(true),
                "" | "n" | "no" => return Ok(false),
                _ => esayln!("Please answer y or n."),
            }
        })
        .await
        .map_err(|e| CoreError::Io {
            message: e.to_string(),
        })?
    }
}

/// The password: first line of stdin with `--password-stdin`, else a no-echo prompt.
pub fn read_password(from_stdin: bool) -> Result<String, CoreError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CoreError::io("stdin", e))?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        if password.is_empty() {
            return Err(CoreError::invalid(
                "no password on stdin (pipe it in: `printf %s \"$PASSWORD\" | gopay-miniapp login --username U --password-stdin`)",
                Hint::Provide {
                    input: Input::Password,
                },
            ));
        }
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CoreError::NeedsInput {
            question: "Password?".into(),
            input: Input::Password,
        });
    }
    rpassword::prompt_password("Password: ").map_err(|e| CoreError::io("the terminal", e))
}

pub fn read_username() -> Result<String, CoreError> {
    if !std::io::stdin().is_terminal() {
        return Err(CoreError::NeedsInput {
            question: "Username?".into(),
            input: Input::Username,
        });
    }
    esay!("Username: ");
    let _ = std::io::stderr().flush();
    TerminalPrompter::read_line()
}

/// One line of stdin that is a secret (a Cookie header): never echoed, never printed.
pub fn read_secret_line(what: &str) -> Result<String, CoreError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CoreError::io("stdin", e))?;
    let secret = line.trim().to_string();
    if secret.is_empty() {
        return Err(CoreError::invalid(
            format!("no {what} on stdin"),
            Hint::Provide {
                input: Input::Password,
            },
        ));
    }
    Ok(secret)
}

/// Cancels `stop` when a line (Enter) comes on stdin, until `stop` or `done` is cancelled
/// otherwise: stdin is only read once a line is there, so once they are, nothing of it was
/// taken (a question that follows reads its own answer). A closed stdin (EOF) stops nothing:
/// the other ends (a closed tab) still do.
pub fn stop_on_enter(
    stop: tokio_util::sync::CancellationToken,
    done: tokio_util::sync::CancellationToken,
) {
    std::thread::spawn(move || {
        let over = || stop.is_cancelled() || done.is_cancelled();
        while !over() {
            if !stdin_readable(std::time::Duration::from_millis(200)) || over() {
                continue;
            }
            let mut line = String::new();
            match std::io::stdin().lock().read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    stop.cancel();
                    return;
                }
            }
        }
    });
}

/// Whether stdin has something to read (a line on a terminal, data or EOF on a pipe) within
/// `wait`.
#[cfg(unix)]
fn stdin_readable(wait: std::time::Duration) -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call.
    let n = unsafe { libc::poll(&mut fd, 1, wait.as_millis() as libc::c_int) };
    n > 0 && fd.revents != 0
}

/// Elsewhere stdin is read as it comes (a closed tab leaves the read waiting for a line).
#[cfg(not(unix))]
fn stdin_readable(_wait: std::time::Duration) -> bool {
    true
}
