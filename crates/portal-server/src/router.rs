//! The router: exactly the routes of `gopay_miniapp_portal::native::routes::ALL`, and the web pages'
//! routes (`web::WEB_ROUTES`, not part of the contract).

use axum::extract::DefaultBodyLimit;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::Json;
use axum::Router;
use gopay_miniapp_portal::native::routes::{self, Route};
use gopay_miniapp_portal::{codes, CONTRACT_VERSION};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::AppState;
use crate::{apps, auth, device, releases, uploads, web};

/// Largest JSON body (packages go through the chunk route, which has no such limit).
const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// The handler of one contract route. Panics on a route this server does not know, so a route
/// added to the contract without a handler fails every test at once.
fn handler(route: &Route) -> MethodRouter<AppState> {
    match *route {
        routes::LOGIN => post(auth::login),
        routes::REFRESH => post(auth::refresh),
        routes::LOGOUT => post(auth::logout),
        routes::DEVICE_START => post(auth::device_start),
        routes::DEVICE_TOKEN => post(auth::device_token),
        routes::DEVICE_PAGE => get(device::show),
        routes::DEVICE_APPROVE => post(device::submit),
        routes::TOKENS_CREATE => post(auth::create_token),
        routes::TOKENS_LIST => get(auth::list_tokens),
        routes::TOKENS_REVOKE => delete(auth::revoke_token),
        routes::ME => get(auth::me),
        routes::SPACES => get(apps::spaces),
        routes::SPACE_APPS => get(apps::space_apps),
        routes::TARGET_APPS => get(apps::target_apps),
        routes::APP => get(apps::app),
        routes::VERSIONS => get(apps::versions),
        routes::VERSION_LATEST => get(apps::version_latest),
        routes::UPLOAD_CREATE => post(uploads::create_upload),
        routes::UPLOAD_GET => get(uploads::get_upload),
        // Chunks are streamed to disk, never buffered: no body limit here (the handler
        // enforces `maxChunkSize` and the declared package size itself).
        routes::UPLOAD_CHUNK => put(uploads::put_chunk).layer(DefaultBodyLimit::disable()),
        routes::UPLOAD_COMPLETE => post(uploads::complete_upload),
        routes::UPLOAD_ABORT => delete(uploads::delete_upload),
        routes::RELEASES => get(releases::list_releases),
        routes::RELEASE_CREATE => post(releases::create_release),
        routes::RELEASE_GET => get(releases::get_release),
        routes::RELEASE_TEMPORARY_CODE => post(releases::temporary_code),
        routes::RELEASE_APPLY => post(releases::apply),
        routes::RELEASE_WITHDRAW => post(releases::withdraw),
        routes::RELEASE_APPROVE => post(releases::approve),
        routes::RELEASE_REJECT => post(releases::reject),
        routes::RELEASE_WHITELIST => post(releases::whitelist),
        routes::RELEASE_GRAYSCALE => post(releases::grayscale),
        routes::RELEASE_OFFICIAL => post(releases::official),
        routes::RELEASE_CANCEL => post(releases::cancel),
        routes::ROLLBACK => post(releases::rollback),
        routes::REVIEWS => get(releases::reviews),
        routes::AUDIT => get(apps::audit),
        routes::HEALTH => get(health),
        other => panic!(
            "the local portal has no handler for {} {}",
            other.method, other.path
        ),
    }
}

pub(crate) fn build(state: AppState) -> Router {
    let mut router = Router::new();
    for route in routes::ALL {
        router = router.route(route.path, handler(route));
    }
    router
        .merge(web::router(state.max_package_size))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(ensure_json_errors))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(CatchPanicLayer::custom(|_panic| {
            ApiError::internal("a request handler panicked").into_response()
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Refusals axum produces itself (a path segment that is not valid UTF-8, say) are plain
/// text; this turns every such error into the contract's JSON envelope.
async fn ensure_json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return response;
    }
    let body = response.into_body();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_string()
    } else {
        text
    };
    let code = match status {
        StatusCode::UNAUTHORIZED => codes::UNAUTHENTICATED,
        StatusCode::FORBIDDEN => codes::FORBIDDEN,
        StatusCode::NOT_FOUND => codes::NOT_FOUND,
        StatusCode::PAYLOAD_TOO_LARGE => codes::TOO_LARGE,
        s if s.is_server_error() => codes::INTERNAL,
        _ => codes::INVALID_REQUEST,
    };
    let mut error = ApiError::new(
        status,
        code,
        message,
        "see docs/portal-api.md for what this route takes",
    );
    if status.is_server_error() {
        error = error.retryable();
    }
    error.into_response()
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "contractVersion": CONTRACT_VERSION }))
}

async fn not_found(method: Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        format!("no route {method} {}", uri.path()),
        "see docs/portal-api.md for the routes of the portal contract",
    )
    .into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        codes::INVALID_REQUEST,
        format!("{} does not take {method}", uri.path()),
        "see docs/portal-api.md for the methods each route takes",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};
    use std::time::Duration;

    use super::*;
    use crate::clock::Clock;
    use crate::store::Store;

    /// A path of a route table with every `{param}` and `{*rest}` filled in.
    fn concrete(path: &str) -> String {
        path.split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "x"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The router takes each route of the contract and of the web pages with the method the
    /// table names (whatever the handler then says, it is not 405), and a path with no other
    /// method: a handler registered under the wrong method fails here.
    #[tokio::test]
    async fn every_route_takes_its_tables_method_and_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(
            store,
            base.clone(),
            1024 * 1024,
            Duration::from_secs(60),
            Duration::from_secs(60),
            Clock::default(),
        );
        let server = tokio::spawn(async move { axum::serve(listener, build(state)).await });

        let table: Vec<(&str, &str)> = routes::ALL
            .iter()
            .map(|r| (r.method, r.path))
            .chain(web::WEB_ROUTES.iter().map(|r| (r.method, r.path)))
            .collect();
        let mut taken: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for (method, path) in &table {
            taken.entry(path).or_default().insert(method);
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let status = |method: &str, path: &str| {
            let request = http.request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{base}{}", concrete(path)),
            );
            async move { request.send().await.unwrap().status().as_u16() }
        };
        for (method, path) in &table {
            assert_ne!(
                status(method, path).await,
                405,
                "the table has {method} {path}, the router does not take {method} there"
            );
        }
        for (path, methods) in &taken {
            for other in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
                if !methods.contains(other) {
                    assert_eq!(
                        status(other, path).await,
                        405,
                        "the router takes {other} {path}, which no table lists"
                    );
                }
            }
        }
        server.abort();
    }
}
