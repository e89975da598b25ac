//! Releases: one version released to one target app, moved through the lifecycle table of
//! `gopay_miniapp_portal::lifecycle` (the only place the rules live).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use gopay_miniapp_portal::codes;
use gopay_miniapp_portal::deeplink::temporary_code_deeplink;
use gopay_miniapp_portal::lifecycle::{
    check_ratio, check_step_by, ratio_not_a_number, steps_for_roles, LifecycleError,
    ReleaseContext, ReleaseState, Roles, Step,
};
use gopay_miniapp_portal::native::wire::{
    ApplyRequest, CreateReleaseRequest, LiveChange, RejectRequest, Release, ReleaseList,
    RollbackRequest, TemporaryCode, TemporaryCodeRequest, WhitelistRequest,
};
use gopay_miniapp_portal::{PortalError, VersionNumber};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::apps::{is_member, is_target_admin, member_app, query_pairs, target_app};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::store::{
    audit, new_id, next_counter, now_ms, now_rfc3339, rfc3339_ms, FIRST_PUBLISH_ID,
};
use gopay_miniapp_guard::text::Shown;

/// How long a temporary code (QR) works.
pub const TEMPORARY_CODE_TTL_SECS: i64 = 2 * 60 * 60;

#[derive(Debug, Clone)]
struct ReleaseRow {
    id: String,
    app_id: String,
    space_id: String,
    version_id: String,
    version: VersionNumber,
    target_app_id: String,
    target_app_name: String,
    scheme: String,
    state: ReleaseState,
    publish_id: String,
    notes: Option<String>,
    reject_reason: Option<String>,
    whitelist: Vec<String>,
    ratio: Option<u8>,
    created_at: String,
    updated_at: String,
}

impl ReleaseRow {
    /// "1.0.2 → GoPay Staging"
    fn label(&self) -> String {
        format!("{} → {}", self.version, self.target_app_name)
    }
}

const RELEASE_SELECT: &str = "SELECT r.id, r.app_id, a.space_id, r.version_id, v.version, r.target_app_id, t.name, t.scheme,
        r.state, r.publish_id, r.notes, r.reject_reason, r.whitelist, r.ratio, r.created_at, r.updated_at
    FROM releases r
    JOIN apps a ON a.id = r.app_id
    JOIN versions v ON v.id = r.version_id
    JOIN target_apps t ON t.id = r.target_app_id";

fn release_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReleaseRow> {
    let conversion = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            Box::<dyn std::error::Error + Send + Sync>::from(e),
        )
    };
    let version: String = r.get(4)?;
    let state: String = r.get(8)?;
    let whitelist: String = r.get(12)?;
    let ratio: Option<i64> = r.get(13)?;
    Ok(ReleaseRow {
        id: r.get(0)?,
        app_id: r.get(1)?,
        space_id: r.get(2)?,
        version_id: r.get(3)?,
        version: version
            .parse()
            .map_err(|e: gopay_miniapp_portal::VersionParseError| conversion(4, e.to_string()))?,
        target_app_id: r.get(5)?,
        target_app_name: r.get(6)?,
        scheme: r.get(7)?,
        state: state.parse().map_err(|e| conversion(8, e))?,
        publish_id: r.get(9)?,
        notes: r.get(10)?,
        reject_reason: r.get(11)?,
        whitelist: serde_json::from_str(&whitelist).map_err(|e| conversion(12, e.to_string()))?,
        ratio: ratio.map(|r| r.clamp(0, 100) as u8),
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

fn load_release(tx: &Transaction<'_>, id: &str) -> ApiResult<Option<ReleaseRow>> {
    Ok(tx
        .query_row(
            &format!("{RELEASE_SELECT} WHERE r.id = ?1"),
            [id],
            release_row,
        )
        .optional()?)
}

fn roles_for(tx: &Transaction<'_>, row: &ReleaseRow, user_id: &str) -> ApiResult<Roles> {
    Ok(Roles {
        developer: is_member(tx, &row.space_id, user_id)?,
        admin: is_target_admin(tx, &row.target_app_id, user_id)?,
    })
}

/// A release the caller may see: a developer of its space or an admin of its target app.
fn visible_release(
    tx: &Transaction<'_>,
    id: &str,
    user_id: &str,
) -> ApiResult<(ReleaseRow, Roles)> {
    let not_found = || ApiError::not_found(format!("release `{id}`"));
    let row = load_release(tx, id)?.ok_or_else(not_found)?;
    let roles = roles_for(tx, &row, user_id)?;
    if !roles.developer && !roles.admin {
        return Err(not_found());
    }
    Ok((row, roles))
}

/// No version of the MiniApp was ever officially released to the target app.
fn is_first_release(tx: &Transaction<'_>, app_id: &str, target_app_id: &str) -> ApiResult<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM releases WHERE app_id = ?1 AND target_app_id = ?2 AND ever_released = 1 LIMIT 1",
            params![app_id, target_app_id],
            |_| Ok(()),
        )
        .optional()?
        .is_none())
}

