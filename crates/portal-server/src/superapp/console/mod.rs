//! The console's own pages and the routes behind them: ASSUMED, the emulator's invention.
//!
//! GoPay's real console is a single-page app whose pages call JSON routes nobody has
//! published for the steps beyond the observed ten (whitelist, grayscale, temporary code,
//! rollback, withdraw, cancel; lists of spaces, MiniApps and target apps). So that the tool's
//! route learner (issue #22) can be tested end to end, the emulator serves such pages
//! (`GET /console`, a script file calling the routes with `fetch`) and invents the routes in
//! two **variants** (`portal serve --backend superapp --console-variant a|b`), served by the
//! same code and differing the way two tenants' consoles could: paths and field names, list
//! item paths (`data.list` / `data.result.items`), user IDs as an array or `;`-joined, the
//! ratio as a number or a string, a CSRF header echoed from a cookie and a `_=<ms>` query
//! parameter (b), a rollback made of two requests chained through an operation id (b), and
//! status words the observed state table does not know (b's release query only).
//!
//! None of it is observed; everything is documented as ASSUMED in `docs/portal-superapp.md`
//! (a test keeps [`CONSOLE_ROUTES`] and the document in agreement). Every step calls the
//! native function (`releases::whitelist_release`, `grayscale_release`, …), so the lifecycle
//! stays the only place the rules live.

mod api;
mod page;

use axum::routing::{get, post, MethodRouter};
use axum::Router;

use crate::state::AppState;

pub(crate) use page::{console_page, console_script};

/// Which of the two invented consoles the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsoleVariant {
    /// `/rest/intercnn/...` routes, camelCase fields, `data.list`, user IDs as a JSON array,
    /// the ratio as a number, one request per step.
    #[default]
    A,
    /// `/api/console/v2/...` routes with ids in the path, snake_case fields,
    /// `data.result.items`, user IDs `;`-joined, the ratio as a string, `X-XSRF-TOKEN` echoed
    /// from the cookie `XSRF-TOKEN`, `_=<ms>` on every request, a two-request rollback, and
    /// its own status words in its release query.
    B,
}

impl ConsoleVariant {
    /// `a` or `b`: the flag's value and the page's `data-variant`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsoleVariant::A => "a",
            ConsoleVariant::B => "b",
        }
    }
}

impl std::str::FromStr for ConsoleVariant {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "a" => Ok(ConsoleVariant::A),
            "b" => Ok(ConsoleVariant::B),
            other => Err(format!(
                "`{}` is not a console variant (a or b)",
                gopay_miniapp_guard::text::Shown(other)
            )),
        }
    }
}

impl std::fmt::Display for ConsoleVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One ASSUMED route of a console variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleRoute {
    pub variant: ConsoleVariant,
    /// What it is for: `spaces`, `apps`, `target-apps`, `release`, `whitelist`, `grayscale`,
    /// `temporary-code`, `rollback-plan` (b), `rollback`, `withdraw`, `cancel`.
    pub feature: &'static str,
    pub method: &'static str,
    /// An axum path (`{publishId}` is a path parameter).
    pub path: &'static str,
}

const fn route(
    variant: ConsoleVariant,
    feature: &'static str,
    method: &'static str,
    path: &'static str,
) -> ConsoleRoute {
    ConsoleRoute {
        variant,
        feature,
        method,
        path,
    }
}

const fn a(feature: &'static str, method: &'static str, path: &'static str) -> ConsoleRoute {
    route(ConsoleVariant::A, feature, method, path)
}

const fn b(feature: &'static str, method: &'static str, path: &'static str) -> ConsoleRoute {
    route(ConsoleVariant::B, feature, method, path)
}

/// Every ASSUMED route behind the console pages, both variants, in documentation order.
pub const CONSOLE_ROUTES: &[ConsoleRoute] = &[
    a("spaces", "GET", "/rest/intercnn/space/list"),
    a("apps", "GET", "/rest/intercnn/app/list"),
    a("target-apps", "GET", "/rest/intercnn/channel/list"),
    a("release", "GET", "/rest/intercnn/app/publish/detail"),
    a(
        "whitelist",
        "POST",
        "/rest/intercnn/app/publish/whitelist/start",
    ),
    a("grayscale", "POST", "/rest/intercnn/app/publish/gray/start"),
    a(
        "temporary-code",
        "POST",
        "/rest/intercnn/app/publish/tempCode",
    ),
    a("rollback", "POST", "/rest/intercnn/app/publish/rollback"),
    a("withdraw", "POST", "/rest/intercnn/app/publish/withdraw"),
    a("cancel", "POST", "/rest/intercnn/app/publish/cancel"),
    b("spaces", "GET", "/api/console/v2/spaces"),
    b("apps", "GET", "/api/console/v2/spaces/{spaceId}/mini-apps"),
    b("target-apps", "GET", "/api/console/v2/target-apps"),
    b("release", "GET", "/api/console/v2/releases/{publishId}"),
    b(
        "whitelist",
        "POST",
        "/api/console/v2/releases/{publishId}/whitelist",
    ),
    b(
        "grayscale",
        "POST",
        "/api/console/v2/releases/{publishId}/gray",
    ),
    b(
        "temporary-code",
        "POST",
        "/api/console/v2/releases/{publishId}/temp-code",
    ),
    b(
        "rollback-plan",
        "GET",
        "/api/console/v2/apps/{appId}/channels/{channelCode}/rollback-plan",
    ),
    b("rollback", "POST", "/api/console/v2/rollback"),
    b(
        "withdraw",
        "POST",
        "/api/console/v2/releases/{publishId}/withdraw",
    ),
    b(
        "cancel",
        "POST",
        "/api/console/v2/releases/{publishId}/cancel",
    ),
];

