//! `gopay-miniapp demo`: the whole story against an embedded local portal, on a copy of
//! `examples/hello-miniapp`, with throwaway credentials (your own are never touched).

use std::path::{Path, PathBuf};
use std::time::Instant;

use gopay_miniapp_core::error::exit;
use gopay_miniapp_core::events::AssumeYes;
use gopay_miniapp_core::workflows::publish::PublishOptions;
use gopay_miniapp_core::workflows::release::{self as rel, Decision, ReleaseRef};
use gopay_miniapp_core::workflows::{account, bind, publish};
use gopay_miniapp_core::{qr, Context, CoreError};
use tokio_util::sync::CancellationToken;

use crate::output;
use crate::terminal::{self, StderrReporter};

const STAGING: &str = "GoPay Staging";

pub async fn run(example: Option<PathBuf>, cancel: &CancellationToken) -> i32 {
    let started = Instant::now();
    match story(example, cancel).await {
        Ok(()) => {
            println!(
                "\nDemo finished in {:.1} s. Every step above ran against a real local portal over HTTP.",
                started.elapsed().as_secs_f64()
            );
            exit::OK
        }
        Err(err) => {
            output::error(&err.report(&crate::words::hint), false);
            err.exit_code()
        }
    }
}

fn find_example(given: Option<PathBuf>) -> Result<PathBuf, CoreError> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    let mut here = std::env::current_dir().ok();
    while let Some(dir) = here {
        let candidate = dir.join("examples/hello-miniapp");
        if candidate.join("package.json").is_file() {
            return Ok(candidate);
        }
        here = dir.parent().map(Path::to_path_buf);
    }
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello-miniapp");
    if built_in.join("package.json").is_file() {
        return Ok(built_in);
    }
    Err(CoreError::invalid(
        "cannot find examples/hello-miniapp: run the demo from the gopay-miniapp checkout, or pass --example DIR",
        gopay_miniapp_core::Hint::None,
    ))
}

fn copy_project(from: &Path, to: &Path) -> Result<(), CoreError> {
    std::fs::create_dir_all(to).map_err(|e| CoreError::io(to.display(), e))?;
    for entry in std::fs::read_dir(from).map_err(|e| CoreError::io(from.display(), e))? {
        let entry = entry.map_err(|e| CoreError::io(from.display(), e))?;
        let name = entry.file_name();
        if name == "node_modules" || name == "dist" {
            continue;
        }
        let source = entry.path();
        let target = to.join(&name);
        if source.is_dir() {
            copy_project(&source, &target)?;
        } else {
            std::fs::copy(&source, &target).map_err(|e| CoreError::io(source.display(), e))?;
        }
    }
    Ok(())
}

/// A change that reaches the build output (build.mjs strips comments, so a comment would
/// make the same package again): one more entry in the page's list of greetings.
fn add_greeting(page: &Path, greeting: &str) -> Result<(), CoreError> {
    let text = std::fs::read_to_string(page).map_err(|e| CoreError::io(page.display(), e))?;
    let end = text
        .find("const GREETINGS = [")
        .and_then(|start| text[start..].find(']').map(|i| start + i));
    let Some(end) = end else {
        return Err(CoreError::invalid(
            format!(
                "{} has no `const GREETINGS = [...]` to add a greeting to (the demo changes the example's greetings: keep that line in examples/hello-miniapp)",
                page.display()
            ),
            gopay_miniapp_core::Hint::SeeFile,
        ));
    };
    let changed = format!("{}, \"{greeting}\"{}", &text[..end], &text[end..]);
    std::fs::write(page, changed).map_err(|e| CoreError::io(page.display(), e))
}

fn say(n: &mut u32, text: &str) {
    *n += 1;
    println!("\n[{n:>2}] {text}");
}