/// The archived release a rollback would bring back.
fn rollback_candidate(
    tx: &Transaction<'_>,
    app_id: &str,
    target_app_id: &str,
) -> ApiResult<Option<ReleaseRow>> {
    Ok(tx
        .query_row(
            &format!(
                "{RELEASE_SELECT} WHERE r.app_id = ?1 AND r.target_app_id = ?2 AND r.state = 'archived'
                 AND r.rolled_back = 0 ORDER BY r.archived_seq DESC LIMIT 1"
            ),
            params![app_id, target_app_id],
            release_row,
        )
        .optional()?)
}

fn live_release(
    tx: &Transaction<'_>,
    app_id: &str,
    target_app_id: &str,
) -> ApiResult<Option<ReleaseRow>> {
    Ok(tx
        .query_row(
            &format!(
                "{RELEASE_SELECT} WHERE r.app_id = ?1 AND r.target_app_id = ?2 AND r.state = 'released'
                 ORDER BY r.rowid DESC LIMIT 1"
            ),
            params![app_id, target_app_id],
            release_row,
        )
        .optional()?)
}

/// What a rollback of a MiniApp on a target app would do now: `(live version, the version
/// it brings back)`; None where nothing is live or nothing archived can come back. Read only
/// (the SuperApp emulator's rollback plan; [`rollback_app`] checks again when it runs).
pub(crate) fn rollback_preview(
    tx: &Transaction<'_>,
    app_id: &str,
    target_app_id: &str,
) -> ApiResult<Option<(VersionNumber, VersionNumber)>> {
    let Some(live) = live_release(tx, app_id, target_app_id)? else {
        return Ok(None);
    };
    Ok(rollback_candidate(tx, app_id, target_app_id)?
        .map(|previous| (live.version, previous.version)))
}

fn context(tx: &Transaction<'_>, row: &ReleaseRow) -> ApiResult<ReleaseContext> {
    Ok(ReleaseContext {
        first_release: is_first_release(tx, &row.app_id, &row.target_app_id)?,
    })
}

/// The steps the lifecycle table allows the caller now (both roles when the caller has both);
/// `rollback` only when there is something to roll back to.
fn allowed_for(
    tx: &Transaction<'_>,
    row: &ReleaseRow,
    roles: Roles,
    ctx: ReleaseContext,
) -> ApiResult<Vec<Step>> {
    let mut steps = steps_for_roles(row.state, ctx, roles);
    if steps.contains(&Step::Rollback)
        && rollback_candidate(tx, &row.app_id, &row.target_app_id)?.is_none()
    {
        steps.retain(|s| *s != Step::Rollback);
    }
    Ok(steps)
}

fn to_wire(tx: &Transaction<'_>, row: &ReleaseRow, roles: Roles) -> ApiResult<Release> {
    let ctx = context(tx, row)?;
    Ok(Release {
        release: gopay_miniapp_portal::domain::Release {
            id: row.id.clone(),
            app_id: row.app_id.clone(),
            version_id: row.version_id.clone(),
            version: row.version,
            target_app_id: row.target_app_id.clone(),
            target_app_name: row.target_app_name.clone(),
            state: row.state,
            status_text: None,
            publish_id: row.publish_id.clone(),
            notes: row.notes.clone(),
            reject_reason: row.reject_reason.clone(),
            whitelist: row.whitelist.clone(),
            ratio: row.ratio,
            first_release: ctx.first_release,
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
        },
        allowed_steps: allowed_for(tx, row, roles, ctx)?,
    })
}

