//! Resumable, verified package uploads.
//!
//! An upload is opened with the package's size and sha256, then filled chunk by chunk
//! (`PUT …/chunks/{offset}`, each verified by `X-Chunk-Sha256`), then completed: the whole file
//! is verified again, checked to be a MiniApp package, moved into the content-addressed package
//! store and turned into a version. `received` only ever counts verified bytes: a chunk that
//! fails its checksum or is cut off mid-body is cut back off the part file.

use std::io::{Read, Seek, SeekFrom};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use futures_util::StreamExt;
use gopay_miniapp_portal::codes;
use gopay_miniapp_portal::native::wire::{
    ChunkReceipt, CreateUploadRequest, Upload, UploadState, Version,
};
use gopay_miniapp_portal::VersionNumber;
use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::apps::{latest_version, member_app, version_by_number, version_row, VERSION_COLUMNS};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_json, ApiJson};
use crate::state::AppState;
use crate::store::{audit, new_id, now_rfc3339};
use gopay_miniapp_guard::text::Shown;

/// Largest chunk the portal accepts.
pub const MAX_CHUNK_SIZE: u64 = 16 * 1024 * 1024;
/// The header carrying a chunk's hex sha256.
pub const CHUNK_SHA256_HEADER: &str = "x-chunk-sha256";

#[derive(Debug, Clone)]
struct UploadRow {
    id: String,
    app_id: String,
    version: VersionNumber,
    description: String,
    size: u64,
    sha256: String,
    received: u64,
    /// open | complete | aborted
    state: String,
    version_id: Option<String>,
}

impl UploadRow {
    fn to_wire(&self) -> Upload {
        Upload {
            id: self.id.clone(),
            app_id: self.app_id.clone(),
            version: self.version,
            description: self.description.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
            received: self.received,
            state: if self.state == "complete" {
                UploadState::Complete
            } else {
                UploadState::Open
            },
            max_chunk_size: MAX_CHUNK_SIZE,
            version_id: self.version_id.clone(),
        }
    }
}

const UPLOAD_COLUMNS: &str =
    "id, app_id, version, description, size, sha256, received, state, version_id";

fn upload_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UploadRow> {
    let size: i64 = r.get(4)?;
    let received: i64 = r.get(6)?;
    Ok(UploadRow {
        id: r.get(0)?,
        app_id: r.get(1)?,
        version: crate::apps::version_number_column(r, 2)?,
        description: r.get(3)?,
        size: size as u64,
        sha256: r.get(5)?,
        received: received as u64,
        state: r.get(7)?,
        version_id: r.get(8)?,
    })
}

/// An upload of a MiniApp the caller may see; aborted uploads are gone (404), except one
/// closed because another upload made its version meanwhile: that is said as such (409
/// `version_not_higher`), not "not found; check the id" (issue #20 item 25: the losers of a
/// concurrent upload race were told to check the id).
fn visible_upload(tx: &Transaction<'_>, upload_id: &str, user_id: &str) -> ApiResult<UploadRow> {
    let row = tx
        .query_row(
            &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1"),
            [upload_id],
            upload_row,
        )
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("upload `{upload_id}`")))?;
    let app = member_app(tx, &row.app_id, user_id)
        .map_err(|_| ApiError::not_found(format!("upload `{upload_id}`")))?;
    if row.state == "aborted" {
        if let Some(made) = version_by_number(tx, &row.app_id, &row.version)? {
            return Err(made_meanwhile(&row, &made, &app.name));
        }
        return Err(ApiError::not_found(format!("upload `{upload_id}`")));
    }
    Ok(row)
}

