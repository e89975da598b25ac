//! `token create | list | revoke`: long-lived access tokens for CI.

use gopay_miniapp_core::workflows::account;
use gopay_miniapp_guard::text::Shown;

use super::Cx;
use crate::args::TokenCommand;

pub async fn run(cx: &Cx, command: TokenCommand) -> i32 {
    match command {
        TokenCommand::Create {
            name,
            expires_in_days,
        } => create(cx, &name, expires_in_days).await,
        TokenCommand::List => list(cx).await,
        TokenCommand::Revoke { token } => revoke(cx, &token).await,
    }
}

async fn create(cx: &Cx, name: &str, expires_in_days: Option<u32>) -> i32 {
    let result = account::create_token(&cx.ctx, name, expires_in_days).await;
    cx.finish(result, |t| {
        format!(
            "Created access token \"{}\" ({}).\n\n    {}\n\nIt is shown only this once. In CI: export GOPAY_MINIAPP_TOKEN=<the token>\n",
            Shown(&t.token.name),
            Shown(&t.token.id),
            t.secret
        )
    })
}

async fn list(cx: &Cx) -> i32 {
    cx.finish(account::list_tokens(&cx.ctx).await, |l| {
        if l.tokens.is_empty() {
            return "No access tokens. Create one: gopay-miniapp token create --name ci\n".into();
        }
        l.tokens
            .iter()
            .map(|t| {
                format!(
                    "{:<24} {:<20} created {}  expires {}  last used {}\n",
                    Shown(&t.id),
                    Shown(&t.name),
                    Shown(&t.created_at),
                    Shown(t.expires_at.as_deref().unwrap_or("never")),
                    Shown(t.last_used_at.as_deref().unwrap_or("never"))
                )
            })
            .collect()
    })
}

async fn revoke(cx: &Cx, token: &str) -> i32 {
    cx.finish(account::revoke_token(&cx.ctx, token).await, |t| {
        format!(
            "Revoked access token \"{}\" ({}).\n",
            Shown(&t.name),
            Shown(&t.id)
        )
    })
}
