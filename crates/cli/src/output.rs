//! Results on stdout: one JSON document with `--json`, else short readable text.

use gopay_miniapp_core::workflows::doctor::DoctorReport;
use gopay_miniapp_core::workflows::status::{StatusSnapshot, VersionView};
use gopay_miniapp_core::ErrorReport;

use crate::words;
use serde::Serialize;

use crate::terminal;

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
    println!(
        "{}",
        serde_json::to_string_pretty(&value).expect("results serialize")
    );
}

/// Errors: `{"error": {...}}` on stdout with `--json` (so a parser always gets one
/// document), and readable text on stderr always.
pub fn error(report: &ErrorReport, as_json: bool) {
    terminal::end_progress_line();
    if as_json {
        json(&serde_json::json!({ "error": report }));
    }
    eprintln!("error: {}", report.message);
    if !report.hint.text.is_empty() {
        eprintln!("  hint: {}", report.hint.text);
    }
    if report.retryable {
        eprintln!("  (this is worth retrying)");
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
            v.version,
            &v.created_at,
            if v.description.is_empty() {
                ""
            } else {
                &v.description
            }
        ));
        for r in &v.releases {
            let mut line = format!("    {:<16} {}", r.target_app, r.state_label);
            if let Some(ratio) = r.ratio {
                line.push_str(&format!(" {ratio}%"));
            }
            if let Some(users) = &r.whitelist {
                line.push_str(&format!(" (whitelist: {})", users.join(", ")));
            }
            if let Some(reason) = &r.reject_reason {
                line.push_str(&format!(" — reason: {reason}"));
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
    let mut out = format!("Portal:   {}\nProject:  {}\n", s.portal, s.project);
    match &s.account {
        Some(a) => out.push_str(&format!(
            "Account:  {} ({}), via {}\n",
            a.username, a.display_name, a.via
        )),
        None => out.push_str("Account:  not logged in (gopay-miniapp login)\n"),
    }
    match &s.binding {
        Some(b) => out.push_str(&format!(
            "Bound to: {} ({}) in space \"{}\"\n",
            b.app.name, b.app.id, b.space.name
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
            s.latest_version.as_deref().unwrap_or("no versions yet")
        ));
        for t in &s.target_apps {
            let mut line = format!(
                "  {:<16} live: {}",
                t.target_app,
                t.live_version.as_deref().unwrap_or("—")
            );
            if let Some(f) = &t.in_flight {
                line.push_str(&format!("; in flight: {} ({})", f.version, f.state.label()));
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

/// `doctor`'s report as text: the backend, the session (whether it was sent; never what it
/// is), every read route's answer, and what works through this API.
pub fn doctor_text(r: &DoctorReport) -> String {
    use gopay_miniapp_portal::probe::AnswerKind;
    use gopay_miniapp_portal::{Backend, Feature, LoginKind, Step};

    let mut out = format!("Portal:   {}\n", r.portal);
    match r.backend {
        Some(Backend::Native) => {
            out.push_str("Speaks:   native (the gopay-miniapp portal contract, docs/portal-api.md)\n")
        }
        Some(Backend::Superapp) => out.push_str(
            "Speaks:   superapp (the SuperApp console API GoPay's portal runs on, docs/portal-superapp.md)\n",
        ),
        None => {
            out.push_str("Speaks:   nothing this tool knows\n");
            if let Some(p) = &r.problem {
                out.push_str(&format!("Problem:  {}\n", p.message));
            }
            out.push_str("Verdict:  check the URL: the portal's address, without a path (GoPay: https://miniapp.midtrans.com)\n");
            return out;
        }
    }
    let s = &r.session;
    out.push_str(&match (s.stored, s.sent) {
        (_, true) => format!(
            "Session:  stored for this portal ({}); each route is asked without it, then with it\n",
            s.username.as_deref().unwrap_or("?")
        ),
        (true, false) => format!(
            "Session:  stored for the {} backend, not this one: not sent\n",
            s.stored_backend.map(|b| b.as_str()).unwrap_or("?")
        ),
        (false, _) => "Session:  none stored: the routes are asked without one\n".to_string(),
    });
    let ids: Vec<String> = [
        ("space", &r.ids.space_id),
        ("app", &r.ids.app_id),
        ("target app", &r.ids.target_app_id),
    ]
    .iter()
    .filter_map(|(what, id)| id.as_ref().map(|id| format!("{what} {id}")))
    .collect();
    out.push_str(&if ids.is_empty() {
        "Ids:      none (not bound to this portal): routes that need ids are asked without\n"
            .to_string()
    } else {
        format!("Ids:      {} (from gopay-miniapp.json)\n", ids.join(", "))
    });
    out.push_str("\nRead routes (GET only; nothing was changed):\n");
    let mut last = String::new();
    for a in &r.routes {
        let line = if a.query.is_empty() {
            format!("{} {}", a.method, a.path)
        } else {
            format!("{} {}?{}", a.method, a.path, a.query)
        };
        if line != last {
            out.push_str(&format!("  {line}\n      {}\n", a.purpose));
            last = line;
        }
        let mut facts = Vec::new();
        if let Some(status) = a.status {
            facts.push(format!("HTTP {status}"));
        }
        if let Some(success) = a.success {
            facts.push(format!("success={success}"));
        }
        if let Some(code) = &a.error_code {
            facts.push(format!("errorCode={code}"));
        }
        let kind = match a.kind {
            AnswerKind::Ok => "ok",
            AnswerKind::LostSession => "lost session",
            AnswerKind::Refused => "refused",
            AnswerKind::Unexpected => "unexpected answer",
            AnswerKind::Unreachable => "no answer",
        };
        out.push_str(&format!(
            "      {:<12} {:<44} → {kind}{}\n",
            if a.with_session {
                "session:"
            } else {
                "no session:"
            },
            facts.join("  "),
            a.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ));
    }
    if let Some(caps) = &r.capabilities {
        let steps: Vec<&str> = Step::ALL
            .iter()
            .filter(|s| caps.steps.contains(s))
            .map(|s| words::verb(*s))
            .collect();
        let missing: Vec<String> = Step::ALL
            .iter()
            .filter(|s| !caps.steps.contains(s))
            .map(|s| words::verb(*s).to_string())
            .chain(
                [
                    Feature::ListSpaces,
                    Feature::ListApps,
                    Feature::ListTargetApps,
                    Feature::AccessTokens,
                    Feature::Audit,
                ]
                .into_iter()
                .filter(|f| !caps.supports(*f))
                .map(|f| f.to_string()),
            )
            .collect();
        let logins: Vec<&str> = caps
            .login
            .iter()
            .map(|k| match k {
                LoginKind::Password => "--username/--password-stdin",
                LoginKind::Browser => "--browser",
                LoginKind::Token => "GOPAY_MINIAPP_TOKEN",
                LoginKind::Cookie => "--cookie-stdin",
            })
            .collect();
        out.push_str(&format!(
            "\nThrough this API: publish, release, {}; login with {}\n",
            steps.join(", "),
            logins.join(", ")
        ));
        if !missing.is_empty() {
            out.push_str(&format!(
                "Not through this API (exit 7; do it on the portal's pages): {}\n",
                missing.join(", ")
            ));
        }
    }
    out.push('\n');
    out.push_str(if !r.healthy() {
        "Verdict:  some routes did not answer as this backend does: check the URL (and HTTPS_PROXY)\n"
    } else if r.session_lost() {
        "Verdict:  the portal answers; the stored session is not accepted: log in again (`gopay-miniapp login`)\n"
    } else if r.session.sent {
        "Verdict:  the portal answers and the stored session is accepted\n"
    } else {
        "Verdict:  the portal answers; log in to use it (`gopay-miniapp login`)\n"
    });
    out
}
