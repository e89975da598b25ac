//! Results on stdout: one JSON document with `--json`, else short readable text.

use gopay_miniapp_core::error::exit;
use gopay_miniapp_core::workflows::release::{DryRun, StepResult};
use gopay_miniapp_core::workflows::status::{ReleaseView, StatusSnapshot, VersionView};
use gopay_miniapp_core::{CoreError, ErrorReport};
use gopay_miniapp_guard::text::Shown;
use gopay_miniapp_portal::{ReleaseState, Step};
use serde::Serialize;

use crate::terminal;
use crate::words;

/// What this run found of an interrupted publish (set once, before the command runs): every
/// `--json` document carries it as `recovered`.
pub static RECOVERED: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();

pub fn json<T: Serialize>(value: &T) {
    terminal::end_progress_line();
    let mut value = serde_json::to_value(value).expect("results serialize");
    if let (Some(recovered), Some(object)) = (RECOVERED.get(), value.as_object_mut()) {
        object
            .entry("recovered")
            .or_insert_with(|| recovered.clone());
    }
    crate::say::json(&value);
}

/// Errors: `{"error": {...}}` on stdout with `--json` (so a parser always gets one
/// document), and readable text on stderr always.
pub fn error(report: &ErrorReport, as_json: bool) {
    terminal::end_progress_line();
    if as_json {
        json(&serde_json::json!({ "error": report }));
    }
    esayln!("error: {}", report.message);
    if !report.hint.text.is_empty() {
        esayln!("  hint: {}", report.hint.text);
    }
    if report.retryable {
        esayln!("  (this is worth retrying)");
    }
}

/// A workflow's result: `text` of it on stdout (JSON with `--json`), exit 0; or its error.
pub fn finish<T: Serialize>(
    json: bool,
    result: Result<T, CoreError>,
    text: impl FnOnce(&T) -> String,
) -> i32 {
    match result {
        Ok(value) => {
            if json {
                self::json(&value);
            } else {
                terminal::end_progress_line();
                say!("{}", text(&value));
            }
            exit::OK
        }
        Err(err) => fail(json, err),
    }
}

/// The error, worded for the terminal; its exit code.
pub fn fail(json: bool, err: CoreError) -> i32 {
    error(&err.report(&words::hint), json);
    err.exit_code()
}

/// A release step's result (release, apply, whitelist, …): the release's state, what was
/// archived, and the next step on the main road.
pub fn step_text(s: &StepResult) -> String {
    let r = &s.release;
    let mut text = format!(
        "{} on \"{}\": {}",
        Shown(&s.version),
        Shown(&r.target_app),
        state_shown(r)
    );
    if let Some(ratio) = r.ratio {
        text.push_str(&format!(" {ratio}%"));
    }
    if let Some(users) = &r.whitelist {
        text.push_str(&format!(" (whitelist: {})", Shown(&users.join(", "))));
    }
    text.push('\n');
    if let Some(archived) = &s.archived_version {
        text.push_str(&format!("{} was archived.\n", Shown(archived)));
    }
    if let Some(next) = r.next_step {
        let verb = if next == Step::Approve {
            "wait (a target-app admin reviews it)".to_string()
        } else {
            words::step_command(next, Some(&s.version), Some(&r.target_app))
        };
        text.push_str(&format!("Next: {verb}\n"));
    }
    text
}

/// `--dry-run`: the release found and the requests, as they would be sent (session values
/// named by the portal adapter, never shown).
pub fn dry_run_text(d: &DryRun) -> String {
    let mut text = format!(
        "Dry run of `gopay-miniapp {}` for {} on \"{}\" ({}){}: nothing was sent and no confirmation asked. It would send:\n",
        words::verb(d.step),
        Shown(&d.version),
        Shown(&d.target_app),
        d.state.label(),
        match &d.restored_version {
            Some(back) => format!(", bringing back {}", Shown(back)),
            None => String::new(),
        },
    );
    for request in &d.requests {
        text.push_str(&format!(
            "  {} {}{}\n",
            Shown(&request.method),
            Shown(&request.url),
            if request.learned {
                "  (learned on this portal)"
            } else {
                ""
            }
        ));
        for header in &request.headers {
            text.push_str(&format!(
                "    {}: {}\n",
                Shown(&header.name),
                Shown(&header.value)
            ));
        }
        if let Some(body) = &request.body {
            text.push_str(&format!("    {}\n", Shown(&body.to_string())));
        }
    }
    text
}

/// A release's state in our word; a state no table of ours places with the portal's own word
/// beside it (shown, never guessed).
fn state_shown(r: &ReleaseView) -> String {
    match (&r.state, &r.status_text) {
        (ReleaseState::Unknown, Some(raw)) => {
            format!("{} (the portal says \"{}\")", r.state_label, Shown(raw))
        }
        _ => r.state_label.to_string(),
    }
}

pub fn versions_text(versions: &[VersionView]) -> String {
    if versions.is_empty() {
        return "No versions yet. Publish one: gopay-miniapp publish\n".into();
    }
    let mut out = String::new();
    for v in versions {
        out.push_str(&format!(
            "{:<10} {}  {}\n",
            Shown(&v.version),
            Shown(&v.created_at),
            Shown(&v.description)
        ));
        for r in &v.releases {
            let mut line = format!("    {:<16} {}", Shown(&r.target_app), state_shown(r));
            if let Some(ratio) = r.ratio {
                line.push_str(&format!(" {ratio}%"));
            }
            if let Some(users) = &r.whitelist {
                line.push_str(&format!(" (whitelist: {})", Shown(&users.join(", "))));
            }
            if let Some(reason) = &r.reject_reason {
                line.push_str(&format!(" — reason: {}", Shown(reason)));
            }
            if let Some(next) = r.next_step {
                line.push_str(&format!("   → next: {}", words::verb(next)));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

pub fn status_text(s: &StatusSnapshot) -> String {
    let mut out = format!(
        "Portal:   {}\nProject:  {}\n",
        s.portal.as_deref().unwrap_or("none chosen"),
        s.project
    );
    match &s.account {
        Some(a) => out.push_str(&format!(
            "Account:  {} ({}), via {}\n",
            Shown(&a.username),
            Shown(&a.display_name),
            a.via
        )),
        None => out.push_str("Account:  not logged in (gopay-miniapp login)\n"),
    }
    match &s.binding {
        Some(b) => out.push_str(&format!(
            "Bound to: {} ({}) in space \"{}\"\n",
            Shown(&b.app.name),
            Shown(&b.app.id),
            Shown(&b.space.name)
        )),
        None => out.push_str("Bound to: nothing (gopay-miniapp bind)\n"),
    }
    if let Some(problem) = &s.problem {
        out.push_str(&format!(
            "Problem:  {} — {}\n",
            problem.message, problem.hint.text
        ));
    }
    if s.binding.is_some() && s.logged_in {
        out.push_str(&format!(
            "Latest:   {}\n",
            Shown(s.latest_version.as_deref().unwrap_or("no versions yet"))
        ));
        for t in &s.target_apps {
            let mut line = format!(
                "  {:<16} live: {}",
                Shown(&t.target_app),
                Shown(t.live_version.as_deref().unwrap_or("—"))
            );
            if let Some(f) = &t.in_flight {
                line.push_str(&format!(
                    "; in flight: {} ({})",
                    Shown(&f.version),
                    f.state.name()
                ));
                if let Some(next) = f.next_step {
                    line.push_str(&format!(" → next: {}", words::verb(next)));
                }
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
