//! The read-only pages: spaces and MiniApps, a MiniApp's Versions tab, a version's detail page
//! and the audit log. Their data comes from the functions the JSON API's handlers use.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use gopay_miniapp_portal::lifecycle::Step;
use gopay_miniapp_portal::native::wire::{MiniApp, Release, TargetApp, TemporaryCode, Version};

use super::html::{self, esc, hidden, html_response, seg, state_badge};
use super::session::{error_page, WebSession};
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

pub(crate) fn crumbs(ctx: &AppCtx, last: Option<&str>) -> String {
    let mut out = format!(
        "<a href=\"/web\">Spaces</a> › {} › <a href=\"{}\">{}</a>",
        esc(&ctx.space_name),
        app_url(&ctx.app.id),
        esc(&ctx.app.name)
    );
    if let Some(last) = last {
        out.push_str(&format!(" › {}", esc(last)));
    }
    out
}

fn tabs(app_id: &str, active: &str) -> String {
    let tab = |name: &str, href: String| {
        format!(
            "<a href=\"{href}\"{}>{}</a>",
            if name == active {
                " class=\"active\" aria-current=\"page\""
            } else {
                ""
            },
            esc(name)
        )
    };
    format!(
        "<nav class=\"tabs\">{}{}</nav>\n",
        tab("Versions", app_url(app_id)),
        tab("Audit log", format!("/web/apps/{}/audit", seg(app_id)))
    )
}

/// The buttons and links of the steps the lifecycle table allows the signed-in user on a
/// release (its `allowedSteps`). Approve and Show Temporary Code are one click; the others
/// open their confirmation page (inputs, "OK").
pub(crate) fn release_actions(
    session: &WebSession,
    release: &Release,
    back: BackTo,
    with_path: bool,
) -> String {
    let mut out = String::new();
    for step in &release.allowed_steps {
        let action = format!("/web/releases/{}/{}", seg(&release.id), step.as_str());
        match step {
            Step::TemporaryCode | Step::Approve => {
                let path_input = if with_path && *step == Step::TemporaryCode {
                    "<input type=\"text\" name=\"path\" placeholder=\"page (optional)\" aria-label=\"page to open (optional)\" style=\"width:11rem\">"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "<form method=\"post\" action=\"{action}\">{}{}{path_input}<button type=\"submit\" data-step=\"{}\">{}</button></form>",
                    hidden("csrf", &session.csrf),
                    hidden("from", back.as_str()),
                    step.as_str(),
                    esc(step_label(*step))
                ));
            }
            _ => out.push_str(&format!(
                "<a class=\"button secondary\" data-step=\"{}\" href=\"{action}?{}\">{}</a>",
                step.as_str(),
                html::query(&[("from", back.as_str())]),
                esc(step_label(*step))
            )),
        }
    }
    if out.is_empty() {
        String::new()
    } else {
        format!("<div class=\"actions\">{out}</div>")
    }
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
) -> String {
    format!(
        "<form method=\"post\" action=\"{}/releases\">{}{}{}<button type=\"submit\" class=\"secondary\" data-release-to=\"{}\">Release</button></form>",
        version_url(app_id, &version.id),
        hidden("csrf", &session.csrf),
        hidden("target_app_id", &target.id),
        hidden("from", "versions"),
        esc(&target.name)
    )
}

/// What the `done`/`release`, `released` or `uploaded` query parameters report, as an OK box.
pub(crate) async fn flash(
    state: &AppState,
    session: &WebSession,
    query: &Option<String>,
    versions: Option<&[Version]>,
) -> String {
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
                return html::ok_box(&format!(
                    "Version {} was already uploaded with this very package; nothing changed.",
                    v.version
                ));
            }
            return html::ok_box(&format!(
                "Version {} uploaded ({}, sha256 {}…).",
                v.version,
                html::human_size(v.size),
                v.sha256.get(..12).unwrap_or(&v.sha256)
            ));
        }
    }
    if let Some(id) = get("released") {
        if let Ok(r) = release(state, session.caller.clone(), id).await {
            return html::ok_box(&format!(
                "Released {} to {}: the release is in “{}”. Next: Show Temporary Code to test it, or Apply Release.",
                r.version,
                r.target_app_name,
                r.state.label()
            ));
        }
    }
    if let (Some(step), Some(id)) = (get("done").as_deref().and_then(parse_step), get("release")) {
        if let Ok(r) = release(state, session.caller.clone(), id).await {
            return html::ok_box(&format!(
                "{}: {} → {} is now in “{}”.",
                step_label(step),
                r.version,
                r.target_app_name,
                r.state.label()
            ));
        }
    }
    String::new()
}

