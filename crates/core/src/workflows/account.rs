//! Login (password, browser, token or cookie), logout, whoami, and CI access tokens.

use gopay_miniapp_portal::domain::{AccessToken, CreatedAccessToken, User};
use gopay_miniapp_portal::{Backend, Feature, LoggedIn, Login, LoginKind, Portal, PortalError};
use serde::Serialize;

use crate::context::Context;
use crate::credentials::{SessionStore, StoredSession};
use crate::error::CoreError;
use crate::hint::{Hint, Input};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResult {
    pub portal: String,
    pub backend: Backend,
    pub username: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The credentials file (the index of sessions; the session itself when
    /// `sessionStore` is `file`).
    pub credentials_file: String,
    /// Which store holds the session's secret: the OS keyring, or the credentials file.
    pub session_store: SessionStore,
}

/// The portal a login is about to talk to, checked: it answers, and as a portal.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortalCheck {
    pub portal: String,
    /// The API it answered in.
    pub backend: Backend,
    /// The preset's name when the URL is one (`GoPay`, `GoPay Staging`, `Local portal`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Where the portal came from (given, the binding, the settings, the last login).
    pub from: crate::context::PortalFrom,
}

/// Checks that the command's portal is reachable and answers like a portal (the native
/// contract's health, or the SuperApp console's envelope) before anyone types a password for
/// it. A preset or a binding that names another API than the one answering is refused (the
/// URL is not the portal it claims to be).
pub async fn check_portal(ctx: &Context) -> Result<PortalCheck, CoreError> {
    let choice = ctx.portal_choice()?;
    let backend = crate::workflows::detect::detect_backend(&choice.url).await?;
    if let Some(expected) = ctx.known_backend()? {
        if expected != backend {
            return Err(PortalError::Protocol {
                message: format!(
                    "{} answers as a {backend} portal, but it is expected to be a {expected} one",
                    choice.url
                ),
            }
            .into());
        }
    }
    Ok(PortalCheck {
        preset: crate::presets::by_url(&choice.url).map(|p| p.name.to_string()),
        portal: choice.url,
        backend,
        from: choice.from,
    })
}

/// Logs in to the current portal (by any `Login` its capabilities list) and keeps the
/// session. A password goes to the portal once and is never stored; neither it, a cookie nor
/// a token is ever printed.
pub async fn login(ctx: &Context, login: Login<'_>) -> Result<LoginResult, CoreError> {
    let ctx = &login_context(ctx).await?;
    let portal = ctx.portal().await?;
    let login = match login {
        Login::Password { username, password } => {
            if username.trim().is_empty() {
                return Err(CoreError::invalid(
                    "the username is empty",
                    Hint::Provide {
                        input: Input::Username,
                    },
                ));
            }
            Login::Password {
                username: username.trim(),
                password,
            }
        }
        other => other,
    };
    portal
        .capabilities()
        .require(Feature::Login(login.kind()), portal.base_url())?;
    let way = login.kind();
    let logged_in = portal
        .login(login)
        .await
        .map_err(|err| refused_login(way, err))?;
    save(ctx, portal.as_ref(), logged_in)
}

/// A login that ends in a "lost session" did not log in: the cookie or token given is not a
/// live session, the approval never came. Said as such, with advice for this way of logging
/// in, never "the session expired and could not be renewed; log in" to someone logging in
/// (issue #20 item 27).
fn refused_login(way: LoginKind, err: PortalError) -> CoreError {
    match err {
        PortalError::SessionExpired { message } => CoreError::LoginRefused { way, message },
        PortalError::NotLoggedIn { portal } => CoreError::LoginRefused {
            way,
            message: format!("{portal} did not take it as a session"),
        },
        other => other.into(),
    }
}

/// Login talks to the backend `--backend` names, else the binding's, else the stored
/// session's, else the one probing the portal finds (a first login to an unknown portal).
async fn login_context(ctx: &Context) -> Result<Context, CoreError> {
    if ctx.known_backend()?.is_some() {
        return Ok(ctx.clone());
    }
    let detected = crate::workflows::detect::detect_backend(&ctx.portal_url()?).await?;
    Ok(ctx.clone().with_backend(Some(detected)))
}

