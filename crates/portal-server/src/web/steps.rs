//! Releasing and the lifecycle steps from the pages: "Release" (a version to a target app),
//! the confirmation page of each step and the step itself, and the review queue of target-app
//! administrators. Each step calls the function its JSON route calls
//! (`releases::apply_release`, `releases::approve_release`, …), which checks it against the
//! lifecycle table and records it in the audit log.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gopay_miniapp_portal::lifecycle::{ratio_not_a_number, ReleaseState, Step};
use gopay_miniapp_portal::native::wire::{
    ApplyRequest, CreateReleaseRequest, RejectRequest, Release, RollbackRequest,
    TemporaryCodeRequest, Version, WhitelistRequest,
};
use maud::{html, Markup};
use rusqlite::OptionalExtension;

use super::html::{self, hidden, html_response, redirect, state_badge};
use super::pages::{app_url, flash, render_detail, step_url, version_url, DetailExtra};
use super::session::{checked_form, error_page, WebSession};
use super::{next_state, parse_step, step_help, step_label, BackTo};
use crate::apps::{is_member, version_row, VERSION_COLUMNS};
use crate::error::{ApiError, ApiResult};
use crate::releases::{
    apply_release, approve_release, cancel_release, grayscale_release, official_release,
    ratio_refusal, reject_release, release as visible_release, release_version, review_queue,
    rollback_app, show_temporary_code, whitelist_release, withdraw_release,
};
use crate::state::AppState;

/// A release the signed-in user may see, with what its pages show about it.
struct ReleaseCtx {
    release: Release,
    app_name: String,
    /// The user is a developer of the MiniApp (a member of its space).
    developer: bool,
    version: Option<Version>,
}

async fn load_release(
    state: &AppState,
    session: &WebSession,
    release_id: String,
) -> ApiResult<ReleaseCtx> {
    // The visibility check (developer of the space or admin of the target app) is the API's.
    let release = visible_release(state, session.caller.clone(), release_id).await?;
    let mut facts = release_facts(state, session, std::slice::from_ref(&release)).await?;
    let (app_name, developer, version) = facts.remove(&release.id).unwrap_or_default();
    Ok(ReleaseCtx {
        release,
        app_name,
        developer,
        version,
    })
}