// ---------------------------------------------------------------------------------------------
// Home
// ---------------------------------------------------------------------------------------------

/// `GET /web`
pub(crate) async fn home(State(state): State<AppState>, session: WebSession) -> Response {
    match home_body(&state, &session).await {
        Ok(body) => html_response(
            StatusCode::OK,
            html::page("Spaces", Some(&session.chrome()), "", &body),
        ),
        Err(err) => error_page(Some(&session), &err),
    }
}

async fn home_body(state: &AppState, session: &WebSession) -> ApiResult<String> {
    let spaces = user_spaces(state, session.caller.clone()).await?;
    let mut body = String::from("<h1>Spaces</h1>\n");
    if spaces.is_empty() {
        body.push_str("<p class=\"muted\">You are not a member of any space.</p>\n");
    }
    for space in spaces {
        let apps = apps_in_space(state, session.caller.clone(), space.id.clone()).await?;
        body.push_str(&format!(
            "<section class=\"card\" data-space=\"{}\"><h2 style=\"margin-top:0\">{}</h2>\n",
            esc(&space.name),
            esc(&space.name)
        ));
        if apps.is_empty() {
            body.push_str("<p class=\"muted\">No MiniApps in this space.</p>");
        } else {
            body.push_str("<ul>");
            for app in apps {
                body.push_str(&format!(
                    "<li><a href=\"{}\">{}</a> <span class=\"muted\">MiniApp id {}</span></li>",
                    app_url(&app.id),
                    esc(&app.name),
                    esc(&app.id)
                ));
            }
            body.push_str("</ul>");
        }
        body.push_str("</section>\n");
    }
    if !session.user.admin_of.is_empty() {
        let targets = all_target_apps(state).await?;
        let names: Vec<String> = targets
            .iter()
            .filter(|t| session.user.admin_of.contains(&t.id))
            .map(|t| esc(&t.name))
            .collect();
        body.push_str(&format!(
            "<section class=\"card\"><h2 style=\"margin-top:0\">Target apps you administer</h2><p>{}</p>\
<p><a class=\"button\" href=\"/web/reviews\">Releases waiting for review</a></p></section>\n",
            names.join(", ")
        ));
    }
    Ok(body)
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
    let mut body = format!(
        "<h1>{}</h1>\n<p class=\"muted\">MiniApp id <code>{}</code> in {}</p>\n{}",
        esc(&ctx.app.name),
        esc(&ctx.app.id),
        esc(&ctx.space_name),
        tabs(&ctx.app.id, "Versions")
    );
    body.push_str(&flash(state, session, query, Some(&versions)).await);
    body.push_str(&format!(
        "<p><a class=\"button\" href=\"{}/new\">Add Version</a></p>\n",
        app_url(&ctx.app.id)
    ));
    if versions.is_empty() {
        body.push_str("<p class=\"muted\">No versions yet. Add one by uploading its ZIP (\"Add Version\"), or publish with <code>gopay-miniapp publish</code>.</p>\n");
    } else {
        body.push_str("<table class=\"versions\"><thead><tr><th>Version</th><th>Description</th><th>Uploaded</th>");
        for target in &targets {
            body.push_str(&format!("<th>{}</th>", esc(&target.name)));
        }
        body.push_str("<th></th></tr></thead><tbody>\n");
        for version in &versions {
            body.push_str(&format!(
                "<tr data-version=\"{v}\"><td><a href=\"{url}\"><strong>{v}</strong></a><br><span class=\"muted\">{size}</span></td>\
<td class=\"reason\">{desc}</td><td><span class=\"muted\">{at}<br>by {by}</span></td>",
                v = esc(&version.version.to_string()),
                url = version_url(&ctx.app.id, &version.id),
                size = esc(&html::human_size(version.size)),
                desc = esc(&version.description),
                at = esc(&version.created_at),
                by = esc(&version.created_by),
            ));
            for target in &targets {
                body.push_str(&format!("<td data-target-app=\"{}\">", esc(&target.name)));
                match newest_release(&releases, &version.id, &target.id) {
                    Some(r) => {
                        body.push_str(&state_badge(r.state));
                        body.push_str(&release_actions(session, r, BackTo::Versions, false));
                    }
                    None => body.push_str("<span class=\"muted\">Not released</span>"),
                }
                if active_release(&releases, &version.id, &target.id).is_none() {
                    body.push_str(&format!(
                        "<div class=\"actions\">{}</div>",
                        release_button(session, &ctx.app.id, version, target)
                    ));
                }
                body.push_str("</td>");
            }
            body.push_str(&format!(
                "<td><a class=\"button secondary\" href=\"{}\">Detail</a></td></tr>\n",
                version_url(&ctx.app.id, &version.id)
            ));
        }
        body.push_str("</tbody></table>\n");
    }
    Ok(html_response(
        StatusCode::OK,
        html::page(
            &format!("{} · Versions", ctx.app.name),
            Some(&session.chrome()),
            &crumbs(&ctx, None),
            &body,
        ),
    ))
}