/// An upload closed because another upload made its version first.
fn made_meanwhile(row: &UploadRow, made: &Version, app_name: &str) -> ApiError {
    let same = made.sha256 == row.sha256;
    ApiError::new(
        StatusCode::CONFLICT,
        codes::VERSION_NOT_HIGHER,
        format!(
            "version {} of {app_name} was made meanwhile by another upload{}, so upload `{}` was closed",
            row.version,
            if same { " of the same package" } else { " (a different package)" },
            row.id
        ),
        if same {
            "nothing to do: the version exists with this package".to_string()
        } else {
            match row.version.bump(gopay_miniapp_portal::BumpKind::Patch) {
                Ok(next) => format!("publish a higher version, e.g. {next}"),
                Err(_) => "publish a higher version".to_string(),
            }
        },
    )
    .field("version")
}

/// Bytes for people: `12.3 KiB`.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn too_large(size: u64, limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        codes::TOO_LARGE,
        format!(
            "the package is {} ({size} bytes) but the portal accepts at most {} ({limit} bytes)",
            human_size(size),
            human_size(limit)
        ),
        "shrink the package: leave out what the MiniApp does not need",
    )
    .field("size")
}

fn version_not_higher(requested: &VersionNumber, latest: &Version, app_name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        codes::VERSION_NOT_HIGHER,
        format!(
            "version {requested} of {app_name} is not higher than the latest version {}; version numbers only go up",
            latest.version
        ),
        match latest.version.bump(gopay_miniapp_portal::BumpKind::Patch) {
            Ok(next) => format!("publish a higher version, e.g. {next}"),
            Err(_) => "publish a higher version".to_string(),
        },
    )
    .field("version")
}

/// Refuses a version number that exists or is not above the latest.
fn check_version_free(
    tx: &Transaction<'_>,
    app_id: &str,
    app_name: &str,
    version: &VersionNumber,
) -> ApiResult<()> {
    if let Some(latest) = latest_version(tx, app_id)? {
        if *version <= latest.version {
            return Err(version_not_higher(version, &latest, app_name));
        }
    }
    if let Some(existing) = version_by_number(tx, app_id, version)? {
        return Err(version_not_higher(version, &existing, app_name));
    }
    Ok(())
}