fn reload(tx: &Transaction<'_>, id: &str, roles: Roles) -> ApiResult<Release> {
    let row = load_release(tx, id)?.ok_or_else(|| ApiError::internal("a release vanished"))?;
    to_wire(tx, &row, roles)
}

/// The steps as the portal's pages name them ("Apply Release", "Officially Release").
fn step_labels(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| format!("\"{}\"", s.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn steps_hint(state: ReleaseState, allowed: &[Step]) -> String {
    if !allowed.is_empty() {
        format!("allowed now: {}", step_labels(allowed))
    } else if state.is_terminal() {
        "this release is finished; release the version again to start over".into()
    } else if state.awaits_review() {
        "no step is open to you in this state; it waits for a target-app administrator's review"
            .into()
    } else {
        "no step is open to you in this state; it waits for the MiniApp's developers (they apply for review)".into()
    }
}

/// A lifecycle refusal as the wire shows it: code, a message naming the state, `state`,
/// `allowedSteps` (for the caller) and a hint naming the CLI verbs.
fn refusal(err: LifecycleError, allowed: Vec<Step>) -> ApiError {
    match err {
        LifecycleError::IllegalStep { state, step, .. } => {
            let message = LifecycleError::IllegalStep {
                state,
                step,
                allowed: allowed.clone(),
            }
            .to_string();
            ApiError::new(
                StatusCode::CONFLICT,
                codes::ILLEGAL_STEP,
                message,
                steps_hint(state, &allowed),
            )
            .state(state)
            .allowed(allowed)
        }
        LifecycleError::FirstReleaseOfficialOnly { state, step, .. } => {
            let message = format!(
                "{} (the release is in {})",
                LifecycleError::FirstReleaseOfficialOnly {
                    state,
                    step,
                    allowed: allowed.clone()
                },
                state.quoted()
            );
            ApiError::new(
                StatusCode::CONFLICT,
                codes::FIRST_RELEASE_OFFICIAL_ONLY,
                message,
                steps_hint(state, &allowed),
            )
            .state(state)
            .allowed(allowed)
        }
        err @ LifecycleError::WrongRole { .. } => ApiError::forbidden(err.to_string()),
        err @ (LifecycleError::RatioOutOfRange { .. }
        | LifecycleError::RatioNotANumber { .. }
        | LifecycleError::RatioNotHigher { .. }) => ratio_refusal(err),
    }
}

/// A refused grayscale ratio, with the code and message of the contract's one mapping
/// (`PortalError::from`, which the client uses when it checks a ratio before sending it), so
/// the same refusal reads the same whichever side refuses.
pub(crate) fn ratio_refusal(err: LifecycleError) -> ApiError {
    let refused = PortalError::from(err);
    let not_higher = matches!(
        refused,
        PortalError::BadRatio {
            not_higher: true,
            ..
        }
    );
    let (status, hint) = if not_higher {
        (
            StatusCode::CONFLICT,
            "give a higher ratio (1–100), or release officially",
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            "give a whole percentage from 1 to 100",
        )
    };
    let error = ApiError::new(status, refused.code(), refused.to_string(), hint).field("ratio");
    if not_higher {
        error.state(ReleaseState::Grayscale)
    } else {
        error
    }
}

/// Checks the step against the lifecycle table for the caller's role; returns the next state.
fn authorize(
    tx: &Transaction<'_>,
    row: &ReleaseRow,
    roles: Roles,
    step: Step,
) -> ApiResult<ReleaseState> {
    let ctx = context(tx, row)?;
    match check_step_by(row.state, step, ctx, roles) {
        Ok(to) => Ok(to),
        Err(err) => Err(refusal(err, allowed_for(tx, row, roles, ctx)?)),
    }
}

fn set_state(tx: &Transaction<'_>, id: &str, to: ReleaseState) -> ApiResult<()> {
    tx.execute(
        "UPDATE releases SET state = ?1, updated_at = ?2 WHERE id = ?3",
        params![to.as_str(), now_rfc3339(), id],
    )?;
    Ok(())
}

fn transition_detail(row: &ReleaseRow, to: ReleaseState, extra: &str) -> String {
    let mut detail = format!("{}: {} → {}", row.label(), row.state.label(), to.label());
    if !extra.is_empty() {
        detail.push_str(" (");
        detail.push_str(extra);
        detail.push(')');
    }
    detail
}

/// Loads a visible release, checks `step`, runs `change` and records the step in the audit log.
async fn step_handler<F>(
    state: &AppState,
    caller: Caller,
    release_id: String,
    step: Step,
    change: F,
) -> ApiResult<Release>
where
    F: FnOnce(&Transaction<'_>, &ReleaseRow, ReleaseState) -> ApiResult<String> + Send + 'static,
{
    state
        .store
        .run(move |tx| {
            let (row, roles) = visible_release(tx, &release_id, &caller.user_id)?;
            let to = authorize(tx, &row, roles, step)?;
            let extra = change(tx, &row, to)?;
            set_state(tx, &row.id, to)?;
            audit(
                tx,
                &row.app_id,
                &caller.username,
                &format!("release.{}", step.as_str()),
                &transition_detail(&row, to, &extra),
            )?;
            // Inside the transaction: a portal killed here must show the step not taken.
            gopay_miniapp_portal::pause::pause_at("portal-step");
            reload(tx, &row.id, roles)
        })
        .await
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

pub(crate) async fn list_releases(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<ReleaseList>> {
    let mut target_filter: Option<String> = None;
    for (key, value) in query_pairs(&query) {
        if key == "targetAppId" {
            target_filter = Some(value);
        }
    }
    let releases = app_releases(&state, caller, app_id, target_filter).await?;
    Ok(Json(ReleaseList { releases }))
}

/// Every release of a MiniApp the caller is a developer of, newest first (optionally of one
/// target app), each with the caller's `allowedSteps`.
pub(crate) async fn app_releases(
    state: &AppState,
    caller: Caller,
    app_id: String,
    target_filter: Option<String>,
) -> ApiResult<Vec<Release>> {
    state
        .store
        .run(move |tx| {
            member_app(tx, &app_id, &caller.user_id)?;
            let mut stmt = tx.prepare(&format!(
                "{RELEASE_SELECT} WHERE r.app_id = ?1 AND (?2 IS NULL OR r.target_app_id = ?2)
                 ORDER BY r.rowid DESC"
            ))?;
            let rows = stmt
                .query_map(params![app_id, target_filter], release_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let roles = Roles {
                    developer: true,
                    admin: is_target_admin(tx, &row.target_app_id, &caller.user_id)?,
                };
                out.push(to_wire(tx, &row, roles)?);
            }
            Ok(out)
        })
        .await
}

pub(crate) async fn create_release(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(req): ApiJson<CreateReleaseRequest>,
) -> ApiResult<(StatusCode, Json<Release>)> {
    let release = release_version(&state, caller, app_id, req).await?;
    Ok((StatusCode::CREATED, Json(release)))
}

/// "Release": a new release of a version to a target app, in Version Creation.
pub(crate) async fn release_version(
    state: &AppState,
    caller: Caller,
    app_id: String,
    req: CreateReleaseRequest,
) -> ApiResult<Release> {
    state
        .store
        .run(move |tx| {
            let app = member_app(tx, &app_id, &caller.user_id)?;
            let version: Option<String> = tx
                .query_row(
                    "SELECT version FROM versions WHERE id = ?1 AND app_id = ?2",
                    params![req.version_id, app_id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(version) = version else {
                return Err(ApiError::not_found(format!(
                    "version `{}` of {}",
                    req.version_id, app.name
                ))
                .field("versionId"));
            };
            let target = target_app(tx, &req.target_app_id).map_err(|e| e.field("targetAppId"))?;
            let existing: Option<(String, String)> = tx
                .query_row(
                    "SELECT id, state FROM releases WHERE version_id = ?1 AND target_app_id = ?2
                     AND state NOT IN ('cancelled', 'archived') LIMIT 1",
                    params![req.version_id, target.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((id, existing_state)) = existing {
                let label = existing_state
                    .parse::<ReleaseState>()
                    .map(|s| s.quoted())
                    .unwrap_or_else(|_| "an unknown state".into());
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    codes::RELEASE_EXISTS,
                    format!(
                        "version {version} already has a release to {} (`{id}`, in {label})",
                        target.name
                    ),
                    format!("continue with release `{id}`, or cancel it first"),
                ));
            }
            let id = new_id("rel");
            let publish_id = next_counter(tx, "publish_id", FIRST_PUBLISH_ID)?.to_string();
            let now = now_rfc3339();
            tx.execute(
                "INSERT INTO releases (id, app_id, version_id, target_app_id, state, publish_id, created_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![
                    id,
                    app_id,
                    req.version_id,
                    target.id,
                    ReleaseState::VersionCreation.as_str(),
                    publish_id,
                    caller.username,
                    now
                ],
            )?;
            audit(
                tx,
                &app_id,
                &caller.username,
                "release.create",
                &format!("{version} → {}: Version Creation (publish id {publish_id})", target.name),
            )?;
            let roles = Roles {
                developer: true,
                admin: is_target_admin(tx, &target.id, &caller.user_id)?,
            };
            reload(tx, &id, roles)
        })
        .await
}

pub(crate) async fn get_release(
    State(state): State<AppState>,
    caller: Caller,
    Path(release_id): Path<String>,
) -> ApiResult<Json<Release>> {
    Ok(Json(release(&state, caller, release_id).await?))
}

/// One release the caller may see, with the caller's `allowedSteps`.
pub(crate) async fn release(
    state: &AppState,
    caller: Caller,
    release_id: String,
) -> ApiResult<Release> {
    state
        .store
        .run(move |tx| {
            let (row, roles) = visible_release(tx, &release_id, &caller.user_id)?;
            to_wire(tx, &row, roles)
        })
        .await
}

pub(crate) async fn temporary_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(release_id): Path<String>,
    ApiJson(req): ApiJson<TemporaryCodeRequest>,
) -> ApiResult<Json<TemporaryCode>> {
    Ok(Json(
        show_temporary_code(&state, caller, release_id, req).await?,
    ))
}

/// The temporary code (deeplink) of a release, where the table allows `temporary_code`.
pub(crate) async fn show_temporary_code(
    state: &AppState,
    caller: Caller,
    release_id: String,
    req: TemporaryCodeRequest,
) -> ApiResult<TemporaryCode> {
    let path = req
        .path
        .map(|p| p.trim().trim_start_matches('/').to_string())
        .filter(|p| !p.is_empty());
    if let Some(p) = &path {
        if p.chars().count() > 1000 || p.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "path",
                "the page path must be at most 1000 characters without control characters",
            ));
        }
    }
    state
        .store
        .run(move |tx| {
            let (row, roles) = visible_release(tx, &release_id, &caller.user_id)?;
            authorize(tx, &row, roles, Step::TemporaryCode)?;
            let deeplink =
                temporary_code_deeplink(&row.scheme, &row.app_id, &row.publish_id, path.as_deref());
            audit(
                tx,
                &row.app_id,
                &caller.username,
                "release.temporary_code",
                &format!("{}: temporary code shown", row.label()),
            )?;
            Ok(TemporaryCode {
                release_id: row.id,
                app_id: row.app_id,
                publish_id: row.publish_id,
                deeplink,
                expires_at: rfc3339_ms(now_ms() + TEMPORARY_CODE_TTL_SECS * 1000),
            })
        })
        .await
}

pub(crate) async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    Path(release_id): Path<String>,
    ApiJson(req): ApiJson<ApplyRequest>,
) -> ApiResult<Json<Release>> {
    Ok(Json(apply_release(&state, caller, release_id, req).await?))
}

/// "Apply Release": submit for review with notes (one release in flight per target app).
pub(crate) async fn apply_release(
    state: &AppState,
    caller: Caller,
    release_id: String,
    req: ApplyRequest,
) -> ApiResult<Release> {
    let notes = req.notes.trim().to_string();
    if notes.chars().count() > 4000 {
        return Err(ApiError::invalid(
            "notes",
            "the release notes are longer than 4000 characters",
        ));
    }
    step_handler(state, caller, release_id, Step::Apply, move |tx, row, _| {
        let others = {
            let mut stmt = tx.prepare(&format!(
                "{RELEASE_SELECT} WHERE r.app_id = ?1 AND r.target_app_id = ?2 AND r.id != ?3"
            ))?;
            let rows = stmt
                .query_map(params![row.app_id, row.target_app_id, row.id], release_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows
        };
        if let Some(other) = others.iter().find(|o| o.state.is_in_flight()) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                codes::RELEASE_IN_FLIGHT,
                format!(
                    "version {} is already in flight on {} (in {}); only one release per target app may be in flight (from In review until Live)",
                    other.version,
                    other.target_app_name,
                    other.state.quoted()
                ),
                format!(
                    "finish release `{}` of {} (release it officially) or cancel it first",
                    other.id, other.version
                ),
            ));
        }
        tx.execute(
            "UPDATE releases SET notes = ?1, reject_reason = NULL WHERE id = ?2",
            params![if notes.is_empty() { None } else { Some(&notes) }, row.id],
        )?;
        Ok(String::new())
    })
    .await
}

