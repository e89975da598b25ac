//! Authentication: passwords (argon2), tokens (random, stored as sha256), sessions, personal
//! access tokens, the `Authorization: Bearer` extractor and the device login's JSON side.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use gopay_miniapp_portal::codes;
use gopay_miniapp_portal::native::wire::{
    AccessToken, AccessTokenList, CreateAccessTokenRequest, CreatedAccessToken,
    DeviceAuthorization, DeviceAuthorizationRequest, DeviceTokenRequest, LoginRequest,
    RefreshRequest, TokenPair, User,
};
use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;
use crate::store::{new_id, now_rfc3339, random_base62, rfc3339_ms};

pub(crate) const ACCESS_PREFIX: &str = "gpm_at_";
pub(crate) const REFRESH_PREFIX: &str = "gpm_rt_";
pub(crate) const PAT_PREFIX: &str = "gpm_pat_";
pub(crate) const DEVICE_PREFIX: &str = "gpm_dc_";
/// 43 base62 characters ≈ 256 bits.
const SECRET_LEN: usize = 43;
/// How long a device login waits for approval.
pub(crate) const DEVICE_CODE_TTL_SECS: u64 = 600;
/// Seconds between device polls (short so tests and demos are quick).
pub(crate) const DEVICE_POLL_INTERVAL_SECS: u64 = 1;
/// User-code alphabet: no vowels (no words), no look-alikes (RFC 8628 §6.1).
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

pub(crate) fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash a password: {e}"))
}

pub(crate) fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so both cases take as long.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no such user").unwrap_or_default())
}

pub(crate) fn new_secret(prefix: &str) -> String {
    format!("{prefix}{}", random_base62(SECRET_LEN))
}

/// Tokens are stored only as this hash.
pub(crate) fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Checks a username + password on a blocking thread; returns the user's id. Every way of
/// logging in comes here, so the login throttle ([`crate::throttle`]) is here: a login while
/// the account or the address is closed is refused 429 `too_many_attempts` before the
/// password is looked at, and each failure is counted and logged (never the password).
pub(crate) async fn check_credentials(
    state: &AppState,
    from: ClientAddr,
    username: String,
    password: String,
) -> ApiResult<String> {
    let from = from.0;
    let shown_from = from.map_or_else(|| "unknown".to_string(), |a| a.to_string());
    if let Err(closed) = state
        .login_throttle
        .check(&username, from, state.clock.now_ms())
    {
        tracing::warn!(
            username = ?username,
            from = %shown_from,
            retry_after_secs = closed.retry_after_secs,
            "login refused: too many failed logins"
        );
        return Err(ApiError::too_many_attempts(closed.retry_after_secs));
    }
    let lookup = username.clone();
    let row: Option<(String, String)> = state
        .store
        .run(move |tx| {
            Ok(tx
                .query_row(
                    "SELECT id, password_hash FROM users WHERE username = ?1",
                    [lookup],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })
        .await?;
    let ok = tokio::task::spawn_blocking(move || match &row {
        Some((id, hash)) => verify_password(hash, &password).then(|| id.clone()),
        None => {
            let _ = verify_password(dummy_hash(), &password);
            None
        }
    })
    .await?;
    if ok.is_some() {
        state.login_throttle.succeeded(&username);
    } else {
        state
            .login_throttle
            .failed(&username, from, state.clock.now_ms());
    }
    ok.ok_or_else(|| {
        // Debug formatting: the username is the client's text (control characters escaped).
        tracing::warn!(username = ?username, from = %shown_from, "login refused: wrong username or password");
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            codes::INVALID_CREDENTIALS,
            "wrong username or password",
            "check the username and password (the local demo portal has demo/demo)",
        )
    })
}

// ---------------------------------------------------------------------------------------------
// The caller
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// The short-lived access token of a login session.
    Access,
    /// A personal access token (CI).
    Pat,
    /// A browser session of the web pages (cookie); never a Bearer token.
    Web,
}

/// Whoever sent `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub user_id: String,
    pub username: String,
    pub token_id: String,
    pub kind: TokenKind,
    pub session_id: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthenticated(
                "this request needs an access token (Authorization: Bearer <token>)",
            ));
        };
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthenticated("the Authorization header is not readable"))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(ApiError::unauthenticated(
                    "the Authorization header must be `Bearer <token>`",
                ))
            }
        };
        if token.is_empty() {
            return Err(ApiError::unauthenticated("the bearer token is empty"));
        }
        let hash = secret_hash(token);
        let st = state.clone();
        state
            .store
            .run(move |tx| authenticate(tx, &hash, st.clock.now_ms()))
            .await
    }
}

