//! The read-only pages: spaces and MiniApps, a MiniApp's Versions tab, a version's detail page
//! and the audit log. Their data comes from the functions the JSON API's handlers use.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use gopay_miniapp_portal::lifecycle::Step;
use gopay_miniapp_portal::native::wire::{MiniApp, Release, TargetApp, TemporaryCode, Version};

use maud::{html, Markup};

use super::html::{self, hidden, html_response, seg, state_badge};
use super::session::{error_page, message_page, WebSession};
use super::{parse_step, qr, step_label, BackTo};
use crate::apps::{
    all_target_apps, app_versions, apps_in_space, audit_log, member_app, query_pairs, user_spaces,
};
use crate::error::{ApiError, ApiResult};
use crate::releases::{app_releases, release};
use crate::state::AppState;

/// A MiniApp the signed-in user is a developer of, with its space's name.
pub(crate) struct AppCtx {
    pub app: MiniApp,
    pub space_name: String,
}

pub(crate) async fn load_app(
    state: &AppState,
    session: &WebSession,
    app_id: String,
) -> ApiResult<AppCtx> {
    let user = session.caller.user_id.clone();
    let app = state
        .store
        .run(move |tx| member_app(tx, &app_id, &user))
        .await?;
    let space_name = user_spaces(state, session.caller.clone())
        .await?
        .into_iter()
        .find(|s| s.id == app.space_id)
        .map(|s| s.name)
        .unwrap_or_default();
    Ok(AppCtx { app, space_name })
}

pub(crate) fn app_url(app_id: &str) -> String {
    format!("/web/apps/{}/versions", seg(app_id))
}

pub(crate) fn version_url(app_id: &str, version_id: &str) -> String {
    format!("/web/apps/{}/versions/{}", seg(app_id), seg(version_id))
}

pub(crate) fn crumbs(ctx: &AppCtx, last: Option<&str>) -> Option<Markup> {
    Some(html! {
        a href="/web" { "Spaces" } " › " (ctx.space_name) " › "
        a href=(app_url(&ctx.app.id)) { (ctx.app.name) }
        @if let Some(last) = last { " › " (last) }
    })
}

fn tabs(app_id: &str, active: &str) -> Markup {
    let tabs = [
        ("Versions", app_url(app_id)),
        ("Audit log", format!("/web/apps/{}/audit", seg(app_id))),
    ];
    html! {
        nav.tabs {
            @for (name, href) in &tabs {
                @let current = *name == active;
                a href=(href) class=[current.then_some("active")] aria-current=[current.then_some("page")] { (name) }
            }
        }
    }
}

/// The heading of a MiniApp's tabs: its name, id and space.
fn app_heading(ctx: &AppCtx, active: &str) -> Markup {
    html! {
        h1 { (ctx.app.name) }
        p.muted { "MiniApp id " code { (ctx.app.id) } " in " (ctx.space_name) }
        (tabs(&ctx.app.id, active))
    }
}

/// The buttons and links of the steps the lifecycle table allows the signed-in user on a
/// release (its `allowedSteps`). Approve and Show Temporary Code are one click; the others
/// open their confirmation page (inputs, "OK").
pub(crate) fn release_actions(
    session: &WebSession,
    release: &Release,
    back: BackTo,
    with_path: bool,
) -> Markup {
    let from = html::query(&[("from", back.as_str())]);
    html! {
        @if !release.allowed_steps.is_empty() {
            div.actions {
                @for step in &release.allowed_steps {
                    @let action = step_url(&release.id, *step);
                    @if matches!(step, Step::TemporaryCode | Step::Approve) {
                        form method="post" action=(action) {
                            (hidden("csrf", &session.csrf))
                            (hidden("from", back.as_str()))
                            @if with_path && *step == Step::TemporaryCode {
                                input type="text" name="path" placeholder="page (optional)" aria-label="page to open (optional)" style="width:11rem";
                            }
                            button type="submit" data-step=(step.as_str()) { (step_label(*step)) }
                        }
                    } @else {
                        a.button.secondary data-step=(step.as_str()) href={ (action) "?" (from) } { (step_label(*step)) }
                    }
                }
            }
        }
    }
}

