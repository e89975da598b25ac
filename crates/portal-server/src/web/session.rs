//! Browser sessions of the web pages: log in with username + password (the same accounts and
//! the same password check as `POST /api/v1/auth/login`), a session cookie, CSRF protection.
//!
//! - The cookie `gpm_web_session` holds a random secret (43 base62 characters); the portal
//!   stores only its sha256 (table `web_sessions`). It is `HttpOnly`, `SameSite=Strict`,
//!   `Path=/`, and `Secure` when the portal's URL is https. Sessions last 12 hours; logging out
//!   revokes the session on the portal.
//! - Every form carries the session's CSRF token (a random value stored with the session) in a
//!   hidden field `csrf`; a POST without it, or with another, changes nothing (403). POSTs whose
//!   `Origin` is another site, or that the browser marks `Sec-Fetch-Site: cross-site`/`same-site`,
//!   are refused too.
//! - The login form itself is protected by a double-submit token: the login page sets a
//!   short-lived `gpm_web_login` cookie (`HttpOnly`, `SameSite=Strict`, `Path=/web/login`) and
//!   puts the same value in the form.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use gopay_miniapp_portal::native::wire::User;
use maud::{html, Markup};
use rusqlite::{params, OptionalExtension};

use super::html::{self, hidden, html_response, redirect};
use crate::apps::query_pairs;
use crate::auth::{check_credentials, load_user, new_secret, secret_hash, Caller, TokenKind};
use crate::error::throttled_page;
use crate::error::ApiError;
use crate::extract::ClientAddr;
use crate::state::AppState;
use crate::store::{new_id, now_rfc3339, random_base62};

pub(crate) const SESSION_COOKIE: &str = "gpm_web_session";
pub(crate) const LOGIN_COOKIE: &str = "gpm_web_login";
/// How long a browser session lasts.
pub(crate) const WEB_SESSION_TTL_SECS: i64 = 12 * 60 * 60;
const LOGIN_TOKEN_TTL_SECS: i64 = 60 * 60;
const SESSION_PREFIX: &str = "gpm_ws_";

/// The signed-in user of a page request.
#[derive(Debug, Clone)]
pub(crate) struct WebSession {
    /// The same caller the JSON API's handlers get, so page actions take the same code paths.
    pub caller: Caller,
    pub user: User,
    /// The token every form of this session must carry.
    pub csrf: String,
}

impl WebSession {
    pub(crate) fn chrome(&self) -> html::Chrome<'_> {
        html::Chrome {
            display_name: &self.user.display_name,
            username: &self.user.username,
            csrf: &self.csrf,
            reviewer: !self.user.admin_of.is_empty(),
        }
    }
}

/// The value of a cookie of the request.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

pub(crate) fn secure(state: &AppState) -> &'static str {
    if state.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

pub(crate) fn set_cookie(response: &mut Response, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Equal without an early exit (the time taken does not tell how much of a token was right).
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A path of the web pages to go back to after logging in; anything else becomes `/web`.
pub(crate) fn safe_next(next: &str) -> String {
    let ok = (next == "/web" || next.starts_with("/web/"))
        && !next.starts_with("/web/login")
        && !next.starts_with("/web/logout")
        && !next.contains("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
        && next.len() <= 1000;
    if ok {
        next.to_string()
    } else {
        "/web".to_string()
    }
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let login = |parts: &Parts| {
            if parts.method == Method::GET || parts.method == Method::HEAD {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/web");
                redirect(&format!(
                    "/web/login?{}",
                    html::query(&[("next", &safe_next(next))])
                ))
            } else {
                redirect("/web/login?expired=1")
            }
        };
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(login(parts));
        };
        match load_session(state, &secret).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => Err(login(parts)),
            Err(err) => Err(error_page(None, &err)),
        }
    }
}

async fn load_session(state: &AppState, secret: &str) -> Result<Option<WebSession>, ApiError> {
    if !secret.starts_with(SESSION_PREFIX) {
        return Ok(None);
    }
    let hash = secret_hash(secret);
    Ok(signed_in(state, "web_sessions", hash)
        .await?
        .map(|(caller, user, csrf)| WebSession { caller, user, csrf }))
}

