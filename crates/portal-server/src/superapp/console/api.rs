//! The ASSUMED JSON routes behind the console pages, both variants (see `mod.rs`). Each
//! handler reads its variant's request shape, calls one shared step (which calls the native
//! function the native JSON API calls), and answers in its variant's shape, in the console's
//! envelope.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use gopay_miniapp_portal::codes;
use gopay_miniapp_portal::lifecycle::ReleaseState;
use gopay_miniapp_portal::native::wire::{
    Release, RollbackRequest, TemporaryCodeRequest, WhitelistRequest,
};
use rusqlite::{params, Transaction};
use serde_json::{json, Map, Value};

use super::super::envelope::{answer, bad_param, param, refuse, required, Page};
use super::super::ids::{self, parse_console_id, AppRef, ChannelRef, Kind};
use super::super::releases::{history_type, record, recorded, release_item};
use super::super::session::Console;
use super::super::versions::epoch_ms;
use crate::apps::{all_target_apps, apps_in_space, query_pairs, user_spaces};
use crate::error::{ApiError, ApiResult};
use crate::extract::parse_json;
use crate::releases::{
    cancel_release, grayscale_release, rollback_app, rollback_preview, show_temporary_code,
    whitelist_release, withdraw_release,
};
use crate::state::AppState;
use crate::store::random_base62;
use crate::web::session::{cookie, same_secret};
use gopay_miniapp_guard::text::Shown;

use super::ConsoleVariant;

/// Variant b's CSRF cookie (readable by the page's script) and the header that echoes it.
pub(crate) const XSRF_COOKIE: &str = "XSRF-TOKEN";
pub(crate) const XSRF_HEADER: &str = "x-xsrf-token";
/// Variant b's refusal of a request without the echoed token (the emulator's own code).
pub(crate) const XSRF_CODE: &str = "XSRF_TOKEN_INVALID";
/// How long a rollback plan's operation id can be used (once).
const OPERATION_TTL_MS: i64 = 10 * 60 * 1000;
const OPERATION_PREFIX: &str = "rb_";

/// Variant b's status words: its own for the states the observed table has no word for
/// (and for a release being created), so a client meets words it does not know.
const B_STATUS: &[(ReleaseState, &str)] = &[
    (ReleaseState::VersionCreation, "DRAFT"),
    (ReleaseState::InReview, "APPROVE"),
    (ReleaseState::Rejected, "REJECTED"),
    (ReleaseState::PilotTest, "PASSED"),
    (ReleaseState::WhitelistTesting, "TESTING_WHITELIST"),
    (ReleaseState::Grayscale, "GRAY_RUNNING"),
    (ReleaseState::Released, "ONLINE"),
    (ReleaseState::Archived, "OFFLINE"),
    (ReleaseState::Cancelled, "CANCELLED"),
];

pub(crate) fn b_status(state: ReleaseState) -> &'static str {
    B_STATUS
        .iter()
        .find(|(s, _)| *s == state)
        .map(|(_, word)| *word)
        .unwrap_or("UNKNOWN")
}

// ---------------------------------------------------------------------------------------------
// Request parsing
// ---------------------------------------------------------------------------------------------

fn object(body: &[u8]) -> ApiResult<Map<String, Value>> {
    match parse_json::<Value>(body)? {
        Value::Object(map) => Ok(map),
        _ => Err(bad_param("body", "the body must be a JSON object")),
    }
}

/// A required string field (ids are strings in both variants).
fn text(body: &Map<String, Value>, field: &str) -> ApiResult<String> {
    match body.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        None | Some(Value::Null) => Err(bad_param(field, format!("`{field}` is missing"))),
        Some(Value::String(_)) => Err(bad_param(field, format!("`{field}` is empty"))),
        Some(other) => Err(bad_param(
            field,
            format!("`{field}` must be a string, not {}", kind(other)),
        )),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Variant a's user IDs: a JSON array of strings.
fn user_ids_array(body: &Map<String, Value>, field: &str) -> ApiResult<Vec<String>> {
    match body.get(field) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(bad_param(
                    field,
                    format!("`{field}` must hold strings, not {}", kind(other)),
                )),
            })
            .collect(),
        None | Some(Value::Null) => Err(bad_param(field, format!("`{field}` is missing"))),
        Some(other) => Err(bad_param(
            field,
            format!(
                "`{field}` must be an array of user IDs, not {}",
                kind(other)
            ),
        )),
    }
}