async fn story(example: Option<PathBuf>, cancel: &CancellationToken) -> Result<(), CoreError> {
    let example = find_example(example)?;
    let scratch = tempfile::Builder::new()
        .prefix("gopay-miniapp-demo")
        .tempdir()
        .map_err(|e| CoreError::io("a temporary folder", e))?;
    let mut n = 0;

    say(
        &mut n,
        "Starting the local portal (demo accounts, spaces, MiniApps, target apps)",
    );
    let config = gopay_miniapp_portal_server::PortalConfig {
        data_dir: scratch.path().join("portal"),
        seed_demo: true,
        ..Default::default()
    };
    let portal = gopay_miniapp_portal_server::start(config)
        .await
        .map_err(|e| {
            CoreError::invalid(
                format!("cannot start the local portal: {e}"),
                gopay_miniapp_core::Hint::None,
            )
        })?;
    println!("     {}", portal.url);

    let project = scratch.path().join("hello-miniapp");
    copy_project(&example, &project)?;
    println!(
        "     project: {} (a copy of {})",
        project.display(),
        example.display()
    );

    let mut dev = Context::new(scratch.path().join("home-demo"), project.clone());
    dev.portal_override = Some(portal.url.clone());
    let mut admin = Context::new(scratch.path().join("home-admin"), project.clone());
    admin.portal_override = Some(portal.url.clone());
    let yes = AssumeYes;
    let reporter = StderrReporter::new();
    let r = &reporter;

    say(
        &mut n,
        "Login as demo (the password goes to the portal once; only tokens are kept)",
    );
    let login = account::login(
        &dev,
        gopay_miniapp_portal::Login::Password {
            username: "demo",
            password: "demo",
        },
    )
    .await?;
    println!(
        "     logged in as {} ({})",
        login.username, login.display_name
    );
    account::login(
        &admin,
        gopay_miniapp_portal::Login::Password {
            username: "admin",
            password: "admin",
        },
    )
    .await?;

    say(
        &mut n,
        "Select Space & Bind MiniApp: \"Demo Space\" → \"Hello MiniApp\"",
    );
    let request = bind::BindRequest {
        space: Some("Demo Space".into()),
        app: Some("Hello MiniApp".into()),
        ..Default::default()
    };
    let bound = bind::bind(&dev, &request, &yes, r).await?;
    let app_id = bound.binding.app.id.clone();
    println!("     wrote {} (app id {app_id})", bound.file);

    say(
        &mut n,
        "Publish MiniApp: latest version → bump package.json → npm run build → zip → upload",
    );
    let first = publish::publish(&dev, &PublishOptions::default(), r, cancel).await?;
    terminal::end_progress_line();
    println!(
        "     published {} ({} files, {} bytes, version id {})",
        first.version,
        first.files,
        first.size,
        first.version_id.as_deref().unwrap_or("-")
    );
    let v1 = first.version.clone();
    let at = |version: &str| ReleaseRef {
        version: Some(version.to_string()),
        target_app: Some(STAGING.to_string()),
    };

    say(
        &mut n,
        &format!("Release {v1} → target app \"{STAGING}\" (Version Creation)"),
    );
    let created = rel::release(&dev, &at(&v1), &yes, r).await?;
    println!("     state: {}", created.release.state_label);

    say(&mut n, "Show Temporary Code: a QR of the working deeplink");
    let code = rel::temporary_code(&dev, &at(&v1), None, &yes).await?;
    if let Ok(art) = qr::render_terminal(&code.deeplink) {
        println!("{art}");
    }
    println!("     {}\n     expires {}", code.deeplink, code.expires_at);

    say(
        &mut n,
        "Apply Release → Confirm Release Information → Submit for Review",
    );
    let applied = rel::apply(
        &dev,
        &at(&v1),
        Some("First release of Hello MiniApp"),
        &yes,
        r,
    )
    .await?;
    println!("     state: {}", applied.release.state_label);

    say(&mut n, "The target-app admin approves (as `admin`)");
    let approved = rel::review(&admin, Decision::Approve, &app_id, &v1, STAGING, None, r).await?;
    println!(
        "     state: {} (first release: official only)",
        approved.release.state_label
    );

    say(&mut n, &format!("Officially Release {v1}"));
    let official = rel::official(&dev, &at(&v1), &yes, r).await?;
    println!("     state: {}", official.release.state_label);

    say(
        &mut n,
        "Change the app (a new greeting, \"Hai\") and publish again",
    );
    add_greeting(&project.join("src/pages/index/index.js"), "Hai")?;
    let second = publish::publish(&dev, &PublishOptions::default(), r, cancel).await?;
    terminal::end_progress_line();
    let v2 = second.version.clone();
    println!("     published {v2}");

    say(
        &mut n,
        &format!("Release {v2} → \"{STAGING}\", apply, admin approves"),
    );
    rel::release(&dev, &at(&v2), &yes, r).await?;
    rel::apply(&dev, &at(&v2), Some("Faster home page"), &yes, r).await?;
    let approved = rel::review(&admin, Decision::Approve, &app_id, &v2, STAGING, None, r).await?;
    println!("     state: {}", approved.release.state_label);

    say(&mut n, "Whitelist test with two user IDs");
    let wl = rel::whitelist(
        &dev,
        &at(&v2),
        gopay_miniapp_core::user_ids::parse_user_ids("100001, 100002")?,
        &yes,
        r,
    )
    .await?;
    println!(
        "     state: {} ({:?})",
        wl.release.state_label,
        wl.release.whitelist.unwrap_or_default()
    );

    for ratio in [10, 50] {
        say(&mut n, &format!("Grayscale {ratio}%"));
        let g = rel::grayscale(&dev, &at(&v2), ratio, &yes, r).await?;
        println!(
            "     state: {} {}%",
            g.release.state_label,
            g.release.ratio.unwrap_or(0)
        );
    }

    say(
        &mut n,
        &format!("Officially Release {v2} ({v1} is archived)"),
    );
    let official = rel::official(&dev, &at(&v2), &yes, r).await?;
    println!(
        "     {v2}: {}; archived: {}",
        official.release.state_label,
        official.archived_version.as_deref().unwrap_or("-")
    );

    say(&mut n, &format!("Rollback \"{STAGING}\" ({v1} comes back)"));
    let rb = rel::rollback(&dev, Some(STAGING), &yes, r).await?;
    println!(
        "     live again: {}; archived: {}",
        rb.restored_version.as_deref().unwrap_or("-"),
        rb.archived_version.as_deref().unwrap_or("-")
    );

    say(&mut n, "Versions and their release states");
    let versions = rel::versions(&dev).await?;
    print!("{}", output::versions_text(&versions.versions));

    portal.shutdown().await;
    Ok(())
}
