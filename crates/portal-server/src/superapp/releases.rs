//! Releases ("publish versions"): one version to one target app (`channelCode`), moved through
//! the native lifecycle (`gopay_miniapp_portal::lifecycle`) by the native functions:
//! `publish/version/create` = "Release" (Version Creation), `startApprove` = "Apply Release",
//! `gray/skipBeta` + `online` = "Officially Release" (skipping pilot and grayscale).
//!
//! A release is named by (appId, channelCode, version); when a version was released to a
//! target app more than once (a cancelled or archived release, then a new one), the newest
//! release is meant.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use gopay_miniapp_portal::codes;
use gopay_miniapp_portal::lifecycle::{check_step_by, ReleaseContext, ReleaseState, Roles, Step};
use gopay_miniapp_portal::native::wire::{ApplyRequest, CreateReleaseRequest, Release};
use gopay_miniapp_portal::VersionNumber;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Deserialize;
use serde_json::{json, Value};

use super::envelope::{answer, bad_param, param, refuse, required, Page};
use super::ids::{self, check_space, parse_console_id, AppRef, ChannelRef, Kind};
use super::session::Console;
use super::versions::{
    check_artifact_type, epoch_ms, parse_version, version_artifacts, ARTIFACT_TYPE,
};
use crate::apps::{query_pairs, version_by_number};
use crate::error::{ApiError, ApiResult};
use crate::extract::parse_json;
use crate::releases::{app_releases, apply_release, official_release, release, release_version};
use crate::state::AppState;
use crate::store::now_ms;

/// A native release state as the console shows it (`versionStatus`), and whether that value
/// was seen on a real tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusMapping {
    pub state: ReleaseState,
    pub status: &'static str,
    pub observed: bool,
}

const fn map(state: ReleaseState, status: &'static str, observed: bool) -> StatusMapping {
    StatusMapping {
        state,
        status,
        observed,
    }
}

/// The state mapping (`docs/portal-superapp.md` "States"). Observed values: `APPROVE` (in
/// review), `PASSED` (approved), `REJECTED`, `CANCELLED`; the rest are the emulator's choice.
/// Also seen on real tenants but never produced here: `PASS`, `APPROVED`, `FAILED`.
pub const STATUS_MAP: &[StatusMapping] = &[
    map(ReleaseState::VersionCreation, "INIT", false),
    map(ReleaseState::InReview, "APPROVE", true),
    map(ReleaseState::Rejected, "REJECTED", true),
    map(ReleaseState::PilotTest, "PASSED", true),
    map(ReleaseState::WhitelistTesting, "BETA", false),
    map(ReleaseState::Grayscale, "GRAY", false),
    map(ReleaseState::Released, "ONLINE", false),
    map(ReleaseState::Archived, "OFFLINE", false),
    map(ReleaseState::Cancelled, "CANCELLED", true),
];

/// `(versionStatus, versionStatusDesc)` of a native state; the description is the seed's
/// word for the state ("Submit for Review", …).
pub fn superapp_status(state: ReleaseState) -> (&'static str, &'static str) {
    let status = STATUS_MAP
        .iter()
        .find(|m| m.state == state)
        .map(|m| m.status)
        .unwrap_or("UNKNOWN");
    (status, state.label())
}

/// History item types (ASSUMED values; the observed client only reads `type`).
pub(crate) mod history_type {
    pub const CREATE: &str = "CREATE";
    pub const START_APPROVE: &str = "START_APPROVE";
    pub const APPROVE_PASS: &str = "APPROVE_PASS";
    pub const APPROVE_REJECT: &str = "APPROVE_REJECT";
    pub const SKIP_BETA: &str = "SKIP_BETA";
    pub const ONLINE: &str = "ONLINE";
    pub const OFFLINE: &str = "OFFLINE";
    // Steps of the console pages' ASSUMED routes (`console`).
    pub const WHITELIST: &str = "WHITELIST";
    pub const GRAYSCALE: &str = "GRAYSCALE";
    pub const ROLLBACK: &str = "ROLLBACK";
    pub const WITHDRAW: &str = "WITHDRAW";
    pub const CANCEL: &str = "CANCEL";
}

