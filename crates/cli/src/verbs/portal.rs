//! `portal serve`: the local portal (or the SuperApp console emulator) until Ctrl-C.

use gopay_miniapp_core::credentials::default_home;
use gopay_miniapp_core::error::exit;
use gopay_miniapp_portal::Backend;
use gopay_miniapp_portal_server::{superapp, PortalConfig, RunningPortal};

use super::Cx;
use crate::args::ServeArgs;

pub async fn serve(cx: &Cx, args: ServeArgs) -> i32 {
    let mut config = PortalConfig {
        addr: args.addr,
        data_dir: args
            .data
            .clone()
            .unwrap_or_else(|| default_home().join("portal")),
        seed_demo: args.seed_demo,
        backend: args.backend,
        console_variant: args
            .console_variant
            .parse()
            .expect("clap allows only a and b"),
        ..Default::default()
    };
    if let Some(max) = args.max_package_size {
        config.max_package_size = max;
    }
    if let Some(ttl) = args.access_token_ttl {
        config.access_token_ttl = ttl;
    }
    match gopay_miniapp_portal_server::start(config).await {
        Ok(portal) => {
            announce(&portal, &args).await;
            cx.cancel.cancelled().await;
            portal.shutdown().await;
            exit::OK
        }
        Err(e) => {
            esayln!("error: cannot start the local portal: {e}");
            esayln!(
                "  hint: is another process using {}? pick one with --addr 127.0.0.1:PORT",
                args.addr
            );
            exit::PREFLIGHT
        }
    }
}

/// Where it listens, the demo accounts, and (the emulator) the ids the console's API takes.
async fn announce(portal: &RunningPortal, args: &ServeArgs) {
    let emulator = args.backend == Backend::Superapp;
    if emulator {
        sayln!(
            "SuperApp console emulator listening on {} (log in at {}/login)",
            portal.url,
            portal.url
        );
        sayln!(
            "Console pages (variant {}, the emulator's own routes): {}/console",
            args.console_variant,
            portal.url
        );
    } else {
        sayln!("Local portal listening on {}", portal.url);
    }
    if args.seed_demo {
        sayln!("Demo accounts: demo/demo (developer), other/other, admin/admin (target-app admin)");
    }
    if emulator {
        // The console's API has no list routes: users need these ids.
        match superapp::directory_async(portal.store()).await {
            Ok(entries) => {
                for entry in entries {
                    sayln!("{}", entry.line());
                }
            }
            Err(e) => esayln!("warning: cannot list the console ids: {e}"),
        }
    }
}
