//! The console's READ routes and how their answers read, for `doctor`
//! (crate::probe drives them).

use serde_json::Value;

use super::envelope::{self, items};
use super::http::Http;
use super::routes;
use super::wire::text;
use super::SuperappSession;
use crate::backend::Session;
use crate::error::PortalError;
use crate::probe::{AnswerKind, ProbeIds, ProbeRoute, RouteAnswer};

/// The console's READ routes, for `doctor` (the ids from `ids`; a version for the history
/// query from `latest`, the first version the version query listed).
fn probe_routes(ids: &ProbeIds, latest: Option<&str>) -> Vec<ProbeRoute> {
    let paging = || {
        vec![
            ("currentPage", "1".to_string()),
            ("pageSize", "1".to_string()),
        ]
    };
    let mut versions = paging();
    versions.extend(ids.app_id.clone().map(|a| ("appId", a)));
    versions.extend(ids.space_id.clone().map(|s| ("spaceId", s)));
    let mut releases: Vec<(&'static str, String)> = ids
        .app_id
        .clone()
        .map(|a| ("appId", a))
        .into_iter()
        .collect();
    releases.extend(ids.target_app_id.clone().map(|c| ("channelCode", c)));
    let mut history = releases.clone();
    history.extend(latest.map(|v| ("version", v.to_string())));
    releases.extend(paging());
    vec![
        ProbeRoute {
            path: routes::VERSION_QUERY.into(),
            purpose: "versions of a MiniApp (also how a session is checked)",
            query: versions,
            with_session_too: true,
        },
        ProbeRoute {
            path: routes::RELEASE_QUERY.into(),
            purpose: "releases of a MiniApp to a target app, with their versionStatus",
            query: releases,
            with_session_too: true,
        },
        ProbeRoute {
            path: routes::HISTORY_QUERY.into(),
            purpose: "the history of one release",
            query: history,
            with_session_too: true,
        },
    ]
}

/// The row of one console answer.
fn console_answer(route: &ProbeRoute, with_session: bool, status: u16, body: &[u8]) -> RouteAnswer {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    let envelope = value.as_ref().filter(|_| envelope::is_envelope(body));
    let kind = match envelope {
        None if envelope::is_challenge(body) => AnswerKind::BrowserCheck,
        None => AnswerKind::Unexpected,
        Some(_) => match envelope::decode(status, body, &route.path) {
            Ok(_) => AnswerKind::Ok,
            Err(PortalError::SessionExpired { .. }) => AnswerKind::LostSession,
            Err(_) => AnswerKind::Refused,
        },
    };
    let message = match envelope {
        Some(e) => e
            .get("errorMsg")
            .and_then(Value::as_str)
            .map(crate::probe::short),
        None if envelope::is_challenge(body) => Some(
            "the firewall's browser check (a challenge page), not the console's envelope".into(),
        ),
        None => Some(format!(
            "not the console's envelope ({} bytes{})",
            body.len(),
            if body.starts_with(b"<") || body.starts_with(b"\n<") {
                ", HTML"
            } else {
                ""
            }
        )),
    };
    RouteAnswer {
        status: Some(status),
        success: envelope
            .and_then(|e| e.get("success"))
            .and_then(Value::as_bool),
        error_code: envelope
            .and_then(|e| e.get("errorCode"))
            .filter(|c| !c.is_null())
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| c.to_string())
            }),
        message,
        ..RouteAnswer::of(route, with_session, kind)
    }
}

/// Every READ route of the console, without a session and (when given) with `session`.
pub(crate) async fn probe_reads(
    url: &str,
    session: Option<&Session>,
    ids: &ProbeIds,
) -> Result<Vec<RouteAnswer>, PortalError> {
    let http = Http::new(url)?;
    let cookie = session
        .and_then(Session::decode::<SuperappSession>)
        .map(|s| s.cookie);
    // The latest version the version query showed (with the session), for the history query.
    let mut latest: Option<String> = None;
    let answers = crate::probe::ask_all(
        |latest: &Option<String>| probe_routes(ids, latest.as_deref()),
        &mut latest,
        cookie.is_some(),
        |path, query, with_session| {
            let http = &http;
            let cookie = cookie.clone().filter(|_| with_session);
            async move {
                let query: Vec<(&str, &str)> =
                    query.iter().map(|(k, v)| (*k, v.as_str())).collect();
                http.probe_with(&path, &query, cookie.as_deref()).await
            }
        },
        |route, with_session, status, body, latest| {
            if with_session && route.path == routes::VERSION_QUERY {
                *latest = envelope::decode(status, body, &route.path)
                    .ok()
                    .and_then(|data| items(data).first().map(|v| text(v, "version")))
                    .filter(|v| !v.is_empty());
            }
            console_answer(route, with_session, status, body)
        },
    )
    .await;
    Ok(answers)
}