fn handler(route: &ConsoleRoute) -> MethodRouter<AppState> {
    use ConsoleVariant::{A, B};
    match (route.variant, route.feature) {
        (A, "spaces") => get(api::a_list::<{ api::SPACES }>),
        (A, "apps") => get(api::a_list::<{ api::APPS }>),
        (A, "target-apps") => get(api::a_list::<{ api::TARGET_APPS }>),
        (A, "release") => get(api::a_release),
        (A, "whitelist") => post(api::a_step::<{ api::WHITELIST }>),
        (A, "grayscale") => post(api::a_step::<{ api::GRAYSCALE }>),
        (A, "temporary-code") => post(api::a_step::<{ api::TEMPORARY_CODE }>),
        (A, "rollback") => post(api::a_rollback),
        (A, "withdraw") => post(api::a_step::<{ api::WITHDRAW }>),
        (A, "cancel") => post(api::a_step::<{ api::CANCEL }>),
        (B, "spaces") => get(api::b_list_of::<{ api::SPACES }>),
        (B, "apps") => get(api::b_list_of::<{ api::APPS }>),
        (B, "target-apps") => get(api::b_list_of::<{ api::TARGET_APPS }>),
        (B, "release") => get(api::b_release),
        (B, "whitelist") => post(api::b_step::<{ api::WHITELIST }>),
        (B, "grayscale") => post(api::b_step::<{ api::GRAYSCALE }>),
        (B, "temporary-code") => post(api::b_step::<{ api::TEMPORARY_CODE }>),
        (B, "rollback-plan") => get(api::b_rollback_plan),
        (B, "rollback") => post(api::b_rollback),
        (B, "withdraw") => post(api::b_step::<{ api::WITHDRAW }>),
        (B, "cancel") => post(api::b_step::<{ api::CANCEL }>),
        (variant, feature) => panic!("console variant {variant} has no handler for {feature}"),
    }
}

/// Mounts the routes of one variant (the other variant's paths stay unknown: 404).
pub(crate) fn mount(mut router: Router<AppState>, variant: ConsoleVariant) -> Router<AppState> {
    for route in CONSOLE_ROUTES.iter().filter(|r| r.variant == variant) {
        router = router.route(route.path, handler(route));
    }
    router
}

/// The documentation heading of a console route.
pub fn heading(route: &ConsoleRoute) -> String {
    format!(
        "### `{} {}` — ASSUMED (variant {})",
        route.method, route.path, route.variant
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_console_route_has_a_handler_and_is_unique() {
        for (i, x) in CONSOLE_ROUTES.iter().enumerate() {
            let _ = handler(x);
            for y in &CONSOLE_ROUTES[i + 1..] {
                assert!(
                    !(x.method == y.method && x.path == y.path),
                    "{x:?} and {y:?}"
                );
                assert!(
                    !(x.variant == y.variant && x.feature == y.feature),
                    "{x:?} and {y:?}"
                );
            }
        }
        for route in super::super::SUPERAPP_ROUTES {
            assert!(
                !CONSOLE_ROUTES
                    .iter()
                    .any(|c| c.path == route.path && c.method == route.method),
                "{route:?}"
            );
        }
    }

    #[test]
    fn both_variants_offer_every_feature() {
        for feature in [
            "spaces",
            "apps",
            "target-apps",
            "release",
            "whitelist",
            "grayscale",
            "temporary-code",
            "rollback",
            "withdraw",
            "cancel",
        ] {
            for variant in [ConsoleVariant::A, ConsoleVariant::B] {
                assert!(
                    CONSOLE_ROUTES
                        .iter()
                        .any(|r| r.variant == variant && r.feature == feature),
                    "{variant} lacks {feature}"
                );
            }
        }
    }

    #[test]
    fn the_variant_flag_parses() {
        assert_eq!("a".parse::<ConsoleVariant>(), Ok(ConsoleVariant::A));
        assert_eq!(" B ".parse::<ConsoleVariant>(), Ok(ConsoleVariant::B));
        assert!("c".parse::<ConsoleVariant>().is_err());
    }
}