pub(crate) async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(release_id): Path<String>,
) -> ApiResult<Json<Release>> {
    Ok(Json(withdraw_release(&state, caller, release_id).await?))
}

/// Takes a release out of review (developers).
pub(crate) async fn withdraw_release(
    state: &AppState,
    caller: Caller,
    release_id: String,
) -> ApiResult<Release> {
    step_handler(state, caller, release_id, Step::Withdraw, |_, _, _| {
        Ok(String::new())
    })
    .await
}

pub(crate) async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(release_id): Path<String>,
) -> ApiResult<Json<Release>> {
    Ok(Json(approve_release(&state, caller, release_id).await?))
}

/// Approves a release in review (target-app administrators): Pilot test.
pub(crate) async fn approve_release(
    state: &AppState,
    caller: Caller,
    release_id: String,
) -> ApiResult<Release> {
    step_handler(state, caller, release_id, Step::Approve, |_, _, _| {
        Ok(String::new())
    })
    .await
}

pub(crate) async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path(release_id): Path<String>,
    ApiJson(req): ApiJson<RejectRequest>,
) -> ApiResult<Json<Release>> {
    Ok(Json(reject_release(&state, caller, release_id, req).await?))
}

/// Rejects a release in review with a reason (target-app administrators).
pub(crate) async fn reject_release(
    state: &AppState,
    caller: Caller,
    release_id: String,
    req: RejectRequest,
) -> ApiResult<Release> {
    let reason = req.reason.trim().to_string();
    if reason.is_empty() {
        return Err(ApiError::invalid(
            "reason",
            "a rejection needs a reason the developer can act on",
        ));
    }
    if reason.chars().count() > 4000 {
        return Err(ApiError::invalid(
            "reason",
            "the reason is longer than 4000 characters",
        ));
    }
    step_handler(
        state,
        caller,
        release_id,
        Step::Reject,
        move |tx, row, _| {
            tx.execute(
                "UPDATE releases SET reject_reason = ?1 WHERE id = ?2",
                params![reason, row.id],
            )?;
            Ok(format!("reason: {reason}"))
        },
    )
    .await
}