/// The caller, user and CSRF token of the live session with this secret hash in `table`
/// (`web_sessions` for the portal's pages, `superapp_sessions` for the console emulator: the
/// same columns and rules).
pub(crate) async fn signed_in(
    state: &AppState,
    table: &'static str,
    hash: String,
) -> Result<Option<(Caller, User, String)>, ApiError> {
    let now = state.clock.now_ms();
    state
        .store
        .run(move |tx| {
            let row: Option<(String, String, String, String)> = tx
                .query_row(
                    &format!(
                        "SELECT s.id, s.user_id, s.csrf, u.username FROM {table} s
                     JOIN users u ON u.id = s.user_id
                     WHERE s.hash = ?1 AND s.revoked_at IS NULL AND s.expires_ms > ?2"
                    ),
                    params![hash, now],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((id, user_id, csrf, username)) = row else {
                return Ok(None);
            };
            let user = load_user(tx, &user_id)?;
            let caller = Caller {
                user_id,
                username,
                token_id: id,
                kind: TokenKind::Web,
                session_id: None,
            };
            Ok(Some((caller, user, csrf)))
        })
        .await
}

/// A POST from another site? (`Sec-Fetch-Site`, or an `Origin` that is neither the host the
/// request was sent to nor the portal's public URL.)
pub(crate) fn cross_site(state: &AppState, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    if origin.trim_end_matches('/') == state.base_url {
        return false;
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    !matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// Refuses a form POST without this session's CSRF token, or from another site.
#[allow(clippy::result_large_err)]
pub(crate) fn check_csrf(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
    token: Option<&str>,
) -> Result<(), Response> {
    let token_ok = token.is_some_and(|t| same_secret(t, &session.csrf));
    if token_ok && !cross_site(state, headers) {
        return Ok(());
    }
    tracing::warn!(username = %session.caller.username, "a web form was refused: missing or wrong CSRF token, or sent from another site");
    Err(csrf_refused(Some(session)))
}

pub(crate) fn csrf_refused(session: Option<&WebSession>) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        session,
        "Refused",
        "Nothing was changed",
        html::error_box(
            "This form is out of date or was sent from another site, so the portal refused it.",
            "Go back, reload the page and try again.",
        ),
    )
}

/// A page that only says one thing (a refusal, an error), with the way back to the portal.
pub(crate) fn message_page(
    status: StatusCode,
    session: Option<&WebSession>,
    title: &str,
    heading: &str,
    message: Markup,
) -> Response {
    let body = html! {
        h1 { (heading) }
        (message)
        p { a href="/web" { "Back to the portal" } }
    };
    html_response(
        status,
        html::page(title, session.map(WebSession::chrome).as_ref(), None, body),
    )
}

/// A page that only says what went wrong.
pub(crate) fn error_page(session: Option<&WebSession>, err: &ApiError) -> Response {
    let title = match err.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        s if s.is_server_error() => "Something went wrong",
        _ => "Refused",
    };
    message_page(
        err.status,
        session,
        title,
        title,
        html::error_box(&err.body.message, &err.body.hint),
    )
}

/// An `application/x-www-form-urlencoded` body: the first value of each field, at most 200
/// fields (the JSON body limit of the router applies to the bytes).
/// A url-encoded form from a logged-in page, accepted only with its CSRF token and from
/// this site; otherwise the refusal page to answer with.
// The error is the response itself, answered at once and never propagated further.
#[allow(clippy::result_large_err)]
pub(crate) fn checked_form(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<HashMap<String, String>, Response> {
    let form = parse_form(body);
    check_csrf(
        state,
        session,
        headers,
        form.get("csrf").map(String::as_str),
    )?;
    Ok(form)
}

pub(crate) fn parse_form(body: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body).take(200) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Login, logout
// ---------------------------------------------------------------------------------------------

fn login_form(
    state: &AppState,
    status: StatusCode,
    next: &str,
    username: &str,
    notice: Option<(&str, &str)>,
) -> Response {
    let token = random_base62(43);
    let body = html! {
        div.login.card {
            h1 { "Log in" }
            @match notice {
                Some(("error", text)) => (html::error_box(text, "")),
                Some((_, text)) => (html::ok_box(text)),
                None => {}
            }
            form method="post" action="/web/login" {
                (hidden("csrf", &token))
                (hidden("next", next))
                label for="username" { "Username" }
                input type="text" #username name="username" autocomplete="username" required value=(username);
                label for="password" { "Password" }
                input type="password" #password name="password" autocomplete="current-password" required;
                p { button type="submit" { "Log in" } }
            }
            p.muted {
                "The same account as in the editor and on the command line. The local demo portal has "
                code { "demo" } "/" code { "demo" } " (developer) and " code { "admin" } "/"
                code { "admin" } " (target-app administrator)."
            }
        }
    };
    let mut response = html_response(status, html::page("Log in", None, None, body));
    set_cookie(
        &mut response,
        format!(
            "{LOGIN_COOKIE}={token}; Path=/web/login; HttpOnly; SameSite=Strict; Max-Age={LOGIN_TOKEN_TTL_SECS}{}",
            secure(state)
        ),
    );
    response
}

/// `GET /web/login[?next=…]`
pub(crate) async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = query_pairs(&query);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let next = safe_next(get("next").unwrap_or("/web"));
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        if let Ok(Some(_)) = load_session(&state, &secret).await {
            return redirect(&next);
        }
    }
    let notice = if get("logged_out").is_some() {
        Some(("ok", "You are logged out."))
    } else if get("expired").is_some() {
        Some((
            "error",
            "Your session ended before the form was sent; nothing was changed. Log in and try again.",
        ))
    } else {
        None
    };
    login_form(&state, StatusCode::OK, &next, "", notice)
}