/// The page of a step of a release (its confirmation page; the form posts there too).
pub(crate) fn step_url(release_id: &str, step: Step) -> String {
    format!("/web/releases/{}/{}", seg(release_id), step.as_str())
}

/// Does this version have a release to this target app that is not finished (so "Release"
/// would be refused with `release_exists`)?
fn active_release<'a>(
    releases: &'a [Release],
    version_id: &str,
    target_id: &str,
) -> Option<&'a Release> {
    releases.iter().find(|r| {
        r.version_id == version_id && r.target_app_id == target_id && !r.state.is_terminal()
    })
}

/// The newest release of a version to a target app.
fn newest_release<'a>(
    releases: &'a [Release],
    version_id: &str,
    target_id: &str,
) -> Option<&'a Release> {
    // Releases come newest first.
    releases
        .iter()
        .find(|r| r.version_id == version_id && r.target_app_id == target_id)
}

/// The "Release" button of one target app (the versions table).
fn release_button(
    session: &WebSession,
    app_id: &str,
    version: &Version,
    target: &TargetApp,
) -> Markup {
    html! {
        form method="post" action={ (version_url(app_id, &version.id)) "/releases" } {
            (hidden("csrf", &session.csrf))
            (hidden("target_app_id", &target.id))
            (hidden("from", "versions"))
            button type="submit" class="secondary" data-release-to=(target.name) { "Release" }
        }
    }
}

