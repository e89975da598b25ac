//! The SuperApp console emulator: `gopay-miniapp portal serve --backend superapp`.
//!
//! GoPay's MiniApp portal is a tenant of Alibaba Cloud's SuperApp console, whose REST API is
//! undocumented. This module answers the routes public automation of a SuperApp tenant shows
//! (`/rest/intercnn/...`, the `{success, errorCode, errorMsg, traceId, data}` envelope, the
//! cookie session from `/login`), on the same [`Store`] and the same lifecycle rules as the
//! native portal: every step calls the function the native JSON API calls
//! (`uploads::open_upload`/`complete`, `releases::apply_release`, `official_release`, …), so
//! `gopay_miniapp_portal::lifecycle` stays the only place the rules live.
//!
//! What is observed on a real tenant and what the emulator assumes is marked per route in
//! [`SUPERAPP_ROUTES`] and documented in `docs/portal-superapp.md` (a test keeps the two in
//! agreement).
//!
//! - `envelope`: the answer shape, error codes, paging.
//! - `ids`: the console's long decimal ids (spaces, MiniApps, channel codes, versions),
//!   mapped onto the store's own ids.
//! - `session`: the login page, the cookie session, the overview page.
//! - `versions`: version query, upload of a resource (streamed to disk), version creation.
//! - `releases`: release (publish version) creation, apply, query, history, skip beta,
//!   online; the state mapping.
//! - `review`: the emulator-only approval by target-app administrators (JSON and a page).
//! - `firewall`: the emulator-only switch that puts an anti-bot browser check in front of
//!   the REST routes (GoPay's console sits behind Alibaba Cloud's firewall).
//! - `client`: a console user of the emulator over HTTP (form login, review decisions), for
//!   the demo and scripts.

mod client;
mod console;
mod envelope;
mod firewall;
mod ids;
mod page;
mod releases;
mod review;
mod session;
mod versions;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, ServerError};
use crate::state::AppState;
use crate::store::Store;

pub use client::{ClientError, ConsoleSession};
pub use console::{heading as console_heading, ConsoleRoute, ConsoleVariant, CONSOLE_ROUTES};
pub use releases::{superapp_status, STATUS_MAP};
pub use review::Decision;
pub use session::SESSION_COOKIE;

/// Where a route's shape comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteOrigin {
    /// Seen on a real SuperApp tenant (route, method and body fields).
    Observed,
    /// The emulator's choice where nothing is known (a real tenant surely has something).
    Assumed,
    /// Exists only on the emulator (a real tenant's admins review in its own console).
    Emulator,
}

impl RouteOrigin {
    /// The word `docs/portal-superapp.md` marks the route with.
    pub fn marker(self) -> &'static str {
        match self {
            RouteOrigin::Observed => "OBSERVED",
            RouteOrigin::Assumed => "ASSUMED",
            RouteOrigin::Emulator => "EMULATOR-ONLY",
        }
    }
}

/// One route of the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuperappRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub origin: RouteOrigin,
    pub summary: &'static str,
}

macro_rules! superapp_routes {
    ($($name:ident = $method:literal $path:literal $origin:ident $summary:literal;)*) => {
        $(pub const $name: SuperappRoute = SuperappRoute {
            method: $method,
            path: $path,
            origin: RouteOrigin::$origin,
            summary: $summary,
        };)*
        /// Every route the emulator mounts, in documentation order.
        pub const SUPERAPP_ROUTES: &[SuperappRoute] = &[$($name),*];
    };
}

