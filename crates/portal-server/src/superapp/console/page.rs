//! `GET /console`: the console's single-page app shell, and `GET /console/console.js`, the
//! script that fills it by calling the variant's JSON routes with `fetch` (so a recorder —
//! DevTools' Network panel, playwright's `recordHar` — sees the XHRs a real console makes).
//!
//! The shell is server-rendered (`maud`, every value escaped); the script builds the views
//! with DOM calls and `textContent` only (never HTML from data). The page's CSP allows
//! scripts and connections to this origin only, and no inline script.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use maud::html;

use super::api::XSRF_COOKIE;
use super::ConsoleVariant;
use crate::state::AppState;
use crate::superapp::page::{document, Script};
use crate::superapp::session::ConsolePage;
use crate::web::html::html_response;
use crate::web::session::{secure, set_cookie};

/// The script, served as a file (`script-src 'self'`).
const SCRIPT: &str = include_str!("console.js");
const SCRIPT_PATH: &str = "/console/console.js";

const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `GET /console` (without a session: to `/login`). Variant b also sets the `XSRF-TOKEN`
/// cookie (readable by the script, which echoes it as `X-XSRF-TOKEN`).
pub(crate) async fn console_page(
    axum::extract::State(state): axum::extract::State<AppState>,
    Extension(variant): Extension<ConsoleVariant>,
    ConsolePage(console): ConsolePage,
) -> Response {
    let body = html! {
        div.card #console {
            h1 { "Console" }
            p.emulator {
                "The gopay-miniapp emulator's console pages (variant " (variant.as_str()) "). "
                "The routes they call are the emulator's own (ASSUMED), not GoPay's: see docs/portal-superapp.md."
            }
            label for="space-switcher" { "Space" }
            select #space-switcher {}
            p { a #nav-apps href="#/apps" { "MiniApps" } " · " a #nav-target-apps href="#/target-apps" { "Target apps" } }
        }
        p.ok #console-message role="status" hidden {}
        p.error #console-error role="alert" hidden {}
        div.card #view { p { "Loading…" } }
    };
    let markup = document(
        "Console",
        Some(console.signed()),
        body,
        Some(Script {
            src: SCRIPT_PATH,
            variant: variant.as_str(),
        }),
    );
    let mut response = html_response(StatusCode::OK, markup);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    if variant == ConsoleVariant::B {
        // Not HttpOnly: the page's script reads it to echo it (the double-submit pattern).
        set_cookie(
            &mut response,
            format!(
                "{XSRF_COOKIE}={}; Path=/; SameSite=Strict{}",
                console.csrf,
                secure(&state)
            ),
        );
    }
    response
}

/// `GET /console/console.js` (no session needed: it holds no data).
pub(crate) async fn console_script() -> Response {
    let mut response = SCRIPT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
