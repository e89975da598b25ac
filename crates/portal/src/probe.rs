//! What a portal's READ routes answer, route by route, for `gopay-miniapp doctor`: a user's
//! first contact with a real portal. Only GETs, never a write; the native portal's tokens
//! are not refreshed (a refresh spends the refresh token). Each backend lists its own read
//! routes (`native::probe_routes`, `superapp::probe::probe_routes`); nothing here shows a cookie or a
//! token.

use serde::Serialize;

use crate::backend::{Backend, Session};
use crate::error::PortalError;

/// The ids a probe fills into routes that need them (from the binding, when there is one).
#[derive(Debug, Clone, Default)]
pub struct ProbeIds {
    pub space_id: Option<String>,
    pub app_id: Option<String>,
    /// A target app's id (the console's channelCode).
    pub target_app_id: Option<String>,
}

/// How a route answered, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// A success.
    Ok,
    /// The portal's "not logged in / log in again" answer.
    LostSession,
    /// A refusal in the portal's own error shape (missing ids, not found, …).
    Refused,
    /// Something that is not this backend's answer shape (an HTML page, another API).
    Unexpected,
    /// The portal's anti-bot firewall answered with its browser check (a challenge page).
    BrowserCheck,
    /// No answer at all (connection refused, timeout).
    Unreachable,
}

/// One READ route, asked once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteAnswer {
    pub method: &'static str,
    /// The path, without the query.
    pub path: String,
    /// The query sent (ids and paging; never a secret).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// What the route is for.
    pub purpose: &'static str,
    /// Sent with the stored session (else with none).
    pub with_session: bool,
    pub kind: AnswerKind,
    /// The HTTP status; `None` when nothing answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The envelope's `success` (SuperApp console).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// The error code of the answer: the console's `errorCode`, the native `error.code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The answer's own message (`errorMsg`, `error.message`), or why nothing answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One read route a backend probes.
pub(crate) struct ProbeRoute {
    pub path: String,
    pub purpose: &'static str,
    pub query: Vec<(&'static str, String)>,
    /// Asked a second time with the session, when there is one.
    pub with_session_too: bool,
}

impl ProbeRoute {
    pub(crate) fn query_text(&self) -> String {
        self.query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Asks every READ route of `backend` at `url`: once without a session, and once more with
/// `session` when one is given. Fails only when the URL is unusable; a route that does not
/// answer is an [`AnswerKind::Unreachable`] row.
pub async fn probe_reads(
    backend: Backend,
    url: &str,
    session: Option<&Session>,
    ids: &ProbeIds,
) -> Result<Vec<RouteAnswer>, PortalError> {
    match backend {
        Backend::Native => crate::native::probe_reads(url, session, ids).await,
        Backend::Superapp => crate::superapp::probe_reads(url, session, ids).await,
    }
}

/// Asks `routes` (built again before each route, so a route can use what an earlier answer
/// said) once without a session and, for those that want it, once with `session`; `ask`
/// sends one GET (path, query, with the session?) and `answer` makes its row.
pub(crate) async fn ask_all<S, F, Fut>(
    routes: impl Fn(&S) -> Vec<ProbeRoute>,
    seen: &mut S,
    has_session: bool,
    ask: F,
    mut answer: impl FnMut(&ProbeRoute, bool, u16, &[u8], &mut S) -> RouteAnswer,
) -> Vec<RouteAnswer>
where
    F: Fn(String, Vec<(&'static str, String)>, bool) -> Fut,
    Fut: std::future::Future<Output = Result<(u16, Vec<u8>), PortalError>>,
{
    let mut answers = Vec::new();
    let count = routes(seen).len();
    for i in 0..count {
        let route = routes(seen).into_iter().nth(i).expect("the same routes");
        let mut tries = vec![false];
        if has_session && route.with_session_too {
            tries.push(true);
        }
        for with_session in tries {
            match ask(route.path.clone(), route.query.clone(), with_session).await {
                Ok((status, body)) => {
                    answers.push(answer(&route, with_session, status, &body, seen))
                }
                Err(err) => answers.push(unreachable(&route, with_session, err)),
            }
        }
    }
    answers
}

impl RouteAnswer {
    /// The row of `route` with what it answered still empty.
    pub(crate) fn of(route: &ProbeRoute, with_session: bool, kind: AnswerKind) -> RouteAnswer {
        RouteAnswer {
            method: "GET",
            path: route.path.clone(),
            query: route.query_text(),
            purpose: route.purpose,
            with_session,
            kind,
            status: None,
            success: None,
            error_code: None,
            message: None,
        }
    }
}

/// The row of a route that did not answer.
pub(crate) fn unreachable(route: &ProbeRoute, with_session: bool, err: PortalError) -> RouteAnswer {
    RouteAnswer {
        message: Some(err.to_string()),
        ..RouteAnswer::of(route, with_session, AnswerKind::Unreachable)
    }
}

/// Shortens an answer's message for a one-line row.
pub(crate) fn short(message: &str) -> String {
    const MAX: usize = 200;
    let line = message.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= MAX {
        line.to_string()
    } else {
        format!("{}…", line.chars().take(MAX).collect::<String>())
    }
}