pub(crate) async fn whitelist(
    State(state): State<AppState>,
    caller: Caller,
    Path(release_id): Path<String>,
    ApiJson(req): ApiJson<WhitelistRequest>,
) -> ApiResult<Json<Release>> {
    Ok(Json(
        whitelist_release(&state, caller, release_id, req).await?,
    ))
}

/// Sets the whitelist and starts (or continues) whitelist testing.
pub(crate) async fn whitelist_release(
    state: &AppState,
    caller: Caller,
    release_id: String,
    req: WhitelistRequest,
) -> ApiResult<Release> {
    let mut ids: Vec<String> = Vec::new();
    for id in req.user_ids {
        let id = id.trim().to_string();
        if id.is_empty() || ids.contains(&id) {
            continue;
        }
        if id.chars().count() > 128 || id.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "userIds",
                format!("`{}` is not a user ID", Shown(&id)),
            ));
        }
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(ApiError::invalid(
            "userIds",
            "the whitelist needs at least one target-app user ID",
        ));
    }
    if ids.len() > 10_000 {
        return Err(ApiError::invalid("userIds", "at most 10000 user IDs"));
    }
    step_handler(
        state,
        caller,
        release_id,
        Step::Whitelist,
        move |tx, row, _| {
            let json = serde_json::to_string(&ids).map_err(ApiError::internal)?;
            tx.execute(
                "UPDATE releases SET whitelist = ?1 WHERE id = ?2",
                params![json, row.id],
            )?;
            Ok(format!("{} user ID(s)", ids.len()))
        },
    )
    .await
}

