//! The portal's web pages: plain server-rendered HTML (no script, no remote asset) for the
//! manual path of the seed: log in, Space → MiniApp → Versions, "Add Version" → "Upload by
//! Files", version detail (Release, Show Temporary Code, Apply Release, …), and the review queue
//! of target-app administrators.
//!
//! The pages hold no rules of their own: every action calls the function the JSON API's
//! handler calls (`uploads::open_upload`/`complete`, `releases::apply_release`, …), so the
//! lifecycle table (`gopay_miniapp_portal::lifecycle::TRANSITIONS`), the validations, the
//! audit log and the rows written are the same whichever way a step is taken. The actions a
//! page offers are the release's `allowedSteps` for the signed-in user, from that same table.
//!
//! The pages' routes are [`WEB_ROUTES`], a table of their own beside the contract's
//! `routes::ALL` (they are not part of the portal contract; `docs/portal-web.md` documents
//! them, and a test keeps the two in agreement).

pub(crate) mod html;
mod pages;
mod qr;
pub(crate) mod session;
mod steps;
pub(crate) mod upload;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use gopay_miniapp_portal::lifecycle::{ReleaseState, Step, TRANSITIONS};

use crate::state::AppState;

pub(crate) use html::document;

/// One route of the web pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
}

macro_rules! web_routes {
    ($($name:ident = $method:literal $path:literal $summary:literal;)*) => {
        $(pub const $name: WebRoute = WebRoute { method: $method, path: $path, summary: $summary };)*
        /// Every route of the web pages, in documentation order.
        pub const WEB_ROUTES: &[WebRoute] = &[$($name),*];
    };
}

web_routes! {
    ROOT = "GET" "/" "Redirects to the web pages (`/web`)";
    WEB_SLASH = "GET" "/web/" "Redirects to `/web`";
    LOGIN_PAGE = "GET" "/web/login" "The login form";
    LOGIN = "POST" "/web/login" "Log in: username + password → session cookie";
    LOGOUT = "POST" "/web/logout" "Log out: revokes the session";
    HOME = "GET" "/web" "Your spaces and their MiniApps; the review queue link for target-app admins";
    VERSIONS = "GET" "/web/apps/{app_id}/versions" "A MiniApp's Versions tab: newest first, release state per target app, legal actions";
    ADD_VERSION = "GET" "/web/apps/{app_id}/versions/new" "\"Add Version\" → \"Upload by Files\": the ZIP upload form";
    UPLOAD = "POST" "/web/apps/{app_id}/versions" "Upload a ZIP as a new version (multipart, streamed to disk)";
    VERSION = "GET" "/web/apps/{app_id}/versions/{version_id}" "Version detail: its releases, Release to a target app, temporary code";
    RELEASE = "POST" "/web/apps/{app_id}/versions/{version_id}/releases" "\"Release\": the version to a target app (Version Creation)";
    STEP_PAGE = "GET" "/web/releases/{release_id}/{step}" "Confirm a lifecycle step (Apply Release, Officially Release, …) with its inputs";
    STEP = "POST" "/web/releases/{release_id}/{step}" "Take a lifecycle step; the temporary code answers with the QR";
    REVIEWS = "GET" "/web/reviews" "Target-app admins: releases waiting for review, approve / reject with a reason";
    AUDIT = "GET" "/web/apps/{app_id}/audit" "A MiniApp's audit log";
    NOT_FOUND = "GET" "/web/{*rest}" "Any other page: an HTML 404";
}

fn handler(route: &WebRoute, max_package_size: u64) -> MethodRouter<AppState> {
    match *route {
        ROOT | WEB_SLASH => get(|| async { html::redirect("/web") }),
        LOGIN_PAGE => get(session::login_page),
        LOGIN => post(session::login),
        LOGOUT => post(session::logout),
        HOME => get(pages::home),
        VERSIONS => get(pages::versions),
        ADD_VERSION => get(upload::add_version),
        // The package is streamed to disk; the handler enforces the package size limit itself
        // (and stops reading a body far past it), so the router's JSON limit does not apply.
        UPLOAD => {
            post(upload::upload).layer(DefaultBodyLimit::max(upload::body_limit(max_package_size)))
        }
        VERSION => get(pages::version),
        RELEASE => post(steps::release_to_target),
        STEP_PAGE => get(steps::step_page),
        STEP => post(steps::take_step),
        REVIEWS => get(steps::reviews),
        AUDIT => get(pages::audit),
        NOT_FOUND => get(pages::not_found),
        other => panic!(
            "the web pages have no handler for {} {}",
            other.method, other.path
        ),
    }
}