superapp_routes! {
    LOGIN_PAGE = "GET" "/login" Observed "The console's login page: a form with #username, #password";
    LOGIN = "POST" "/login" Assumed "Log in: sets the session cookie, redirects to /#/overview";
    LOGOUT = "POST" "/logout" Assumed "Log out: revokes the session of the cookie";
    OVERVIEW = "GET" "/" Assumed "The single-page app's shell; after login the browser is at /#/overview";
    CONSOLE_PAGE = "GET" "/console" Assumed "The console pages (space switcher, MiniApps, versions, a release's steps, target apps)";
    CONSOLE_SCRIPT = "GET" "/console/console.js" Assumed "The console pages' script: calls the variant's ASSUMED routes with fetch";
    VERSION_QUERY = "GET" "/rest/intercnn/app/version/query" Observed "A MiniApp's versions, newest first";
    UPLOAD_RESOURCE = "POST" "/rest/intercnn/app/version/uploadResource" Observed "Upload a package (multipart spaceId, appId, version, file)";
    VERSION_CREATE = "POST" "/rest/intercnn/app/version/create" Observed "Create a version from an uploaded resource";
    PUBLISH_CREATE = "POST" "/rest/intercnn/app/publish/version/create" Observed "Release a version to a target app (channelCode): Version Creation";
    START_APPROVE = "POST" "/rest/intercnn/app/publish/version/startApprove" Observed "Apply Release: submit for review";
    PUBLISH_QUERY = "GET" "/rest/intercnn/app/publish/version/query" Observed "Release items with their versionStatus";
    PUBLISH_HISTORY = "GET" "/rest/intercnn/app/publish/version/history/query" Observed "A release's history, newest first";
    SKIP_BETA = "POST" "/rest/intercnn/app/publish/version/gray/skipBeta" Observed "Skip pilot and grayscale of an approved release";
    ONLINE = "POST" "/rest/intercnn/app/publish/online" Observed "Official release (after skipBeta)";
    REVIEW = "POST" "/emulator/review" Emulator "Approve or reject a release in review (JSON; target-app admins)";
    REVIEWS_PAGE = "GET" "/emulator/reviews" Emulator "The review queue page of target-app admins";
    REVIEWS_DECIDE = "POST" "/emulator/reviews" Emulator "The review page's approve / reject form";
    FIREWALL = "POST" "/emulator/firewall" Emulator "Switch the anti-bot firewall's browser check on or off";
}

fn handler(route: &SuperappRoute, max_package_size: u64) -> MethodRouter<AppState> {
    match *route {
        LOGIN_PAGE => get(session::login_page),
        LOGIN => post(session::login),
        LOGOUT => post(session::logout),
        OVERVIEW => get(session::overview),
        CONSOLE_PAGE => get(console::console_page),
        CONSOLE_SCRIPT => get(console::console_script),
        VERSION_QUERY => get(versions::query),
        // Streamed to disk; the handler enforces the package size limit itself.
        UPLOAD_RESOURCE => post(versions::upload_resource).layer(DefaultBodyLimit::max(
            crate::web::upload::body_limit(max_package_size),
        )),
        VERSION_CREATE => post(versions::create),
        PUBLISH_CREATE => post(releases::create),
        START_APPROVE => post(releases::start_approve),
        PUBLISH_QUERY => get(releases::query),
        PUBLISH_HISTORY => get(releases::history),
        SKIP_BETA => post(releases::skip_beta),
        ONLINE => post(releases::online),
        REVIEW => post(review::review),
        REVIEWS_PAGE => get(review::reviews_page),
        REVIEWS_DECIDE => post(review::decide_form),
        FIREWALL => post(firewall::switch),
        other => panic!(
            "the SuperApp emulator has no handler for {} {}",
            other.method, other.path
        ),
    }
}

