//! One function per verb group; each calls a workflow and prints its result.

use std::path::PathBuf;

use gopay_miniapp_core::credentials::default_home;
use gopay_miniapp_core::error::exit;
use gopay_miniapp_core::user_ids::parse_user_ids;
use gopay_miniapp_core::workflows::bind::{parse_named_ref, BindRequest};
use gopay_miniapp_core::workflows::publish::{BumpSpec, PublishOptions};
use gopay_miniapp_core::workflows::release::{self as rel, Decision, ReleaseRef};
use gopay_miniapp_core::workflows::{account, bind, catalog, doctor, publish, status};
use gopay_miniapp_core::{qr, Context, CoreError, Hint, Input};
use gopay_miniapp_portal::Login;
use gopay_miniapp_portal::Step;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::args::{
    Cli, Command, PortalCommand, QrFormat, ReleaseArgs, ReviewDecision, TokenCommand,
};
use crate::output;
use crate::terminal::{
    read_password, read_secret_line, read_username, StderrReporter, TerminalPrompter,
};
use crate::words;

pub async fn run(cli: Cli) -> i32 {
    let project = cli
        .project
        .clone()
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")));
    let ctx = Context::new(default_home(), project).with_env(cli.portal.clone());
    let cancel = CancellationToken::new();
    {
        // Ctrl-C cancels the running workflow, which cleans up (build killed, package.json
        // restored, upload abandoned) and exits 130; a second Ctrl-C exits at once.
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nStopping… (press Ctrl-C again to quit at once)");
                cancel.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(exit::CANCELLED);
                }
            }
        });
    }
    let json = cli.json;
    let prompter = TerminalPrompter {
        assume_yes: cli.yes,
    };
    let reporter = StderrReporter::new();
    let r = &reporter;
    let p = &prompter;
    if touches_project(&cli.command) {
        recover(&ctx).await;
    }
    match cli.command {
        Command::Login(args) => {
            // `--backend` forces it; else core's login finds it (binding, session, probing).
            let ctx = ctx.with_backend(args.backend);
            let result = if args.browser {
                let show = |auth: &gopay_miniapp_portal::BrowserLogin| {
                    let code = auth
                        .user_code
                        .as_deref()
                        .map(|c| format!(" and check the code {c}"))
                        .unwrap_or_default();
                    if auth.browser_started {
                        eprintln!(
                            "A browser window opened on {}: log in there{code} (single sign-on, captcha and 2FA work as usual).\nWaiting for the login… (Ctrl-C stops; the window closes by itself)",
                            auth.url
                        );
                    } else {
                        eprintln!(
                            "Open {} in a browser{code}.\nWaiting for approval…",
                            auth.url
                        );
                    }
                };
                let with = Login::Browser {
                    show: &show,
                    client_name: Some(client_name()),
                    cancel: &cancel,
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
                    _ = cancel.cancelled() => Err(CoreError::Cancelled),
                }
            };
            finish(json, result, |r| {
                format!(
                    "Logged in to {} as {} ({}). Session saved in {}{}.\n",
                    r.portal,
                    r.username,
                    r.display_name,
                    r.credentials_file,
                    r.expires_at
                        .as_deref()
                        .map(|e| format!(" (expires {e})"))
                        .unwrap_or_default()
                )
            })
        }
        Command::Logout => finish(json, account::logout(&ctx).await, |r| {
            if r.logged_out {
                format!("Logged out of {}.\n", r.portal)
            } else {
                format!("Not logged in to {}.\n", r.portal)
            }
        }),
        Command::Whoami => finish(json, account::whoami(&ctx).await, |r| {
            format!(
                "{} ({}) on {}, via {}\n",
                r.user.username, r.user.display_name, r.portal, r.via
            )
        }),
        Command::Token(TokenCommand::Create {
            name,
            expires_in_days,
        }) => finish(
            json,
            account::create_token(&ctx, &name, expires_in_days).await,
            |t| {
                format!(
                    "Created access token \"{}\" ({}).\n\n    {}\n\nIt is shown only this once. In CI: export GOPAY_MINIAPP_TOKEN=<the token>\n",
                    t.token.name, t.token.id, t.secret
                )
            },
        ),
        Command::Token(TokenCommand::List) => finish(json, account::list_tokens(&ctx).await, |l| {
            if l.tokens.is_empty() {
                return "No access tokens. Create one: gopay-miniapp token create --name ci\n"
                    .into();
            }
            l.tokens
                .iter()
                .map(|t| {
                    format!(
                        "{:<24} {:<20} created {}  expires {}  last used {}\n",
                        t.id,
                        t.name,
                        t.created_at,
                        t.expires_at.as_deref().unwrap_or("never"),
                        t.last_used_at.as_deref().unwrap_or("never")
                    )
                })
                .collect()
        }),
        Command::Token(TokenCommand::Revoke { token }) => {
            finish(json, account::revoke_token(&ctx, &token).await, |t| {
                format!("Revoked access token \"{}\" ({}).\n", t.name, t.id)
            })
        }
        Command::Spaces => finish(json, catalog::spaces(&ctx).await, |l| {
            l.spaces
                .iter()
                .map(|s| format!("{:<20} {}\n", s.id, s.name))
                .collect()
        }),
        Command::Apps { space } => {
            finish(json, catalog::apps(&ctx, space.as_deref(), p).await, |l| {
                l.apps
                    .iter()
                    .map(|a| format!("{:<20} {}\n", a.id, a.name))
                    .collect()
            })
        }
        Command::TargetApps => finish(json, catalog::target_apps(&ctx).await, |l| {
            l.target_apps
                .iter()
                .map(|t| format!("{:<20} {:<16} {}://\n", t.id, t.name, t.scheme))
                .collect()
        }),
        Command::Bind {
            space,
            app,
            target_apps,
            backend,
        } => {
            let target_apps = match target_apps
                .iter()
                .map(|t| parse_named_ref(t))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(t) => t,
                Err(e) => return fail(json, e),
            };
            let request = BindRequest {
                space,
                app,
                target_apps,
                rebind: false,
            };
            let ctx = ctx.with_backend(backend);
            finish(json, bind::bind(&ctx, &request, p, r).await, |b| {
                if b.changed {
                    format!(
                        "Bound to \"{}\" ({}) in \"{}\". Wrote {}.\n",
                        b.binding.app.name, b.binding.app.id, b.binding.space.name, b.file
                    )
                } else {
                    format!(
                        "Kept the binding to \"{}\" ({}).\n",
                        b.binding.app.name, b.binding.app.id
                    )
                }
            })
        }
        Command::Status => finish(
            json,
            status::status(&ctx, &words::hint).await,
            output::status_text,
        ),
        Command::Pack {
            out,
            list,
            allow_secrets,
        } => {
            let result = publish::pack_project(&ctx, out, list, allow_secrets).await;
            if let Some(defaults) = result.as_ref().ok().and_then(|p| p.defaults.as_ref()) {
                eprintln!(
                    "{}; `gopay-miniapp bind` writes them to gopay-miniapp.json, where they can be changed",
                    defaults.describe()
                );
            }
            finish(json, result, |p| {
                let mut text = String::new();
                if let Some(entries) = &p.entries {
                    for e in entries {
                        text.push_str(&format!("{:>10}  {}\n", e.size, e.path));
                    }
                }
                text.push_str(&format!(
                    "{} files, {} bytes unpacked, {} bytes packed, sha256 {}{}\n",
                    p.files,
                    p.uncompressed_size,
                    p.size,
                    p.sha256,
                    p.path
                        .as_ref()
                        .map(|x| format!("\nWrote {x}"))
                        .unwrap_or_default()
                ));
                text
            })
        }
        Command::Publish(args) => {
            let bump = match args.bump.as_deref().map(str::parse::<BumpSpec>) {
                Some(Err(message)) => {
                    return fail(
                        json,
                        CoreError::invalid(message, Hint::PublishHigher { suggestion: None }),
                    )
                }
                Some(Ok(b)) => Some(b),
                None => None,
            };
            let options = PublishOptions {
                bump,
                description: args.description,
                no_build: args.no_build,
                dry_run: args.dry_run,
                allow_secrets: args.allow_secrets,
            };
            finish(
                json,
                publish::publish(&ctx, &options, r, &cancel).await,
                |p| {
                    let mut text = if p.dry_run {
                        format!(
                        "Dry run: would upload {} files ({} bytes, sha256 {}) as {} {}. Nothing was changed.\n",
                        p.files, p.size, p.sha256, p.app, p.version
                    )
                    } else {
                        format!(
                            "Published {} {} (app id {}, version id {}).\n",
                            p.app,
                            p.version,
                            p.app_id,
                            p.version_id.as_deref().unwrap_or("-")
                        )
                    };
                    if !p.dry_run {
                        text.push_str(&format!(
                            "Next: gopay-miniapp release {} --target-app \"GoPay Staging\"\n",
                            p.version
                        ));
                    }
                    text
                },
            )
        }
        Command::Upload {
            file,
            version,
            description,
        } => {
            let version = match version.parse() {
                Ok(v) => v,
                Err(e) => {
                    return fail(
                        json,
                        CoreError::invalid(
                            format!("{e}"),
                            Hint::Provide {
                                input: Input::Version,
                            },
                        ),
                    )
                }
            };
            finish(
                json,
                publish::upload_archive(&ctx, &file, version, description, r, &cancel).await,
                |u| {
                    format!(
                        "Uploaded {} as version {} (version id {}).\n",
                        file.display(),
                        u.version,
                        u.version_id
                    )
                },
            )
        }
        Command::Versions => finish(json, rel::versions(&ctx).await, |v| {
            output::versions_text(&v.versions)
        }),
        Command::Release(a) => finish(
            json,
            rel::release(&ctx, &reference(&a), p, r).await,
            step_text,
        ),
        Command::Qr(args) => qr_command(&ctx, args, json, p).await,
        Command::Apply { release, notes } => finish(
            json,
            rel::apply(&ctx, &reference(&release), notes.as_deref(), p, r).await,
            step_text,
        ),
        Command::Withdraw(a) => finish(
            json,
            rel::simple_step(&ctx, &reference(&a), Step::Withdraw, p, r).await,
            step_text,
        ),
        Command::Cancel(a) => finish(
            json,
            rel::simple_step(&ctx, &reference(&a), Step::Cancel, p, r).await,
            step_text,
        ),
        Command::Wait { release, timeout } => {
            let result = rel::wait(&ctx, &reference(&release), timeout, p, r, &cancel).await;
            match result {
                Ok(w) if !w.approved => {
                    let code = exit::REFUSED;
                    if json {
                        output::json(&w);
                    } else {
                        println!(
                            "Rejected: {} on \"{}\". Reason: {}",
                            w.version,
                            w.target_app,
                            w.reject_reason.as_deref().unwrap_or("(none given)")
                        );
                    }
                    code
                }
                other => finish(json, other, |w| {
                    format!(
                        "Approved: {} on \"{}\" is in {}.\n",
                        w.version,
                        w.target_app,
                        w.state.label()
                    )
                }),
            }
        }
        Command::Whitelist {
            release,
            users,
            users_file,
        } => {
            let text = match users_file {
                Some(file) => match std::fs::read_to_string(&file) {
                    Ok(text) => text,
                    Err(e) => return fail(json, CoreError::io(file.display(), e)),
                },
                None => users.join(","),
            };
            let ids = match parse_user_ids(&text) {
                Ok(ids) => ids,
                Err(e) => return fail(json, e),
            };
            finish(
                json,
                rel::whitelist(&ctx, &reference(&release), ids, p, r).await,
                step_text,
            )
        }
        Command::Grayscale { release, ratio } => finish(
            json,
            rel::grayscale(&ctx, &reference(&release), ratio, p, r).await,
            step_text,
        ),
        Command::Official(a) => finish(
            json,
            rel::official(&ctx, &reference(&a), p, r).await,
            step_text,
        ),
        Command::Rollback { target_app } => finish(
            json,
            rel::rollback(&ctx, target_app.as_deref(), p, r).await,
            step_text,
        ),
        Command::Review {
            decision,
            app,
            version,
            target_app,
            reason,
        } => {
            let decision = match decision {
                ReviewDecision::Approve => Decision::Approve,
                ReviewDecision::Reject => Decision::Reject,
            };
            finish(
                json,
                rel::review(
                    &ctx,
                    decision,
                    &app,
                    &version,
                    &target_app,
                    reason.as_deref(),
                    r,
                )
                .await,
                step_text,
            )
        }
        Command::Audit => {
            let result = async {
                let binding = gopay_miniapp_core::binding::Binding::require(&ctx.project)?;
                let portal = ctx.portal().await?;
                portal
                    .capabilities()
                    .require(gopay_miniapp_portal::Feature::Audit, portal.base_url())?;
                let entries = portal.audit(&binding.app_ref()).await?;
                Ok::<_, CoreError>(
                    serde_json::json!({ "appId": binding.app.id, "entries": entries }),
                )
            }
            .await;
            finish(json, result, |v| {
                v["entries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| {
                        format!(
                            "{}  {:<10} {:<22} {}\n",
                            e["at"].as_str().unwrap_or(""),
                            e["actor"].as_str().unwrap_or(""),
                            e["action"].as_str().unwrap_or(""),
                            e["detail"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
        }
        Command::Doctor => match doctor::doctor(&ctx).await {
            Ok(report) => {
                if json {
                    output::json(&report);
                } else {
                    print!("{}", output::doctor_text(&report));
                }
                if report.healthy() {
                    exit::OK
                } else {
                    exit::NETWORK
                }
            }
            Err(e) => fail(json, e),
        },
        Command::Lsp { .. } => gopay_miniapp_lsp::run_stdio(ctx).await,
        Command::Demo { example, backend } => crate::demo::run(example, backend, &cancel).await,
        Command::Portal(PortalCommand::Serve {
            addr,
            data,
            seed_demo,
            max_package_size,
            access_token_ttl,
            backend,
        }) => {
            let data = data.unwrap_or_else(|| default_home().join("portal"));
            let mut config = gopay_miniapp_portal_server::PortalConfig {
                addr,
                data_dir: data,
                seed_demo,
                backend,
                ..Default::default()
            };
            if let Some(max) = max_package_size {
                config.max_package_size = max;
            }
            if let Some(ttl) = access_token_ttl {
                config.access_token_ttl = ttl;
            }
            match gopay_miniapp_portal_server::start(config).await {
                Ok(portal) => {
                    if backend == gopay_miniapp_portal::Backend::Superapp {
                        println!(
                            "SuperApp console emulator listening on {} (log in at {}/login)",
                            portal.url, portal.url
                        );
                    } else {
                        println!("Local portal listening on {}", portal.url);
                    }
                    if seed_demo {
                        println!("Demo accounts: demo/demo (developer), other/other, admin/admin (target-app admin)");
                    }
                    if backend == gopay_miniapp_portal::Backend::Superapp {
                        // The console's API has no list routes: users need these ids.
                        match crate::demo::emulator_directory(&portal).await {
                            Ok(entries) => {
                                for entry in entries {
                                    println!("{}", entry.line());
                                }
                            }
                            Err(e) => eprintln!("warning: cannot list the console ids: {e}"),
                        }
                    }
                    cancel.cancelled().await;
                    portal.shutdown().await;
                    exit::OK
                }
                Err(e) => {
                    eprintln!("error: cannot start the local portal: {e}");
                    eprintln!("  hint: is another process using {addr}? pick one with --addr 127.0.0.1:PORT");
                    exit::PREFLIGHT
                }
            }
        }
    }
}

/// Commands that work on the project (and so put right what a dead publish left there).
fn touches_project(command: &Command) -> bool {
    !matches!(
        command,
        Command::Login(_)
            | Command::Logout
            | Command::Whoami
            | Command::Token(_)
            | Command::Spaces
            | Command::Apps { .. }
            | Command::TargetApps
            | Command::Review { .. }
            | Command::Lsp { .. }
            | Command::Demo { .. }
            | Command::Portal(_)
    )
}

/// Settles an interrupted publish of the project, saying so on stderr in one line (and in
/// `recovered` of the `--json` document).
async fn recover(ctx: &Context) {
    match gopay_miniapp_core::journal::recover(ctx).await {
        Ok(Some(recovery)) => {
            eprintln!("{}", words::recovery(&recovery));
            let _ = output::RECOVERED.set(serde_json::to_value(&recovery).expect("serializable"));
        }
        Ok(None) => {}
        Err(e) => {
            let report = e.report(&words::hint);
            eprintln!(
                "warning: an interrupted publish could not be put right: {}",
                report.message
            );
            if !report.hint.text.is_empty() {
                eprintln!("  hint: {}", report.hint.text);
            }
        }
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
) -> Result<account::LoginResult, CoreError> {
    let username = match username {
        Some(u) => u,
        None => read_username()?,
    };
    let password = read_password(password_stdin)?;
    if ctx.backend().ok() == Some(gopay_miniapp_portal::Backend::Superapp) {
        // The console has no known password API: its login page is filled in.
        eprintln!("Logging in as {username} on the portal's login page, in a headless browser…");
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

fn reference(a: &ReleaseArgs) -> ReleaseRef {
    ReleaseRef {
        version: a.version.clone(),
        target_app: a.target_app.clone(),
    }
}

fn step_text(s: &rel::StepResult) -> String {
    let r = &s.release;
    let mut text = format!("{} on \"{}\": {}", s.version, r.target_app, r.state_label);
    if let Some(ratio) = r.ratio {
        text.push_str(&format!(" {ratio}%"));
    }
    if let Some(users) = &r.whitelist {
        text.push_str(&format!(" (whitelist: {})", users.join(", ")));
    }
    text.push('\n');
    if let Some(archived) = &s.archived_version {
        text.push_str(&format!("{archived} was archived.\n"));
    }
    if let Some(next) = r.next_step {
        let verb = if next == Step::Approve {
            "wait (a target-app admin reviews it)".to_string()
        } else {
            words::step_command(next, Some(&s.version), Some(&r.target_app))
        };
        text.push_str(&format!("Next: {verb}\n"));
    }
    text
}

async fn qr_command(
    ctx: &Context,
    args: crate::args::QrArgs,
    json: bool,
    prompter: &TerminalPrompter,
) -> i32 {
    let result =
        rel::temporary_code(ctx, &reference(&args.release), args.path.clone(), prompter).await;
    let code = match result {
        Ok(code) => code,
        Err(e) => return fail(json, e),
    };
    let written = match args.format {
        QrFormat::Png | QrFormat::Svg => {
            let ext = if args.format == QrFormat::Png {
                "png"
            } else {
                "svg"
            };
            let out = args
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("qr-{}.{ext}", code.version)));
            let bytes = if args.format == QrFormat::Png {
                qr::render_png(&code.deeplink, 8).map_err(|e| e.to_string())
            } else {
                qr::render_svg(&code.deeplink)
                    .map(String::into_bytes)
                    .map_err(|e| e.to_string())
            };
            match bytes.map(|b| std::fs::write(&out, b).map_err(|e| e.to_string())) {
                Ok(Ok(())) => Some(out),
                Ok(Err(e)) | Err(e) => {
                    return fail(
                        json,
                        CoreError::invalid(
                            format!("cannot write {}: {e} (pick another --out)", out.display()),
                            Hint::CheckPermissions,
                        ),
                    )
                }
            }
        }
        _ => None,
    };
    if json {
        let mut value = serde_json::to_value(&code).expect("serializable");
        if let Some(out) = &written {
            value["file"] = serde_json::Value::String(out.display().to_string());
        }
        output::json(&value);
        return exit::OK;
    }
    match args.format {
        QrFormat::Url => println!("{}", code.deeplink),
        QrFormat::Terminal => match qr::render_terminal(&code.deeplink) {
            Ok(art) => {
                println!("{art}");
                println!("{}", code.deeplink);
                println!(
                    "Temporary code for {} on \"{}\", expires {}",
                    code.version, code.target_app, code.expires_at
                );
            }
            Err(e) => {
                return fail(
                    json,
                    CoreError::invalid(format!("{e} (use --format url)"), Hint::None),
                )
            }
        },
        QrFormat::Png | QrFormat::Svg => {
            let out = written.expect("written above");
            println!(
                "Wrote {}\n{}\nExpires {}",
                out.display(),
                code.deeplink,
                code.expires_at
            );
        }
    }
    exit::OK
}

pub fn finish<T: Serialize>(
    json: bool,
    result: Result<T, CoreError>,
    text: impl FnOnce(&T) -> String,
) -> i32 {
    match result {
        Ok(value) => {
            if json {
                output::json(&value);
            } else {
                crate::terminal::end_progress_line();
                print!("{}", text(&value));
            }
            exit::OK
        }
        Err(err) => fail(json, err),
    }
}

pub fn fail(json: bool, err: CoreError) -> i32 {
    output::error(&err.report(&words::hint), json);
    err.exit_code()
}