// ---------------------------------------------------------------------------------------------
// Version detail
// ---------------------------------------------------------------------------------------------

/// What a detail page shows besides the version and its releases.
#[derive(Default)]
pub(crate) struct DetailExtra {
    /// Already HTML (an OK or error box).
    pub notice: String,
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

    let mut body = format!(
        "<h1>Version {}</h1>\n{}",
        esc(&version.version.to_string()),
        extra.notice
    );
    body.push_str(&format!(
        "<div class=\"card\"><dl class=\"facts\">\
<dt>MiniApp</dt><dd>{app} <span class=\"muted\">({app_id})</span></dd>\
<dt>Description</dt><dd class=\"reason\">{desc}</dd>\
<dt>Uploaded</dt><dd>{at} by {by}</dd>\
<dt>Package</dt><dd>{size} ({bytes} bytes)</dd>\
<dt>sha256</dt><dd><code>{sha}</code></dd></dl></div>\n",
        app = esc(&ctx.app.name),
        app_id = esc(&ctx.app.id),
        desc = if version.description.is_empty() {
            "<span class=\"muted\">(none)</span>".to_string()
        } else {
            esc(&version.description)
        },
        at = esc(&version.created_at),
        by = esc(&version.created_by),
        size = esc(&html::human_size(version.size)),
        bytes = version.size,
        sha = esc(&version.sha256),
    ));

    if let Some(code) = &extra.qr {
        let target = releases
            .iter()
            .find(|r| r.id == code.release_id)
            .map(|r| r.target_app_name.clone())
            .unwrap_or_default();
        let svg = qr::qr_svg(&code.deeplink).map_err(ApiError::internal)?;
        body.push_str(&format!(
            "<section class=\"card\" id=\"temporary-code\" data-release=\"{rid}\"><h2 style=\"margin-top:0\">Temporary code</h2>\
<div class=\"qr\">{svg}<div><p>Scan it with the {target} app on a test phone, or open the link there. \
It opens this release (publish id <code>{publish}</code>) and works until {expires}.</p>\
<p><code class=\"deeplink\" id=\"deeplink\">{link}</code></p></div></div></section>\n",
            rid = esc(&code.release_id),
            target = esc(&target),
            publish = esc(&code.publish_id),
            expires = esc(&code.expires_at),
            link = esc(&code.deeplink),
        ));
    }

    // Release to a target app that has no unfinished release of this version.
    let free: Vec<&TargetApp> = targets
        .iter()
        .filter(|t| active_release(&releases, &version.id, &t.id).is_none())
        .collect();
    body.push_str("<h2>Release</h2>\n");
    if free.is_empty() {
        body.push_str("<p class=\"muted\">This version has a release on every target app.</p>\n");
    } else {
        let options: String = free
            .iter()
            .map(|t| format!("<option value=\"{}\">{}</option>", esc(&t.id), esc(&t.name)))
            .collect();
        body.push_str(&format!(
            "<form method=\"post\" action=\"{}/releases\" class=\"card\">{}{}\
<label for=\"target_app_id\">Target app</label><select id=\"target_app_id\" name=\"target_app_id\">{options}</select>\
<p><button type=\"submit\">Release</button></p></form>\n",
            version_url(&ctx.app.id, &version.id),
            hidden("csrf", &session.csrf),
            hidden("from", "detail"),
        ));
    }

