//! Versions: query (OBSERVED), upload of a resource (OBSERVED, multipart), creation from the
//! uploaded resource (OBSERVED body).
//!
//! `uploadResource` streams the file to disk (never held in memory), checks it is a MiniApp
//! ZIP and opens a native upload holding all its bytes (`uploads::open_upload` +
//! `fill_upload_from_file`: the version number must be free and higher than the latest, the
//! size within the limit). `version/create` completes that upload (`uploads::complete`:
//! sha256, package check, package store, version row, audit), so a version exists only
//! after both, and a create without an upload is refused.

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use gopay_miniapp_portal::codes;
use gopay_miniapp_portal::native::wire::{UploadState, Version};
use gopay_miniapp_portal::VersionNumber;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Deserialize;
use serde_json::{json, Value};

use super::envelope::{answer, bad_param, from_api, refuse, required, Page};
use super::ids::{self, check_space, parse_console_id, AppRef, Kind};
use super::session::Console;
use crate::apps::{query_pairs, version_row, VERSION_COLUMNS};
use crate::error::{ApiError, ApiResult};
use crate::extract::parse_json;
use crate::state::AppState;
use crate::store::{now_ms, now_rfc3339};
use crate::uploads::{
    check_package, complete, fill_upload_from_file, invalid_version, open_upload,
};
use crate::web::upload::{read_failed, read_text, receive_file, Received};
use gopay_miniapp_guard::text::Shown;

/// The artifact type and source the emulator takes (OBSERVED values; others ASSUMED refused).
pub(crate) const ARTIFACT_TYPE: &str = "FILE";
const SOURCE: &str = "UPLOAD";

/// `app/version/{appId}/{version}/{fileName}` (OBSERVED form).
fn artifact_path(app_console: &str, version: &VersionNumber, file_name: &str) -> String {
    format!("app/version/{app_console}/{version}/{file_name}")
}

/// Milliseconds since the epoch of an RFC 3339 time (the console's `gmtCreate`, ASSUMED).
pub(crate) fn epoch_ms(rfc3339: &str) -> i64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .unwrap_or(0)
}

