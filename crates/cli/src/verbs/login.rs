//! `login`: a password (prompted without echo, or `--password-stdin`), the browser
//! (`--browser`) or a Cookie header (`--cookie-stdin`).

use gopay_miniapp_core::credentials::SessionStore;
use gopay_miniapp_core::workflows::account::{self, LoginResult};
use gopay_miniapp_core::{Context, CoreError};
use gopay_miniapp_guard::text::{Line, Shown};
use gopay_miniapp_portal::{BrowserLogin, Login};

use super::Cx;
use crate::args::LoginArgs;
use crate::terminal::{read_password, read_secret_line, read_username};
use crate::words;

pub async fn run(cx: &Cx, args: LoginArgs) -> i32 {
    // `--backend` forces it; else core's login finds it (binding, session, probing).
    let ctx = cx.ctx.clone().with_backend(args.backend);
    let result = if args.browser {
        let with = Login::Browser {
            show: &show_browser_login,
            client_name: Some(client_name()),
            cancel: &cx.cancel,
        };
        account::login(&ctx, with).await
    } else if args.cookie_stdin {
        match read_secret_line("cookie") {
            Ok(cookie) => account::login(&ctx, Login::Cookie(&cookie)).await,
            Err(e) => Err(e),
        }
    } else {
        // Ctrl-C stops it: dropping the login closes a headless browser filling a
        // login page (and deletes its profile).
        tokio::select! {
            result = login_password(&ctx, args.username, args.password_stdin) => result,
            _ = cx.cancel.cancelled() => Err(CoreError::Cancelled),
        }
    };
    cx.finish(result, text)
}

fn text(r: &LoginResult) -> String {
    let kept = match r.session_store {
        SessionStore::Keyring => format!(
            "Session saved in {} (listed in {})",
            words::session_store(r.session_store),
            r.credentials_file
        ),
        SessionStore::File => format!("Session saved in {}", r.credentials_file),
    };
    format!(
        "Logged in to {} as {} ({}). {kept}{}.\n",
        r.portal,
        r.username,
        r.display_name,
        r.expires_at
            .as_deref()
            .map(|e| format!(" (expires {e})"))
            .unwrap_or_default()
    )
}

/// Where the browser login happens, on stderr.
fn show_browser_login(auth: &BrowserLogin) {
    let code = auth
        .user_code
        .as_deref()
        .map(|c| format!(" and check the code {}", Shown(c)))
        .unwrap_or_default();
    if auth.browser_started {
        esayln!(
            "A browser window opened on {}: log in there{code} (single sign-on, captcha and 2FA work as usual).\nWaiting for the login… (Ctrl-C stops; the window closes by itself)",
            Line(&auth.url)
        );
    } else {
        esayln!(
            "Open {} in a browser{code}.\nWaiting for approval…",
            Line(&auth.url)
        );
    }
}

fn client_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "this computer".into());
    format!("gopay-miniapp CLI on {host}")
}

async fn login_password(
    ctx: &Context,
    username: Option<String>,
    password_stdin: bool,
) -> Result<LoginResult, CoreError> {
    // The portal is checked before anyone types a password for it, and named.
    let check = account::check_portal(ctx).await?;
    match &check.preset {
        Some(name) => esayln!("Logging in to {name} ({})", check.portal),
        None => esayln!("Logging in to {}", check.portal),
    }
    let ctx = &ctx.clone().with_backend(Some(check.backend));
    let username = match username {
        Some(u) => u,
        None => read_username()?,
    };
    let password = read_password(password_stdin)?;
    if ctx.backend().ok() == Some(gopay_miniapp_portal::Backend::Superapp) {
        // The console has no known password API: its login page is filled in.
        esayln!("Logging in as {username} on the portal's login page, in a headless browser…");
    }
    account::login(
        ctx,
        Login::Password {
            username: &username,
            password: &password,
        },
    )
    .await
}