/// `POST /web/login` (csrf, username, password, next)
pub(crate) async fn login(
    State(state): State<AppState>,
    from: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let next = safe_next(field("next"));
    let username: String = field("username").trim().chars().take(200).collect();
    let token_ok = cookie(&headers, LOGIN_COOKIE)
        .is_some_and(|c| !c.is_empty() && same_secret(&c, field("csrf")));
    if !token_ok || cross_site(&state, &headers) {
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            &username,
            Some((
                "error",
                "The login form expired or was sent from another site (is the browser refusing cookies?). Try again.",
            )),
        );
    }
    let password = field("password").to_string();
    if username.is_empty() || password.is_empty() {
        return login_form(
            &state,
            StatusCode::BAD_REQUEST,
            &next,
            &username,
            Some(("error", "Enter your username and password.")),
        );
    }
    let user_id = match check_credentials(&state, from, username.clone(), password).await {
        Ok(id) => id,
        Err(err) if err.status == StatusCode::UNAUTHORIZED => {
            return login_form(
                &state,
                StatusCode::UNAUTHORIZED,
                &next,
                &username,
                Some(("error", "Wrong username or password.")),
            );
        }
        Err(err) if err.status == StatusCode::TOO_MANY_REQUESTS => {
            return throttled_page(&err, |status, words| {
                login_form(&state, status, &next, &username, Some(("error", words)))
            });
        }
        Err(err) => return error_page(None, &err),
    };
    let secret = new_secret(SESSION_PREFIX);
    let hash = secret_hash(&secret);
    let now = state.clock.now_ms();
    let created = state
        .store
        .run(move |tx| {
            tx.execute(
                "INSERT INTO web_sessions (id, hash, user_id, csrf, created_at, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    new_id("wss"),
                    hash,
                    user_id,
                    random_base62(43),
                    now_rfc3339(),
                    now + WEB_SESSION_TTL_SECS * 1000
                ],
            )?;
            Ok(())
        })
        .await;
    if let Err(err) = created {
        return error_page(None, &err);
    }
    tracing::info!(username = %username, "logged in to the web pages");
    let mut response = redirect(&next);
    set_cookie(
        &mut response,
        format!(
            "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={WEB_SESSION_TTL_SECS}{}",
            secure(&state)
        ),
    );
    set_cookie(
        &mut response,
        format!(
            "{LOGIN_COOKIE}=; Path=/web/login; HttpOnly; SameSite=Strict; Max-Age=0{}",
            secure(&state)
        ),
    );
    response
}

/// `POST /web/logout` (csrf)
pub(crate) async fn logout(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = checked_form(&state, &session, &headers, &body) {
        return refused;
    }
    let id = session.caller.token_id.clone();
    let result = state
        .store
        .run(move |tx| {
            tx.execute(
                "UPDATE web_sessions SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![now_rfc3339(), id],
            )?;
            Ok(())
        })
        .await;
    if let Err(err) = result {
        return error_page(Some(&session), &err);
    }
    let mut response = redirect("/web/login?logged_out=1");
    set_cookie(
        &mut response,
        format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            secure(&state)
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_the_web_pages() {
        assert_eq!(
            safe_next("/web/apps/1/versions?x=1"),
            "/web/apps/1/versions?x=1"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/web",
            "/web//evil",
            "/webx",
            "/web/login",
            "/web\\..",
            "/api/v1/me",
            "",
        ] {
            assert_eq!(safe_next(bad), "/web", "{bad}");
        }
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; gpm_web_session_x=2; gpm_web_session=3"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("3"));
        assert_eq!(cookie(&headers, "nope"), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "a"));
    }
}