fn parse_sha256(value: &str, field: &str) -> ApiResult<String> {
    let value = value.trim().to_ascii_lowercase();
    if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` must be the hex sha256 of the bytes (64 hex digits)"),
        ));
    }
    Ok(value)
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

pub(crate) async fn create_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(app_id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<Upload>)> {
    let (status, upload) = open_upload(&state, caller, app_id, body).await?;
    Ok((status, Json(upload)))
}

/// Opens an upload (`201`), or finds the same one again (`200`): the body is the JSON of
/// `CreateUploadRequest` (taken as a value so a bad version gets `invalid_version`). Every
/// check of a new version happens here: version format, size limit, description, version
/// higher than the latest.
pub(crate) async fn open_upload(
    state: &AppState,
    caller: Caller,
    app_id: String,
    body: serde_json::Value,
) -> ApiResult<(StatusCode, Upload)> {
    // The version is checked first so a bad one gets its own code.
    match body.get("version") {
        None | Some(serde_json::Value::Null) => {
            return Err(ApiError::invalid("version", "`version` is missing (x.y.z)"));
        }
        Some(serde_json::Value::String(text)) => {
            if let Err(err) = text.parse::<VersionNumber>() {
                return Err(invalid_version(err.to_string()));
            }
        }
        Some(other) => {
            return Err(invalid_version(format!(
                "`{other}` is not a version number of the form x.y.z"
            )))
        }
    }
    let req: CreateUploadRequest = parse_json(&serde_json::to_vec(&body).unwrap_or_default())?;
    let sha256 = parse_sha256(&req.sha256, "sha256")?;
    if req.size == 0 {
        return Err(ApiError::invalid(
            "size",
            "an empty package cannot be a MiniApp",
        ));
    }
    if req.size > state.max_package_size {
        return Err(too_large(req.size, state.max_package_size));
    }
    let description = req.description.trim().to_string();
    if description.chars().count() > 2000 {
        return Err(ApiError::invalid(
            "description",
            "the description is longer than 2000 characters",
        ));
    }
    let version = req.version;
    let size = req.size;
    state
        .store
        .run(move |tx| {
            let app = member_app(tx, &app_id, &caller.user_id)?;
            // Idempotent: the same package for the same version is the same upload.
            let existing = tx
                .query_row(
                    &format!(
                        "SELECT {UPLOAD_COLUMNS} FROM uploads
                         WHERE app_id = ?1 AND version = ?2 AND sha256 = ?3 AND size = ?4
                           AND state IN ('open', 'complete')
                         ORDER BY rowid DESC LIMIT 1"
                    ),
                    params![app_id, version.to_string(), sha256, size as i64],
                    upload_row,
                )
                .optional()?;
            if let Some(existing) = existing {
                return Ok((StatusCode::OK, existing.to_wire()));
            }
            check_version_free(tx, &app_id, &app.name, &version)?;
            let id = new_id("up");
            let now = now_rfc3339();
            tx.execute(
                "INSERT INTO uploads (id, app_id, version, description, size, sha256, received, state, created_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 'open', ?7, ?8, ?8)",
                params![id, app_id, version.to_string(), description, size as i64, sha256, caller.username, now],
            )?;
            audit(
                tx,
                &app_id,
                &caller.username,
                "upload.open",
                &format!("{version}: upload of {} opened", human_size(size)),
            )?;
            let row = UploadRow {
                id,
                app_id,
                version,
                description,
                size,
                sha256,
                received: 0,
                state: "open".into(),
                version_id: None,
            };
            Ok((StatusCode::CREATED, row.to_wire()))
        })
        .await
}

pub(crate) fn invalid_version(message: String) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        codes::INVALID_VERSION,
        message,
        "use three whole numbers, e.g. 1.4.2 (no `v`, no suffix, no leading zeros)",
    )
    .field("version")
}

pub(crate) async fn get_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(upload_id): Path<String>,
) -> ApiResult<Json<Upload>> {
    let row = state
        .store
        .run(move |tx| visible_upload(tx, &upload_id, &caller.user_id))
        .await?;
    Ok(Json(row.to_wire()))
}

fn offset_mismatch(message: String, received: u64) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        codes::OFFSET_MISMATCH,
        message,
        format!("send the next chunk at offset {received} (GET the upload for its `received`)"),
    )
    .received(received)
}

/// A chunk for an upload that is complete: nothing more to send (issue #20 item 30: it was
/// told to "send the next chunk at offset N"). Still `offset_mismatch` with `received` =
/// the size, so a client resuming from `received` finds it has nothing left to send.
fn upload_already_complete(row: &UploadRow) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        codes::OFFSET_MISMATCH,
        format!(
            "upload `{}` is complete (all {} bytes); version {} exists",
            row.id, row.size, row.version
        ),
        "send no more chunks: the upload is complete (POST its /complete to get the version)",
    )
    .received(row.size)
}

pub(crate) async fn put_chunk(
    State(state): State<AppState>,
    caller: Caller,
    Path((upload_id, offset)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<ChunkReceipt>> {
    let offset: u64 = offset
        .parse()
        .map_err(|_| ApiError::invalid("offset", "the offset must be a whole number of bytes"))?;
    let expected = headers
        .get(CHUNK_SHA256_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::invalid(
                "X-Chunk-Sha256",
                "every chunk needs an `X-Chunk-Sha256: <hex sha256 of the chunk>` header",
            )
        })
        .and_then(|v| parse_sha256(v, "X-Chunk-Sha256"))?;
    let declared_len: Option<u64> = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());

    let id = upload_id.clone();
    let user = caller.user_id.clone();
    let row = state
        .store
        .run(move |tx| visible_upload(tx, &id, &user))
        .await?;
    if row.state == "complete" {
        return Err(upload_already_complete(&row));
    }
    if let Some(len) = declared_len {
        check_chunk_len(len, offset, row.size)?;
    }

    // One chunk at a time per upload.
    let lock = state.upload_lock(&upload_id);
    let Ok(guard) = lock.try_lock_owned() else {
        return Err(offset_mismatch(
            "another chunk of this upload is being received right now".into(),
            row.received,
        )
        .retryable());
    };
    // Re-read under the lock: `received` is authoritative only now.
    let id = upload_id.clone();
    let user = caller.user_id.clone();
    let row = state
        .store
        .run(move |tx| visible_upload(tx, &id, &user))
        .await?;
    if row.state != "open" {
        return Err(upload_already_complete(&row));
    }
    if offset != row.received {
        return Err(offset_mismatch(
            format!(
                "the chunk starts at byte {offset} but the portal holds {} bytes of this upload",
                row.received
            ),
            row.received,
        ));
    }

    // The body is received by a task of its own, so a client that hangs up mid-chunk cannot
    // stop the clean-up (truncating the part file back to `offset`) half-way.
    let task = tokio::spawn(async move {
        let _guard = guard;
        receive_chunk(state, row, offset, expected, body).await
    });
    let receipt = task.await??;
    Ok(Json(receipt))
}

fn check_chunk_len(len: u64, offset: u64, size: u64) -> ApiResult<()> {
    if len > MAX_CHUNK_SIZE {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::TOO_LARGE,
            format!(
                "the chunk is {} ({len} bytes) but chunks may be at most {} ({MAX_CHUNK_SIZE} bytes)",
                human_size(len),
                human_size(MAX_CHUNK_SIZE)
            ),
            "send smaller chunks (the upload's `maxChunkSize`)",
        ));
    }
    if offset.saturating_add(len) > size {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::TOO_LARGE,
            format!(
                "the chunk runs to byte {} but the package was declared as {size} bytes",
                offset.saturating_add(len)
            ),
            "the chunks must add up to the size given when the upload was opened",
        ));
    }
    Ok(())
}

async fn receive_chunk(
    state: AppState,
    row: UploadRow,
    offset: u64,
    expected: String,
    body: Body,
) -> ApiResult<ChunkReceipt> {
    let path = state.store.part_path(&row.id);
    let fresh = !tokio::fs::try_exists(&path).await.unwrap_or(false);
    // Packages are private to the portal (0600, guard::files).
    let mut options =
        tokio::fs::OpenOptions::from(gopay_miniapp_guard::files::private_open_options());
    let mut file = options
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .await?;
    if fresh {
        // The new file's name must be durable too, not only its bytes.
        sync_dir(path.parent()).await;
    }
    // Anything past `offset` is unverified leftovers of an earlier attempt.
    file.set_len(offset).await?;
    file.seek(SeekFrom::Start(offset)).await?;

    let streamed = stream_to_file(&mut file, body, offset, row.size).await;
    let outcome = match streamed {
        Ok((0, _)) => Err(ApiError::invalid("body", "the chunk is empty")),
        Ok((_, actual)) if actual != expected => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::CHECKSUM_MISMATCH,
            format!("the chunk at offset {offset} does not match its X-Chunk-Sha256 (it was damaged on the way)"),
            format!("send the same chunk again from offset {offset}"),
        )
        .retryable()
        .received(offset)),
        Ok((len, _)) => Ok(len),
        Err(err) => Err(err),
    };
    let len = match outcome {
        Ok(len) => len,
        Err(err) => {
            // `received` counts verified bytes only.
            if let Err(io) = file.set_len(offset).await {
                tracing::error!(error = %io, upload = %row.id, "cannot cut back a part file");
            }
            return Err(err);
        }
    };
    file.flush().await?;
    file.sync_data().await?;
    drop(file);

    let received = offset + len;
    let id = row.id.clone();
    let updated = state
        .store
        .run(move |tx| {
            Ok(tx.execute(
                "UPDATE uploads SET received = ?1, updated_at = ?2
                 WHERE id = ?3 AND received = ?4 AND state = 'open'",
                params![received as i64, now_rfc3339(), id, offset as i64],
            )?)
        })
        .await?;
    if updated == 0 {
        return Err(ApiError::not_found(format!("open upload `{}`", row.id)));
    }
    Ok(ChunkReceipt { received })
}

/// Streams the body into the file while hashing it; returns (bytes, hex sha256).
async fn stream_to_file(
    file: &mut tokio::fs::File,
    body: Body,
    offset: u64,
    size: u64,
) -> ApiResult<(u64, String)> {
    let mut stream = body.into_data_stream();
    let mut hasher = Sha256::new();
    let mut len: u64 = 0;
    while let Some(frame) = stream.next().await {
        let bytes = frame.map_err(|err| {
            tracing::info!(error = %err, "a chunk body was cut off");
            ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID_REQUEST,
                "the chunk body was cut off before its end",
                format!("send the chunk again from offset {offset}"),
            )
            .retryable()
            .received(offset)
        })?;
        len += bytes.len() as u64;
        check_chunk_len(len, offset, size)?;
        hasher.update(&bytes);
        file.write_all(&bytes).await?;
    }
    Ok((len, hex::encode(hasher.finalize())))
}

pub(crate) async fn complete_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(upload_id): Path<String>,
) -> ApiResult<(StatusCode, Json<Version>)> {
    let (status, version) = complete(&state, caller, upload_id).await?;
    Ok((status, Json(version)))
}

/// Completes an upload: verifies the whole file (sha256, a MiniApp package), moves it into
/// the package store and creates the version (`201`); the version again (`200`) when the
/// upload was completed before.
pub(crate) async fn complete(
    state: &AppState,
    caller: Caller,
    upload_id: String,
) -> ApiResult<(StatusCode, Version)> {
    let lock = state.upload_lock(&upload_id);
    let _guard = lock.lock().await;

    let (row, app_name, existing) = upload_to_complete(state, &caller, upload_id).await?;
    if let Some(version) = existing {
        return Ok((StatusCode::OK, version));
    }
    require_every_byte(&row)?;
    abort_unless_version_free(state, &row, &app_name).await?;
    let (part, dest) = verify_package(state, &row).await?;
    move_into_store(&part, &dest).await?;
    gopay_miniapp_portal::pause::pause_at("portal-upload-complete");
    let version = create_version(state, &caller, &row, app_name).await?;
    tracing::info!(app = %version.app_id, version = %version.version, "version created");
    Ok((StatusCode::CREATED, version))
}

/// The upload (visible to the caller), its MiniApp's name, and its version when the upload
/// was completed before.
async fn upload_to_complete(
    state: &AppState,
    caller: &Caller,
    upload_id: String,
) -> ApiResult<(UploadRow, String, Option<Version>)> {
    let user = caller.user_id.clone();
    state
        .store
        .run(move |tx| {
            let row = visible_upload(tx, &upload_id, &user)?;
            let app = member_app(tx, &row.app_id, &user)?;
            let existing = match &row.version_id {
                Some(version_id) => Some(version_by_id(tx, version_id)?),
                None => None,
            };
            Ok((row, app.name, existing))
        })
        .await
}

fn version_by_id(tx: &Transaction<'_>, version_id: &str) -> rusqlite::Result<Version> {
    tx.query_row(
        &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE id = ?1"),
        [version_id],
        version_row,
    )
}

/// `UPLOAD_INCOMPLETE` (with the offset to go on from) unless every byte has arrived.
fn require_every_byte(row: &UploadRow) -> ApiResult<()> {
    if row.received < row.size {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            codes::UPLOAD_INCOMPLETE,
            format!(
                "the portal holds {} of the {} bytes of this upload",
                row.received, row.size
            ),
            format!(
                "send the rest from offset {}, then complete again",
                row.received
            ),
        )
        .received(row.received));
    }
    Ok(())
}

/// Still a higher version? (Someone may have published meanwhile.) If not, the upload is
/// aborted and the refusal returned.
async fn abort_unless_version_free(
    state: &AppState,
    row: &UploadRow,
    app_name: &str,
) -> ApiResult<()> {
    let record = row.clone();
    let app_name = app_name.to_string();
    let result = state
        .store
        .run(move |tx| check_version_free(tx, &record.app_id, &app_name, &record.version))
        .await;
    if let Err(err) = result {
        abort_upload(state, &row.id).await?;
        return Err(err);
    }
    Ok(())
}

/// Verifies the whole file and that it is a MiniApp package; its part file and its place in
/// the package store. A file that does not match the sha256 starts the upload over; one
/// that is not a MiniApp package is discarded with the upload.
async fn verify_package(
    state: &AppState,
    row: &UploadRow,
) -> ApiResult<(std::path::PathBuf, std::path::PathBuf)> {
    let part = state.store.part_path(&row.id);
    let dest = state.store.package_path(&row.sha256);
    // A portal killed after moving the package into the store but before recording the
    // version: the bytes are in the store already, and are checked there.
    let in_store = !tokio::fs::try_exists(&part).await? && tokio::fs::try_exists(&dest).await?;
    let check_path = if in_store { dest.clone() } else { part.clone() };
    let (actual, package_check) =
        hash_and_check_package(check_path, in_store, row.size, state.max_package_size).await?;

    if actual != row.sha256 {
        start_upload_over(state, &row.id, &part).await?;
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::CHECKSUM_MISMATCH,
            "the uploaded package does not match the sha256 given when the upload was opened; the upload starts over",
            "upload the package again from offset 0",
        )
        .retryable()
        .received(0));
    }
    if let Err(why) = package_check {
        abort_upload(state, &row.id).await?;
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::INVALID_PACKAGE,
            format!("{why}; the upload was discarded"),
            "zip the contents of the build output folder (index.html or app.json at the top)",
        ));
    }
    Ok((part, dest))
}

/// The hex sha256 of the file at `path` and whether it is a MiniApp package; a part file
/// (not `in_store`) is first cut to the upload's `size`.
async fn hash_and_check_package(
    path: std::path::PathBuf,
    in_store: bool,
    size: u64,
    max_package_size: u64,
) -> ApiResult<(String, Result<(), String>)> {
    Ok(tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(!in_store)
            .open(&path)?;
        if !in_store {
            file.set_len(size)?;
        }
        file.seek(SeekFrom::Start(0))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let actual = hex::encode(hasher.finalize());
        let check = check_package(&path, max_package_size);
        Ok((actual, check))
    })
    .await??)
}

/// Empties the part file and sets `received` back to 0.
async fn start_upload_over(
    state: &AppState,
    upload_id: &str,
    part: &std::path::Path,
) -> ApiResult<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(part)
        .and_then(|f| f.set_len(0))?;
    update_upload(
        state,
        "UPDATE uploads SET received = 0, updated_at = ?1 WHERE id = ?2",
        upload_id,
    )
    .await
}

/// Into the package store (content-addressed: the same bytes are kept once), durably
/// before the version that points at it is recorded.
async fn move_into_store(part: &std::path::Path, dest: &std::path::Path) -> ApiResult<()> {
    if let Some(parent) = dest.parent() {
        // Private like the rest of the package store (guard::files).
        let dir = parent.to_path_buf();
        tokio::task::spawn_blocking(move || gopay_miniapp_guard::files::create_private_dir(&dir))
            .await
            .map_err(std::io::Error::other)??;
    }
    if tokio::fs::try_exists(dest).await? {
        match tokio::fs::remove_file(part).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    } else {
        tokio::fs::rename(part, dest).await?;
        sync_dir(dest.parent()).await;
    }
    Ok(())
}

/// Records the version and completes the upload; a version no longer higher aborts it. The
/// part files of the other open uploads of this version go.
async fn create_version(
    state: &AppState,
    caller: &Caller,
    row: &UploadRow,
    app_name: String,
) -> ApiResult<Version> {
    let actor = caller.username.clone();
    let record = row.clone();
    let result = state
        .store
        .run(move |tx| {
            check_version_free(tx, &record.app_id, &app_name, &record.version)?;
            insert_version(tx, &record, &actor)
        })
        .await;
    let (version, others) = match result {
        Ok(done) => done,
        Err(err) => {
            if err.code() == codes::VERSION_NOT_HIGHER {
                abort_upload(state, &row.id).await?;
            }
            return Err(err);
        }
    };
    for other in others {
        let _ = tokio::fs::remove_file(state.store.part_path(&other)).await;
    }
    Ok(version)
}

/// The version of a verified upload, the upload marked complete, and the other open uploads
/// of the same version aborted (their ids returned).
fn insert_version(
    tx: &Transaction<'_>,
    record: &UploadRow,
    actor: &str,
) -> ApiResult<(Version, Vec<String>)> {
    let version_id = new_id("ver");
    let now = now_rfc3339();
    tx.execute(
        "INSERT INTO versions (id, app_id, version, major, minor, patch, description, size, sha256, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            version_id,
            record.app_id,
            record.version.to_string(),
            record.version.major as i64,
            record.version.minor as i64,
            record.version.patch as i64,
            record.description,
            record.size as i64,
            record.sha256,
            now,
            actor
        ],
    )?;
    tx.execute(
        "UPDATE uploads SET state = 'complete', version_id = ?1, updated_at = ?2 WHERE id = ?3",
        params![version_id, now, record.id],
    )?;
    let others = abort_other_open_uploads(tx, record, &now)?;
    audit(
        tx,
        &record.app_id,
        actor,
        "version.create",
        &format!(
            "{} uploaded ({}, sha256 {})",
            record.version,
            human_size(record.size),
            &record.sha256[..12]
        ),
    )?;
    let version = version_by_id(tx, &version_id)?;
    Ok((version, others))
}

/// Other open uploads of this version can never complete now: aborted, their ids returned.
fn abort_other_open_uploads(
    tx: &Transaction<'_>,
    record: &UploadRow,
    now: &str,
) -> ApiResult<Vec<String>> {
    let mut stmt = tx.prepare(
        "SELECT id FROM uploads WHERE app_id = ?1 AND version = ?2 AND state = 'open' AND id != ?3",
    )?;
    let others = stmt
        .query_map(
            params![record.app_id, record.version.to_string(), record.id],
            |r| r.get::<_, String>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for other in &others {
        tx.execute(
            "UPDATE uploads SET state = 'aborted', updated_at = ?1 WHERE id = ?2",
            params![now, other],
        )?;
    }
    Ok(others)
}

/// Gives an open upload all its bytes at once from a file the portal wrote itself (the web
/// page's "Upload by Files", which streams the form's file to disk first): the file becomes
/// the upload's part file and `received` its size, as if every chunk had arrived. The file is
/// moved (it must be in the data directory); completing the upload verifies it as usual.
pub(crate) async fn fill_upload_from_file(
    state: &AppState,
    caller: Caller,
    upload_id: String,
    file: std::path::PathBuf,
) -> ApiResult<()> {
    let lock = state.upload_lock(&upload_id);
    let _guard = lock.lock().await;
    let id = upload_id.clone();
    let user = caller.user_id.clone();
    let row = state
        .store
        .run(move |tx| visible_upload(tx, &id, &user))
        .await?;
    if row.state != "open" {
        // Completed before (the same package for the same version): nothing to add.
        let _ = tokio::fs::remove_file(&file).await;
        return Ok(());
    }
    let len = tokio::fs::metadata(&file).await?.len();
    if len != row.size {
        let _ = tokio::fs::remove_file(&file).await;
        return Err(ApiError::internal(format!(
            "a {len}-byte file for the {}-byte upload `{upload_id}`",
            row.size
        )));
    }
    tokio::fs::rename(&file, state.store.part_path(&row.id)).await?;
    let id = row.id.clone();
    state
        .store
        .run(move |tx| {
            tx.execute(
                "UPDATE uploads SET received = ?1, updated_at = ?2 WHERE id = ?3 AND state = 'open'",
                params![len as i64, now_rfc3339(), id],
            )?;
            Ok(())
        })
        .await
}

/// fsyncs a folder, so that files created or renamed in it survive a power cut (best effort:
/// some file systems refuse it, and the data itself is synced already).
async fn sync_dir(dir: Option<&std::path::Path>) {
    let Some(dir) = dir.map(std::path::Path::to_path_buf) else {
        return;
    };
    let _ = tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all()).await;
}

/// Runs `sql`, an `UPDATE` of one upload with `?1` the time now and `?2` its id.
async fn update_upload(state: &AppState, sql: &'static str, upload_id: &str) -> ApiResult<()> {
    let id = upload_id.to_string();
    state
        .store
        .run(move |tx| {
            tx.execute(sql, params![now_rfc3339(), id])?;
            Ok(())
        })
        .await
}

/// Marks an upload aborted and frees its bytes.
async fn abort_upload(state: &AppState, upload_id: &str) -> ApiResult<()> {
    update_upload(
        state,
        "UPDATE uploads SET state = 'aborted', updated_at = ?1 WHERE id = ?2 AND state = 'open'",
        upload_id,
    )
    .await?;
    match tokio::fs::remove_file(state.store.part_path(upload_id)).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A MiniApp package: a ZIP that passes the package entry rules (`guard::entries`: names that
/// stay inside, no links, unpacked size and ratio within the limits, counted while inflating)
/// with `index.html` or `app.json` at its root. `max_package_size` is the portal's limit: a
/// portal that takes larger packages unpacks larger ones too.
pub(crate) fn check_package(path: &std::path::Path, max_package_size: u64) -> Result<(), String> {
    use gopay_miniapp_guard::entries;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the package: {e}"))?;
    let size = file
        .metadata()
        .map_err(|e| format!("cannot read the package: {e}"))?
        .len();
    let limits = entries::Limits::for_package_size(max_package_size);
    let checked =
        entries::check_zip(std::io::BufReader::new(file), size, &limits).map_err(|e| {
            tracing::info!(reason = %e, "a package was refused");
            e.to_string()
        })?;
    let mut nested: Option<&str> = None;
    for name in &checked.names {
        if name == "index.html" || name == "app.json" {
            return Ok(());
        }
        if nested.is_none() && (name.ends_with("/index.html") || name.ends_with("/app.json")) {
            nested = Some(name);
        }
    }
    let mut why = "the package has no index.html or app.json at its root".to_string();
    if let Some(nested) = nested {
        why.push_str(&format!(
            " (it has `{}`: zip the folder's contents, not the folder)",
            Shown(nested)
        ));
    }
    Err(why)
}

pub(crate) async fn delete_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(upload_id): Path<String>,
) -> ApiResult<StatusCode> {
    let lock = state.upload_lock(&upload_id);
    let _guard = lock.lock().await;
    let id = upload_id.clone();
    let actor = caller.username.clone();
    let user = caller.user_id.clone();
    let outcome = state
        .store
        .run(move |tx| {
            let row = tx
                .query_row(
                    &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1"),
                    [&id],
                    upload_row,
                )
                .optional()?
                .ok_or_else(|| ApiError::not_found(format!("upload `{id}`")))?;
            member_app(tx, &row.app_id, &user)
                .map_err(|_| ApiError::not_found(format!("upload `{id}`")))?;
            match row.state.as_str() {
                "aborted" => Ok(false),
                "complete" => Err(ApiError::new(
                    StatusCode::CONFLICT,
                    codes::INVALID_REQUEST,
                    format!(
                        "the upload is complete: version {} exists and cannot be un-uploaded",
                        row.version
                    ),
                    "nothing to abort",
                )),
                _ => {
                    tx.execute(
                        "UPDATE uploads SET state = 'aborted', updated_at = ?1 WHERE id = ?2",
                        params![now_rfc3339(), id],
                    )?;
                    audit(
                        tx,
                        &row.app_id,
                        &actor,
                        "upload.abort",
                        &format!("{}: upload abandoned", row.version),
                    )?;
                    Ok(true)
                }
            }
        })
        .await?;
    if outcome {
        match tokio::fs::remove_file(state.store.part_path(&upload_id)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
