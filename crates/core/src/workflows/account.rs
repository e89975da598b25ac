//! Login (password or browser/device), logout, whoami, and CI access tokens.

use gopay_miniapp_portal::types::{AccessToken, CreatedAccessToken, DeviceAuthorization, User};
use gopay_miniapp_portal::PortalError;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::credentials::StoredSession;
use crate::error::CoreError;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResult {
    pub portal: String,
    pub username: String,
    pub display_name: String,
    pub expires_at: String,
    /// Where the session is kept.
    pub credentials_file: String,
}

fn save(
    ctx: &Context,
    portal: &str,
    pair: &gopay_miniapp_portal::types::TokenPair,
) -> Result<LoginResult, CoreError> {
    let store = ctx.credentials();
    store.put(
        portal,
        StoredSession {
            username: pair.user.username.clone(),
            access_token: pair.access_token.clone(),
            refresh_token: pair.refresh_token.clone(),
            expires_at: pair.expires_at.clone(),
        },
    )?;
    Ok(LoginResult {
        portal: portal.to_string(),
        username: pair.user.username.clone(),
        display_name: pair.user.display_name.clone(),
        expires_at: pair.expires_at.clone(),
        credentials_file: store.path().display().to_string(),
    })
}

/// Username + password. The password goes to the portal once and is never stored.
pub async fn login_with_password(
    ctx: &Context,
    username: &str,
    password: &str,
) -> Result<LoginResult, CoreError> {
    if username.trim().is_empty() {
        return Err(CoreError::invalid(
            "the username is empty",
            "pass --username",
        ));
    }
    let portal = ctx.portal_url()?;
    let client = ctx.client().await?;
    let pair = client.login(username.trim(), password).await?;
    save(ctx, &portal, &pair)
}

/// Browser/device login: `show` gets the user code and URL to open; then polls.
pub async fn login_with_device(
    ctx: &Context,
    client_name: Option<String>,
    show: &(dyn Fn(&DeviceAuthorization) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<LoginResult, CoreError> {
    let portal = ctx.portal_url()?;
    let client = ctx.client().await?;
    let auth = client.device_start(client_name).await?;
    show(&auth);
    let pair = client.device_wait(&auth, cancel).await?;
    save(ctx, &portal, &pair)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoutResult {
    pub portal: String,
    /// False when there was no stored session.
    pub logged_out: bool,
    /// The portal revoked the session (false if it was unreachable or already expired).
    pub revoked: bool,
}

pub async fn logout(ctx: &Context) -> Result<LogoutResult, CoreError> {
    let portal = ctx.portal_url()?;
    let store = ctx.credentials();
    if store.get(&portal)?.is_none() {
        return Ok(LogoutResult {
            portal,
            logged_out: false,
            revoked: false,
        });
    }
    // Forget locally whatever the portal says: logging out must always work offline.
    let client = ctx.client().await?;
    let revoked = match client.logout().await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!("the portal did not revoke the session: {e}");
            false
        }
    };
    store.remove(&portal)?;
    Ok(LogoutResult {
        portal,
        logged_out: true,
        revoked,
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    pub portal: String,
    pub user: User,
    /// `token` (GOPAY_MINIAPP_TOKEN) or `session` (credentials file).
    pub via: &'static str,
}

pub async fn whoami(ctx: &Context) -> Result<WhoAmI, CoreError> {
    let portal = ctx.portal_url()?;
    let client = ctx.client().await?;
    let user = client.me().await?;
    Ok(WhoAmI {
        portal,
        user,
        via: if ctx.env_token.is_some() {
            "token"
        } else {
            "session"
        },
    })
}

pub async fn create_token(
    ctx: &Context,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<CreatedAccessToken, CoreError> {
    if name.trim().is_empty() {
        return Err(CoreError::invalid(
            "an access token needs a name",
            "pass --name, e.g. --name ci-main",
        ));
    }
    Ok(ctx
        .client()
        .await?
        .create_access_token(name.trim(), expires_in_days)
        .await?)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenList {
    pub tokens: Vec<AccessToken>,
}

pub async fn list_tokens(ctx: &Context) -> Result<TokenList, CoreError> {
    Ok(TokenList {
        tokens: ctx.client().await?.list_access_tokens().await?,
    })
}

/// Revokes by id or by name.
pub async fn revoke_token(ctx: &Context, id_or_name: &str) -> Result<AccessToken, CoreError> {
    let client = ctx.client().await?;
    let tokens = client.list_access_tokens().await?;
    let token = tokens
        .iter()
        .find(|t| t.id == id_or_name)
        .or_else(|| tokens.iter().find(|t| t.name == id_or_name))
        .cloned()
        .ok_or_else(|| CoreError::UnknownName {
            what: "access token".into(),
            given: id_or_name.into(),
            known: known(tokens.iter().map(|t| format!("{} ({})", t.name, t.id))),
        })?;
    client.revoke_access_token(&token.id).await?;
    Ok(token)
}

pub(crate) fn known(names: impl Iterator<Item = String>) -> String {
    let names: Vec<String> = names.collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Whether an error means "log in (again)".
pub fn is_auth_error(err: &CoreError) -> bool {
    matches!(err.root(), CoreError::Portal(e) if e.is_auth())
        || matches!(
            err.root(),
            CoreError::Portal(PortalError::NotLoggedIn { .. })
        )
}
