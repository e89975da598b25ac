//! One module per verb, like the sidecar's handlers: each takes its arguments (declared in
//! `args.rs`), calls a workflow and prints its result through `output.rs`, so what the CLI
//! prints for a verb has one home.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};

use gopay_miniapp_core::credentials::default_home;
use gopay_miniapp_core::error::exit;
use gopay_miniapp_core::workflows::release::{DryRunOf, ReleaseRef};
use gopay_miniapp_core::{Context, CoreError};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::args::{Cli, Command, PortalCommand, ReleaseArgs};
use crate::output;
use crate::terminal::{StderrReporter, TerminalPrompter};
use crate::words;

mod apply;
mod apps;
mod audit;
mod bind;
mod cancel;
#[cfg(feature = "local-portal")]
mod demo;
mod doctor;
mod grayscale;
mod learn;
mod login;
mod logout;
mod lsp;
mod official;
mod pack;
#[cfg(feature = "local-portal")]
mod portal;
mod publish;
mod qr;
mod release;
mod review;
mod rollback;
mod spaces;
mod status;
mod target_apps;
mod token;
mod upload;
mod versions;
mod wait;
mod whitelist;
mod whoami;
mod withdraw;

/// What every verb gets: the project's context, how to print, how to ask and report, and
/// the run's cancellation (Ctrl-C).
pub struct Cx {
    pub ctx: Context,
    /// `--json`: one JSON document on stdout.
    pub json: bool,
    pub prompter: TerminalPrompter,
    pub reporter: StderrReporter,
    pub cancel: CancellationToken,
}

impl Cx {
    /// The result as text (or JSON with `--json`), or the error; the exit code.
    pub fn finish<T: Serialize>(
        &self,
        result: Result<T, CoreError>,
        text: impl FnOnce(&T) -> String,
    ) -> i32 {
        output::finish(self.json, result, text)
    }

    /// `--dry-run` of a step: what it would send; nothing sent, no confirmation asked.
    pub async fn dry_run(&self, at: &ReleaseRef, of: DryRunOf<'_>) -> i32 {
        let result =
            gopay_miniapp_core::workflows::release::dry_run(&self.ctx, at, of, &self.prompter)
                .await;
        self.finish(result, output::dry_run_text)
    }

    /// The error on stderr (and stdout with `--json`); its exit code.
    pub fn fail(&self, err: CoreError) -> i32 {
        output::fail(self.json, err)
    }
}

pub async fn run(cli: Cli) -> i32 {
    let project = cli
        .project
        .clone()
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")));
    let mut ctx = Context::new(default_home(), project).with_env(cli.portal.clone());
    if needs_portal(&cli.command) {
        if let Err(err) = choose_portal(&mut ctx, cli.yes).await {
            return output::fail(cli.json, err);
        }
    }
    let cx = Cx {
        ctx,
        json: cli.json,
        prompter: TerminalPrompter {
            assume_yes: cli.yes,
        },
        reporter: StderrReporter::new(),
        cancel: cancel_on_signals(settles_on_cancel(&cli.command)),
    };
    if touches_project(&cli.command) {
        recover(&cx.ctx).await;
    }
    match cli.command {
        Command::Login(args) => login::run(&cx, args).await,
        Command::Logout => logout::run(&cx).await,
        Command::Whoami => whoami::run(&cx).await,
        Command::Token(command) => token::run(&cx, command).await,
        Command::Spaces => spaces::run(&cx).await,
        Command::Apps { space } => apps::run(&cx, space).await,
        Command::TargetApps => target_apps::run(&cx).await,
        Command::Bind(args) => bind::run(&cx, args).await,
        Command::Status => status::run(&cx).await,
        Command::Pack(args) => pack::run(&cx, args).await,
        Command::Publish(args) => publish::run(&cx, args).await,
        Command::Upload(args) => upload::run(&cx, args).await,
        Command::Versions => versions::run(&cx).await,
        Command::Release(args) => release::run(&cx, args).await,
        Command::Qr(args) => qr::run(&cx, args).await,
        Command::Apply(args) => apply::run(&cx, args).await,
        Command::Withdraw(args) => withdraw::run(&cx, args).await,
        Command::Wait(args) => wait::run(&cx, args).await,
        Command::Whitelist(args) => whitelist::run(&cx, args).await,
        Command::Grayscale(args) => grayscale::run(&cx, args).await,
        Command::Official(args) => official::run(&cx, args).await,
        Command::Cancel(args) => cancel::run(&cx, args).await,
        Command::Rollback { target_app, dry } => rollback::run(&cx, target_app, dry).await,
        Command::Learn(args) => learn::run(&cx, args, cli.yes).await,
        Command::Review(args) => review::run(&cx, args).await,
        Command::Audit => audit::run(&cx).await,
        Command::Doctor => doctor::run(&cx).await,
        #[cfg(feature = "local-portal")]
        Command::Demo(args) => demo::run(args, &cx.cancel).await,
        #[cfg(not(feature = "local-portal"))]
        Command::Demo(_) => without_local_portal(&cx),
        Command::Lsp { .. } => lsp::run(&cx).await,
        #[cfg(feature = "local-portal")]
        Command::Portal(PortalCommand::Serve(args)) => portal::serve(&cx, args).await,
        #[cfg(not(feature = "local-portal"))]
        Command::Portal(PortalCommand::Serve(_)) => without_local_portal(&cx),
    }
}

