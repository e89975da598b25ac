//! Spaces, MiniApps, target apps, versions and the audit log.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use gopay_miniapp_portal::native::wire::{
    AuditEntry, AuditLog, MiniApp, MiniAppList, Space, SpaceList, TargetApp, TargetAppList,
    Version, VersionList,
};
use gopay_miniapp_portal::VersionNumber;
use rusqlite::{params, OptionalExtension, Transaction};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A MiniApp the caller may see (a member of its space); 404 otherwise.
pub(crate) fn member_app(tx: &Transaction<'_>, app_id: &str, user_id: &str) -> ApiResult<MiniApp> {
    tx.query_row(
        "SELECT a.id, a.space_id, a.name FROM apps a
         JOIN space_members m ON m.space_id = a.space_id AND m.user_id = ?2
         WHERE a.id = ?1",
        params![app_id, user_id],
        |r| {
            Ok(MiniApp {
                id: r.get(0)?,
                space_id: r.get(1)?,
                name: r.get(2)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found(format!("MiniApp `{app_id}`")))
}

pub(crate) fn is_member(tx: &Transaction<'_>, space_id: &str, user_id: &str) -> ApiResult<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM space_members WHERE space_id = ?1 AND user_id = ?2",
            params![space_id, user_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(crate) fn is_target_admin(
    tx: &Transaction<'_>,
    target_app_id: &str,
    user_id: &str,
) -> ApiResult<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM target_app_admins WHERE target_app_id = ?1 AND user_id = ?2",
            params![target_app_id, user_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(crate) fn target_app(tx: &Transaction<'_>, id: &str) -> ApiResult<TargetApp> {
    tx.query_row(
        "SELECT id, name, scheme, production FROM target_apps WHERE id = ?1",
        [id],
        |r| {
            Ok(TargetApp {
                id: r.get(0)?,
                name: r.get(1)?,
                scheme: r.get(2)?,
                production: r.get(3)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found(format!("target app `{id}`")))
}

pub(crate) const VERSION_COLUMNS: &str =
    "id, app_id, version, description, size, sha256, created_at, created_by";

/// A version-number column, parsed (the store only ever writes valid ones).
pub(crate) fn version_number_column(
    r: &rusqlite::Row<'_>,
    index: usize,
) -> rusqlite::Result<gopay_miniapp_portal::VersionNumber> {
    let text: String = r.get(index)?;
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(crate) fn version_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Version> {
    let size: i64 = r.get(4)?;
    Ok(Version {
        id: r.get(0)?,
        app_id: r.get(1)?,
        version: version_number_column(r, 2)?,
        description: r.get(3)?,
        size: size as u64,
        sha256: r.get(5)?,
        created_at: r.get(6)?,
        created_by: r.get(7)?,
    })
}

/// The highest version number of a MiniApp.
pub(crate) fn latest_version(tx: &Transaction<'_>, app_id: &str) -> ApiResult<Option<Version>> {
    Ok(tx
        .query_row(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM versions WHERE app_id = ?1
                 ORDER BY major DESC, minor DESC, patch DESC LIMIT 1"
            ),
            [app_id],
            version_row,
        )
        .optional()?)
}

pub(crate) fn version_by_number(
    tx: &Transaction<'_>,
    app_id: &str,
    number: &VersionNumber,
) -> ApiResult<Option<Version>> {
    Ok(tx
        .query_row(
            &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE app_id = ?1 AND version = ?2"),
            params![app_id, number.to_string()],
            version_row,
        )
        .optional()?)
}

/// Query string pairs (`?a=b&c=d`), decoded.
pub(crate) fn query_pairs(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

pub(crate) async fn spaces(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<SpaceList>> {
    let spaces = user_spaces(&state, caller).await?;
    Ok(Json(SpaceList { spaces }))
}

/// The spaces the caller is a member of, by name.
pub(crate) async fn user_spaces(state: &AppState, caller: Caller) -> ApiResult<Vec<Space>> {
    state
        .store
        .run(move |tx| {
            let mut stmt = tx.prepare(
                "SELECT s.id, s.name FROM spaces s JOIN space_members m ON m.space_id = s.id
                 WHERE m.user_id = ?1 ORDER BY s.name",
            )?;
            let rows = stmt
                .query_map([&caller.user_id], |r| {
                    Ok(Space {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
}

pub(crate) async fn space_apps(
    State(state): State<AppState>,
    caller: Caller,
    Path(space_id): Path<String>,
) -> ApiResult<Json<MiniAppList>> {
    let apps = apps_in_space(&state, caller, space_id).await?;
    Ok(Json(MiniAppList { apps }))
}

/// The MiniApps of a space the caller is a member of (404 otherwise), by name.
pub(crate) async fn apps_in_space(
    state: &AppState,
    caller: Caller,
    space_id: String,
) -> ApiResult<Vec<MiniApp>> {
    state
        .store
        .run(move |tx| {
            if !is_member(tx, &space_id, &caller.user_id)? {
                return Err(ApiError::not_found(format!("space `{space_id}`")));
            }
            let mut stmt = tx
                .prepare("SELECT id, space_id, name FROM apps WHERE space_id = ?1 ORDER BY name")?;
            let rows = stmt
                .query_map([&space_id], |r| {
                    Ok(MiniApp {
                        id: r.get(0)?,
                        space_id: r.get(1)?,
                        name: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
}

pub(crate) async fn target_apps(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<TargetAppList>> {
    let target_apps = all_target_apps(&state).await?;
    Ok(Json(TargetAppList { target_apps }))
}

/// Every target app, by name.
pub(crate) async fn all_target_apps(state: &AppState) -> ApiResult<Vec<TargetApp>> {
    state
        .store
        .run(|tx| {
            let mut stmt =
                tx.prepare("SELECT id, name, scheme, production FROM target_apps ORDER BY name")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(TargetApp {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        scheme: r.get(2)?,
                        production: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
}

pub(crate) async fn app(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
) -> ApiResult<Json<MiniApp>> {
    let app = state
        .store
        .run(move |tx| member_app(tx, &app_id, &caller.user_id))
        .await?;
    Ok(Json(app))
}

pub(crate) async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
) -> ApiResult<Json<VersionList>> {
    let versions = app_versions(&state, caller, app_id).await?;
    Ok(Json(VersionList { versions }))
}

/// The versions of a MiniApp the caller is a developer of, newest (highest) first.
pub(crate) async fn app_versions(
    state: &AppState,
    caller: Caller,
    app_id: String,
) -> ApiResult<Vec<Version>> {
    state
        .store
        .run(move |tx| {
            member_app(tx, &app_id, &caller.user_id)?;
            let mut stmt = tx.prepare(&format!(
                "SELECT {VERSION_COLUMNS} FROM versions WHERE app_id = ?1
                 ORDER BY major DESC, minor DESC, patch DESC"
            ))?;
            let rows = stmt
                .query_map([&app_id], version_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
}

pub(crate) async fn version_latest(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
) -> ApiResult<Json<Version>> {
    let version = state
        .store
        .run(move |tx| {
            let app = member_app(tx, &app_id, &caller.user_id)?;
            latest_version(tx, &app_id)?.ok_or_else(|| {
                ApiError::not_found(format!("a version of {}", app.name))
                    .with_hint("publish the first version")
            })
        })
        .await?;
    Ok(Json(version))
}

pub(crate) async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<AuditLog>> {
    let mut limit: i64 = 200;
    for (key, value) in query_pairs(&query) {
        if key == "limit" {
            limit = value
                .parse()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| ApiError::invalid("limit", "limit must be from 1 to 1000"))?;
        }
    }
    let entries = audit_log(&state, caller, app_id, limit).await?;
    Ok(Json(AuditLog { entries }))
}

/// A MiniApp's audit log, newest first, at most `limit` entries.
pub(crate) async fn audit_log(
    state: &AppState,
    caller: Caller,
    app_id: String,
    limit: i64,
) -> ApiResult<Vec<AuditEntry>> {
    state
        .store
        .run(move |tx| {
            member_app(tx, &app_id, &caller.user_id)?;
            let mut stmt = tx.prepare(
                "SELECT id, at, actor, action, detail FROM audit WHERE app_id = ?1
                 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![app_id, limit], |r| {
                    Ok(AuditEntry {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        action: r.get(3)?,
                        detail: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
}
