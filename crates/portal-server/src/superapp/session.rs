//! The console's session: the login page `/login` (OBSERVED: inputs `#username`, `#password`;
//! after login the single-page app is at a URL containing `#/overview`), a session cookie,
//! and the overview page at `/`.
//!
//! ASSUMED: the cookie's name ([`SESSION_COOKIE`]); it holds a random secret of which the
//! store keeps only the sha256 (table `superapp_sessions`, so sessions survive a restart);
//! `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure` on https; 12 hours. The password check is
//! the native portal's (argon2, the same users). Requests that change something and carry an
//! `Origin` (or `Sec-Fetch-Site`) of another site are refused, as a browser-facing console
//! would.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use gopay_miniapp_portal::native::wire::User;
use maud::html;
use rusqlite::params;

use super::envelope::{self, lost_session};
use super::ids;
use super::page::{page, Signed};
use crate::auth::{check_credentials, secret_hash, Caller};
use crate::error::throttled_page;
use crate::error::ApiError;
use crate::extract::ClientAddr;
use crate::state::AppState;
use crate::store::{new_id, now_rfc3339, random_base62};
use crate::web::html::redirect;
use crate::web::session::{cookie, cross_site, parse_form, same_secret, secure, set_cookie};

/// The session cookie's name (ASSUMED).
pub const SESSION_COOKIE: &str = "SA_CONSOLE_SESSION";
/// How long a session lasts.
const SESSION_TTL_SECS: i64 = 12 * 60 * 60;
const SECRET_PREFIX: &str = "sa_";
/// Where the single-page app lands after login.
pub(crate) const OVERVIEW: &str = "/#/overview";

/// The logged-in user of a console request.
#[derive(Debug, Clone)]
pub(crate) struct Console {
    /// The caller the native functions take, so every step follows the same rules.
    pub caller: Caller,
    pub user: User,
    pub csrf: String,
}

impl Console {
    pub(crate) fn signed(&self) -> Signed<'_> {
        Signed {
            display_name: &self.user.display_name,
            username: &self.user.username,
            csrf: &self.csrf,
        }
    }
}

/// Why there is no session.
enum Missing {
    NoCookie,
    Unknown,
    Failed(ApiError),
}

async fn load(state: &AppState, headers: &HeaderMap) -> Result<Console, Missing> {
    let secret = cookie(headers, SESSION_COOKIE)
        .filter(|s| !s.is_empty())
        .ok_or(Missing::NoCookie)?;
    if !secret.starts_with(SECRET_PREFIX) {
        return Err(Missing::Unknown);
    }
    let hash = secret_hash(&secret);
    let found = crate::web::session::signed_in(state, "superapp_sessions", hash)
        .await
        .map_err(Missing::Failed)?
        .map(|(caller, user, csrf)| Console { caller, user, csrf });
    found.ok_or(Missing::Unknown)
}

/// A `/rest` request: without a live session it gets the lost-session answer; a request
/// that changes something from another site is refused.
impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let console = match load(state, &parts.headers).await {
            Ok(console) => console,
            Err(Missing::NoCookie) => {
                return Err(lost_session(
                    &state.base_url,
                    "the request has no session cookie",
                ))
            }
            Err(Missing::Unknown) => {
                return Err(lost_session(
                    &state.base_url,
                    "the session is unknown, logged out or expired",
                ))
            }
            Err(Missing::Failed(err)) => return Err(envelope::from_api(err)),
        };
        if parts.method != Method::GET
            && parts.method != Method::HEAD
            && cross_site(state, &parts.headers)
        {
            tracing::warn!(username = %console.caller.username, "a console request from another site was refused");
            // Its own code: a request made for another address is not a user without rights
            // (issue #20 item 28: it was worded "ask an owner of the space for access").
            return Err(envelope::fail(
                envelope::FOREIGN_ORIGIN_CODE,
                "the request comes from another site (its Origin is not this console)",
                serde_json::json!({ "hint": format!("send `Origin: {}` (and the session cookie)", state.base_url) }),
            ));
        }
        Ok(console)
    }
}

