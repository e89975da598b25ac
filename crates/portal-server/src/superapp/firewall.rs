//! EMULATOR-ONLY: the anti-bot firewall in front of GoPay's console (Alibaba Cloud's WAF),
//! switched on by request. A real tenant's firewall may answer a plain HTTP client with its
//! browser check — an HTML challenge page, not the console's JSON — when it finds the client
//! suspicious (issue #21 item 23; the markers are from public reports, see
//! `docs/portal-superapp.md`). When switched on, the emulator answers every JSON route (`/rest/`,
//! and the console pages' variant b under `/api/console/`) with such a page, so the client's typed error can be tested; the login page, the
//! emulator's own routes and this switch stay reachable (a browser passes the check).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::envelope::answer;
use crate::extract::parse_json;

/// Whether the browser check answers instead of the console (one per emulator).
#[derive(Clone, Default)]
pub struct Firewall(Arc<AtomicBool>);

impl Firewall {
    pub fn on(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A page shaped like the firewall's "punish" page: the markers a client must recognise
/// (`_____tmd_____`, `x5secdata`, `rgv587`), in HTML.
pub const CHALLENGE_PAGE: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Verification</title></head>
<body><div id="nocaptcha"></div>
<script>var _____tmd_____ = "emulated"; window._config_ = {"action":"captcha","x5secdata":"emulated","rgv587_flag":"sm"};</script>
</body></html>
"#;

/// Stands in front of every route: the challenge page for the JSON routes while switched on.
pub async fn check(State(firewall): State<Firewall>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if firewall.on() && (path.starts_with("/rest/") || path.starts_with("/api/console/")) {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            Body::from(CHALLENGE_PAGE),
        )
            .into_response();
    }
    next.run(request).await
}

#[derive(Deserialize)]
struct Switch {
    challenge: bool,
}

/// `POST /emulator/firewall {"challenge": true|false}`: switches the browser check.
pub async fn switch(axum::Extension(firewall): axum::Extension<Firewall>, body: Bytes) -> Response {
    answer(parse_json::<Switch>(&body).map(|switch| {
        firewall.0.store(switch.challenge, Ordering::SeqCst);
        serde_json::json!({ "challenge": switch.challenge })
    }))
}