/// The caller whose token hashes to `hash`, at `now` (ms, the portal's clock).
fn authenticate(tx: &Transaction<'_>, hash: &str, now: i64) -> ApiResult<Caller> {
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
        String,
    );
    let row: Option<Row> = tx
        .query_row(
            "SELECT t.id, t.kind, t.user_id, t.session_id, t.expires_ms, t.revoked_at, s.revoked_at, u.username
             FROM tokens t JOIN users u ON u.id = t.user_id LEFT JOIN sessions s ON s.id = t.session_id
             WHERE t.hash = ?1",
            [hash],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .optional()?;
    let Some((id, kind, user_id, session_id, expires_ms, revoked, session_revoked, username)) = row
    else {
        return Err(ApiError::token_revoked(
            "the access token is not known to this portal (revoked, or never issued here)",
        ));
    };
    let kind = match kind.as_str() {
        "access" => TokenKind::Access,
        "pat" => TokenKind::Pat,
        _ => {
            return Err(ApiError::unauthenticated(
                "a refresh token cannot be used as an access token; exchange it at POST /api/v1/auth/refresh",
            ))
        }
    };
    if revoked.is_some() || session_revoked.is_some() {
        return Err(ApiError::token_revoked(
            "the access token was revoked (logged out or revoked)",
        ));
    }
    if let Some(expires) = expires_ms {
        if now >= expires {
            return Err(match kind {
                TokenKind::Access | TokenKind::Web => {
                    ApiError::token_expired("the access token expired")
                }
                TokenKind::Pat => ApiError::token_expired(format!(
                    "the access token expired at {}",
                    rfc3339_ms(expires)
                ))
                .with_hint("create a new access token"),
            });
        }
    }
    if kind == TokenKind::Pat {
        tx.execute(
            "UPDATE tokens SET last_used_at = ?1 WHERE id = ?2",
            params![now_rfc3339(), id],
        )?;
    }
    Ok(Caller {
        user_id,
        username,
        token_id: id,
        kind,
        session_id,
    })
}

impl ApiError {
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.body.hint = hint.into();
        self
    }
}

