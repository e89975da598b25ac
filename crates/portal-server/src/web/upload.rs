//! "Add Version" → "Upload by Files": a ZIP upload form (version number, description, file).
//!
//! The form is `multipart/form-data`. The file is streamed to a temporary file in the data
//! directory while it is hashed and counted (never held in memory); bytes past the package
//! size limit are counted but not written. Then the upload goes through exactly the API's
//! path: `uploads::open_upload` (version format, size limit, description, version higher than
//! the latest), the file becomes the upload's bytes (`uploads::fill_upload_from_file`), and
//! `uploads::complete` verifies the sha256, checks that it is a MiniApp package, stores it and
//! creates the version, with the same rows, `createdBy` and audit entries as an upload by
//! `gopay-miniapp publish`.

use gopay_miniapp_guard::files;
use std::path::PathBuf;

use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gopay_miniapp_portal::native::wire::UploadState;
use gopay_miniapp_portal::BumpKind;
use maud::html;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::html::{self, hidden, html_response, redirect};
use super::pages::{app_url, crumbs, load_app, AppCtx};
use super::session::{check_csrf, error_page, WebSession};
use crate::apps::app_versions;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::random_base62;
use crate::uploads::{complete, fill_upload_from_file, open_upload};

/// The form's largest body: the package limit, and as much again so that the size of a
/// package somewhat over the limit can still be told (its excess bytes are not stored), plus
/// room for the other fields.
pub(crate) fn body_limit(max_package_size: u64) -> usize {
    let limit = max_package_size
        .saturating_mul(2)
        .saturating_add(1024 * 1024);
    usize::try_from(limit).unwrap_or(usize::MAX)
}

/// Text fields are small; a longer one is refused.
const TEXT_FIELD_LIMIT: usize = 64 * 1024;

/// What the form said, to show it again after a refusal.
#[derive(Default)]
struct Values {
    version: String,
    description: String,
}

fn form_page(
    state: &AppState,
    session: &WebSession,
    ctx: &AppCtx,
    values: &Values,
    error: Option<&ApiError>,
    status: StatusCode,
) -> Response {
    let back = app_url(&ctx.app.id);
    let body = html! {
        h1 { "Add Version" }
        nav.tabs {
            a.active aria-current="page" href={ (back) "/new" } { "Upload by Files" }
        }
        @if let Some(err) = error { (html::error_box(&err.body.message, &err.body.hint)) }
        form method="post" action={ "/web/apps/" (html::seg(&ctx.app.id)) "/versions" }
            enctype="multipart/form-data" class="card" {
            (hidden("csrf", &session.csrf))
            label for="version" { "Version number" }
            input type="text" #version name="version" required placeholder="x.y.z" value=(values.version);
            p.muted { "Three whole numbers, higher than the latest version of " (ctx.app.name) "." }
            label for="description" { "Description" }
            textarea #description name="description" maxlength="2000" { (values.description) }
            label for="package" { "Package (ZIP)" }
            input type="file" #package name="package" accept=".zip,application/zip" required;
            p.muted {
                "A ZIP of the build output with " code { "index.html" } " or " code { "app.json" }
                " at its root (the GoPay MiniApp tool's Pack makes one), at most "
                (html::human_size(state.max_package_size)) "."
            }
            div.actions style="margin-top:1rem" {
                button type="submit" { "OK" }
                a.button.secondary href=(back) { "Back" }
            }
        }
    };
    html_response(
        status,
        html::page(
            &format!("{} · Add Version", ctx.app.name),
            Some(&session.chrome()),
            crumbs(ctx, Some("Add Version")),
            body,
        ),
    )
}

/// `GET /web/apps/{app_id}/versions/new`
pub(crate) async fn add_version(
    State(state): State<AppState>,
    session: WebSession,
    Path(app_id): Path<String>,
) -> Response {
    let ctx = match load_app(&state, &session, app_id.clone()).await {
        Ok(ctx) => ctx,
        Err(err) => return error_page(Some(&session), &err),
    };
    // Suggest the next patch version (the highest one comes first).
    let suggested = match app_versions(&state, session.caller.clone(), app_id).await {
        Ok(versions) => versions
            .first()
            // Nothing suggested when the patch number cannot go up (u64::MAX).
            .map(|v| {
                v.version
                    .bump(BumpKind::Patch)
                    .map(|next| next.to_string())
                    .unwrap_or_default()
            })
            .unwrap_or_else(|| "1.0.0".to_string()),
        Err(err) => return error_page(Some(&session), &err),
    };
    let values = Values {
        version: suggested,
        description: String::new(),
    };
    form_page(&state, &session, &ctx, &values, None, StatusCode::OK)
}

/// A temporary file that is removed when dropped (after a move it is simply gone already).
pub(crate) struct TempFile(pub(crate) PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The form's file, on disk (unless it was over the limit).
pub(crate) struct Received {
    pub(crate) temp: Option<TempFile>,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) chosen: bool,
}

fn invalid_form(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        gopay_miniapp_portal::codes::INVALID_REQUEST,
        message,
        "fill in the form again and press OK",
    )
}

pub(crate) fn read_failed(err: axum::extract::multipart::MultipartError, limit: u64) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            gopay_miniapp_portal::codes::TOO_LARGE,
            format!(
                "the package is far larger than the portal accepts: at most {} ({limit} bytes)",
                html::human_size(limit)
            ),
            "shrink the package: leave out what the MiniApp does not need",
        )
        .field("size")
    } else {
        invalid_form(format!("the form could not be read: {}", err.body_text()))
    }
}

