//! `miniapp.login`: `username` + `password` logs in at once (the password goes to the
//! portal once and is never stored; a portal without a password API, the SuperApp console,
//! gets its login page filled in a headless browser). Without a password: the browser login —
//! the sidecar starts a browser window on the portal's page itself (SuperApp console), or the
//! approval page opens with `window/showDocument {external: true}` (or, for clients without
//! it, its address is shown with `window/showMessage`); then it waits with cancellable
//! progress. Either way the session lands in the credentials file the CLI uses.

use std::time::Duration;

use gopay_miniapp_core::events::{Phase, Reporter};
use gopay_miniapp_core::workflows::account::{self, LoginResult};
use gopay_miniapp_core::{Hint, Input};
use gopay_miniapp_portal::BrowserLogin;
use gopay_miniapp_portal::Login;
use serde::Deserialize;
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::{MessageType, ShowDocumentParams, Uri};

use super::{core_error, Command, Cx, PortalArgs};
use crate::commands::ProjectUse;
use crate::errors::CommandError;
use crate::state::{ask_client, Shared};

pub struct LogIn;

/// `miniapp/browserLogin`: where the browser login happens, as typed fields, so an editor can
/// offer Open URL and Copy URL next to the code. Sent only for a page guard::url lets be
/// opened (http(s) on the portal's own origin).
pub enum BrowserLoginNotification {}

impl tower_lsp_server::ls_types::notification::Notification for BrowserLoginNotification {
    type Params = BrowserLoginParams;
    const METHOD: &'static str = "miniapp/browserLogin";
}

#[derive(Debug, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserLoginParams {
    /// The page to approve the login on.
    pub url: String,
    /// The code the page shows, to check it is this login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
    /// The sidecar opened a browser window itself (the page is already there).
    pub browser_started: bool,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Args {
    #[serde(flatten)]
    pub portal: PortalArgs,
    /// With `password`: password login.
    pub username: Option<String>,
    /// Sent to the portal once (typed into its login page on the SuperApp console), never stored. Without it: browser/device login.
    pub password: Option<String>,
}

impl Command for LogIn {
    const NAME: &'static str = "miniapp.login";
    const SUMMARY: &'static str = "Password login with `username`+`password`; without a password the browser/device login (the page opens with window/showDocument).";
    const PROJECT: ProjectUse = ProjectUse::Optional;
    const MUTATING: bool = true;
    const PROGRESS: Option<&'static str> = Some("Logging in");
    type Args = Args;
    type Result = LoginResult;

    async fn run(cx: &Cx, args: Args) -> Result<LoginResult, CommandError> {
        login(cx, args).await
    }
}

async fn login(cx: &Cx, args: Args) -> Result<LoginResult, CommandError> {
    let result = match (args.username, args.password) {
        (Some(username), Some(password)) => {
            cx.reporter
                .progress(&Phase::Login, &format!("Logging in as {username}"));
            account::login(
                &cx.ctx,
                Login::Password {
                    username: &username,
                    password: &password,
                },
            )
            .await
        }
        (None, Some(_)) => {
            return Err(CommandError::invalid_params(
                gopay_miniapp_core::codes::NEEDS_INPUT,
                "a password login needs the username (or neither, for the browser login)",
                Hint::Provide {
                    input: Input::Username,
                },
            ))
        }
        (Some(_), None) => {
            return Err(CommandError::invalid_params(
                gopay_miniapp_core::codes::NEEDS_INPUT,
                "a password login needs the password (or neither, for the browser login)",
                Hint::Provide {
                    input: Input::Password,
                },
            ))
        }
        (None, None) => browser_login(cx).await,
    };
    result.map_err(|e| core_error(cx, e))
}

async fn browser_login(cx: &Cx) -> Result<LoginResult, gopay_miniapp_core::CoreError> {
    let (tx, mut rx) = mpsc::unbounded_channel::<BrowserLogin>();
    let show = move |auth: &BrowserLogin| {
        let _ = tx.send(auth.clone());
    };
    let shared = cx.shared.clone();
    let reporter = cx.reporter.clone();
    let cancel = cx.cancel.clone();
    // The origin a page to open must be on: the portal this login talks to.
    let portal = cx.ctx.portal_url()?;
    let opener = tokio::spawn(async move {
        if let Some(auth) = rx.recv().await {
            let code = auth
                .user_code
                .as_deref()
                .map(|c| format!(" (code {c})"))
                .unwrap_or_default();
            let message = if auth.browser_started {
                format!(
                    "A browser window opened on {}: log in there{code} (single sign-on, captcha and 2FA work as usual); it closes by itself",
                    auth.url
                )
            } else {
                format!("Approve the login in the browser: {}{code}", auth.url)
            };
            reporter.info(&message);
            reporter.progress(
                &Phase::Login,
                &format!("Waiting for the login in the browser{code}"),
            );
            if openable(&portal, &auth.url).is_none() {
                crate::state::notify(
                    &shared,
                    shared
                        .client()
                        .send_notification::<BrowserLoginNotification>(BrowserLoginParams {
                            url: auth.url.clone(),
                            user_code: auth.user_code.clone(),
                            browser_started: auth.browser_started,
                        }),
                )
                .await;
            }
            if !auth.browser_started {
                open_external(&shared, &portal, &auth.url, &message, &cancel).await;
            }
        }
    });
    let client_name = format!("{} on {}", cx.shared.caps().name, host_name());
    let result = account::login(
        &cx.ctx,
        Login::Browser {
            show: &show,
            client_name: Some(client_name),
            cancel: &cx.cancel,
        },
    )
    .await;
    drop(show);
    let _ = tokio::time::timeout(Duration::from_secs(5), opener).await;
    result
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this computer".into())
}

/// Why `url` may not be opened for `portal` (guard::url's policy), or `None` when it may.
fn openable(portal: &str, url: &str) -> Option<gopay_miniapp_guard::url::UrlError> {
    match gopay_miniapp_guard::url::parse_http(portal) {
        Ok(portal) => gopay_miniapp_guard::url::openable(&portal, url).err(),
        Err(e) => Some(e),
    }
}

/// Opens `url` in the user's browser through the client; when the client cannot, shows
/// `message` (which contains the address) instead. Only what guard::url calls openable is
/// opened: http(s) on the origin of `portal` (the portal this command talks to), never a
/// `file:` URL, another scheme, or another site a portal names; such a URL is not opened and
/// the user is told why.
pub async fn open_external(
    shared: &Shared,
    portal: &str,
    url: &str,
    message: &str,
    cancel: &tokio_util::sync::CancellationToken,
) {
    if let Some(refused) = openable(portal, url) {
        tracing::warn!("not opened: {refused}");
        let warning = format!("The portal asked to open a page that is not opened: {refused}.");
        crate::state::notify(
            shared,
            shared.client().show_message(MessageType::WARNING, warning),
        )
        .await;
        return;
    }
    if shared.caps().show_document {
        if let Ok(uri) = url.parse::<Uri>() {
            let shown = ask_client(
                shared,
                shared.client().show_document(ShowDocumentParams {
                    uri,
                    external: Some(true),
                    take_focus: Some(true),
                    selection: None,
                }),
                shared.options().client_request_timeout,
                cancel,
            )
            .await;
            match shown {
                Ok(true) => return,
                Ok(false) => tracing::info!("the client could not open {url}"),
                Err(e) => tracing::info!("window/showDocument: {e}"),
            }
        }
    }
    crate::state::notify(
        shared,
        shared.client().show_message(
            MessageType::INFO,
            gopay_miniapp_guard::text::Lines(message).to_string(),
        ),
    )
    .await;
}