/// The signal that stopped this run (0: none): the exit code is then 128 + its number.
static STOPPED_BY: AtomicI32 = AtomicI32::new(0);

/// The exit code of a run that ended with `code`: a run cancelled by a signal exits
/// 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), as a shell
/// reports a process killed by it; a run that finished its work despite the signal keeps its
/// own code.
pub fn exit_code(code: i32) -> i32 {
    match STOPPED_BY.load(Ordering::SeqCst) {
        0 => code,
        signal if code == exit::CANCELLED => 128 + signal,
        _ => code,
    }
}

/// Ctrl-C, SIGTERM and SIGHUP (a closed terminal, `timeout`, a CI's cancel, `docker stop`)
/// are one thing: the running workflow is cancelled and cleans up (build killed, package.json
/// restored, upload abandoned) and the run exits 128 + the signal; a second signal exits at
/// once. A command with nothing to clean up (`settles` false) exits at once.
fn cancel_on_signals(settles: bool) -> CancellationToken {
    use tokio::signal::unix::{signal, SignalKind};
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    // Installed before the command starts, so a signal that comes early is not lost (the
    // default action would kill the process without cleaning up).
    let mut term = signal(SignalKind::terminate()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    tokio::spawn(async move {
        let Some(first) = next_signal(&mut term, &mut hup).await else {
            return;
        };
        STOPPED_BY.store(first, Ordering::SeqCst);
        if !settles {
            std::process::exit(128 + first);
        }
        // esayln! ignores a failed write: after SIGHUP the terminal may be gone, and that must
        // not stop the cleanup.
        let again = if first == libc::SIGINT {
            "press Ctrl-C again to quit at once"
        } else {
            "a second signal quits at once"
        };
        esayln!("\nStopping… ({again})");
        token.cancel();
        gopay_miniapp_portal::pause::release();
        if let Some(second) = next_signal(&mut term, &mut hup).await {
            std::process::exit(128 + second);
        }
    });
    cancel
}

/// The next of SIGINT, SIGTERM, SIGHUP, as its number.
async fn next_signal(
    term: &mut Option<tokio::signal::unix::Signal>,
    hup: &mut Option<tokio::signal::unix::Signal>,
) -> Option<i32> {
    async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
        match signal {
            Some(signal) => signal.recv().await,
            None => std::future::pending().await,
        }
    }
    tokio::select! {
        ctrl_c = tokio::signal::ctrl_c() => ctrl_c.ok().map(|()| libc::SIGINT),
        got = recv(term) => got.map(|()| libc::SIGTERM),
        got = recv(hup) => got.map(|()| libc::SIGHUP),
    }
}