/// Appends to a release's history.
pub(crate) fn record(
    tx: &Transaction<'_>,
    release_id: &str,
    kind: &str,
    state: ReleaseState,
    operator: &str,
    memo: &str,
) -> ApiResult<()> {
    tx.execute(
        "INSERT INTO superapp_history (release_id, type, status, operator, memo, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            release_id,
            kind,
            superapp_status(state).0,
            operator,
            memo,
            now_ms()
        ],
    )?;
    Ok(())
}

/// What the console's answers carry beyond the native release.
struct Extra {
    changelog: String,
    artifact_list: Vec<String>,
    beta_skipped: bool,
}

fn extra(tx: &Transaction<'_>, release: &Release) -> ApiResult<Extra> {
    let row: Option<(String, String, bool)> = tx
        .query_row(
            "SELECT changelog, artifact_list, beta_skipped FROM superapp_releases WHERE release_id = ?1",
            [&release.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(match row {
        Some((changelog, list, beta_skipped)) => Extra {
            changelog,
            artifact_list: serde_json::from_str(&list).unwrap_or_default(),
            beta_skipped,
        },
        None => Extra {
            changelog: release.notes.clone().unwrap_or_default(),
            artifact_list: version_artifacts(tx, &release.version_id)?,
            beta_skipped: false,
        },
    })
}

/// A release item as `publish/version/query` and every step answer it (OBSERVED:
/// `versionStatus`, `versionStatusDesc`, `version`; the rest ASSUMED). `id` is the release's
/// publish id (the id the host app loads it by).
pub(crate) fn release_item(tx: &Transaction<'_>, release: &Release) -> ApiResult<Value> {
    let (status, desc) = superapp_status(release.state);
    let extra = extra(tx, release)?;
    Ok(json!({
        "id": release.publish_id,
        "publishId": release.publish_id,
        "appId": ids::console_id(tx, Kind::App, &release.app_id)?,
        "channelCode": ids::console_id(tx, Kind::Channel, &release.target_app_id)?,
        "channelName": release.target_app_name,
        "version": release.version.to_string(),
        "versionStatus": status,
        "versionStatusDesc": desc,
        "changelog": extra.changelog,
        "artifactType": ARTIFACT_TYPE,
        "artifactList": extra.artifact_list,
        "rejectReason": release.reject_reason,
        "betaSkipped": extra.beta_skipped,
        "gmtCreate": epoch_ms(&release.created_at),
        "gmtModified": epoch_ms(&release.updated_at),
    }))
}

/// The release a request names, resolved.
#[derive(Debug, Clone)]
pub(crate) struct Named {
    pub app: AppRef,
    pub channel: ChannelRef,
    pub version: VersionNumber,
    /// The newest release of the version to the target app, if any.
    pub release_id: Option<String>,
}

impl Named {
    /// "1.0.1 to GoPay"
    fn label(&self) -> String {
        format!("{} to {}", self.version, self.channel.name)
    }

    /// The release, or a refusal saying to create it.
    pub(crate) fn release_id(&self) -> ApiResult<String> {
        self.release_id.clone().ok_or_else(|| {
            ApiError::not_found(format!(
                "a release of version {} of {} to {}",
                self.version, self.app.name, self.channel.name
            ))
            .with_hint("release the version to the target app first: POST /rest/intercnn/app/publish/version/create")
        })
    }
}

/// Resolves (appId, channelCode, version); `member`: the caller must be a developer of the
/// MiniApp's space (target-app administrators reviewing need not be).
pub(crate) fn resolve(
    tx: &Transaction<'_>,
    user_id: &str,
    app_id: &str,
    channel_code: &str,
    version: VersionNumber,
    member: bool,
) -> ApiResult<Named> {
    let app = ids::app(tx, app_id, user_id, member)?;
    let channel = ids::channel(tx, channel_code)?;
    let release_id = tx
        .query_row(
            "SELECT r.id FROM releases r JOIN versions v ON v.id = r.version_id
             WHERE r.app_id = ?1 AND r.target_app_id = ?2 AND v.version = ?3
             ORDER BY r.rowid DESC LIMIT 1",
            params![app.native, channel.native, version.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(Named {
        app,
        channel,
        version,
        release_id,
    })
}

/// What this console can do about a release, from the steps the lifecycle allows.
fn possible_here(state: ReleaseState, allowed: &[Step]) -> String {
    let mut here: Vec<&str> = Vec::new();
    for step in allowed {
        let action = match step {
            Step::Apply => "POST /rest/intercnn/app/publish/version/startApprove",
            Step::Official => {
                "POST /rest/intercnn/app/publish/version/gray/skipBeta, then POST /rest/intercnn/app/publish/online"
            }
            Step::Approve | Step::Reject => "a target-app administrator's review (POST /emulator/review)",
            _ => continue,
        };
        if !here.contains(&action) {
            here.push(action);
        }
    }
    if !here.is_empty() {
        format!("possible now: {}", here.join("; "))
    } else if state == ReleaseState::InReview {
        "it waits for a target-app administrator's review (on the emulator: /emulator/reviews)"
            .to_string()
    } else if state.is_terminal() {
        "this release is finished; release the version again with POST /rest/intercnn/app/publish/version/create"
            .to_string()
    } else {
        "nothing more can be done to it through this console's API; continue in the portal"
            .to_string()
    }
}

/// A step the lifecycle refuses, naming the release's state as the console shows it.
fn step_refused(action: &str, named: &Named, state: ReleaseState, allowed: &[Step]) -> ApiError {
    let (status, desc) = superapp_status(state);
    let possible = possible_here(state, allowed);
    ApiError::new(
        StatusCode::CONFLICT,
        codes::ILLEGAL_STEP,
        format!(
            "{action} is not allowed: the release of {} is {status} (\"{desc}\"); {possible}",
            named.label()
        ),
        possible,
    )
    .state(state)
    .allowed(allowed.to_vec())
}

/// A native refusal of `action`, with lifecycle refusals reworded for the console.
fn console_refusal(action: &str, named: &Named, err: ApiError) -> ApiError {
    match err.body.state {
        Some(state)
            if err.body.code == codes::ILLEGAL_STEP
                || err.body.code == codes::FIRST_RELEASE_OFFICIAL_ONLY =>
        {
            let allowed = err.body.allowed_steps.clone().unwrap_or_default();
            step_refused(action, named, state, &allowed)
        }
        _ if err.body.code == codes::RELEASE_IN_FLIGHT => err.with_hint(
            "finish the release in flight first (skipBeta + online), or cancel it in the portal (cancel is not on this console's known API)",
        ),
        _ => err,
    }
}

/// The body of startApprove, skipBeta and online (OBSERVED).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StepBody {
    app_id: String,
    source_space_id: Option<String>,
    channel_code: String,
    version: String,
}

/// Parses a step body and resolves the release it names (the caller a developer).
async fn step_target(
    state: &AppState,
    console: &Console,
    body: &[u8],
) -> ApiResult<(Named, String)> {
    let req: StepBody = parse_json(body)?;
    let app_id = parse_console_id("appId", &req.app_id)?;
    let channel = parse_console_id("channelCode", &req.channel_code)?;
    let version = parse_version(&req.version)?;
    let space = match req.source_space_id.as_deref() {
        Some(s) => parse_console_id("sourceSpaceId", s)?,
        None => {
            return Err(bad_param(
                "sourceSpaceId",
                "`sourceSpaceId` is missing (the MiniApp's spaceId)",
            ))
        }
    };
    let user = console.caller.user_id.clone();
    let named = state
        .store
        .run(move |tx| {
            let named = resolve(tx, &user, &app_id, &channel, version, true)?;
            check_space(&named.app, "sourceSpaceId", &space)?;
            Ok(named)
        })
        .await?;
    let id = named.release_id()?;
    Ok((named, id))
}

/// Records a step in the history and answers the release item.
async fn after_step(
    state: &AppState,
    console: &Console,
    release: Release,
    kind: &'static str,
    memo: String,
) -> ApiResult<Value> {
    recorded(state, console, release, kind, memo, release_item).await
}

/// Records a step in the history and answers the release as `show` shows it (the observed
/// item, or a console variant's).
pub(crate) async fn recorded<F>(
    state: &AppState,
    console: &Console,
    release: Release,
    kind: &'static str,
    memo: String,
    show: F,
) -> ApiResult<Value>
where
    F: FnOnce(&Transaction<'_>, &Release) -> ApiResult<Value> + Send + 'static,
{
    let operator = console.caller.username.clone();
    state
        .store
        .run(move |tx| {
            record(tx, &release.id, kind, release.state, &operator, &memo)?;
            show(tx, &release)
        })
        .await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    app_id: String,
    channel_code: String,
    version: String,
    #[serde(default)]
    changelog: String,
    artifact_type: Option<String>,
    #[serde(default)]
    artifact_list: Vec<String>,
}

/// `POST /rest/intercnn/app/publish/version/create`
/// `{appId, channelCode, version, changelog, artifactType: "FILE", artifactList}`
pub(crate) async fn create(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Response {
    answer(create_release(&state, &console, &body).await)
}

async fn create_release(state: &AppState, console: &Console, body: &[u8]) -> ApiResult<Value> {
    let req: CreateBody = parse_json(body)?;
    let app_id = parse_console_id("appId", &req.app_id)?;
    let channel = parse_console_id("channelCode", &req.channel_code)?;
    let version = parse_version(&req.version)?;
    check_artifact_type(req.artifact_type.as_deref())?;
    let changelog = req.changelog.trim().to_string();
    if changelog.chars().count() > 4000 {
        return Err(bad_param(
            "changelog",
            "the changelog is longer than 4000 characters",
        ));
    }
    let user = console.caller.user_id.clone();
    let listed = req.artifact_list.clone();
    let (named, version_id, artifacts) = state
        .store
        .run(move |tx| {
            let named = resolve(tx, &user, &app_id, &channel, version, true)?;
            let Some(v) = version_by_number(tx, &named.app.native, &version)? else {
                return Err(ApiError::not_found(format!("version {version} of {}", named.app.name))
                    .field("version")
                    .with_hint("create the version first: uploadResource, then POST /rest/intercnn/app/version/create"));
            };
            let artifacts = version_artifacts(tx, &v.id)?;
            if !listed.is_empty() && listed != artifacts {
                return Err(bad_param(
                    "artifactList",
                    format!(
                        "artifactList {listed:?} is not the resource of version {version}: {artifacts:?}"
                    ),
                ));
            }
            Ok((named, v.id, artifacts))
        })
        .await?;
    let request = CreateReleaseRequest {
        version_id,
        target_app_id: named.channel.native.clone(),
    };
    let created = match release_version(
        state,
        console.caller.clone(),
        named.app.native.clone(),
        request,
    )
    .await
    {
        Ok(release) => release,
        Err(err) if err.body.code == codes::RELEASE_EXISTS => {
            let existing = match &named.release_id {
                Some(id) => Some(release(state, console.caller.clone(), id.clone()).await?),
                None => None,
            };
            let status = existing
                .map(|r| superapp_status(r.state).0)
                .unwrap_or("UNKNOWN");
            return Err(refuse(
                codes::RELEASE_EXISTS,
                format!("version {} already has a release to {} (versionStatus {status})", named.version, named.channel.name),
                "continue with that release (publish/version/query shows it), or cancel it in the portal first",
            ));
        }
        Err(err) => return Err(err),
    };
    let operator = console.caller.username.clone();
    state
        .store
        .run(move |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO superapp_releases (release_id, changelog, artifact_list, beta_skipped)
                 VALUES (?1, ?2, ?3, 0)",
                params![
                    created.id,
                    changelog,
                    serde_json::to_string(&artifacts).map_err(ApiError::internal)?
                ],
            )?;
            record(tx, &created.id, history_type::CREATE, created.state, &operator, &changelog)?;
            release_item(tx, &created)
        })
        .await
}

/// `POST /rest/intercnn/app/publish/version/startApprove` `{appId, sourceSpaceId, channelCode, version}`
pub(crate) async fn start_approve(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Response {
    answer(apply(&state, &console, &body).await)
}

async fn apply(state: &AppState, console: &Console, body: &[u8]) -> ApiResult<Value> {
    let (named, id) = step_target(state, console, body).await?;
    let rid = id.clone();
    let notes = state
        .store
        .run(move |tx| {
            Ok(tx
                .query_row(
                    "SELECT changelog FROM superapp_releases WHERE release_id = ?1",
                    [&rid],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .unwrap_or_default())
        })
        .await?;
    let applied = apply_release(state, console.caller.clone(), id, ApplyRequest { notes })
        .await
        .map_err(|e| console_refusal("startApprove", &named, e))?;
    after_step(
        state,
        console,
        applied,
        history_type::START_APPROVE,
        String::new(),
    )
    .await
}

fn beta_skipped(tx: &Transaction<'_>, release_id: &str) -> ApiResult<bool> {
    Ok(tx
        .query_row(
            "SELECT beta_skipped FROM superapp_releases WHERE release_id = ?1",
            [release_id],
            |r| r.get::<_, bool>(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// The release if the lifecycle lets the caller release it officially now.
async fn officially_releasable(
    state: &AppState,
    console: &Console,
    action: &str,
    named: &Named,
    id: String,
) -> ApiResult<(Release, bool)> {
    let current = release(state, console.caller.clone(), id.clone()).await?;
    let ctx = ReleaseContext {
        first_release: current.first_release,
    };
    if check_step_by(current.state, Step::Official, ctx, Roles::DEVELOPER).is_err()
        || !current.allowed_steps.contains(&Step::Official)
    {
        return Err(step_refused(
            action,
            named,
            current.state,
            &current.allowed_steps,
        ));
    }
    let skipped = state.store.run(move |tx| beta_skipped(tx, &id)).await?;
    Ok((current, skipped))
}

/// `POST /rest/intercnn/app/publish/version/gray/skipBeta` (the startApprove body): skips the
/// pilot (beta) and grayscale of an approved release; `online` may follow. The state stays
/// (PASSED); the item's `betaSkipped` turns true. Again on a skipped release: the same answer.
pub(crate) async fn skip_beta(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Response {
    answer(skip(&state, &console, &body).await)
}

async fn skip(state: &AppState, console: &Console, body: &[u8]) -> ApiResult<Value> {
    let (named, id) = step_target(state, console, body).await?;
    let (current, skipped) = officially_releasable(state, console, "skipBeta", &named, id).await?;
    let operator = console.caller.username.clone();
    state
        .store
        .run(move |tx| {
            if !skipped {
                tx.execute(
                    "INSERT INTO superapp_releases (release_id, artifact_list, beta_skipped)
                     VALUES (?1, ?2, 1)
                     ON CONFLICT (release_id) DO UPDATE SET beta_skipped = 1",
                    params![
                        current.id,
                        serde_json::to_string(&version_artifacts(tx, &current.version_id)?)
                            .map_err(ApiError::internal)?
                    ],
                )?;
                record(
                    tx,
                    &current.id,
                    history_type::SKIP_BETA,
                    current.state,
                    &operator,
                    "",
                )?;
            }
            release_item(tx, &current)
        })
        .await
}

/// `POST /rest/intercnn/app/publish/online` (the startApprove body): the official release;
/// the version live on the target app before is archived (OFFLINE). Needs skipBeta first
/// (ASSUMED: the observed client always calls it first).
pub(crate) async fn online(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Response {
    answer(go_online(&state, &console, &body).await)
}

async fn go_online(state: &AppState, console: &Console, body: &[u8]) -> ApiResult<Value> {
    let (named, id) = step_target(state, console, body).await?;
    let (current, skipped) =
        officially_releasable(state, console, "online", &named, id.clone()).await?;
    if !skipped {
        let (status, _) = superapp_status(current.state);
        return Err(refuse(
            "BETA_NOT_SKIPPED",
            format!(
                "online is not allowed yet: the release of {} is {status} and its pilot (beta) was not skipped",
                named.label()
            ),
            "call POST /rest/intercnn/app/publish/version/gray/skipBeta with the same body first, then online",
        )
        .state(current.state));
    }
    let change = official_release(state, console.caller.clone(), id)
        .await
        .map_err(|e| console_refusal("online", &named, e))?;
    let operator = console.caller.username.clone();
    let released_label = named.version.to_string();
    state
        .store
        .run(move |tx| {
            if let Some(archived) = &change.archived {
                record(
                    tx,
                    &archived.id,
                    history_type::OFFLINE,
                    archived.state,
                    &operator,
                    &format!("replaced by {released_label}"),
                )?;
            }
            record(
                tx,
                &change.released.id,
                history_type::ONLINE,
                change.released.state,
                &operator,
                "",
            )?;
            release_item(tx, &change.released)
        })
        .await
}

/// `GET /rest/intercnn/app/publish/version/query?appId&channelCode&version&currentPage&pageSize`:
/// the MiniApp's releases, newest first; `channelCode` and `version` narrow them (ASSUMED
/// optional; the observed client sends both).
pub(crate) async fn query(
    State(state): State<AppState>,
    console: Console,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(&raw);
    let result = async {
        let page = Page::from_query(&pairs)?;
        let app_id = parse_console_id("appId", required(&pairs, "appId")?)?;
        let channel = param(&pairs, "channelCode")
            .map(|c| parse_console_id("channelCode", c))
            .transpose()?;
        let version = param(&pairs, "version").map(parse_version).transpose()?;
        let user = console.caller.user_id.clone();
        let (app, target) = state
            .store
            .run(move |tx| {
                let app = ids::app(tx, &app_id, &user, true)?;
                let target = channel.map(|c| ids::channel(tx, &c)).transpose()?;
                Ok((app, target))
            })
            .await?;
        let releases = app_releases(
            &state,
            console.caller.clone(),
            app.native.clone(),
            target.map(|t| t.native),
        )
        .await?;
        let releases: Vec<Release> = releases
            .into_iter()
            .filter(|r| version.is_none_or(|v| r.version == v))
            .collect();
        let items = state
            .store
            .run(move |tx| {
                releases
                    .iter()
                    .map(|r| release_item(tx, r))
                    .collect::<ApiResult<Vec<_>>>()
            })
            .await?;
        Ok(page.list(items))
    }
    .await;
    answer(result)
}

/// `GET /rest/intercnn/app/publish/version/history/query?appId&channelCode&version`: every
/// step of the version's releases to the target app, newest first (items with a `type`).
pub(crate) async fn history(
    State(state): State<AppState>,
    console: Console,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(&raw);
    let result = async {
        let app_id = parse_console_id("appId", required(&pairs, "appId")?)?;
        let channel = parse_console_id("channelCode", required(&pairs, "channelCode")?)?;
        let version = parse_version(required(&pairs, "version")?)?;
        let user = console.caller.user_id.clone();
        let items = state
            .store
            .run(move |tx| {
                let named = resolve(tx, &user, &app_id, &channel, version, true)?;
                let mut stmt = tx.prepare(
                    "SELECT h.id, h.type, h.status, h.operator, h.memo, h.at_ms, r.publish_id
                     FROM superapp_history h
                     JOIN releases r ON r.id = h.release_id
                     JOIN versions v ON v.id = r.version_id
                     WHERE r.app_id = ?1 AND r.target_app_id = ?2 AND v.version = ?3
                     ORDER BY h.id DESC",
                )?;
                let rows = stmt
                    .query_map(
                        params![named.app.native, named.channel.native, version.to_string()],
                        |r| {
                            Ok(json!({
                                "id": r.get::<_, i64>(0)?.to_string(),
                                "type": r.get::<_, String>(1)?,
                                "versionStatus": r.get::<_, String>(2)?,
                                "operator": r.get::<_, String>(3)?,
                                "memo": r.get::<_, String>(4)?,
                                "gmtCreate": r.get::<_, i64>(5)?,
                                "publishId": r.get::<_, String>(6)?,
                                "version": version.to_string(),
                                "channelCode": named.channel.code,
                            }))
                        },
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        let page = Page {
            current: 1,
            size: items.len().max(1) as u64,
        };
        Ok(page.list(items))
    }
    .await;
    answer(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_one_console_status() {
        for state in ReleaseState::PLACED {
            let found: Vec<_> = STATUS_MAP.iter().filter(|m| m.state == state).collect();
            assert_eq!(found.len(), 1, "{state:?}");
        }
        for (i, a) in STATUS_MAP.iter().enumerate() {
            for b in &STATUS_MAP[i + 1..] {
                assert_ne!(a.status, b.status);
            }
        }
        assert_eq!(superapp_status(ReleaseState::InReview).0, "APPROVE");
        assert_eq!(superapp_status(ReleaseState::PilotTest).0, "PASSED");
    }

    #[test]
    fn the_state_mapping_is_documented() {
        let doc = include_str!("../../../../docs/portal-superapp.md");
        for m in STATUS_MAP {
            let row = format!(
                "| `{}` | `{}` | {} |",
                m.state.as_str(),
                m.status,
                if m.observed { "OBSERVED" } else { "ASSUMED" }
            );
            assert!(
                doc.contains(&row),
                "docs/portal-superapp.md lacks the row {row}"
            );
        }
    }
}