pub(crate) async fn read_text(
    mut field: Field<'_>,
    name: &str,
    limit: u64,
) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| read_failed(e, limit))? {
        if bytes.len() + chunk.len() > TEXT_FIELD_LIMIT {
            return Err(invalid_form(format!("the field `{name}` is too long")));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| invalid_form(format!("the field `{name}` is not UTF-8 text")))
}

/// Streams the file field to a temporary file in the uploads folder, hashing and counting.
pub(crate) async fn receive_file(
    state: &AppState,
    mut field: Field<'_>,
) -> Result<Received, ApiError> {
    let limit = state.max_package_size;
    let chosen = field.file_name().is_some_and(|name| !name.is_empty());
    let path = state
        .store
        .data_dir()
        .join("uploads")
        .join(format!("web-{}.tmp", random_base62(16)));
    let mut temp = Some(TempFile(path.clone()));
    let mut file = Some(tokio::fs::File::from_std(
        files::private_open_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?,
    ));
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    while let Some(chunk) = field.chunk().await.map_err(|e| read_failed(e, limit))? {
        size += chunk.len() as u64;
        hasher.update(&chunk);
        if size > limit {
            // Over the limit: keep counting (for the message), store nothing.
            if file.take().is_some() {
                temp = None;
            }
            continue;
        }
        if let Some(f) = file.as_mut() {
            f.write_all(&chunk).await?;
        }
    }
    if let Some(mut f) = file {
        f.flush().await?;
        f.sync_data().await?;
    }
    Ok(Received {
        temp,
        size,
        sha256: hex::encode(hasher.finalize()),
        chosen,
    })
}

/// `POST /web/apps/{app_id}/versions` (multipart: csrf, version, description, package)
pub(crate) async fn upload(
    State(state): State<AppState>,
    session: WebSession,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let ctx = match load_app(&state, &session, app_id.clone()).await {
        Ok(ctx) => ctx,
        Err(err) => return error_page(Some(&session), &err),
    };
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(rejection) => {
            return form_page(
                &state,
                &session,
                &ctx,
                &Values::default(),
                Some(&invalid_form(format!(
                    "the form was not sent as a file upload: {}",
                    rejection.body_text()
                ))),
                StatusCode::BAD_REQUEST,
            )
        }
    };

    let mut values = Values::default();
    let mut csrf_ok = false;
    let mut received: Option<Received> = None;
    let limit = state.max_package_size;
    let read: Result<(), ApiError> = async {
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| read_failed(e, limit))?
        {
            let name = field.name().unwrap_or("").to_string();
            match name.as_str() {
                "csrf" => {
                    let token = read_text(field, "csrf", limit).await?;
                    csrf_ok = check_csrf(&state, &session, &headers, Some(&token)).is_ok();
                    if !csrf_ok {
                        return Ok(());
                    }
                }
                "version" => values.version = read_text(field, "version", limit).await?,
                "description" => {
                    values.description = read_text(field, "description", limit).await?
                }
                "package" => {
                    // Nothing is written to disk for a form without this session's token.
                    if !csrf_ok {
                        return Ok(());
                    }
                    received = Some(receive_file(&state, field).await?);
                }
                _ => {
                    read_text(field, "unknown", limit).await?;
                }
            }
        }
        Ok(())
    }
    .await;
    if !csrf_ok {
        return super::session::csrf_refused(Some(&session));
    }
    let refuse = |values: &Values, err: ApiError| {
        let status = err.status;
        form_page(&state, &session, &ctx, values, Some(&err), status)
    };
    if let Err(err) = read {
        return refuse(&values, err);
    }
    let Some(received) = received.filter(|r| r.chosen || r.size > 0) else {
        return refuse(
            &values,
            invalid_form("choose the ZIP file of the version to upload").field("package"),
        );
    };

    // The API's own path from here on.
    let version = values.version.trim();
    let body = serde_json::json!({
        "version": if version.is_empty() { serde_json::Value::Null } else { version.into() },
        "description": values.description,
        "size": received.size,
        "sha256": received.sha256,
    });
    let caller = session.caller.clone();
    let upload = match open_upload(&state, caller.clone(), app_id.clone(), body).await {
        Ok((_, upload)) => upload,
        Err(err) => return refuse(&values, err),
    };
    if upload.state == UploadState::Open {
        let Some(temp) = &received.temp else {
            return refuse(
                &values,
                ApiError::internal("a package over the limit was accepted"),
            );
        };
        if let Err(err) =
            fill_upload_from_file(&state, caller.clone(), upload.id.clone(), temp.0.clone()).await
        {
            return refuse(&values, err);
        }
    }
    drop(received);
    match complete(&state, caller, upload.id).await {
        Ok((status, version)) => {
            tracing::info!(app = %version.app_id, version = %version.version, "version uploaded by the web page");
            // 200: this very package was uploaded as this version before (the API's idempotency).
            let again = if status == StatusCode::OK { "1" } else { "0" };
            redirect(&format!(
                "{}?{}",
                app_url(&app_id),
                html::query(&[("uploaded", &version.id), ("again", again)])
            ))
        }
        Err(err) => refuse(&values, err),
    }
}