    body.push_str("<h2>Releases of this version</h2>\n");
    if releases.is_empty() {
        body.push_str("<p class=\"muted\">Not released to any target app yet.</p>\n");
    }
    for r in &releases {
        body.push_str(&release_card(session, r));
    }
    Ok(html_response(
        extra.status.unwrap_or(StatusCode::OK),
        html::page(
            &format!("{} {}", ctx.app.name, version.version),
            Some(&session.chrome()),
            &crumbs(&ctx, Some(&format!("Version {}", version.version))),
            &body,
        ),
    ))
}

/// The facts of a release as `<dt>/<dd>` pairs: publish id, notes, reject reason,
/// whitelist, ratio — every user-supplied text escaped.
pub(crate) fn release_facts(r: &Release) -> String {
    let mut facts = format!(
        "<dt>Publish id</dt><dd><code>{}</code></dd>",
        esc(&r.publish_id)
    );
    if let Some(notes) = &r.notes {
        facts.push_str(&format!(
            "<dt>Release notes</dt><dd class=\"reason notes\">{}</dd>",
            esc(notes)
        ));
    }
    if let Some(reason) = &r.reject_reason {
        facts.push_str(&format!(
            "<dt>Rejected because</dt><dd class=\"reason reject-reason\">{}</dd>",
            esc(reason)
        ));
    }
    if !r.whitelist.is_empty() {
        let ids: Vec<String> = r.whitelist.iter().map(|id| esc(id)).collect();
        facts.push_str(&format!("<dt>Whitelist</dt><dd>{}</dd>", ids.join(", ")));
    }
    if let Some(ratio) = r.ratio {
        facts.push_str(&format!("<dt>Grayscale</dt><dd>{ratio}%</dd>"));
    }
    facts
}

/// A release: target app, state, facts, and the legal actions.
pub(crate) fn release_card(session: &WebSession, r: &Release) -> String {
    let mut facts = release_facts(r);
    facts.push_str(&format!("<dt>Changed</dt><dd>{}</dd>", esc(&r.updated_at)));
    if r.first_release && !r.state.is_terminal() {
        facts.push_str("<dt>First release</dt><dd>yes: it may only go straight to official (no whitelist or grayscale)</dd>");
    }
    format!(
        "<section class=\"card release\" data-release=\"{id}\" data-target-app=\"{target}\"><h3>{target} {badge}</h3>\
<dl class=\"facts\">{facts}</dl>{actions}</section>\n",
        id = esc(&r.id),
        target = esc(&r.target_app_name),
        badge = state_badge(r.state),
        actions = release_actions(session, r, BackTo::Detail, true),
    )
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
        let mut body = format!(
            "<h1>{}</h1>\n<p class=\"muted\">MiniApp id <code>{}</code> in {}</p>\n{}",
            esc(&ctx.app.name),
            esc(&ctx.app.id),
            esc(&ctx.space_name),
            tabs(&ctx.app.id, "Audit log")
        );
        body.push_str("<table class=\"audit\"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Detail</th></tr></thead><tbody>\n");
        for e in &entries {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"reason\">{}</td></tr>\n",
                esc(&e.at),
                esc(&e.actor),
                esc(&e.action),
                esc(&e.detail)
            ));
        }
        body.push_str("</tbody></table>\n");
        Ok(html_response(
            StatusCode::OK,
            html::page(
                &format!("{} · Audit log", ctx.app.name),
                Some(&session.chrome()),
                &crumbs(&ctx, Some("Audit log")),
                &body,
            ),
        ))
    }
    .await;
    result.unwrap_or_else(|err| error_page(Some(&session), &err))
}

/// `GET /web/{*rest}`: an HTML 404 for any other page.
pub(crate) async fn not_found() -> Response {
    let body = format!(
        "<h1>Not found</h1>\n{}<p><a href=\"/web\">Back to the portal</a></p>",
        html::error_box("There is no such page on this portal.", "")
    );
    html_response(
        StatusCode::NOT_FOUND,
        html::page("Not found", None, "", &body),
    )
}