/// Variant b's user IDs: one string, `;`-joined.
fn user_ids_joined(body: &Map<String, Value>, field: &str) -> ApiResult<Vec<String>> {
    match body.get(field) {
        Some(Value::String(s)) => Ok(s.split(';').map(str::to_string).collect()),
        None | Some(Value::Null) => Err(bad_param(field, format!("`{field}` is missing"))),
        Some(other) => Err(bad_param(
            field,
            format!(
                "`{field}` must be one string of user IDs joined with `;`, not {}",
                kind(other)
            ),
        )),
    }
}

/// Variant b's ratio: a string of digits (`"10"`); a JSON number is refused as this
/// console would refuse it.
fn ratio_string(body: &Map<String, Value>, field: &str) -> ApiResult<Value> {
    let refused = |message: String| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            codes::INVALID_RATIO,
            message,
            "give a whole percentage from 1 to 100, as a string",
        )
        .field(field)
    };
    match body.get(field) {
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(|n| json!(n))
            .map_err(|_| refused(format!("`{field}` `{}` is not a whole number", Shown(s)))),
        None | Some(Value::Null) => Err(bad_param(field, format!("`{field}` is missing (1–100)"))),
        Some(other) => Err(refused(format!(
            "`{field}` must be a string like \"10\", not {}",
            kind(other)
        ))),
    }
}

/// Variant b refuses a request that changes something unless `X-XSRF-TOKEN` echoes the
/// `XSRF-TOKEN` cookie the console page set (the session's token).
fn check_xsrf(headers: &HeaderMap, console: &Console) -> ApiResult<()> {
    let sent = headers
        .get(XSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let jar = cookie(headers, XSRF_COOKIE).unwrap_or_default();
    if !sent.is_empty() && same_secret(sent, &jar) && same_secret(sent, &console.csrf) {
        return Ok(());
    }
    tracing::warn!(username = %console.caller.username, "a console request without its XSRF token was refused");
    Err(refuse(
        XSRF_CODE,
        "the request has no X-XSRF-TOKEN header echoing this session's XSRF-TOKEN cookie",
        "open the console page (/console), which sets the cookie, and send its value as X-XSRF-TOKEN",
    ))
}

// ---------------------------------------------------------------------------------------------
// Paging
// ---------------------------------------------------------------------------------------------

/// Variant b's paging: `page_no` (from 1) and `page_size` (1–100), defaults 1 and 20;
/// answered as `data.result.{items,total,page_no,page_size}`.
fn b_page(pairs: &[(String, String)]) -> ApiResult<Page> {
    let number = |name: &str, default: u64, max: u64| -> ApiResult<u64> {
        match param(pairs, name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    bad_param(
                        name,
                        format!("`{name}` must be a whole number from 1 to {max}"),
                    )
                }),
        }
    };
    Ok(Page {
        current: number("page_no", 1, u64::MAX)?,
        size: number("page_size", 20, 100)?,
    })
}

fn b_list(page: Page, items: Vec<Value>) -> Value {
    let listed = page.list(items);
    json!({ "result": {
        "items": listed["list"],
        "total": listed["total"],
        "page_no": listed["currentPage"],
        "page_size": listed["pageSize"],
    }})
}

// ---------------------------------------------------------------------------------------------
// Shared steps
// ---------------------------------------------------------------------------------------------

/// `(spaceId, name)` of the caller's spaces.
async fn spaces(state: &AppState, console: &Console) -> ApiResult<Vec<(String, String)>> {
    let spaces = user_spaces(state, console.caller.clone()).await?;
    state
        .store
        .run(move |tx| {
            spaces
                .into_iter()
                .map(|s| Ok((ids::console_id(tx, Kind::Space, &s.id)?, s.name)))
                .collect()
        })
        .await
}