/// A page request: without a live session the browser goes to `/login`.
pub(crate) struct ConsolePage(pub Console);

impl FromRequestParts<AppState> for ConsolePage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match load(state, &parts.headers).await {
            Ok(console) => Ok(ConsolePage(console)),
            Err(Missing::Failed(err)) => Err(error_page(None, &err)),
            Err(_) => Err(redirect("/login")),
        }
    }
}

/// A page that says what went wrong.
pub(crate) fn error_page(console: Option<&Console>, err: &ApiError) -> Response {
    let body = html! {
        div.card {
            h1 { "Refused" }
            p.error role="alert" { (err.body.message) }
            @if !err.body.hint.is_empty() { p { (err.body.hint) } }
            p { a href=(OVERVIEW) { "Back to the overview" } }
        }
    };
    page(err.status, "Refused", console.map(Console::signed), body)
}

fn login_form(status: StatusCode, username: &str, error: Option<&str>) -> Response {
    let body = html! {
        div.login.card {
            h1 { "Log in" }
            p.emulator {
                "This is the gopay-miniapp emulator of a SuperApp console (GoPay's MiniApp portal), not the real one. "
                "Demo accounts: " code { "demo" } "/" code { "demo" } " (developer), "
                code { "admin" } "/" code { "admin" } " (target-app administrator)."
            }
            @if let Some(error) = error {
                p.error #login-error role="alert" { (error) }
            }
            form method="post" action="/login" {
                label for="username" { "Username" }
                input #username type="text" name="username" autocomplete="username" required value=(username);
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                button.primary #login-submit type="submit" { "Log in" }
            }
        }
    };
    page(status, "Log in", None, body)
}

/// `GET /login`
pub(crate) async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if load(&state, &headers).await.is_ok() {
        return redirect(OVERVIEW);
    }
    login_form(StatusCode::OK, "", None)
}

/// `POST /login` (form: username, password)
pub(crate) async fn login(
    State(state): State<AppState>,
    from: ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let username: String = field("username").trim().chars().take(200).collect();
    if cross_site(&state, &headers) {
        return login_form(
            StatusCode::FORBIDDEN,
            &username,
            Some("The login form was sent from another site. Open this console's login page and log in there."),
        );
    }
    let password = field("password").to_string();
    if username.is_empty() || password.is_empty() {
        return login_form(
            StatusCode::BAD_REQUEST,
            &username,
            Some("Enter your username and password."),
        );
    }
    let user_id = match check_credentials(&state, from, username.clone(), password).await {
        Ok(id) => id,
        Err(err) if err.status == StatusCode::UNAUTHORIZED => {
            return login_form(
                StatusCode::UNAUTHORIZED,
                &username,
                Some("Wrong username or password."),
            );
        }
        Err(err) if err.status == StatusCode::TOO_MANY_REQUESTS => {
            return throttled_page(&err, |status, words| {
                login_form(status, &username, Some(words))
            });
        }
        Err(err) => return error_page(None, &err),
    };
    let secret = format!("{SECRET_PREFIX}{}", random_base62(43));
    let hash = secret_hash(&secret);
    let now = state.clock.now_ms();
    let created = state
        .store
        .run(move |tx| {
            tx.execute(
                "INSERT INTO superapp_sessions (id, hash, user_id, csrf, created_at, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    new_id("sas"),
                    hash,
                    user_id,
                    random_base62(43),
                    now_rfc3339(),
                    now + SESSION_TTL_SECS * 1000
                ],
            )?;
            Ok(())
        })
        .await;
    if let Err(err) = created {
        return error_page(None, &err);
    }
    tracing::info!(username = %username, "logged in to the SuperApp console emulator");
    let mut response = redirect(OVERVIEW);
    set_cookie(
        &mut response,
        format!(
            "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_TTL_SECS}{}",
            secure(&state)
        ),
    );
    response
}

