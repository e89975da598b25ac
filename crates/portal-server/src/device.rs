//! The device login's approval page: plain server-rendered HTML (no script, no remote asset),
//! built with `maud`, so every dynamic value is HTML-escaped.
//!
//! CSRF: the page sets no cookie and keeps no browser session. The approving POST carries the
//! user code *and* the user's username and password, so a forged cross-site POST cannot
//! approve anything without the victim's password. (A forged "deny" can only refuse a login the
//! attacker already knows the user code of.) Responses forbid framing and caching.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use rusqlite::{params, OptionalExtension};

use crate::apps::query_pairs;
use crate::auth::{check_credentials, normalize_user_code};
use crate::error::throttled_page;
use crate::extract::ClientAddr;
use crate::state::AppState;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}\
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}\
.code{font-family:monospace;letter-spacing:.15em;text-transform:uppercase}.buttons{margin-top:1.2rem;display:flex;gap:.8rem}\
button{padding:.5rem 1.2rem;font-size:1rem}.error{background:#fdecea;border:1px solid #e0a39c;padding:.6rem}\
.ok{background:#e8f5e9;border:1px solid #9ccc9f;padding:.6rem}.muted{color:#666;font-size:.9rem}";

fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let html = crate::web::document(title, STYLE, body);
    let mut response = (status, html.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

struct Form<'a> {
    user_code: &'a str,
    username: &'a str,
    client_name: Option<&'a str>,
    error: Option<&'a str>,
}

fn form_page(status: StatusCode, form: Form<'_>) -> Response {
    let body = html! {
        h1 { "Log in a device" }
        @if let Some(error) = form.error {
            p.error role="alert" { (error) }
        }
        @match form.client_name {
            Some(name) => p { strong { (name) } " asks to act as you on this portal." },
            None => p { "A command-line tool or editor asks to act as you on this portal." },
        }
        p { "Check that the code below is the one your terminal or editor shows, then log in to approve." }
        form method="post" action="device" autocomplete="off" {
            label for="user_code" { "Code" }
            input #user_code name="user_code" class="code" required value=(form.user_code);
            label for="username" { "Username" }
            input #username name="username" autocomplete="username" value=(form.username);
            label for="password" { "Password" }
            input #password name="password" type="password" autocomplete="current-password";
            div.buttons {
                button type="submit" name="action" value="approve" { "Approve" }
                button type="submit" name="action" value="deny" { "Deny" }
            }
        }
        p.muted { "Did not start a login? Press Deny. Your password is checked here and never given to the device." }
    };
    page(status, "Log in a device", body)
}

fn result_page(status: StatusCode, title: &str, class: &str, message: &str) -> Response {
    page(
        status,
        title,
        html! {
            h1 { (title) }
            p class=(class) role="status" { (message) }
        },
    )
}

/// A pending device login by user code, unexpired at `now` (ms, the portal's clock): (id,
/// client name).
fn pending(
    tx: &rusqlite::Transaction<'_>,
    user_code: &str,
    now: i64,
) -> rusqlite::Result<Option<(String, Option<String>)>> {
    tx.query_row(
        "SELECT id, client_name FROM device_codes
         WHERE user_code = ?1 AND status = 'pending' AND expires_ms > ?2
         ORDER BY rowid DESC LIMIT 1",
        params![user_code, now],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// `GET /device[?user_code=…]`
pub(crate) async fn show(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let raw_code = query_pairs(&query)
        .into_iter()
        .find(|(k, _)| k == "user_code")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let raw_code: String = raw_code.chars().take(64).collect();
    let client_name = match normalize_user_code(&raw_code) {
        Some(code) => {
            let now = state.clock.now_ms();
            state
                .store
                .run(move |tx| Ok(pending(tx, &code, now)?))
                .await
                .ok()
                .flatten()
                .and_then(|(_, name)| name)
        }
        None => None,
    };
    form_page(
        StatusCode::OK,
        Form {
            user_code: &raw_code,
            username: "",
            client_name: client_name.as_deref(),
            error: None,
        },
    )
}

/// `POST /device` (application/x-www-form-urlencoded: user_code, username, password, action)
pub(crate) async fn submit(
    State(state): State<AppState>,
    from: ClientAddr,
    body: Bytes,
) -> Response {
    let mut user_code = String::new();
    let mut username = String::new();
    let mut password = String::new();
    let mut action = String::new();
    for (key, value) in url::form_urlencoded::parse(&body) {
        match key.as_ref() {
            "user_code" => user_code = value.chars().take(64).collect(),
            "username" => username = value.trim().chars().take(200).collect(),
            "password" => password = value.into_owned(),
            "action" => action = value.into_owned(),
            _ => {}
        }
    }
    let form = |status, error: &str| {
        form_page(
            status,
            Form {
                user_code: &user_code,
                username: &username,
                client_name: None,
                error: Some(error),
            },
        )
    };
    let Some(code) = normalize_user_code(&user_code) else {
        return form(
            StatusCode::BAD_REQUEST,
            "That is not a login code. Codes look like WDJB-MJHT.",
        );
    };
    let lookup = code.clone();
    let now = state.clock.now_ms();
    let found = match state
        .store
        .run(move |tx| Ok(pending(tx, &lookup, now)?))
        .await
    {
        Ok(found) => found,
        Err(_) => {
            return result_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "error",
                "The portal could not handle this request. Try again.",
            )
        }
    };
    let Some((device_id, _client)) = found else {
        return form(
            StatusCode::NOT_FOUND,
            "No login is waiting for this code. It may have expired (codes last 10 minutes) or been used already: start the login again.",
        );
    };

    match action.as_str() {
        "deny" => {
            let id = device_id.clone();
            let result = state
                .store
                .run(move |tx| {
                    tx.execute(
                        "UPDATE device_codes SET status = 'denied' WHERE id = ?1 AND status = 'pending'",
                        [id],
                    )?;
                    Ok(())
                })
                .await;
            match result {
                Ok(()) => result_page(
                    StatusCode::OK,
                    "Login denied",
                    "ok",
                    "The device was not logged in. You can close this page.",
                ),
                Err(_) => result_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "error",
                    "The portal could not handle this request. Try again.",
                ),
            }
        }
        "approve" => {
            if username.is_empty() || password.is_empty() {
                return form(
                    StatusCode::BAD_REQUEST,
                    "Enter your username and password to approve.",
                );
            }
            let user_id = match check_credentials(
                &state,
                from,
                username.clone(),
                std::mem::take(&mut password),
            )
            .await
            {
                Ok(id) => id,
                Err(err) if err.status == StatusCode::UNAUTHORIZED => {
                    return form(StatusCode::UNAUTHORIZED, "Wrong username or password.");
                }
                Err(err) if err.status == StatusCode::TOO_MANY_REQUESTS => {
                    return throttled_page(&err, form);
                }
                Err(_) => {
                    return result_page(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Something went wrong",
                        "error",
                        "The portal could not handle this request. Try again.",
                    )
                }
            };
            let now = state.clock.now_ms();
            let result = state
                .store
                .run(move |tx| {
                    Ok(tx.execute(
                        "UPDATE device_codes SET status = 'approved', user_id = ?1
                         WHERE id = ?2 AND status = 'pending' AND expires_ms > ?3",
                        params![user_id, device_id, now],
                    )?)
                })
                .await;
            match result {
                Ok(1) => {
                    tracing::info!(username = %username, "device login approved");
                    result_page(
                        StatusCode::OK,
                        "Device approved",
                        "ok",
                        &format!(
                            "Approved: the device with code {code} is now logged in as {username}. You can close this page and go back to your terminal or editor."
                        ),
                    )
                }
                Ok(_) => form(
                    StatusCode::NOT_FOUND,
                    "No login is waiting for this code any more: start the login again.",
                ),
                Err(_) => result_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "error",
                    "The portal could not handle this request. Try again.",
                ),
            }
        }
        _ => form(StatusCode::BAD_REQUEST, "Press Approve or Deny."),
    }
}