/// `(appId, name)` of the MiniApps of a space the caller is a member of.
async fn apps(
    state: &AppState,
    console: &Console,
    field: &'static str,
    space: String,
) -> ApiResult<Vec<(String, String)>> {
    let not_found = {
        let space = space.clone();
        move || {
            ApiError::not_found(format!("space `{space}`"))
                .field(field)
                .with_hint("pick one of your spaces (the space list shows them)")
        }
    };
    let lookup = space.clone();
    let native = state
        .store
        .run(move |tx| ids::native_id(tx, Kind::Space, &lookup))
        .await?
        .ok_or_else(not_found.clone())?;
    let apps = apps_in_space(state, console.caller.clone(), native)
        .await
        .map_err(|e| {
            if e.body.code == codes::NOT_FOUND {
                not_found()
            } else {
                e
            }
        })?;
    state
        .store
        .run(move |tx| {
            apps.into_iter()
                .map(|a| Ok((ids::console_id(tx, Kind::App, &a.id)?, a.name)))
                .collect()
        })
        .await
}

/// `(channelCode, name)` of every target app.
async fn target_apps(state: &AppState) -> ApiResult<Vec<(String, String)>> {
    let targets = all_target_apps(state).await?;
    state
        .store
        .run(move |tx| {
            targets
                .into_iter()
                .map(|t| Ok((ids::console_id(tx, Kind::Channel, &t.id)?, t.name)))
                .collect()
        })
        .await
}

