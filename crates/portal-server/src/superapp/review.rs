//! EMULATOR-ONLY: review of releases by target-app administrators. A real tenant's admins
//! approve in its own console, through routes nobody has observed; the emulator offers a JSON
//! route (for tests and scripts) and a page (for people), both on the console session, both
//! taking the native steps (`releases::approve_release` / `reject_release`: only
//! administrators of the release's target app, only releases in review).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gopay_miniapp_portal::codes;
use gopay_miniapp_portal::lifecycle::ReleaseState;
use gopay_miniapp_portal::native::wire::{RejectRequest, Release};
use maud::html;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::envelope::{answer, bad_param, param};
use super::ids::parse_console_id;
use super::page::page;
use super::releases::{history_type, record, release_item, resolve};
use super::session::{error_page, Console, ConsolePage};
use super::versions::parse_version;
use crate::apps::query_pairs;
use crate::error::{ApiError, ApiResult};
use crate::extract::parse_json;
use crate::releases::{approve_release, reject_release, review_queue};
use crate::state::AppState;
use crate::web::html::{query, redirect};
use crate::web::session::{cross_site, parse_form, same_secret};
use gopay_miniapp_guard::text::Shown;

/// A target-app administrator's decision on a release in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    /// The `decision` of `POST /emulator/review` (and of the review page's forms).
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Decision::Approve => "APPROVE",
            Decision::Reject => "REJECT",
        }
    }
}

fn parse_decision(text: &str) -> ApiResult<Decision> {
    match text.trim().to_ascii_uppercase().as_str() {
        "APPROVE" | "PASS" => Ok(Decision::Approve),
        "REJECT" => Ok(Decision::Reject),
        _ => Err(bad_param(
            "decision",
            format!("decision `{}` is neither APPROVE nor REJECT", Shown(text)),
        )),
    }
}

/// Takes the decision on a release, with the native rules, and records it in the history.
async fn decide(
    state: &AppState,
    console: &Console,
    release_id: String,
    decision: Decision,
    reason: String,
) -> ApiResult<Value> {
    let caller = console.caller.clone();
    let (release, kind) = match decision {
        Decision::Approve => (
            approve_release(state, caller, release_id).await?,
            history_type::APPROVE_PASS,
        ),
        Decision::Reject => (
            reject_release(
                state,
                caller,
                release_id,
                RejectRequest {
                    reason: reason.clone(),
                },
            )
            .await?,
            history_type::APPROVE_REJECT,
        ),
    };
    let operator = console.caller.username.clone();
    state
        .store
        .run(move |tx| {
            record(
                tx,
                &release.id,
                kind,
                release.state,
                &operator,
                reason.trim(),
            )?;
            release_item(tx, &release)
        })
        .await
}