fn save(ctx: &Context, portal: &dyn Portal, logged_in: LoggedIn) -> Result<LoginResult, CoreError> {
    let store = ctx.credentials();
    let url = portal.base_url().to_string();
    store.put(
        &url,
        StoredSession {
            backend: portal.backend(),
            portal: url.clone(),
            username: logged_in.user.username.clone(),
            expires_at: logged_in.expires_at.clone(),
            session: logged_in.session,
        },
    )?;
    let session_store = store.stored_in(&url)?.unwrap_or(SessionStore::File);
    Ok(LoginResult {
        portal: url,
        backend: portal.backend(),
        username: logged_in.user.username,
        display_name: logged_in.user.display_name,
        expires_at: logged_in.expires_at,
        credentials_file: store.path().display().to_string(),
        session_store,
    })
}

/// The login methods of the current portal (what a front end offers).
pub async fn login_methods(ctx: &Context) -> Result<Vec<LoginKind>, CoreError> {
    Ok(ctx.portal().await?.capabilities().login.clone())
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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
    // An entry whose keyring cannot be read now is still forgotten (and its keyring entry
    // deleted when the keyring answers).
    if store.stored_in(&portal)?.is_none() {
        return Ok(LogoutResult {
            portal,
            logged_out: false,
            revoked: false,
        });
    }
    // Forget locally whatever the portal says: logging out must always work offline.
    let stored = store.get(&portal)?;
    let revoked = match ctx.portal().await?.logout().await {
        Ok(()) => true,
        // The portal could not be told: forgotten here as asked, but not "logged out" as if
        // the session had ended; it stays valid on the portal (issue #20 item 21).
        Err(source @ (PortalError::Network { .. } | PortalError::Protocol { .. })) => {
            store.remove(&portal)?;
            return Err(CoreError::LoggedOutLocally {
                portal,
                until: stored.and_then(|s| s.expires_at),
                source,
            });
        }
        // Expired or revoked already: nothing is left on the portal.
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
    pub backend: Backend,
    pub user: User,
    /// `token` (GOPAY_MINIAPP_TOKEN) or `session` (a stored session).
    pub via: &'static str,
    /// Which store holds the session (absent with a token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_store: Option<SessionStore>,
}

pub async fn whoami(ctx: &Context) -> Result<WhoAmI, CoreError> {
    let portal = ctx.portal().await?;
    let user = portal.me().await?;
    let token = ctx.env_token.is_some();
    let session_store = if token {
        None
    } else {
        ctx.credentials().stored_in(portal.base_url())?
    };
    Ok(WhoAmI {
        portal: portal.base_url().to_string(),
        backend: portal.backend(),
        user,
        via: if token { "token" } else { "session" },
        session_store,
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
            Hint::Provide {
                input: Input::TokenName,
            },
        ));
    }
    let portal = tokens_portal(ctx).await?;
    Ok(portal
        .create_access_token(name.trim(), expires_in_days)
        .await?)
}

async fn tokens_portal(ctx: &Context) -> Result<std::sync::Arc<dyn Portal>, CoreError> {
    let portal = ctx.portal().await?;
    portal
        .capabilities()
        .require(Feature::AccessTokens, portal.base_url())?;
    Ok(portal)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenList {
    pub tokens: Vec<AccessToken>,
}

pub async fn list_tokens(ctx: &Context) -> Result<TokenList, CoreError> {
    Ok(TokenList {
        tokens: tokens_portal(ctx).await?.access_tokens().await?,
    })
}

/// Revokes by id or by name.
pub async fn revoke_token(ctx: &Context, id_or_name: &str) -> Result<AccessToken, CoreError> {
    let portal = tokens_portal(ctx).await?;
    let tokens = portal.access_tokens().await?;
    let token = tokens
        .iter()
        .find(|t| t.id == id_or_name)
        .or_else(|| tokens.iter().find(|t| t.name == id_or_name))
        .cloned()
        .ok_or_else(|| CoreError::UnknownName {
            what: crate::hint::Named::AccessToken,
            given: id_or_name.into(),
            known: known(tokens.iter().map(|t| format!("{} ({})", t.name, t.id))),
        })?;
    portal.revoke_access_token(&token.id).await?;
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
}

/// A portal error for what `portal` cannot do.
pub fn not_available(portal: &dyn Portal, feature: Feature) -> CoreError {
    CoreError::Portal(PortalError::NotAvailable {
        feature,
        portal: portal.base_url().to_string(),
    })
}