/// What the `done`/`release`, `released` or `uploaded` query parameters report, as an OK box.
pub(crate) async fn flash(
    state: &AppState,
    session: &WebSession,
    query: &Option<String>,
    versions: Option<&[Version]>,
) -> Option<Markup> {
    let pairs = query_pairs(query);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if let (Some(uploaded), Some(versions)) = (get("uploaded"), versions) {
        if let Some(v) = versions.iter().find(|v| v.id == uploaded) {
            if get("again").as_deref() == Some("1") {
                return Some(html::ok_box(&format!(
                    "Version {} was already uploaded with this very package; nothing changed.",
                    v.version
                )));
            }
            return Some(html::ok_box(&format!(
                "Version {} uploaded ({}, sha256 {}…).",
                v.version,
                html::human_size(v.size),
                v.sha256.get(..12).unwrap_or(&v.sha256)
            )));
        }
    }
    if let Some(id) = get("released") {
        if let Ok(r) = release(state, session.caller.clone(), id).await {
            return Some(html::ok_box(&format!(
                "Released {} to {}: the release is in “{}”. Next: Show Temporary Code to test it, or Apply Release.",
                r.version,
                r.target_app_name,
                r.state.label()
            )));
        }
    }
    if let (Some(step), Some(id)) = (get("done").as_deref().and_then(parse_step), get("release")) {
        if let Ok(r) = release(state, session.caller.clone(), id).await {
            return Some(html::ok_box(&format!(
                "{}: {} → {} is now in “{}”.",
                step_label(step),
                r.version,
                r.target_app_name,
                r.state.label()
            )));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Home
// ---------------------------------------------------------------------------------------------

/// `GET /web`
pub(crate) async fn home(State(state): State<AppState>, session: WebSession) -> Response {
    match home_body(&state, &session).await {
        Ok(body) => html_response(
            StatusCode::OK,
            html::page("Spaces", Some(&session.chrome()), None, body),
        ),
        Err(err) => error_page(Some(&session), &err),
    }
}

async fn home_body(state: &AppState, session: &WebSession) -> ApiResult<Markup> {
    let spaces = user_spaces(state, session.caller.clone()).await?;
    let mut cards = Vec::with_capacity(spaces.len());
    for space in spaces {
        let apps = apps_in_space(state, session.caller.clone(), space.id.clone()).await?;
        cards.push((space, apps));
    }
    let administered: Vec<String> = if session.user.admin_of.is_empty() {
        Vec::new()
    } else {
        all_target_apps(state)
            .await?
            .into_iter()
            .filter(|t| session.user.admin_of.contains(&t.id))
            .map(|t| t.name)
            .collect()
    };
    Ok(html! {
        h1 { "Spaces" }
        @if cards.is_empty() {
            p.muted { "You are not a member of any space." }
        }
        @for (space, apps) in &cards {
            section.card data-space=(space.name) {
                h2 style="margin-top:0" { (space.name) }
                @if apps.is_empty() {
                    p.muted { "No MiniApps in this space." }
                } @else {
                    ul {
                        @for app in apps {
                            li {
                                a href=(app_url(&app.id)) { (app.name) }
                                " " span.muted { "MiniApp id " (app.id) }
                            }
                        }
                    }
                }
            }
        }
        @if !session.user.admin_of.is_empty() {
            section.card {
                h2 style="margin-top:0" { "Target apps you administer" }
                p { (administered.join(", ")) }
                p { a.button href="/web/reviews" { "Releases waiting for review" } }
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Versions tab
// ---------------------------------------------------------------------------------------------

/// `GET /web/apps/{app_id}/versions`
pub(crate) async fn versions(
    State(state): State<AppState>,
    session: WebSession,
    Path(app_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    match versions_page(&state, &session, app_id, &query).await {
        Ok(response) => response,
        Err(err) => error_page(Some(&session), &err),
    }
}

async fn versions_page(
    state: &AppState,
    session: &WebSession,
    app_id: String,
    query: &Option<String>,
) -> ApiResult<Response> {
    let ctx = load_app(state, session, app_id.clone()).await?;
    let versions = app_versions(state, session.caller.clone(), app_id.clone()).await?;
    let releases = app_releases(state, session.caller.clone(), app_id.clone(), None).await?;
    let targets = all_target_apps(state).await?;
    let notice = flash(state, session, query, Some(&versions)).await;
    let body = html! {
        (app_heading(&ctx, "Versions"))
        @if let Some(notice) = notice { (notice) }
        p { a.button href={ (app_url(&ctx.app.id)) "/new" } { "Add Version" } }
        @if versions.is_empty() {
            p.muted {
                "No versions yet. Add one by uploading its ZIP (\"Add Version\"), or publish from the editor or the command line."
            }
        } @else {
            table.versions {
                thead {
                    tr {
                        th { "Version" } th { "Description" } th { "Uploaded" }
                        @for target in &targets { th { (target.name) } }
                        th {}
                    }
                }
                tbody {
                    @for version in &versions {
                        @let url = version_url(&ctx.app.id, &version.id);
                        tr data-version=(version.version) {
                            td {
                                a href=(url) { strong { (version.version) } }
                                br;
                                span.muted { (html::human_size(version.size)) }
                            }
                            td.reason { (version.description) }
                            td { span.muted { (version.created_at) br; "by " (version.created_by) } }
                            @for target in &targets {
                                td data-target-app=(target.name) {
                                    @match newest_release(&releases, &version.id, &target.id) {
                                        Some(r) => {
                                            (state_badge(r.state))
                                            (release_actions(session, r, BackTo::Versions, false))
                                        }
                                        None => span.muted { "Not released" },
                                    }
                                    @if active_release(&releases, &version.id, &target.id).is_none() {
                                        div.actions { (release_button(session, &ctx.app.id, version, target)) }
                                    }
                                }
                            }
                            td { a.button.secondary href=(url) { "Detail" } }
                        }
                    }
                }
            }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        html::page(
            &format!("{} · Versions", ctx.app.name),
            Some(&session.chrome()),
            crumbs(&ctx, None),
            body,
        ),
    ))
}

// ---------------------------------------------------------------------------------------------
// Version detail
// ---------------------------------------------------------------------------------------------

/// What a detail page shows besides the version and its releases.
#[derive(Default)]
pub(crate) struct DetailExtra {
    /// An OK or error box.
    pub notice: Option<Markup>,
    /// The temporary code just asked for.
    pub qr: Option<TemporaryCode>,
    /// The status to answer with (200 unless a refusal is shown).
    pub status: Option<StatusCode>,
}

/// `GET /web/apps/{app_id}/versions/{version_id}`
pub(crate) async fn version(
    State(state): State<AppState>,
    session: WebSession,
    Path((app_id, version_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let notice = flash(&state, &session, &query, None).await;
    render_detail(
        &state,
        &session,
        app_id,
        version_id,
        DetailExtra {
            notice,
            ..DetailExtra::default()
        },
    )
    .await
}

pub(crate) async fn render_detail(
    state: &AppState,
    session: &WebSession,
    app_id: String,
    version_id: String,
    extra: DetailExtra,
) -> Response {
    match detail_page(state, session, app_id, version_id, extra).await {
        Ok(response) => response,
        Err(err) => error_page(Some(session), &err),
    }
}

async fn detail_page(
    state: &AppState,
    session: &WebSession,
    app_id: String,
    version_id: String,
    extra: DetailExtra,
) -> ApiResult<Response> {
    let ctx = load_app(state, session, app_id.clone()).await?;
    let versions = app_versions(state, session.caller.clone(), app_id.clone()).await?;
    let version = versions
        .into_iter()
        .find(|v| v.id == version_id)
        .ok_or_else(|| {
            ApiError::not_found(format!("version `{version_id}` of {}", ctx.app.name))
        })?;
    let releases: Vec<Release> = app_releases(state, session.caller.clone(), app_id.clone(), None)
        .await?
        .into_iter()
        .filter(|r| r.version_id == version.id)
        .collect();
    let targets = all_target_apps(state).await?;

    let temporary_code = match &extra.qr {
        Some(code) => {
            let target = releases
                .iter()
                .find(|r| r.id == code.release_id)
                .map(|r| r.target_app_name.clone())
                .unwrap_or_default();
            let svg = qr::qr_svg(&code.deeplink).map_err(ApiError::internal)?;
            Some((code, target, svg))
        }
        None => None,
    };
    // Release to a target app that has no unfinished release of this version.
    let free: Vec<&TargetApp> = targets
        .iter()
        .filter(|t| active_release(&releases, &version.id, &t.id).is_none())
        .collect();

    let body = html! {
        h1 { "Version " (version.version) }
        @if let Some(notice) = extra.notice { (notice) }
        div.card {
            dl.facts {
                dt { "MiniApp" } dd { (ctx.app.name) " " span.muted { "(" (ctx.app.id) ")" } }
                dt { "Description" }
                dd.reason {
                    @if version.description.is_empty() { span.muted { "(none)" } }
                    @else { (version.description) }
                }
                dt { "Uploaded" } dd { (version.created_at) " by " (version.created_by) }
                dt { "Package" } dd { (html::human_size(version.size)) " (" (version.size) " bytes)" }
                dt { "sha256" } dd { code { (version.sha256) } }
            }
        }
        @if let Some((code, target, svg)) = &temporary_code {
            section.card #temporary-code data-release=(code.release_id) {
                h2 style="margin-top:0" { "Temporary code" }
                div.qr {
                    (svg)
                    div {
                        p {
                            "Scan it with the " (target) " app on a test phone, or open the link there. "
                            "It opens this release (publish id " code { (code.publish_id) } ") and works until "
                            (code.expires_at) "."
                        }
                        p { code.deeplink #deeplink { (code.deeplink) } }
                    }
                }
            }
        }
        h2 { "Release" }
        @if free.is_empty() {
            p.muted { "This version has a release on every target app." }
        } @else {
            form method="post" action={ (version_url(&ctx.app.id, &version.id)) "/releases" } class="card" {
                (hidden("csrf", &session.csrf))
                (hidden("from", "detail"))
                label for="target_app_id" { "Target app" }
                select #target_app_id name="target_app_id" {
                    @for t in &free { option value=(t.id) { (t.name) } }
                }
                p { button type="submit" { "Release" } }
            }
        }
        h2 { "Releases of this version" }
        @if releases.is_empty() {
            p.muted { "Not released to any target app yet." }
        }
        @for r in &releases { (release_card(session, r)) }
    };
    Ok(html_response(
        extra.status.unwrap_or(StatusCode::OK),
        html::page(
            &format!("{} {}", ctx.app.name, version.version),
            Some(&session.chrome()),
            crumbs(&ctx, Some(&format!("Version {}", version.version))),
            body,
        ),
    ))
}

/// The facts of a release as `<dt>/<dd>` pairs: publish id, notes, reject reason,
/// whitelist, ratio.
pub(crate) fn release_facts(r: &Release) -> Markup {
    html! {
        dt { "Publish id" } dd { code { (r.publish_id) } }
        @if let Some(notes) = &r.notes {
            dt { "Release notes" } dd.reason.notes { (notes) }
        }
        @if let Some(reason) = &r.reject_reason {
            dt { "Rejected because" } dd.reason.reject-reason { (reason) }
        }
        @if !r.whitelist.is_empty() {
            dt { "Whitelist" } dd { (r.whitelist.join(", ")) }
        }
        @if let Some(ratio) = r.ratio {
            dt { "Grayscale" } dd { (ratio) "%" }
        }
    }
}

/// A release: target app, state, facts, and the legal actions.
pub(crate) fn release_card(session: &WebSession, r: &Release) -> Markup {
    html! {
        section.card.release data-release=(r.id) data-target-app=(r.target_app_name) {
            h3 { (r.target_app_name) " " (state_badge(r.state)) }
            dl.facts {
                (release_facts(r))
                dt { "Changed" } dd { (r.updated_at) }
                @if r.first_release && !r.state.is_terminal() {
                    dt { "First release" }
                    dd { "yes: it may only go straight to official (no whitelist or grayscale)" }
                }
            }
            (release_actions(session, r, BackTo::Detail, true))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Audit log, 404
// ---------------------------------------------------------------------------------------------

/// `GET /web/apps/{app_id}/audit`
pub(crate) async fn audit(
    State(state): State<AppState>,
    session: WebSession,
    Path(app_id): Path<String>,
) -> Response {
    let result: ApiResult<Response> = async {
        let ctx = load_app(&state, &session, app_id.clone()).await?;
        let entries = audit_log(&state, session.caller.clone(), app_id, 200).await?;
        let body = html! {
            (app_heading(&ctx, "Audit log"))
            table.audit {
                thead { tr { th { "When" } th { "Who" } th { "What" } th { "Detail" } } }
                tbody {
                    @for e in &entries {
                        tr {
                            td { (e.at) } td { (e.actor) } td { code { (e.action) } }
                            td.reason { (e.detail) }
                        }
                    }
                }
            }
        };
        Ok(html_response(
            StatusCode::OK,
            html::page(
                &format!("{} · Audit log", ctx.app.name),
                Some(&session.chrome()),
                crumbs(&ctx, Some("Audit log")),
                body,
            ),
        ))
    }
    .await;
    result.unwrap_or_else(|err| error_page(Some(&session), &err))
}

/// `GET /web/{*rest}`: an HTML 404 for any other page.
pub(crate) async fn not_found() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        None,
        "Not found",
        "Not found",
        html::error_box("There is no such page on this portal.", ""),
    )
}