pub(crate) async fn grayscale(
    State(state): State<AppState>,
    caller: Caller,
    Path(release_id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<Release>> {
    Ok(Json(
        grayscale_release(&state, caller, release_id, body).await?,
    ))
}

/// Starts grayscale or raises its ratio. `body` is the request body (`{"ratio": …}`), taken
/// as JSON so that a ratio that is not a whole number gets `invalid_ratio`.
pub(crate) async fn grayscale_release(
    state: &AppState,
    caller: Caller,
    release_id: String,
    body: serde_json::Value,
) -> ApiResult<Release> {
    let requested = match body.get("ratio") {
        None | Some(serde_json::Value::Null) => {
            return Err(ApiError::invalid("ratio", "`ratio` is missing (1–100)"));
        }
        Some(value) => value
            .as_i64()
            .ok_or_else(|| refusal(ratio_not_a_number(&value.to_string()), Vec::new()))?,
    };
    // Out of range is refused whatever the state.
    check_ratio(None, requested).map_err(|e| refusal(e, Vec::new()))?;
    step_handler(
        state,
        caller,
        release_id,
        Step::Grayscale,
        move |tx, row, _| {
            let current = if row.state == ReleaseState::Grayscale {
                row.ratio
            } else {
                None
            };
            let ratio = check_ratio(current, requested).map_err(|e| refusal(e, Vec::new()))?;
            tx.execute(
                "UPDATE releases SET ratio = ?1 WHERE id = ?2",
                params![ratio, row.id],
            )?;
            Ok(match current {
                Some(c) => format!("ratio {c}% → {ratio}%"),
                None => format!("ratio {ratio}%"),
            })
        },
    )
    .await
}

pub(crate) async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(release_id): Path<String>,
) -> ApiResult<Json<Release>> {
    Ok(Json(cancel_release(&state, caller, release_id).await?))
}

/// Cancels a release (developers).
pub(crate) async fn cancel_release(
    state: &AppState,
    caller: Caller,
    release_id: String,
) -> ApiResult<Release> {
    step_handler(state, caller, release_id, Step::Cancel, |_, _, _| {
        Ok(String::new())
    })
    .await
}

fn archive(tx: &Transaction<'_>, id: &str, rolled_back: bool) -> ApiResult<()> {
    let seq = next_counter(tx, "archive_seq", 1)?;
    tx.execute(
        "UPDATE releases SET state = 'archived', archived_seq = ?1, rolled_back = ?2, updated_at = ?3 WHERE id = ?4",
        params![seq, rolled_back as i64, now_rfc3339(), id],
    )?;
    Ok(())
}

pub(crate) async fn official(
    State(state): State<AppState>,
    caller: Caller,
    Path(release_id): Path<String>,
) -> ApiResult<Json<LiveChange>> {
    Ok(Json(official_release(&state, caller, release_id).await?))
}

/// "Officially Release": the release goes live; the one live before is archived.
pub(crate) async fn official_release(
    state: &AppState,
    caller: Caller,
    release_id: String,
) -> ApiResult<LiveChange> {
    state
        .store
        .run(move |tx| {
            let (row, roles) = visible_release(tx, &release_id, &caller.user_id)?;
            let to = authorize(tx, &row, roles, Step::Official)?;
            let previous = live_release(tx, &row.app_id, &row.target_app_id)?;
            if let Some(prev) = &previous {
                archive(tx, &prev.id, false)?;
                audit(
                    tx,
                    &prev.app_id,
                    &caller.username,
                    "release.archive",
                    &format!(
                        "{}: Released → Archived ({} released)",
                        prev.label(),
                        row.version
                    ),
                )?;
            }
            set_state(tx, &row.id, to)?;
            tx.execute(
                "UPDATE releases SET ever_released = 1 WHERE id = ?1",
                [&row.id],
            )?;
            audit(
                tx,
                &row.app_id,
                &caller.username,
                "release.official",
                &transition_detail(&row, to, ""),
            )?;
            let released = reload(tx, &row.id, roles)?;
            let archived = match previous {
                Some(prev) => {
                    let prev_roles = roles_for(tx, &prev, &caller.user_id)?;
                    Some(reload(tx, &prev.id, prev_roles)?)
                }
                None => None,
            };
            Ok(LiveChange { released, archived })
        })
        .await
}

pub(crate) async fn rollback(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(req): ApiJson<RollbackRequest>,
) -> ApiResult<Json<LiveChange>> {
    Ok(Json(rollback_app(&state, caller, app_id, req).await?))
}

/// Brings back the last archived version on a target app (developers).
pub(crate) async fn rollback_app(
    state: &AppState,
    caller: Caller,
    app_id: String,
    req: RollbackRequest,
) -> ApiResult<LiveChange> {
    state
        .store
        .run(move |tx| {
            let app = member_app(tx, &app_id, &caller.user_id)?;
            let target = target_app(tx, &req.target_app_id).map_err(|e| e.field("targetAppId"))?;
            let nothing = |why: String| {
                ApiError::new(
                    StatusCode::CONFLICT,
                    codes::NOTHING_TO_ROLL_BACK,
                    why,
                    "release a fixed version instead",
                )
            };
            let Some(live) = live_release(tx, &app_id, &target.id)? else {
                return Err(nothing(format!(
                    "no version of {} is released on {}",
                    app.name, target.name
                )));
            };
            let Some(previous) = rollback_candidate(tx, &app_id, &target.id)? else {
                return Err(nothing(format!(
                    "{} {} is live on {} and there is no earlier archived version to go back to",
                    app.name, live.version, target.name
                )));
            };
            let roles = roles_for(tx, &live, &caller.user_id)?;
            authorize(tx, &live, roles, Step::Rollback)?;
            let (from, restored) = gopay_miniapp_portal::lifecycle::rollback_restores();
            debug_assert_eq!(previous.state, from);
            archive(tx, &live.id, true)?;
            set_state(tx, &previous.id, restored)?;
            audit(
                tx,
                &app_id,
                &caller.username,
                "release.rollback",
                &format!(
                    "{}: rolled back from {} to {}",
                    target.name, live.version, previous.version
                ),
            )?;
            let released = reload(tx, &previous.id, roles)?;
            let archived = reload(tx, &live.id, roles)?;
            Ok(LiveChange {
                released,
                archived: Some(archived),
            })
        })
        .await
}

pub(crate) async fn reviews(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<ReleaseList>> {
    let mut filter: Option<ReleaseState> = Some(ReleaseState::InReview);
    for (key, value) in query_pairs(&query) {
        if key == "state" {
            filter = if value == "all" {
                None
            } else {
                Some(value.parse::<ReleaseState>().map_err(|_| {
                    ApiError::invalid(
                        "state",
                        format!("`{value}` is not a release state (or `all`)"),
                    )
                })?)
            };
        }
    }
    let releases = review_queue(&state, caller, filter).await?;
    Ok(Json(ReleaseList { releases }))
}

/// Releases on the target apps the caller administers, most recently changed first; `filter`
/// keeps one state (None: every state).
pub(crate) async fn review_queue(
    state: &AppState,
    caller: Caller,
    filter: Option<ReleaseState>,
) -> ApiResult<Vec<Release>> {
    state
        .store
        .run(move |tx| {
            let mut stmt = tx.prepare(&format!(
                "{RELEASE_SELECT}
                 JOIN target_app_admins x ON x.target_app_id = r.target_app_id AND x.user_id = ?1
                 WHERE (?2 IS NULL OR r.state = ?2)
                 ORDER BY r.updated_at DESC, r.rowid DESC"
            ))?;
            let rows = stmt
                .query_map(
                    params![caller.user_id, filter.map(|s| s.as_str())],
                    release_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let roles = Roles {
                    developer: is_member(tx, &row.space_id, &caller.user_id)?,
                    admin: true,
                };
                out.push(to_wire(tx, &row, roles)?);
            }
            Ok(out)
        })
        .await
}