/// `POST /logout` (form: csrf, from the pages; or with just the cookie)
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = redirect("/login");
    set_cookie(
        &mut response,
        format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            secure(&state)
        ),
    );
    let Ok(console) = load(&state, &headers).await else {
        return response;
    };
    // A logout from a page carries its token; one from another site changes nothing.
    let form = parse_form(&body);
    let token_ok = form
        .get("csrf")
        .is_none_or(|token| same_secret(token, &console.csrf));
    if !token_ok || cross_site(&state, &headers) {
        return error_page(
            Some(&console),
            &ApiError::forbidden("the logout form is out of date or was sent from another site"),
        );
    }
    let id = console.caller.token_id.clone();
    let result = state
        .store
        .run(move |tx| {
            tx.execute(
                "UPDATE superapp_sessions SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![now_rfc3339(), id],
            )?;
            Ok(())
        })
        .await;
    if let Err(err) = result {
        return error_page(Some(&console), &err);
    }
    response
}

/// `GET /`: the single-page app's shell. The browser is at `/#/overview` after login; the
/// page shows who is logged in and the ids the console's API needs (it has no list routes).
pub(crate) async fn overview(
    State(state): State<AppState>,
    ConsolePage(console): ConsolePage,
) -> Response {
    let user_id = console.caller.user_id.clone();
    type Listing = (
        Vec<(String, String, Vec<(String, String)>)>,
        Vec<(String, String)>,
    );
    let listing: Result<Listing, ApiError> = state
        .store
        .run(move |tx| {
            let entries = ids::directory(tx)?;
            let mut spaces = Vec::new();
            let mut member = false;
            let mut targets = Vec::new();
            for entry in entries {
                match entry.kind {
                    "space" => {
                        let native =
                            ids::native_id(tx, ids::Kind::Space, &entry.id)?.unwrap_or_default();
                        member = crate::apps::is_member(tx, &native, &user_id)?;
                        if member {
                            spaces.push((entry.id, entry.name, Vec::new()));
                        }
                    }
                    "app" if member => {
                        if let Some(last) = spaces.last_mut() {
                            last.2.push((entry.id, entry.name));
                        }
                    }
                    "target-app" => targets.push((entry.id, entry.name)),
                    _ => {}
                }
            }
            Ok((spaces, targets))
        })
        .await;
    let (spaces, targets) = match listing {
        Ok(listing) => listing,
        Err(err) => return error_page(Some(&console), &err),
    };
    let body = html! {
        div #overview.card {
            h1 { "Overview" }
            p { "Logged in as " strong #overview-user { (console.user.display_name) } " (" (console.user.username) ")." }
            p.emulator { "The console's API has no list routes; these are the ids it takes." }
        }
        div.card {
            h2 { "Spaces and MiniApps" }
            @if spaces.is_empty() {
                p { "You are not a member of any space." }
            } @else {
                table {
                    tr { th { "kind" } th { "id" } th { "name" } }
                    @for (id, name, apps) in &spaces {
                        tr { td { "space (spaceId)" } td { code { (id) } } td { (name) } }
                        @for (app_id, app_name) in apps {
                            tr { td { "MiniApp (appId)" } td { code { (app_id) } } td { (app_name) } }
                        }
                    }
                }
            }
        }
        div.card {
            h2 { "Target apps" }
            table {
                tr { th { "channelCode" } th { "name" } }
                @for (code, name) in &targets {
                    tr { td { code { (code) } } td { (name) } }
                }
            }
            @if !console.user.admin_of.is_empty() {
                p { a href="/emulator/reviews" { "Releases waiting for your review" } }
            }
        }
    };
    page(StatusCode::OK, "Overview", Some(console.signed()), body)
}
