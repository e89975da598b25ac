//! `doctor`: which API a portal speaks and what each of its known read routes answers,
//! without a session and with the stored one (sent, never shown). Exit 5 when a route does
//! not answer as the backend does.

use gopay_miniapp_core::error::exit;
use gopay_miniapp_core::workflows::doctor::{self, DoctorReport, SessionUse, UsedIds};
use gopay_miniapp_portal::probe::{AnswerKind, RouteAnswer};
use gopay_miniapp_portal::{Backend, Capabilities, Feature, LoginKind, Step};

use super::Cx;
use crate::{output, words};

pub async fn run(cx: &Cx) -> i32 {
    match doctor::doctor(&cx.ctx).await {
        Ok(report) => {
            if cx.json {
                output::json(&report);
            } else {
                say!("{}", text(&report));
            }
            if report.browser_check {
                // What every other command says of it: a login problem (exit 3).
                exit::AUTH
            } else if report.healthy() {
                exit::OK
            } else {
                exit::NETWORK
            }
        }
        Err(e) => cx.fail(e),
    }
}

/// The report as text: the backend, the session (whether it was sent; never what it is),
/// every read route's answer, and what works through this API.
fn text(r: &DoctorReport) -> String {
    let mut out = format!("Portal:   {}\n", r.portal);
    let Some(backend) = r.backend else {
        out.push_str("Speaks:   nothing this tool knows\n");
        if let Some(p) = &r.problem {
            out.push_str(&format!("Problem:  {}\n", p.message));
        }
        out.push_str("Verdict:  check the URL: the portal's address, without a path (GoPay: https://miniapp.midtrans.com)\n");
        return out;
    };
    out.push_str(match backend {
        Backend::Native => {
            "Speaks:   native (the gopay-miniapp portal contract, docs/portal-api.md)\n"
        }
        Backend::Superapp => {
            "Speaks:   superapp (the SuperApp console API GoPay's portal runs on, docs/portal-superapp.md)\n"
        }
    });
    out.push_str(&session_line(&r.session));
    out.push_str(&ids_line(&r.ids));
    out.push_str("\nRead routes (GET only; nothing was changed):\n");
    out.push_str(&routes_text(&r.routes));
    if let Some(caps) = &r.capabilities {
        out.push_str(&capabilities_text(caps));
    }
    out.push('\n');
    if r.browser_check {
        if let Some(p) = &r.problem {
            out.push_str(&format!("Problem:  {}\n", p.message));
        }
        out.push_str(&format!(
            "Verdict:  {}\n",
            words::hint(&gopay_miniapp_core::Hint::PassBrowserCheck)
        ));
        return out;
    }
    out.push_str(verdict(r));
    out
}

fn session_line(s: &SessionUse) -> String {
    match (s.stored, s.sent) {
        (_, true) => format!(
            "Session:  stored for this portal ({}) in {}; each route is asked without it, then with it\n",
            s.username.as_deref().unwrap_or("?"),
            kept_in(s)
        ),
        (true, false) => format!(
            "Session:  stored for the {} backend in {}, not this one: not sent\n",
            s.stored_backend.map(|b| b.as_str()).unwrap_or("?"),
            kept_in(s)
        ),
        (false, _) if s.store.is_some() => format!(
            "Session:  stored in {}, which cannot be read now: the routes are asked without one\n",
            kept_in(s)
        ),
        (false, _) => "Session:  none stored: the routes are asked without one\n".to_string(),
    }
}

fn kept_in(s: &SessionUse) -> &'static str {
    s.store.map(words::session_store).unwrap_or("?")
}

fn ids_line(used: &UsedIds) -> String {
    let ids: Vec<String> = [
        ("space", &used.space_id),
        ("app", &used.app_id),
        ("target app", &used.target_app_id),
    ]
    .iter()
    .filter_map(|(what, id)| id.as_ref().map(|id| format!("{what} {id}")))
    .collect();
    if ids.is_empty() {
        "Ids:      none (not bound to this portal): routes that need ids are asked without\n"
            .to_string()
    } else {
        format!("Ids:      {} (from gopay-miniapp.json)\n", ids.join(", "))
    }
}

/// Each route once (method, path, query and purpose), then each of its answers.
fn routes_text(routes: &[RouteAnswer]) -> String {
    let mut out = String::new();
    let mut last = String::new();
    for a in routes {
        let line = if a.query.is_empty() {
            format!("{} {}", a.method, a.path)
        } else {
            format!("{} {}?{}", a.method, a.path, a.query)
        };
        if line != last {
            out.push_str(&format!("  {line}\n      {}\n", a.purpose));
            last = line;
        }
        out.push_str(&answer_line(a));
    }
    out
}

fn answer_line(a: &RouteAnswer) -> String {
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
        AnswerKind::BrowserCheck => "firewall's browser check",
        AnswerKind::Unreachable => "no answer",
    };
    format!(
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
    )
}

/// What works through this API, how to log in, and what only the portal's pages do.
fn capabilities_text(caps: &Capabilities) -> String {
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
    let mut out = format!(
        "\nThrough this API: publish, release, {}; login with {}\n",
        steps.join(", "),
        logins.join(", ")
    );
    if !missing.is_empty() {
        out.push_str(&format!(
            "Not through this API (exit 7; do it on the portal's pages): {}\n",
            missing.join(", ")
        ));
    }
    out
}

fn verdict(r: &DoctorReport) -> &'static str {
    if !r.healthy() {
        "Verdict:  some routes did not answer as this backend does: check the URL (and HTTPS_PROXY)\n"
    } else if r.session_lost() {
        "Verdict:  the portal answers; the stored session is not accepted: log in again (`gopay-miniapp login`)\n"
    } else if r.session.sent {
        "Verdict:  the portal answers and the stored session is accepted\n"
    } else {
        "Verdict:  the portal answers; log in to use it (`gopay-miniapp login`)\n"
    }
}