/// The body of `POST /emulator/review`; the emulator's client sends the same struct.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReviewBody {
    pub app_id: String,
    pub channel_code: String,
    pub version: String,
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /emulator/review` `{appId, channelCode, version, decision: "APPROVE"|"REJECT", reason}`
pub(crate) async fn review(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Response {
    let result = async {
        let req: ReviewBody = parse_json(&body)?;
        let app_id = parse_console_id("appId", &req.app_id)?;
        let channel = parse_console_id("channelCode", &req.channel_code)?;
        let version = parse_version(&req.version)?;
        let decision = parse_decision(&req.decision)?;
        let user = console.caller.user_id.clone();
        let named = state
            .store
            .run(move |tx| resolve(tx, &user, &app_id, &channel, version, false))
            .await?;
        // A release the caller can see neither as developer nor as administrator is unknown.
        decide(&state, &console, named.release_id()?, decision, req.reason)
            .await
            .map_err(|err| {
                if err.code() == codes::NOT_FOUND {
                    ApiError::not_found(format!(
                        "a release of version {} of {} to {} that you may review",
                        named.version, named.app.name, named.channel.name
                    ))
                    .with_hint("log in as an administrator of the target app (demo: admin/admin)")
                } else {
                    err
                }
            })
    }
    .await;
    answer(result)
}

/// A release in the queue, with the names and ids the page shows.
struct Row {
    release: Release,
    app_name: String,
    item: Value,
}

async fn queue(state: &AppState, console: &Console) -> ApiResult<Vec<Row>> {
    let releases =
        review_queue(state, console.caller.clone(), Some(ReleaseState::InReview)).await?;
    state
        .store
        .run(move |tx| {
            let mut rows = Vec::with_capacity(releases.len());
            for release in releases {
                let app_name: String = tx.query_row(
                    "SELECT name FROM apps WHERE id = ?1",
                    [&release.app_id],
                    |r| r.get(0),
                )?;
                let item = release_item(tx, &release)?;
                rows.push(Row {
                    release,
                    app_name,
                    item,
                });
            }
            Ok(rows)
        })
        .await
}

/// The review page.
async fn render(state: &AppState, console: &Console, notice: Option<&str>) -> Response {
    let rows = match queue(state, console).await {
        Ok(rows) => rows,
        Err(err) => return error_page(Some(console), &err),
    };
    let admin = !console.user.admin_of.is_empty();
    let body = html! {
        div.card {
            h1 { "Reviews" }
            p.emulator {
                "EMULATOR-ONLY: a real SuperApp console's administrators review in the console itself. "
                "The same decision as JSON: " code { "POST /emulator/review" } "."
            }
            @if let Some(notice) = notice { p.ok role="status" { (notice) } }
            @if !admin {
                p { "You administer no target app, so no release waits for your review. Log in as an administrator (demo: admin/admin)." }
            } @else if rows.is_empty() {
                p #no-reviews { "No release is waiting for review." }
            } @else {
                table {
                    tr { th { "MiniApp" } th { "version" } th { "target app" } th { "changelog" } th { "decision" } }
                    @for row in &rows {
                        tr.review {
                            td { (row.app_name) br; code { (row.item["appId"].as_str().unwrap_or("")) } }
                            td { (row.release.version.to_string()) }
                            td { (row.release.target_app_name) br; code { (row.item["channelCode"].as_str().unwrap_or("")) } }
                            td { (row.item["changelog"].as_str().unwrap_or("")) }
                            td {
                                form method="post" action="/emulator/reviews" {
                                    input type="hidden" name="csrf" value=(console.csrf);
                                    input type="hidden" name="publishId" value=(row.release.publish_id);
                                    input type="hidden" name="decision" value=(Decision::Approve.wire());
                                    button.primary type="submit" { "Approve" }
                                }
                                form method="post" action="/emulator/reviews" {
                                    input type="hidden" name="csrf" value=(console.csrf);
                                    input type="hidden" name="publishId" value=(row.release.publish_id);
                                    input type="hidden" name="decision" value=(Decision::Reject.wire());
                                    label for=(format!("reason-{}", row.release.publish_id)) { "Reason" }
                                    textarea id=(format!("reason-{}", row.release.publish_id)) name="reason" required maxlength="4000" {}
                                    button.primary type="submit" { "Reject" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(StatusCode::OK, "Reviews", Some(console.signed()), body)
}

/// `GET /emulator/reviews[?done=approved|rejected]`
pub(crate) async fn reviews_page(
    State(state): State<AppState>,
    ConsolePage(console): ConsolePage,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(&raw);
    let notice = match param(&pairs, "done") {
        Some("approved") => Some("Approved: the release is PASSED (Pilot test)."),
        Some("rejected") => Some("Rejected: the developer sees the reason."),
        _ => None,
    };
    render(&state, &console, notice).await
}

/// `POST /emulator/reviews` (form: csrf, publishId, decision, reason)
pub(crate) async fn decide_form(
    State(state): State<AppState>,
    ConsolePage(console): ConsolePage,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if !same_secret(field("csrf"), &console.csrf) || cross_site(&state, &headers) {
        return error_page(
            Some(&console),
            &ApiError::forbidden(
                "the review form is out of date or was sent from another site; nothing was changed",
            )
            .with_hint("reload the review page and decide again"),
        );
    }
    let result = async {
        let decision = parse_decision(field("decision"))?;
        let publish_id = field("publishId").trim().to_string();
        let release_id = state
            .store
            .run(move |tx| {
                Ok(tx
                    .query_row(
                        "SELECT id FROM releases WHERE publish_id = ?1",
                        [&publish_id],
                        |r| r.get::<_, String>(0),
                    )
                    .optional()?)
            })
            .await?
            .ok_or_else(|| ApiError::not_found("the release of this form"))?;
        decide(
            &state,
            &console,
            release_id,
            decision,
            field("reason").to_string(),
        )
        .await?;
        Ok::<_, ApiError>(decision)
    }
    .await;
    match result {
        Ok(decision) => {
            let done = if decision == Decision::Approve {
                "approved"
            } else {
                "rejected"
            };
            redirect(&format!("/emulator/reviews?{}", query(&[("done", done)])))
        }
        Err(err) => error_page(Some(&console), &err),
    }
}