/// The artifact list of a version: the resource it was created from (none for a version
/// uploaded through the native API).
pub(crate) fn version_artifacts(tx: &Transaction<'_>, version_id: &str) -> ApiResult<Vec<String>> {
    let mut stmt = tx.prepare(
        "SELECT a.path FROM superapp_artifacts a JOIN uploads u ON u.id = a.upload_id
         WHERE u.version_id = ?1 ORDER BY a.created_at DESC LIMIT 1",
    )?;
    let rows = stmt
        .query_map([version_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

/// A version as the console lists it (fields beyond `version` ASSUMED).
fn version_item(tx: &Transaction<'_>, app: &AppRef, v: &Version) -> ApiResult<Value> {
    Ok(json!({
        "id": ids::console_id(tx, Kind::Version, &v.id)?,
        "appId": app.console,
        "spaceId": app.space_console,
        "version": v.version.to_string(),
        "name": v.version.to_string(),
        "description": v.description,
        "source": SOURCE,
        "artifactType": ARTIFACT_TYPE,
        "artifactList": version_artifacts(tx, &v.id)?,
        "size": v.size,
        "sha256": v.sha256,
        "creator": v.created_by,
        "gmtCreate": epoch_ms(&v.created_at),
    }))
}

/// `GET /rest/intercnn/app/version/query?currentPage&pageSize&appId&spaceId`
pub(crate) async fn query(
    State(state): State<AppState>,
    console: Console,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(&raw);
    let result = async {
        let page = Page::from_query(&pairs)?;
        let app_id = parse_console_id("appId", required(&pairs, "appId")?)?;
        let space_id = parse_console_id("spaceId", required(&pairs, "spaceId")?)?;
        let user = console.caller.user_id.clone();
        let items = state
            .store
            .run(move |tx| {
                let app = ids::app(tx, &app_id, &user, true)?;
                check_space(&app, "spaceId", &space_id)?;
                let mut stmt = tx.prepare(&format!(
                    "SELECT {VERSION_COLUMNS} FROM versions WHERE app_id = ?1
                     ORDER BY major DESC, minor DESC, patch DESC"
                ))?;
                let versions = stmt
                    .query_map([&app.native], version_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                versions
                    .iter()
                    .map(|v| version_item(tx, &app, v))
                    .collect::<ApiResult<Vec<_>>>()
            })
            .await?;
        Ok(page.list(items))
    }
    .await;
    answer(result)
}

/// What the upload form said.
#[derive(Default)]
struct UploadFields {
    space_id: String,
    app_id: String,
    version: String,
    file: Option<(Received, Option<String>)>,
}

/// The file name the artifact path takes: a plain `.zip` name.
fn check_file_name(name: Option<&str>) -> ApiResult<String> {
    let name = name.map(str::trim).unwrap_or("");
    if name.is_empty() {
        return Err(bad_param(
            "file",
            "the `file` part has no file name (send it as {appId}_v{version}_{suffix}.zip)",
        ));
    }
    let plain = name.chars().count() <= 200
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
        && name != "."
        && name != "..";
    if !plain {
        return Err(bad_param(
            "file",
            format!(
                "`{}` is not a plain file name (no folders, at most 200 characters)",
                Shown(name)
            ),
        ));
    }
    if !name.to_ascii_lowercase().ends_with(".zip") {
        return Err(bad_param(
            "file",
            format!("`{name}` is not a .zip file; WindVane MiniApps are uploaded as ZIP"),
        ));
    }
    Ok(name.to_string())
}

async fn read_upload(state: &AppState, multipart: &mut Multipart) -> ApiResult<UploadFields> {
    let limit = state.max_package_size;
    let mut fields = UploadFields::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| read_failed(e, limit))?
    {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "spaceId" => fields.space_id = read_text(field, "spaceId", limit).await?,
            "appId" => fields.app_id = read_text(field, "appId", limit).await?,
            "version" => fields.version = read_text(field, "version", limit).await?,
            "file" => {
                let file_name = field.file_name().map(str::to_string);
                fields.file = Some((receive_file(state, field).await?, file_name));
            }
            _ => {
                read_text(field, "unknown", limit).await?;
            }
        }
    }
    Ok(fields)
}

/// `POST /rest/intercnn/app/version/uploadResource` (multipart: spaceId, appId, version, file)
pub(crate) async fn upload_resource(
    State(state): State<AppState>,
    console: Console,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(rejection) => {
            return from_api(bad_param(
                "file",
                format!(
                "the upload must be multipart/form-data with spaceId, appId, version and file: {}",
                rejection.body_text()
            ),
            ))
        }
    };
    answer(upload(&state, &console, &mut multipart).await)
}

async fn upload(
    state: &AppState,
    console: &Console,
    multipart: &mut Multipart,
) -> ApiResult<Value> {
    let fields = read_upload(state, multipart).await?;
    let space_id = parse_console_id("spaceId", &fields.space_id)?;
    let app_id = parse_console_id("appId", &fields.app_id)?;
    let version_text = fields.version.trim().to_string();
    if version_text.is_empty() {
        return Err(bad_param("version", "`version` is missing (x.y.z)"));
    }
    let version = parse_version(&version_text)?;
    let Some((received, file_name)) = fields.file.filter(|(r, _)| r.chosen || r.size > 0) else {
        return Err(bad_param(
            "file",
            "the `file` part (the ZIP package) is missing",
        ));
    };
    let file_name = check_file_name(file_name.as_deref())?;

    let user = console.caller.user_id.clone();
    let app = state
        .store
        .run(move |tx| {
            let app = ids::app(tx, &app_id, &user, true)?;
            check_space(&app, "spaceId", &space_id)?;
            Ok(app)
        })
        .await?;

    // The native checks from here on: size limit, version free and higher, then the bytes.
    let body = json!({
        "version": version.to_string(),
        "description": "",
        "size": received.size,
        "sha256": received.sha256,
    });
    let caller = console.caller.clone();
    if received.size > 0 && received.size <= state.max_package_size {
        if let Some(temp) = &received.temp {
            let path = temp.0.clone();
            let limit = state.max_package_size;
            tokio::task::spawn_blocking(move || check_package(&path, limit))
                .await?
                .map_err(|why| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        codes::INVALID_PACKAGE,
                        format!("{why}; nothing was stored"),
                        "zip the contents of the build output folder (index.html or app.json at the top)",
                    )
                    .field("file")
                })?;
        }
    }
    let (_, upload) = open_upload(state, caller.clone(), app.native.clone(), body).await?;
    if upload.state == UploadState::Open {
        let Some(temp) = &received.temp else {
            return Err(ApiError::internal("a package over the limit was accepted"));
        };
        fill_upload_from_file(state, caller.clone(), upload.id.clone(), temp.0.clone()).await?;
    }
    drop(received);

    let path = artifact_path(&app.console, &version, &file_name);
    let record = (
        path.clone(),
        app.native.clone(),
        upload.id.clone(),
        file_name.clone(),
    );
    let actor = caller.username.clone();
    let version_string = version.to_string();
    state
        .store
        .run(move |tx| {
            let (path, app_native, upload_id, file_name) = record;
            tx.execute(
                "INSERT OR REPLACE INTO superapp_artifacts (path, app_id, version, upload_id, file_name, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![path, app_native, version_string, upload_id, file_name, actor, now_rfc3339()],
            )?;
            Ok(())
        })
        .await?;
    tracing::info!(app = %app.console, %version, "resource uploaded to the SuperApp emulator");
    Ok(json!({
        "path": path,
        "fileName": file_name,
        "size": upload.size,
        "sha256": upload.sha256,
        "gmtCreate": now_ms(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateVersionBody {
    app_id: String,
    #[serde(default)]
    artifact_list: Vec<String>,
    artifact_type: Option<String>,
    name: Option<String>,
    source: Option<String>,
    version: String,
}

/// Refuses an `artifactType` other than FILE.
pub(crate) fn check_artifact_type(value: Option<&str>) -> ApiResult<()> {
    match value {
        None => Ok(()),
        Some(t) if t == ARTIFACT_TYPE => Ok(()),
        Some(other) => Err(bad_param(
            "artifactType",
            format!(
                "artifactType `{}` is not supported; send \"FILE\"",
                Shown(other)
            ),
        )),
    }
}

/// A version number of a request, as the native portal checks it.
pub(crate) fn parse_version(text: &str) -> ApiResult<VersionNumber> {
    text.trim()
        .parse()
        .map_err(|e: gopay_miniapp_portal::VersionParseError| invalid_version(e.to_string()))
}

/// `POST /rest/intercnn/app/version/create`
/// `{appId, artifactList: ["app/version/{appId}/{version}/{fileName}"], artifactType: "FILE",
///  name: version, source: "UPLOAD", version}`
pub(crate) async fn create(
    State(state): State<AppState>,
    console: Console,
    body: Bytes,
) -> Response {
    answer(create_version(&state, &console, &body).await)
}

async fn create_version(state: &AppState, console: &Console, body: &[u8]) -> ApiResult<Value> {
    let req: CreateVersionBody = parse_json(body)?;
    let app_id = parse_console_id("appId", &req.app_id)?;
    let version = parse_version(&req.version)?;
    check_artifact_type(req.artifact_type.as_deref())?;
    if let Some(source) = req.source.as_deref().filter(|s| *s != SOURCE) {
        return Err(bad_param(
            "source",
            format!(
                "source `{}` is not supported; send \"UPLOAD\" (after uploadResource)",
                Shown(source)
            ),
        ));
    }
    if let Some(name) = &req.name {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(bad_param(
                "name",
                "`name` must be 1 to 100 characters (the console sends the version)",
            ));
        }
    }
    let [path] = req.artifact_list.as_slice() else {
        return Err(bad_param(
            "artifactList",
            format!(
                "artifactList must name the one uploaded resource, [\"app/version/{app_id}/{version}/<fileName>\"], not {} entries",
                req.artifact_list.len()
            ),
        ));
    };
    let path = path.trim().to_string();
    let user = console.caller.user_id.clone();
    let (app, upload_id) = state
        .store
        .run(move |tx| {
            let app = ids::app(tx, &app_id, &user, true)?;
            let found: Option<(String, String, String)> = tx
                .query_row(
                    "SELECT app_id, version, upload_id FROM superapp_artifacts WHERE path = ?1",
                    [&path],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            match found {
                Some((owner, v, upload_id)) if owner == app.native && v == version.to_string() => {
                    Ok((app, upload_id))
                }
                Some(_) => Err(bad_param(
                    "artifactList",
                    format!("the resource `{path}` is not one of version {version} of {}", app.name),
                )),
                None => Err(refuse(
                    "ARTIFACT_NOT_FOUND",
                    format!("no resource `{path}` was uploaded; a version is made from an uploaded resource"),
                    "upload the package first: POST /rest/intercnn/app/version/uploadResource (spaceId, appId, version, file), then create the version with the path it answers",
                )
                .field("artifactList")),
            }
        })
        .await?;
    let (_, version) = complete(state, console.caller.clone(), upload_id).await?;
    state
        .store
        .run(move |tx| version_item(tx, &app, &version))
        .await
}