/// For releases the user may see: the MiniApp's name, whether the user is one of its
/// developers, and the version.
async fn release_facts(
    state: &AppState,
    session: &WebSession,
    releases: &[Release],
) -> ApiResult<HashMap<String, (String, bool, Option<Version>)>> {
    let wanted: Vec<(String, String, String)> = releases
        .iter()
        .map(|r| (r.id.clone(), r.app_id.clone(), r.version_id.clone()))
        .collect();
    let user = session.caller.user_id.clone();
    state
        .store
        .run(move |tx| {
            let mut out = HashMap::new();
            for (id, app_id, version_id) in wanted {
                let app: Option<(String, String)> = tx
                    .query_row(
                        "SELECT name, space_id FROM apps WHERE id = ?1",
                        [&app_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let (name, space_id) = app.unwrap_or_default();
                let developer = is_member(tx, &space_id, &user)?;
                let version = tx
                    .query_row(
                        &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE id = ?1"),
                        [&version_id],
                        version_row,
                    )
                    .optional()?;
                out.insert(id, (name, developer, version));
            }
            Ok(out)
        })
        .await
}

fn back_url(ctx: &ReleaseCtx, back: BackTo) -> String {
    match back {
        BackTo::Reviews => "/web/reviews".to_string(),
        _ if !ctx.developer => "/web/reviews".to_string(),
        BackTo::Versions => app_url(&ctx.release.app_id),
        BackTo::Detail => version_url(&ctx.release.app_id, &ctx.release.version_id),
    }
}

// ---------------------------------------------------------------------------------------------
// "Release"
// ---------------------------------------------------------------------------------------------

/// `POST /web/apps/{app_id}/versions/{version_id}/releases` (csrf, target_app_id, from)
pub(crate) async fn release_to_target(
    State(state): State<AppState>,
    session: WebSession,
    Path((app_id, version_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match checked_form(&state, &session, &headers, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let back = BackTo::parse(form.get("from").map(String::as_str));
    let req = CreateReleaseRequest {
        version_id: version_id.clone(),
        target_app_id: form.get("target_app_id").cloned().unwrap_or_default(),
    };
    match release_version(&state, session.caller.clone(), app_id.clone(), req).await {
        Ok(created) => {
            let q = html::query(&[("released", &created.id)]);
            match back {
                BackTo::Versions => redirect(&format!("{}?{q}", app_url(&app_id))),
                _ => redirect(&format!("{}?{q}", version_url(&app_id, &version_id))),
            }
        }
        Err(err) => {
            render_detail(
                &state,
                &session,
                app_id,
                version_id,
                DetailExtra {
                    notice: Some(html::error_box(&err.body.message, &err.body.hint)),
                    qr: None,
                    status: Some(err.status),
                },
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

/// What the step form sent, kept to show it again after a refusal.
#[derive(Default)]
struct StepInput {
    notes: Option<String>,
    reason: Option<String>,
    user_ids: Option<String>,
    ratio: Option<String>,
    path: Option<String>,
}

impl StepInput {
    fn from_form(form: &HashMap<String, String>) -> StepInput {
        StepInput {
            notes: form.get("notes").cloned(),
            reason: form.get("reason").cloned(),
            user_ids: form.get("user_ids").cloned(),
            ratio: form.get("ratio").cloned(),
            path: form.get("path").cloned(),
        }
    }
}

/// `GET /web/releases/{release_id}/{step}[?from=…]`
pub(crate) async fn step_page(
    State(state): State<AppState>,
    session: WebSession,
    Path((release_id, step)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(step) = parse_step(&step) else {
        return error_page(Some(&session), &unknown_step(&step));
    };
    let back = BackTo::parse(
        crate::apps::query_pairs(&query)
            .iter()
            .find(|(k, _)| k == "from")
            .map(|(_, v)| v.as_str()),
    );
    match load_release(&state, &session, release_id).await {
        Ok(ctx) => render_step(
            &session,
            &ctx,
            step,
            back,
            &StepInput::default(),
            None,
            StatusCode::OK,
        ),
        Err(err) => error_page(Some(&session), &err),
    }
}

fn unknown_step(step: &str) -> ApiError {
    ApiError::not_found(format!("the step `{step}`")).with_hint(format!(
        "steps: {}",
        Step::ALL.map(|s| s.as_str()).join(", ")
    ))
}

fn render_step(
    session: &WebSession,
    ctx: &ReleaseCtx,
    step: Step,
    back: BackTo,
    input: &StepInput,
    error: Option<&ApiError>,
    status: StatusCode,
) -> Response {
    let r = &ctx.release;
    let label = step_label(step);
    let description = ctx
        .version
        .as_ref()
        .map(|v| v.description.as_str())
        .unwrap_or_default();
    let next = next_state(r.state, step).filter(|to| *to != r.state);
    let back_href = back_url(ctx, back);
    let body = html! {
        h1 { (label) }
        p { (step_help(step, &r.target_app_name)) }
        @if let Some(err) = error { (html::error_box(&err.body.message, &err.body.hint)) }
        div.card {
            h2 style="margin-top:0" { "Confirm Release Information" }
            dl.facts {
                dt { "MiniApp" } dd { (ctx.app_name) " " span.muted { "(" (r.app_id) ")" } }
                dt { "Version" } dd { (r.version) }
                dt { "Description" } dd.reason { (description) }
                dt { "Target app" } dd { (r.target_app_name) }
                dt { "State" }
                dd {
                    (state_badge(r.state))
                    @if let Some(to) = next { " → " (state_badge(to)) }
                }
                @if let Some(v) = &ctx.version {
                    dt { "Package" }
                    dd { (html::human_size(v.size)) " · sha256 " code { (v.sha256) } }
                }
                (super::pages::release_facts(r))
            }
        }
        @if r.allowed_steps.contains(&step) {
            form method="post" action=(step_url(&r.id, step)) class="card" {
                (hidden("csrf", &session.csrf))
                (hidden("from", back.as_str()))
                (step_fields(step, r, input, description))
                div.actions style="margin-top:1rem" {
                    button type="submit" class=[danger(step).then_some("danger")] { "OK" }
                    a.button.secondary href=(back_href) { "Back" }
                }
            }
        } @else {
            div.notice role="status" {
                (label) " is not possible now: the release is in “" (r.state.label()) "”; "
                @if r.allowed_steps.is_empty() {
                    "nothing is open to you in this state"
                } @else {
                    "allowed now: "
                    (r.allowed_steps.iter().map(|s| step_label(*s)).collect::<Vec<_>>().join(", "))
                }
                "."
            }
            p { a.button.secondary href=(back_href) { "Back" } }
        }
    };
    let crumbs = if ctx.developer {
        html! {
            a href="/web" { "Spaces" } " › "
            a href=(app_url(&r.app_id)) { (ctx.app_name) } " › "
            a href=(version_url(&r.app_id, &r.version_id)) { "Version " (r.version) } " › "
            (label)
        }
    } else {
        html! { a href="/web/reviews" { "Reviews" } " › " (label) }
    };
    html_response(
        status,
        html::page(label, Some(&session.chrome()), Some(crumbs), body),
    )
}

/// The steps whose OK cannot be undone: a red button.
fn danger(step: Step) -> bool {
    matches!(step, Step::Reject | Step::Cancel | Step::Rollback)
}

/// The inputs of a step's form, filled with what was sent before (after a refusal) or what
/// the release has now.
fn step_fields(step: Step, r: &Release, input: &StepInput, description: &str) -> Markup {
    match step {
        Step::Apply => html! {
            label for="notes" { "Release notes" }
            textarea #notes name="notes" maxlength="4000" {
                (input.notes.as_deref().or(r.notes.as_deref()).unwrap_or(description))
            }
        },
        Step::Reject => html! {
            label for="reason" { "Reason" }
            textarea #reason name="reason" required maxlength="4000" {
                (input.reason.as_deref().unwrap_or(""))
            }
        },
        Step::Whitelist => html! {
            label for="user_ids" { "User IDs (one per line, or comma-separated)" }
            textarea #user_ids name="user_ids" required {
                (input.user_ids.clone().unwrap_or_else(|| r.whitelist.join("\n")))
            }
        },
        Step::Grayscale => {
            let min = if r.state == ReleaseState::Grayscale {
                r.ratio.map(|c| c.saturating_add(1)).unwrap_or(1)
            } else {
                1
            };
            html! {
                label for="ratio" { "Ratio (% of users, " (min) "–100)" }
                input type="number" #ratio name="ratio" min=(min) max="100" required
                    value=(input.ratio.as_deref().unwrap_or(""));
            }
        }
        Step::TemporaryCode => html! {
            label for="path" { "Page to open (optional)" }
            input type="text" #path name="path" placeholder="pages/index/index"
                value=(input.path.as_deref().unwrap_or(""));
        },
        _ => html! {},
    }
}

/// `POST /web/releases/{release_id}/{step}` (csrf, from, and the step's inputs)
pub(crate) async fn take_step(
    State(state): State<AppState>,
    session: WebSession,
    Path((release_id, step)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match checked_form(&state, &session, &headers, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let Some(step) = parse_step(&step) else {
        return error_page(Some(&session), &unknown_step(&step));
    };
    let back = BackTo::parse(form.get("from").map(String::as_str));
    let ctx = match load_release(&state, &session, release_id).await {
        Ok(ctx) => ctx,
        Err(err) => return error_page(Some(&session), &err),
    };
    let input = StepInput::from_form(&form);
    let caller = session.caller.clone();
    let id = ctx.release.id.clone();
    // The same functions the JSON routes call: the lifecycle table, the validations and the
    // audit log are theirs.
    let outcome: ApiResult<()> = match step {
        Step::TemporaryCode => {
            let req = TemporaryCodeRequest {
                path: input.path.clone().filter(|p| !p.trim().is_empty()),
            };
            match show_temporary_code(&state, caller, id, req).await {
                Ok(code) => {
                    return render_detail(
                        &state,
                        &session,
                        ctx.release.app_id.clone(),
                        ctx.release.version_id.clone(),
                        DetailExtra {
                            qr: Some(code),
                            ..DetailExtra::default()
                        },
                    )
                    .await
                }
                Err(err) => Err(err),
            }
        }
        Step::Apply => {
            let req = ApplyRequest {
                notes: input.notes.clone().unwrap_or_default(),
            };
            apply_release(&state, caller, id, req).await.map(drop)
        }
        Step::Withdraw => withdraw_release(&state, caller, id).await.map(drop),
        Step::Approve => approve_release(&state, caller, id).await.map(drop),
        Step::Reject => {
            let req = RejectRequest {
                reason: input.reason.clone().unwrap_or_default(),
            };
            reject_release(&state, caller, id, req).await.map(drop)
        }
        Step::Whitelist => {
            let user_ids = input
                .user_ids
                .as_deref()
                .unwrap_or("")
                .split([',', '\n'])
                .map(|s| s.trim().to_string())
                .collect();
            whitelist_release(&state, caller, id, WhitelistRequest { user_ids })
                .await
                .map(drop)
        }
        Step::Grayscale => {
            let text = input.ratio.as_deref().unwrap_or("").trim();
            match text.parse::<i64>() {
                Ok(ratio) => {
                    grayscale_release(&state, caller, id, serde_json::json!({ "ratio": ratio }))
                        .await
                        .map(drop)
                }
                Err(_) => {
                    // The API's refusal, naming what was typed.
                    Err(ratio_refusal(ratio_not_a_number(&format!("“{text}”"))))
                }
            }
        }
        Step::Official => official_release(&state, caller, id).await.map(drop),
        Step::Cancel => cancel_release(&state, caller, id).await.map(drop),
        Step::Rollback => {
            let req = RollbackRequest {
                target_app_id: ctx.release.target_app_id.clone(),
            };
            rollback_app(&state, caller, ctx.release.app_id.clone(), req)
                .await
                .map(drop)
        }
    };
    match outcome {
        Ok(()) => {
            let q = html::query(&[("done", step.as_str()), ("release", &ctx.release.id)]);
            redirect(&format!("{}?{q}", back_url(&ctx, back)))
        }
        Err(err) => {
            // Show the step again with the refusal, and the release as it is now.
            let ctx = match load_release(&state, &session, ctx.release.id.clone()).await {
                Ok(now) => now,
                Err(_) => ctx,
            };
            render_step(&session, &ctx, step, back, &input, Some(&err), err.status)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The review queue
// ---------------------------------------------------------------------------------------------

/// `GET /web/reviews`
pub(crate) async fn reviews(
    State(state): State<AppState>,
    session: WebSession,
    RawQuery(query): RawQuery,
) -> Response {
    match reviews_page(&state, &session, &query).await {
        Ok(response) => response,
        Err(err) => error_page(Some(&session), &err),
    }
}

async fn reviews_page(
    state: &AppState,
    session: &WebSession,
    query: &Option<String>,
) -> ApiResult<Response> {
    let notice = flash(state, session, query, None).await;
    let heading = html! {
        h1 { "Releases waiting for review" }
        @if let Some(notice) = notice { (notice) }
    };
    if session.user.admin_of.is_empty() {
        let body = html! {
            (heading)
            p.muted { "You administer no target app, so no release waits for your review." }
        };
        return Ok(html_response(
            StatusCode::OK,
            html::page("Reviews", Some(&session.chrome()), None, body),
        ));
    }
    let waiting = review_queue(state, session.caller.clone(), Some(ReleaseState::InReview)).await?;
    let recent: Vec<Release> = review_queue(state, session.caller.clone(), None)
        .await?
        .into_iter()
        .filter(|r| r.state != ReleaseState::InReview)
        .take(20)
        .collect();
    let mut all = waiting.clone();
    all.extend(recent.iter().cloned());
    let facts = release_facts(state, session, &all).await?;
    let fact = |r: &Release| facts.get(&r.id).cloned().unwrap_or_default();
    let body = html! {
        (heading)
        @if waiting.is_empty() {
            p.muted { "Nothing waits for review." }
        }
        @for r in &waiting {
            @let (app_name, _, version) = fact(r);
            section.card.review data-release=(r.id) {
                h3 { (app_name) " " (r.version) " → " (r.target_app_name) " " (state_badge(r.state)) }
                dl.facts {
                    dt { "MiniApp" } dd { (app_name) " " span.muted { "(" (r.app_id) ")" } }
                    dt { "Submitted" } dd { (r.updated_at) }
                    @if let Some(v) = &version {
                        dt { "Description" } dd.reason { (v.description) }
                        dt { "Package" }
                        dd {
                            (html::human_size(v.size)) " · sha256 " code { (v.sha256) }
                            " · uploaded by " (v.created_by)
                        }
                    }
                    dt { "Release notes" } dd.reason.notes { (r.notes.as_deref().unwrap_or("(none)")) }
                }
                div.actions {
                    @if r.allowed_steps.contains(&Step::Approve) {
                        form method="post" action=(step_url(&r.id, Step::Approve)) {
                            (hidden("csrf", &session.csrf))
                            (hidden("from", "reviews"))
                            button type="submit" data-step="approve" { "Approve" }
                        }
                    }
                    @if r.allowed_steps.contains(&Step::Reject) {
                        form method="post" action=(step_url(&r.id, Step::Reject)) class="reject" {
                            (hidden("csrf", &session.csrf))
                            (hidden("from", "reviews"))
                            textarea name="reason" required maxlength="4000"
                                placeholder="Reason (required): what the developer should fix"
                                aria-label="Reason for rejecting"
                                style="min-height:2.4rem;width:24rem" {}
                            button type="submit" class="danger" data-step="reject" { "Reject" }
                        }
                    }
                }
            }
        }
        @if !recent.is_empty() {
            h2 { "Recently changed on your target apps" }
            table {
                thead {
                    tr {
                        th { "MiniApp" } th { "Version" } th { "Target app" } th { "State" }
                        th { "Changed" } th { "Reason" }
                    }
                }
                tbody {
                    @for r in &recent {
                        tr data-release=(r.id) {
                            td { (fact(r).0) } td { (r.version) } td { (r.target_app_name) }
                            td { (state_badge(r.state)) } td { (r.updated_at) }
                            td.reason { (r.reject_reason.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        html::page("Reviews", Some(&session.chrome()), None, body),
    ))
}