/// The release `publishId` of the MiniApp `appId` (the caller a developer of its space).
async fn locate(
    state: &AppState,
    console: &Console,
    app: (&'static str, String),
    publish: (&'static str, String),
) -> ApiResult<(AppRef, String)> {
    let (app_field, app_id) = app;
    let (publish_field, publish_id) = publish;
    let app_id = parse_console_id(app_field, &app_id)?;
    let publish_id = parse_console_id(publish_field, &publish_id)?;
    let user = console.caller.user_id.clone();
    state
        .store
        .run(move |tx| {
            let app = ids::app(tx, &app_id, &user, true).map_err(|e| e.field(app_field))?;
            let id: Option<String> = rusqlite::OptionalExtension::optional(tx.query_row(
                "SELECT id FROM releases WHERE app_id = ?1 AND publish_id = ?2",
                params![app.native, publish_id],
                |r| r.get(0),
            ))?;
            let id = id.ok_or_else(|| {
                ApiError::not_found(format!("release `{publish_id}` of {}", app.name))
                    .field(publish_field)
                    .with_hint("the release list of the MiniApp shows its releases' ids")
            })?;
            Ok((app, id))
        })
        .await
}

/// The MiniApp (a developer's) and target app of a rollback.
async fn app_and_channel(
    state: &AppState,
    console: &Console,
    app: (&'static str, String),
    channel: (&'static str, String),
) -> ApiResult<(AppRef, ChannelRef)> {
    let app_id = parse_console_id(app.0, &app.1)?;
    let channel_code = parse_console_id(channel.0, &channel.1)?;
    let (app_field, channel_field) = (app.0, channel.0);
    let user = console.caller.user_id.clone();
    state
        .store
        .run(move |tx| {
            let app = ids::app(tx, &app_id, &user, true).map_err(|e| e.field(app_field))?;
            let channel = ids::channel(tx, &channel_code).map_err(|e| e.field(channel_field))?;
            Ok((app, channel))
        })
        .await
}

/// A release as the variant's answers show it.
fn item(tx: &Transaction<'_>, variant: ConsoleVariant, release: &Release) -> ApiResult<Value> {
    match variant {
        ConsoleVariant::A => {
            let mut item = release_item(tx, release)?;
            item["whitelist"] = json!(release.whitelist);
            item["grayRatio"] = json!(release.ratio);
            Ok(item)
        }
        ConsoleVariant::B => Ok(json!({
            "release_id": release.publish_id,
            "app_id": ids::console_id(tx, Kind::App, &release.app_id)?,
            "channel_code": ids::console_id(tx, Kind::Channel, &release.target_app_id)?,
            "channel_name": release.target_app_name,
            "version": release.version.to_string(),
            "release_status": b_status(release.state),
            "whitelist_users": release.whitelist.join(";"),
            "gray_ratio": release.ratio.map(|r| r.to_string()),
            "reject_reason": release.reject_reason,
            "gmt_modified": epoch_ms(&release.updated_at),
        })),
    }
}

/// `data` of one release in the variant's shape.
fn wrap(variant: ConsoleVariant, value: Value) -> Value {
    match variant {
        ConsoleVariant::A => value,
        ConsoleVariant::B => json!({ "result": value }),
    }
}

/// Records a step in the console's history and answers the release.
async fn after(
    state: &AppState,
    console: &Console,
    variant: ConsoleVariant,
    release: Release,
    kind: &'static str,
    memo: String,
) -> ApiResult<Value> {
    recorded(state, console, release, kind, memo, move |tx, release| {
        Ok(wrap(variant, item(tx, variant, release)?))
    })
    .await
}

async fn detail(
    state: &AppState,
    console: &Console,
    variant: ConsoleVariant,
    release_id: String,
) -> ApiResult<Value> {
    let release = crate::releases::release(state, console.caller.clone(), release_id).await?;
    state
        .store
        .run(move |tx| Ok(wrap(variant, item(tx, variant, &release)?)))
        .await
}

async fn whitelist(
    state: &AppState,
    console: &Console,
    variant: ConsoleVariant,
    release_id: String,
    user_ids: Vec<String>,
) -> ApiResult<Value> {
    let count = user_ids.iter().filter(|u| !u.trim().is_empty()).count();
    let release = whitelist_release(
        state,
        console.caller.clone(),
        release_id,
        WhitelistRequest { user_ids },
    )
    .await?;
    after(
        state,
        console,
        variant,
        release,
        history_type::WHITELIST,
        format!("{count} user ID(s)"),
    )
    .await
}

async fn grayscale(
    state: &AppState,
    console: &Console,
    variant: ConsoleVariant,
    release_id: String,
    ratio: Value,
) -> ApiResult<Value> {
    let release = grayscale_release(
        state,
        console.caller.clone(),
        release_id,
        json!({ "ratio": ratio }),
    )
    .await?;
    let memo = release.ratio.map(|r| format!("{r}%")).unwrap_or_default();
    after(
        state,
        console,
        variant,
        release,
        history_type::GRAYSCALE,
        memo,
    )
    .await
}

async fn temporary_code(
    state: &AppState,
    console: &Console,
    variant: ConsoleVariant,
    app: &AppRef,
    release_id: String,
) -> ApiResult<Value> {
    let code = show_temporary_code(
        state,
        console.caller.clone(),
        release_id,
        TemporaryCodeRequest::default(),
    )
    .await?;
    Ok(match variant {
        ConsoleVariant::A => json!({
            "publishId": code.publish_id,
            "appId": app.console,
            "expireTime": epoch_ms(&code.expires_at),
        }),
        // Variant b answers the QR the host app scans, as an image, and no publish id: a
        // client reads the deeplink out of the image (the emulator's own shape, ASSUMED).
        ConsoleVariant::B => {
            // The deeplink as the console names the MiniApp (its own app id).
            let scheme = code.deeplink.split("://").next().unwrap_or("gopay");
            let deeplink = gopay_miniapp_portal::deeplink::temporary_code_deeplink(
                scheme,
                &app.console,
                &code.publish_id,
                None,
            );
            let png = gopay_miniapp_portal::qr::render_png(&deeplink, 4).map_err(|e| {
                ApiError::internal(format_args!(
                    "the temporary code's QR could not be drawn: {e}"
                ))
            })?;
            json!({ "result": {
                "qr_code": format!("data:image/png;base64,{}", BASE64.encode(png)),
                "expire_at": code.expires_at,
            }})
        }
    })
}

async fn rollback(
    state: &AppState,
    console: &Console,
    variant: ConsoleVariant,
    app: AppRef,
    channel: ChannelRef,
) -> ApiResult<Value> {
    let change = rollback_app(
        state,
        console.caller.clone(),
        app.native,
        RollbackRequest {
            target_app_id: channel.native,
        },
    )
    .await?;
    let operator = console.caller.username.clone();
    state
        .store
        .run(move |tx| {
            let released = change.released;
            let archived = change.archived;
            let mut out = json!({ "released": item(tx, variant, &released)?, "archived": null });
            if let Some(archived) = &archived {
                record(
                    tx,
                    &archived.id,
                    history_type::ROLLBACK,
                    archived.state,
                    &operator,
                    &format!("rolled back to {}", released.version),
                )?;
                out["archived"] = item(tx, variant, archived)?;
            }
            record(
                tx,
                &released.id,
                history_type::ROLLBACK,
                released.state,
                &operator,
                "restored by a rollback",
            )?;
            Ok(wrap(variant, out))
        })
        .await
}

/// The steps on one release, for the handlers' const parameter.
pub(crate) const WHITELIST: u8 = 0;
pub(crate) const GRAYSCALE: u8 = 1;
pub(crate) const TEMPORARY_CODE: u8 = 2;
pub(crate) const WITHDRAW: u8 = 3;
pub(crate) const CANCEL: u8 = 4;

/// A step on one release, its inputs read from `body` in the variant's shape.
async fn release_step(
    state: &AppState,
    console: &Console,
    variant: ConsoleVariant,
    step: u8,
    (app, release_id): (AppRef, String),
    body: &Map<String, Value>,
) -> ApiResult<Value> {
    let caller = console.caller.clone();
    let (release, kind) = match step {
        WHITELIST => {
            let users = match variant {
                ConsoleVariant::A => user_ids_array(body, "userIds")?,
                ConsoleVariant::B => user_ids_joined(body, "user_ids")?,
            };
            return whitelist(state, console, variant, release_id, users).await;
        }
        GRAYSCALE => {
            let ratio = match variant {
                ConsoleVariant::A => body.get("ratio").cloned().unwrap_or(Value::Null),
                ConsoleVariant::B => ratio_string(body, "gray_ratio")?,
            };
            return grayscale(state, console, variant, release_id, ratio).await;
        }
        TEMPORARY_CODE => return temporary_code(state, console, variant, &app, release_id).await,
        WITHDRAW => (
            withdraw_release(state, caller, release_id).await?,
            history_type::WITHDRAW,
        ),
        CANCEL => (
            cancel_release(state, caller, release_id).await?,
            history_type::CANCEL,
        ),
        other => return Err(ApiError::internal(format!("no console step {other}"))),
    };
    after(state, console, variant, release, kind, String::new()).await
}

// ---------------------------------------------------------------------------------------------
// Variant a
// ---------------------------------------------------------------------------------------------

const A: ConsoleVariant = ConsoleVariant::A;
const B: ConsoleVariant = ConsoleVariant::B;

/// The lists, for the handlers' const parameter.
pub(crate) const SPACES: u8 = 0;
pub(crate) const APPS: u8 = 1;
pub(crate) const TARGET_APPS: u8 = 2;

/// A list's items in the variant's field names; `space`: the space of the MiniApps.
async fn list_items(
    state: &AppState,
    console: &Console,
    variant: ConsoleVariant,
    list: u8,
    space: Option<&str>,
) -> ApiResult<Vec<Value>> {
    let b = variant == ConsoleVariant::B;
    let (pairs, (id_key, name_key)) = match list {
        SPACES => (
            spaces(state, console).await?,
            if b {
                ("space_id", "space_name")
            } else {
                ("spaceId", "spaceName")
            },
        ),
        APPS => {
            let space = parse_console_id("spaceId", space.unwrap_or_default())?;
            (
                apps(state, console, "spaceId", space).await?,
                if b {
                    ("mini_app_id", "mini_app_name")
                } else {
                    ("appId", "appName")
                },
            )
        }
        TARGET_APPS => (
            target_apps(state).await?,
            if b {
                ("channel_code", "display_name")
            } else {
                ("channelCode", "channelName")
            },
        ),
        other => return Err(ApiError::internal(format!("no console list {other}"))),
    };
    Ok(pairs
        .into_iter()
        .map(|(id, name)| {
            let mut item = json!({ id_key: id, name_key: name });
            if let (false, APPS, Some(space)) = (b, list, space) {
                item["spaceId"] = json!(space);
            }
            item
        })
        .collect())
}

/// `GET /rest/intercnn/space/list`, `…/app/list?spaceId`, `…/channel/list`
/// (`currentPage`, `pageSize`): `data.list`.
pub(crate) async fn a_list<const LIST: u8>(
    State(state): State<AppState>,
    console: Console,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(&raw);
    answer(
        async {
            let page = Page::from_query(&pairs)?;
            let space = if LIST == APPS {
                Some(required(&pairs, "spaceId")?)
            } else {
                None
            };
            Ok(page.list(list_items(&state, &console, A, LIST, space).await?))
        }
        .await,
    )
}

/// `GET /rest/intercnn/app/publish/detail?appId&publishId`
pub(crate) async fn a_release(
    State(state): State<AppState>,
    console: Console,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(&raw);
    answer(
        async {
            let app = required(&pairs, "appId")?.to_string();
            let publish = required(&pairs, "publishId")?.to_string();
            let (_, id) = locate(&state, &console, ("appId", app), ("publishId", publish)).await?;
            detail(&state, &console, A, id).await
        }
        .await,
    )
}

/// The release a variant-a step body names (`appId`, `publishId`).
async fn a_target(
    state: &AppState,
    console: &Console,
    body: &Map<String, Value>,
) -> ApiResult<(AppRef, String)> {
    let app = text(body, "appId")?;
    let publish = text(body, "publishId")?;
    locate(state, console, ("appId", app), ("publishId", publish)).await
}

/// `POST /rest/intercnn/app/publish/{whitelist/start,gray/start,tempCode,withdraw,cancel}`
/// `{appId, publishId, …}` (`userIds: [..]`, `ratio: 10`).
pub(crate) async fn a_step<const STEP: u8>(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Response {
    answer(
        async {
            let body = object(&body)?;
            let target = a_target(&state, &console, &body).await?;
            release_step(&state, &console, A, STEP, target, &body).await
        }
        .await,
    )
}

/// `POST /rest/intercnn/app/publish/rollback` `{appId, channelCode}`
pub(crate) async fn a_rollback(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Response {
    answer(
        async {
            let body = object(&body)?;
            let app = text(&body, "appId")?;
            let channel = text(&body, "channelCode")?;
            let (app, channel) =
                app_and_channel(&state, &console, ("appId", app), ("channelCode", channel)).await?;
            rollback(&state, &console, A, app, channel).await
        }
        .await,
    )
}

// ---------------------------------------------------------------------------------------------
// Variant b
// ---------------------------------------------------------------------------------------------

/// `GET /api/console/v2/spaces`, `…/spaces/{spaceId}/mini-apps`, `…/target-apps`
/// (`page_no`, `page_size`, `_`): `data.result.items`.
pub(crate) async fn b_list_of<const LIST: u8>(
    State(state): State<AppState>,
    console: Console,
    space: Option<Path<String>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(&raw);
    answer(
        async {
            let page = b_page(&pairs)?;
            let space = space.map(|Path(s)| s);
            let items = list_items(&state, &console, B, LIST, space.as_deref()).await?;
            Ok(b_list(page, items))
        }
        .await,
    )
}

/// `GET /api/console/v2/releases/{publishId}?app_id&_`
pub(crate) async fn b_release(
    State(state): State<AppState>,
    console: Console,
    Path(publish): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(&raw);
    answer(
        async {
            let app = required(&pairs, "app_id")?.to_string();
            let (_, id) = locate(&state, &console, ("app_id", app), ("publishId", publish)).await?;
            detail(&state, &console, B, id).await
        }
        .await,
    )
}

/// Checks the XSRF token, parses the body and finds the release of the path's `publishId`
/// and the body's `app_id`.
async fn b_target(
    state: &AppState,
    console: &Console,
    headers: &HeaderMap,
    publish: String,
    body: &[u8],
) -> ApiResult<(AppRef, String, Map<String, Value>)> {
    check_xsrf(headers, console)?;
    let body = object(body)?;
    let app = text(&body, "app_id")?;
    let (app, id) = locate(state, console, ("app_id", app), ("publishId", publish)).await?;
    Ok((app, id, body))
}

/// `POST /api/console/v2/releases/{publishId}/{whitelist,gray,temp-code,withdraw,cancel}`
/// `{app_id, …}` (`user_ids: "1001;1002"`, `gray_ratio: "10"`), with `X-XSRF-TOKEN`.
pub(crate) async fn b_step<const STEP: u8>(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    Path(publish): Path<String>,
    body: Bytes,
) -> Response {
    answer(
        async {
            let (app, id, body) = b_target(&state, &console, &headers, publish, &body).await?;
            release_step(&state, &console, B, STEP, (app, id), &body).await
        }
        .await,
    )
}

/// `GET /api/console/v2/apps/{appId}/channels/{channelCode}/rollback-plan?_`: what a
/// rollback would do, and the operation id that does it (once, within 10 minutes, by the
/// same user) with `POST /api/console/v2/rollback`.
pub(crate) async fn b_rollback_plan(
    State(state): State<AppState>,
    console: Console,
    Path((app, channel)): Path<(String, String)>,
) -> Response {
    answer(
        async {
            let (app, channel) =
                app_and_channel(&state, &console, ("appId", app), ("channelCode", channel))
                    .await?;
            let user = console.caller.user_id.clone();
            let now = state.clock.now_ms();
            let operation = format!("{OPERATION_PREFIX}{}", random_base62(32));
            let op = operation.clone();
            state
                .store
                .run(move |tx| {
                    let Some((live, previous)) = rollback_preview(tx, &app.native, &channel.native)?
                    else {
                        return Err(refuse(
                            codes::NOTHING_TO_ROLL_BACK,
                            format!(
                                "{} has no released version on {} with an earlier archived one to go back to",
                                app.name, channel.name
                            ),
                            "release a fixed version instead",
                        ));
                    };
                    tx.execute(
                        "INSERT INTO superapp_operations (id, kind, user_id, app_id, target_app_id, created_ms)
                         VALUES (?1, 'rollback', ?2, ?3, ?4, ?5)",
                        params![op, user, app.native, channel.native, now],
                    )?;
                    Ok(json!({ "result": {
                        "operation_id": op,
                        "app_id": app.console,
                        "channel_code": channel.code,
                        "from_version": live.to_string(),
                        "to_version": previous.to_string(),
                        "expire_in_seconds": OPERATION_TTL_MS / 1000,
                    }}))
                })
                .await
        }
        .await,
    )
}

/// `POST /api/console/v2/rollback` `{operation_id}`: the rollback a plan prepared.
pub(crate) async fn b_rollback(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(
        async {
            check_xsrf(&headers, &console)?;
            let body = object(&body)?;
            let operation = text(&body, "operation_id")?;
            let well_formed = operation
                .strip_prefix(OPERATION_PREFIX)
                .is_some_and(|rest| {
                    !rest.is_empty()
                        && rest.len() <= 64
                        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                });
            if !well_formed {
                return Err(bad_param(
                    "operation_id",
                    format!(
                        "`{}` is not an operation id (rb_ and letters or digits)",
                        Shown(&operation)
                    ),
                ));
            }
            let user = console.caller.user_id.clone();
            let now = state.clock.now_ms();
            // Spent before the rollback runs: an operation id works once, even when two
            // requests race with it.
            let (app, target) = state
                .store
                .run(move |tx| {
                    let spent = tx.execute(
                        "UPDATE superapp_operations SET used_ms = ?1
                         WHERE id = ?2 AND user_id = ?3 AND kind = 'rollback' AND used_ms IS NULL AND created_ms > ?4",
                        params![now, operation, user, now - OPERATION_TTL_MS],
                    )?;
                    if spent == 0 {
                        return Err(ApiError::not_found(format!("rollback operation `{}`", Shown(&operation)))
                            .field("operation_id")
                            .with_hint("it is unknown, used, expired or another user's: ask for a new rollback plan"));
                    }
                    Ok(tx.query_row(
                        "SELECT app_id, target_app_id FROM superapp_operations WHERE id = ?1",
                        [&operation],
                        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                    )?)
                })
                .await?;
            let user = console.caller.user_id.clone();
            let (app, channel) = state
                .store
                .run(move |tx| {
                    let app_console = ids::console_id(tx, Kind::App, &app)?;
                    let channel_code = ids::console_id(tx, Kind::Channel, &target)?;
                    Ok((
                        ids::app(tx, &app_console, &user, true)?,
                        ids::channel(tx, &channel_code)?,
                    ))
                })
                .await?;
            rollback(&state, &console, B, app, channel).await
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_words_cover_every_state_and_differ_where_the_observed_table_has_none() {
        for state in ReleaseState::PLACED {
            assert_ne!(b_status(state), "UNKNOWN", "{state:?}");
        }
        let known: Vec<&str> = super::super::super::STATUS_MAP
            .iter()
            .map(|m| m.status)
            .collect();
        for state in [
            ReleaseState::VersionCreation,
            ReleaseState::WhitelistTesting,
            ReleaseState::Grayscale,
        ] {
            assert!(!known.contains(&b_status(state)), "{state:?}");
        }
    }
}