pub(crate) fn load_user(tx: &Transaction<'_>, user_id: &str) -> ApiResult<User> {
    let (username, display_name): (String, String) = tx.query_row(
        "SELECT username, display_name FROM users WHERE id = ?1",
        [user_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut stmt = tx.prepare(
        "SELECT target_app_id FROM target_app_admins WHERE user_id = ?1 ORDER BY target_app_id",
    )?;
    let admin_of = stmt
        .query_map([user_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(User {
        id: user_id.to_string(),
        username,
        display_name,
        admin_of,
    })
}

/// Issues an access + refresh token in a session (a new one when `session_id` is None).
fn issue_pair(
    tx: &Transaction<'_>,
    state: &AppState,
    user_id: &str,
    session_id: Option<&str>,
) -> ApiResult<TokenPair> {
    let now = state.clock.now_ms();
    let created = now_rfc3339();
    let session_id = match session_id {
        Some(id) => id.to_string(),
        None => {
            let id = new_id("ses");
            tx.execute(
                "INSERT INTO sessions (id, user_id, created_at) VALUES (?1, ?2, ?3)",
                params![id, user_id, created],
            )?;
            id
        }
    };
    let access = new_secret(ACCESS_PREFIX);
    let refresh = new_secret(REFRESH_PREFIX);
    let access_expires = now + state.access_ttl.as_millis() as i64;
    let refresh_expires = now + state.refresh_ttl.as_millis() as i64;
    for (kind, secret, expires) in [
        ("access", &access, access_expires),
        ("refresh", &refresh, refresh_expires),
    ] {
        tx.execute(
            "INSERT INTO tokens (id, kind, hash, user_id, session_id, created_at, expires_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                new_id("tok"),
                kind,
                secret_hash(secret),
                user_id,
                session_id,
                created,
                expires
            ],
        )?;
    }
    Ok(TokenPair {
        access_token: access,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: state.access_ttl.as_secs(),
        expires_at: rfc3339_ms(access_expires),
        user: load_user(tx, user_id)?,
    })
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

pub(crate) async fn login(
    State(state): State<AppState>,
    from: ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<TokenPair>> {
    let user_id =
        check_credentials(&state, from, req.username.trim().to_string(), req.password).await?;
    let st = state.clone();
    let pair = state
        .store
        .run(move |tx| issue_pair(tx, &st, &user_id, None))
        .await?;
    tracing::info!(username = %pair.user.username, "logged in");
    Ok(Json(pair))
}

/// id, user id, session id, expiry, revoked at, spent at, session revoked at.
type RefreshRow = (
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub(crate) async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    let hash = secret_hash(req.refresh_token.trim());
    let st = state.clone();
    let pair = state
        .store
        .run(move |tx| {
            let row: Option<RefreshRow> = tx
                .query_row(
                    "SELECT t.id, t.user_id, t.session_id, t.expires_ms, t.revoked_at, t.spent_at, s.revoked_at
                     FROM tokens t LEFT JOIN sessions s ON s.id = t.session_id
                     WHERE t.hash = ?1 AND t.kind = 'refresh'",
                    [&hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
                )
                .optional()?;
            let Some((id, user_id, session_id, expires, revoked, spent, session_revoked)) = row else {
                return Err(ApiError::token_revoked("the refresh token is not known to this portal"));
            };
            if revoked.is_some() || session_revoked.is_some() {
                return Err(ApiError::token_revoked("the session was logged out"));
            }
            if spent.is_some() {
                return Err(ApiError::token_revoked(
                    "the refresh token was already used (refresh tokens work once; the newer pair replaced it)",
                )
                .with_hint("use the token pair the earlier refresh returned, or log in again"));
            }
            if expires.is_some_and(|e| st.clock.now_ms() >= e) {
                return Err(ApiError::token_expired("the refresh token expired")
                    .with_hint("log in again"));
            }
            tx.execute(
                "UPDATE tokens SET spent_at = ?1 WHERE id = ?2",
                params![now_rfc3339(), id],
            )?;
            issue_pair(tx, &st, &user_id, session_id.as_deref())
        })
        .await?;
    Ok(Json(pair))
}

pub(crate) async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    state
        .store
        .run(move |tx| {
            let now = now_rfc3339();
            match &caller.session_id {
                Some(session) => {
                    tx.execute(
                        "UPDATE sessions SET revoked_at = ?1 WHERE id = ?2",
                        params![now, session],
                    )?;
                    tx.execute(
                        "UPDATE tokens SET revoked_at = ?1 WHERE session_id = ?2 AND revoked_at IS NULL",
                        params![now, session],
                    )?;
                }
                None => {
                    tx.execute(
                        "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2",
                        params![now, caller.token_id],
                    )?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<User>> {
    let user = state
        .store
        .run(move |tx| load_user(tx, &caller.user_id))
        .await?;
    Ok(Json(user))
}

// --- personal access tokens ------------------------------------------------------------------

fn access_token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccessToken> {
    let expires: Option<i64> = r.get(3)?;
    Ok(AccessToken {
        id: r.get(0)?,
        name: r.get(1)?,
        created_at: r.get(2)?,
        expires_at: expires.map(rfc3339_ms),
        last_used_at: r.get(4)?,
    })
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateAccessTokenRequest>,
) -> ApiResult<impl IntoResponse> {
    if caller.kind == TokenKind::Pat {
        return Err(
            ApiError::forbidden("an access token cannot create further access tokens")
                .with_hint("log in with a username and password to create access tokens"),
        );
    }
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "name",
            "the token needs a name of 1 to 100 characters (e.g. \"ci-main\")",
        ));
    }
    if let Err(hidden) = gopay_miniapp_guard::text::check_name(&name) {
        return Err(ApiError::invalid(
            "name",
            format!("the token's name {hidden}"),
        ));
    }
    if let Some(days) = req.expires_in_days {
        if !(1..=3650).contains(&days) {
            return Err(ApiError::invalid(
                "expiresInDays",
                "expiresInDays must be from 1 to 3650 (or left out for a token that does not expire)",
            ));
        }
    }
    let st = state.clone();
    let created = state
        .store
        .run(move |tx| {
            let secret = new_secret(PAT_PREFIX);
            let id = new_id("tok");
            let created_at = now_rfc3339();
            let expires = req
                .expires_in_days
                .map(|d| st.clock.now_ms() + i64::from(d) * 86_400_000);
            tx.execute(
                "INSERT INTO tokens (id, kind, hash, user_id, name, created_at, expires_ms)
                 VALUES (?1, 'pat', ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    secret_hash(&secret),
                    caller.user_id,
                    name,
                    created_at,
                    expires
                ],
            )?;
            Ok(CreatedAccessToken {
                token: AccessToken {
                    id,
                    name,
                    created_at,
                    expires_at: expires.map(rfc3339_ms),
                    last_used_at: None,
                },
                secret,
            })
        })
        .await?;
    tracing::info!(token_id = %created.token.id, "access token created");
    Ok((StatusCode::CREATED, Json(created)))
}

pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<AccessTokenList>> {
    let tokens = state
        .store
        .run(move |tx| {
            let mut stmt = tx.prepare(
                "SELECT id, name, created_at, expires_ms, last_used_at FROM tokens
                 WHERE user_id = ?1 AND kind = 'pat' AND revoked_at IS NULL ORDER BY rowid",
            )?;
            let rows = stmt
                .query_map([&caller.user_id], access_token_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await?;
    Ok(Json(AccessTokenList { tokens }))
}

pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(token_id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .run(move |tx| {
            let changed = tx.execute(
                "UPDATE tokens SET revoked_at = ?1
                 WHERE id = ?2 AND user_id = ?3 AND kind = 'pat' AND revoked_at IS NULL",
                params![now_rfc3339(), token_id, caller.user_id],
            )?;
            if changed == 0 {
                return Err(ApiError::not_found(format!("access token `{token_id}`")));
            }
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- device login (JSON side; the HTML page is in `device.rs`) -------------------------------

/// `WDJB-MJHT`-style code.
fn new_user_code() -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        code.push(USER_CODE_ALPHABET[rng.gen_range(0..USER_CODE_ALPHABET.len())] as char);
    }
    code
}

/// Uppercases and drops everything but letters, then puts the dash back (`wdjbmjht` →
/// `WDJB-MJHT`). None when it cannot be a user code.
pub(crate) fn normalize_user_code(input: &str) -> Option<String> {
    let letters: String = input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() != 8 || !letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &letters[..4], &letters[4..]))
}

pub(crate) async fn device_start(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<DeviceAuthorizationRequest>,
) -> ApiResult<Json<DeviceAuthorization>> {
    let client_name = req
        .client_name
        .map(|n| n.trim().chars().take(200).collect::<String>())
        .filter(|n| !n.is_empty());
    let device_code = new_secret(DEVICE_PREFIX);
    let user_code = new_user_code();
    let hash = secret_hash(&device_code);
    let code = user_code.clone();
    let st = state.clone();
    state
        .store
        .run(move |tx| {
            tx.execute(
                "INSERT INTO device_codes (id, device_hash, user_code, client_name, expires_ms, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)",
                params![
                    new_id("dev"),
                    hash,
                    code,
                    client_name,
                    st.clock.now_ms() + (DEVICE_CODE_TTL_SECS * 1000) as i64,
                    now_rfc3339()
                ],
            )?;
            Ok(())
        })
        .await?;
    let verification_uri = format!("{}/device", state.base_url);
    Ok(Json(DeviceAuthorization {
        device_code,
        verification_uri_complete: format!("{verification_uri}?user_code={user_code}"),
        verification_uri,
        user_code,
        expires_in: DEVICE_CODE_TTL_SECS,
        interval: DEVICE_POLL_INTERVAL_SECS,
    }))
}

fn device_error(code: &str, message: &str, hint: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message, hint)
}

pub(crate) async fn device_token(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<DeviceTokenRequest>,
) -> ApiResult<Json<TokenPair>> {
    let hash = secret_hash(req.device_code.trim());
    let st = state.clone();
    let pair = state
        .store
        .run(move |tx| {
            let row: Option<(String, String, i64, Option<String>)> = tx
                .query_row(
                    "SELECT id, status, expires_ms, user_id FROM device_codes WHERE device_hash = ?1",
                    [&hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((id, status, expires, user_id)) = row else {
                return Err(ApiError::invalid(
                    "deviceCode",
                    "this device code is not known to the portal",
                ));
            };
            match status.as_str() {
                "denied" => Err(device_error(
                    codes::ACCESS_DENIED,
                    "the login was denied on the approval page",
                    "start the login again if that was a mistake",
                )),
                "consumed" => Err(device_error(
                    codes::DEVICE_CODE_EXPIRED,
                    "this device code was already exchanged for a session",
                    "start a new login",
                )),
                _ if st.clock.now_ms() >= expires => Err(device_error(
                    codes::DEVICE_CODE_EXPIRED,
                    "the device code expired before the login was approved",
                    "start a new login",
                )),
                "approved" => {
                    let user_id = user_id.ok_or_else(|| ApiError::internal("approved device code without a user"))?;
                    tx.execute(
                        "UPDATE device_codes SET status = 'consumed' WHERE id = ?1",
                        [&id],
                    )?;
                    issue_pair(tx, &st, &user_id, None)
                }
                _ => Err(device_error(
                    codes::AUTHORIZATION_PENDING,
                    "the login is not approved yet",
                    "open the verification URL, check the code, log in and approve; keep polling every `interval` seconds",
                )
                .retryable()),
            }
        })
        .await?;
    Ok(Json(pair))
}