/// Commands that take the cancellation and clean up after it (the others have nothing to put
/// right and stop at once on a signal).
fn settles_on_cancel(command: &Command) -> bool {
    matches!(
        command,
        Command::Publish(_)
            | Command::Login(_)
            | Command::Demo(_)
            | Command::Lsp { .. }
            | Command::Portal(_)
    )
}

/// Commands that talk to a portal (the others never ask which one).
fn needs_portal(command: &Command) -> bool {
    !matches!(
        command,
        Command::Pack(_) | Command::Demo(_) | Command::Lsp { .. } | Command::Portal(_)
    )
}

/// Core's one rule picks the portal; when nothing names one (no binding, no setting, no
/// login), the user is asked on a terminal (the presets, GoPay preselected, or another URL)
/// and never sent to one silently; under `--yes` or without a terminal it is an error naming
/// `--portal`. A `--portal` that disagrees with the binding is warned about.
async fn choose_portal(ctx: &mut Context, assume_yes: bool) -> Result<(), CoreError> {
    use gopay_miniapp_core::presets;
    let choice = match ctx.portal_choice() {
        Ok(choice) => choice,
        Err(CoreError::NoPortal) if !assume_yes && crate::terminal::interactive() => {
            let chosen = crate::terminal::ask_portal()?;
            ctx.portal_override = Some(chosen);
            return Ok(());
        }
        Err(CoreError::NoPortal) => return Err(CoreError::NoPortal),
        // Anything else (a password in a URL…) is the command's own error, when it asks.
        Err(_) => return Ok(()),
    };
    if let Some(bound) = choice.bound_elsewhere {
        let name = |url: &str| match presets::by_url(url) {
            Some(p) => format!("{url} ({})", p.name),
            None => url.to_string(),
        };
        esayln!(
            "warning: --portal {} is not this project's portal {}: this command talks to {} only; the binding is unchanged",
            name(&choice.url),
            name(&bound),
            choice.url
        );
    }
    Ok(())
}

/// Commands that work on the project (and so put right what a dead publish left there).
fn touches_project(command: &Command) -> bool {
    !matches!(
        command,
        Command::Login(_)
            | Command::Logout
            | Command::Whoami
            | Command::Token(_)
            | Command::Spaces
            | Command::Apps { .. }
            | Command::TargetApps
            | Command::Review(_)
            | Command::Lsp { .. }
            | Command::Demo(_)
            | Command::Portal(_)
    )
}

/// Settles an interrupted publish of the project, saying so on stderr in one line (and in
/// `recovered` of the `--json` document).
async fn recover(ctx: &Context) {
    match gopay_miniapp_core::journal::recover(ctx).await {
        Ok(Some(recovery)) => {
            esayln!("{}", words::recovery(&recovery));
            let _ = output::RECOVERED.set(serde_json::to_value(&recovery).expect("serializable"));
        }
        Ok(None) => {}
        Err(e) => {
            let report = e.report(&words::hint);
            esayln!(
                "warning: an interrupted publish could not be put right: {}",
                report.message
            );
            if !report.hint.text.is_empty() {
                esayln!("  hint: {}", report.hint.text);
            }
        }
    }
}

impl ReleaseArgs {
    /// The release these arguments name.
    pub fn reference(&self) -> ReleaseRef {
        ReleaseRef {
            version: self.version.clone(),
            target_app: self.target_app.clone(),
        }
    }
}

/// `demo` and `portal serve` in a build without the local portal: the VS Code extension's
/// sidecar (`cargo dist-sidecar`), which runs them for nobody.
#[cfg(not(feature = "local-portal"))]
fn without_local_portal(cx: &Cx) -> i32 {
    cx.fail(CoreError::invalid(
        "this gopay-miniapp is the VS Code extension's sidecar, built without the local portal (`portal serve`, `demo`); the CLI has it: `cargo install --path crates/cli --locked` from a clone, or a release's gopay-miniapp binary",
        gopay_miniapp_core::Hint::None,
    ))
}