/// The web pages' routes, to merge into the portal's router.
pub(crate) fn router(max_package_size: u64) -> Router<AppState> {
    let mut router = Router::new();
    for route in WEB_ROUTES {
        router = router.route(route.path, handler(route, max_package_size));
    }
    router
}

// ---------------------------------------------------------------------------------------------
// Words of the pages
// ---------------------------------------------------------------------------------------------

/// What a step's button says (the seed's words).
pub(crate) fn step_label(step: Step) -> &'static str {
    match step {
        Step::TemporaryCode => "Show Temporary Code",
        Step::Apply => "Apply Release",
        Step::Withdraw => "Withdraw",
        Step::Approve => "Approve",
        Step::Reject => "Reject",
        Step::Whitelist => "Setting Whitelist",
        Step::Grayscale => "Set Grayscale",
        Step::Official => "Officially Release",
        Step::Cancel => "Cancel Release",
        Step::Rollback => "Roll Back",
    }
}

/// What a step does, for its confirmation page.
pub(crate) fn step_help(step: Step, target_app: &str) -> String {
    match step {
        Step::TemporaryCode => format!("Shows a QR code that opens this release in {target_app}."),
        Step::Apply => format!(
            "Submits the release for review by the administrators of {target_app}."
        ),
        Step::Withdraw => "Takes the release out of review, back to Version Creation.".into(),
        Step::Approve => "Approves the release: it goes to Pilot test.".into(),
        Step::Reject => "Rejects the release with a reason the developer can act on.".into(),
        Step::Whitelist => format!(
            "Gives this version to these {target_app} user IDs first (whitelist test). Setting it again replaces the list."
        ),
        Step::Grayscale => "Gives this version to a share of all users (canary). The ratio only goes up.".into(),
        Step::Official => format!(
            "Everyone on {target_app} gets this version. The version live there now is archived."
        ),
        Step::Cancel => "Cancels the release. It cannot be resumed: release the version again to start over.".into(),
        Step::Rollback => format!(
            "Archives this version on {target_app} and brings back the version released before it."
        ),
    }
}

/// The state a step leads to from `state`, from the lifecycle table.
pub(crate) fn next_state(state: ReleaseState, step: Step) -> Option<ReleaseState> {
    TRANSITIONS
        .iter()
        .find(|t| t.from == state && t.step == step)
        .map(|t| t.to)
}

pub(crate) fn parse_step(text: &str) -> Option<Step> {
    Step::ALL.into_iter().find(|s| s.as_str() == text)
}

/// The page a form came from, and goes back to after its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BackTo {
    Versions,
    Detail,
    Reviews,
}

impl BackTo {
    pub(crate) fn parse(text: Option<&str>) -> BackTo {
        match text {
            Some("versions") => BackTo::Versions,
            Some("reviews") => BackTo::Reviews,
            _ => BackTo::Detail,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BackTo::Versions => "versions",
            BackTo::Detail => "detail",
            BackTo::Reviews => "reviews",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_web_route_has_a_handler_and_routes_are_unique() {
        for (i, a) in WEB_ROUTES.iter().enumerate() {
            let _ = handler(a, 1024);
            for b in &WEB_ROUTES[i + 1..] {
                assert!(!(a.method == b.method && a.path == b.path), "{a:?}");
            }
        }
    }

    #[test]
    fn web_routes_do_not_overlap_the_contract() {
        for web in WEB_ROUTES {
            assert!(
                !web.path.starts_with("/api/") && web.path != "/device",
                "{web:?}"
            );
        }
    }

    /// Each step's button has words of its own, the ones `docs/portal-web.md` names, and its
    /// help says something of its own; the wire name reads back as the step.
    #[test]
    fn every_step_has_its_own_documented_words_and_a_name() {
        let docs = include_str!("../../../../docs/portal-web.md");
        // Quoted button names may wrap across lines in the docs.
        let docs = docs.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut labels = std::collections::HashSet::new();
        let mut helps = std::collections::HashSet::new();
        for step in Step::ALL {
            let label = step_label(step);
            assert!(labels.insert(label), "two steps' buttons say \"{label}\"");
            assert!(
                docs.contains(&format!("\"{label}\"")),
                "docs/portal-web.md does not name the button \"{label}\" of {step:?}"
            );
            assert!(
                helps.insert(step_help(step, "GoPay")),
                "{step:?} has another step's help"
            );
            assert_eq!(parse_step(step.as_str()), Some(step));
        }
    }
}
