//! `gopay-miniapp`: the CLI, the sidecar (`lsp`) and the local portal (`portal serve`) in
//! one binary. This file only wires arguments to the workflows in `gopay-miniapp-core`.

// First: its macros (`say!`, `sayln!`, `esay!`, `esayln!`) are the only printing of the crate.
#[macro_use]
mod say;

mod args;
mod output;
mod terminal;
mod verbs;
mod words;

use clap::Parser;
use gopay_miniapp_core::error::exit;

fn main() {
    let cli = args::Cli::parse();
    init_logging(
        cli.verbose,
        matches!(cli.command, args::Command::Lsp { .. }),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let code = verbs::exit_code(runtime.block_on(verbs::run(cli)));
    // Never wait for stray blocking tasks (a prompt reading stdin): the process always exits.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    std::process::exit(code);
}

/// Whether stderr is a terminal that wants colours (`NO_COLOR` unset or empty).
fn colour_on_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn init_logging(verbose: u8, lsp: bool) {
    use tracing_subscriber::filter::{filter_fn, FilterExt};
    use tracing_subscriber::prelude::*;

    let default = match verbose {
        0 => "warn",
        1 => "info,gopay_miniapp=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // The browser login's DevTools messages carry the typed password and the portal's
    // cookies (chromiumoxide and tungstenite log them at debug/trace): those targets are
    // dropped whatever RUST_LOG or -v ask for.
    // The sidecar's raw protocol trace (tower-lsp's) carries passwords and tokens the same
    // way; the sidecar logs a redacted copy itself.
    let secrets_out = filter_fn(|meta| {
        !gopay_miniapp_browser::is_quiet_target(meta.target())
            && !gopay_miniapp_lsp::redact::is_quiet_target(meta.target())
    });
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal: a log redirected to a file
        // (the CLI's or the sidecar's, which editors keep) stays plain text.
        .with_ansi(colour_on_stderr())
        .with_target(false);
    // In `lsp` mode the editor stamps every line of the sidecar's stderr (VS Code's log
    // channel, Neovim's lsp.log, eglot's events buffer): a second timestamp only doubled them.
    let lines = if lsp {
        lines.without_time().boxed()
    } else {
        lines.boxed()
    };
    tracing_subscriber::registry()
        .with(lines.with_filter(filter.and(secrets_out)))
        .init();
    let _ = exit::OK;
}