/// Largest JSON or form body.
const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// The emulator's router (instead of the native one: no `/api/v1`, no `/web`), with the
/// console pages' routes of `variant`.
pub(crate) fn router(state: AppState, variant: ConsoleVariant) -> Router {
    let mut router = Router::new();
    for route in SUPERAPP_ROUTES {
        router = router.route(route.path, handler(route, state.max_package_size));
    }
    let router = console::mount(router, variant);
    let firewall = firewall::Firewall::default();
    router
        .fallback(not_found)
        .layer(axum::Extension(variant))
        .layer(axum::middleware::from_fn_with_state(
            firewall.clone(),
            firewall::check,
        ))
        .layer(axum::Extension(firewall))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(CatchPanicLayer::custom(|_panic| {
            envelope::from_api(ApiError::internal("a request handler panicked"))
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> Response {
    let mut response = envelope::fail(
        "404",
        format!("no route {method} {} on this console", uri.path()),
        serde_json::json!({ "hint": "see docs/portal-superapp.md for the routes of the SuperApp console emulator" }),
    );
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let mut response = envelope::fail(
        "405",
        format!("{} does not take {method}", uri.path()),
        serde_json::json!({ "hint": "see docs/portal-superapp.md for the methods each route takes" }),
    );
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response.into_response()
}

/// Creates the emulator's tables and gives every space, MiniApp and target app its console
/// id. Safe to run on every start.
pub(crate) fn prepare(store: &Store) -> Result<(), ServerError> {
    store
        .tx(|tx| {
            tx.execute_batch(SCHEMA)?;
            ids::sync(tx)
        })
        .map_err(|e| ServerError::Other(e.body.message))
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS superapp_ids (
    kind TEXT NOT NULL,              -- space | app | channel | version
    native_id TEXT NOT NULL,         -- the store's id
    decimal_id TEXT NOT NULL UNIQUE, -- the console's id (22 digits)
    PRIMARY KEY (kind, native_id)
);
CREATE TABLE IF NOT EXISTS superapp_sessions (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,       -- sha256 of the cookie's secret; the secret is never stored
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,              -- the token the emulator's forms carry
    created_at TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS superapp_artifacts (
    path TEXT PRIMARY KEY,           -- app/version/{appId}/{version}/{fileName}
    app_id TEXT NOT NULL REFERENCES apps(id),
    version TEXT NOT NULL,
    upload_id TEXT NOT NULL REFERENCES uploads(id),
    file_name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS superapp_releases (
    release_id TEXT PRIMARY KEY REFERENCES releases(id),
    changelog TEXT NOT NULL DEFAULT '',
    artifact_list TEXT NOT NULL DEFAULT '[]',
    beta_skipped INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS superapp_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id TEXT NOT NULL REFERENCES releases(id),
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    operator TEXT NOT NULL,
    memo TEXT NOT NULL DEFAULT '',
    at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS superapp_history_by_release ON superapp_history (release_id, id);
CREATE TABLE IF NOT EXISTS superapp_operations (
    id TEXT PRIMARY KEY,             -- variant b's operation id (rb_…), one use
    kind TEXT NOT NULL,              -- rollback
    user_id TEXT NOT NULL REFERENCES users(id),
    app_id TEXT NOT NULL,
    target_app_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    used_ms INTEGER
);
"#;

/// One id a user of the console needs (the console has no list routes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// `space`, `app` or `target-app`.
    pub kind: &'static str,
    /// The console id: spaceId, appId, or the target app's channelCode.
    pub id: String,
    pub name: String,
}

impl DirectoryEntry {
    /// `space <id> <name>`, `app <id> <name>`, `target-app <channelCode> <name>`.
    pub fn line(&self) -> String {
        format!("{} {} {}", self.kind, self.id, self.name)
    }
}

/// Every space (each followed by its MiniApps) and every target app, with its console id.
/// Blocking (runs one transaction on this thread).
pub fn directory(store: &Store) -> Result<Vec<DirectoryEntry>, ServerError> {
    prepare(store)?;
    store
        .tx(ids::directory)
        .map_err(|e| ServerError::Other(e.body.message))
}

/// [`directory`] for async callers: the blocking work on the store runs off the runtime's
/// threads.
pub async fn directory_async(store: &Store) -> Result<Vec<DirectoryEntry>, ServerError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || directory(&store))
        .await
        .map_err(|e| ServerError::Other(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_handler_and_routes_are_unique() {
        for (i, a) in SUPERAPP_ROUTES.iter().enumerate() {
            let _ = handler(a, 1024);
            for b in &SUPERAPP_ROUTES[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{a:?}");
            }
        }
    }

    #[test]
    fn no_native_route_is_mounted() {
        for route in SUPERAPP_ROUTES {
            assert!(
                !route.path.starts_with("/api/") && !route.path.starts_with("/web"),
                "{route:?}"
            );
        }
    }

    /// Every route the router mounts is documented, with its marker, in
    /// docs/portal-superapp.md (as a heading `### \`METHOD /path\` — MARKER`).
    #[test]
    fn every_route_is_documented() {
        let doc = include_str!("../../../../docs/portal-superapp.md");
        for route in SUPERAPP_ROUTES {
            let heading = format!(
                "### `{} {}` — {}",
                route.method,
                route.path,
                route.origin.marker()
            );
            assert!(
                doc.lines().any(|l| l.trim() == heading),
                "docs/portal-superapp.md lacks the heading {heading}"
            );
        }
        for route in CONSOLE_ROUTES {
            let heading = console_heading(route);
            assert!(
                doc.lines().any(|l| l.trim() == heading),
                "docs/portal-superapp.md lacks the heading {heading}"
            );
        }
        // And documents no route the router does not mount.
        for line in doc.lines().filter(|l| l.starts_with("### `")) {
            let documented = SUPERAPP_ROUTES.iter().any(|r| {
                line.trim() == format!("### `{} {}` — {}", r.method, r.path, r.origin.marker())
            }) || CONSOLE_ROUTES
                .iter()
                .any(|r| line.trim() == console_heading(r));
            assert!(documented, "documented but not mounted: {line}");
        }
    }
}
