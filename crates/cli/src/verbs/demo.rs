//! `gopay-miniapp demo`: the whole story against an embedded local portal, on a copy of
//! `examples/hello-miniapp`, with throwaway credentials (your own are never touched).
//! `demo --backend superapp` runs the story the SuperApp console's API supports against its
//! emulator: login, bind with ids, publish, release to a target app, apply, the admin's
//! approval on the emulator, official release, status, and one step the API does not have.

use std::path::{Path, PathBuf};
use std::time::Instant;

use gopay_miniapp_core::binding::GivenTargetApp;
use gopay_miniapp_core::error::exit;
use gopay_miniapp_core::events::AssumeYes;
use gopay_miniapp_core::workflows::publish::{PublishOptions, PublishResult};
use gopay_miniapp_core::workflows::release::{self as rel, Decision, ReleaseRef, StepResult};
use gopay_miniapp_core::workflows::{account, bind, publish, status};
use gopay_miniapp_core::{qr, Context, CoreError, Hint};
use gopay_miniapp_portal::{Backend, Login, PortalError};
use gopay_miniapp_portal_server::superapp::{self, ConsoleSession, DirectoryEntry};
use gopay_miniapp_portal_server::RunningPortal;
use tokio_util::sync::CancellationToken;

use crate::args::DemoArgs;
use crate::output;
use crate::terminal::{self, StderrReporter};

const STAGING: &str = "GoPay Staging";

pub async fn run(args: DemoArgs, cancel: &CancellationToken) -> i32 {
    let started = Instant::now();
    let example = args.example;
    let (result, against) = match args.backend {
        Backend::Native => (native_story(example, cancel).await, "a real local portal"),
        Backend::Superapp => (
            superapp_story(example, cancel).await,
            "the SuperApp console emulator",
        ),
    };
    match result {
        Ok(()) => {
            sayln!(
                "\nDemo finished in {:.1} s. Every step above ran against {against} over HTTP.",
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

/// What both stories share: the scratch folder, the embedded portal, the project copy, the
/// step counter, and the steps that are the same on every backend.
struct Scene {
    scratch: tempfile::TempDir,
    portal: RunningPortal,
    project: PathBuf,
    n: std::cell::Cell<u32>,
    reporter: StderrReporter,
}

impl Scene {
    async fn start(
        example: Option<PathBuf>,
        backend: Backend,
        what: &str,
    ) -> Result<Scene, CoreError> {
        let example = find_example(example)?;
        let scratch = tempfile::Builder::new()
            .prefix("gopay-miniapp-demo")
            .tempdir()
            .map_err(|e| CoreError::io("a temporary folder", e))?;
        let mut n = 0;
        say(&mut n, what);
        let config = gopay_miniapp_portal_server::PortalConfig {
            data_dir: scratch.path().join("portal"),
            seed_demo: true,
            backend,
            ..Default::default()
        };
        let portal = gopay_miniapp_portal_server::start(config)
            .await
            .map_err(|e| {
                CoreError::invalid(format!("cannot start the local portal: {e}"), Hint::None)
            })?;
        sayln!("     {}", portal.url);
        let project = scratch.path().join("hello-miniapp");
        copy_project(&example, &project)?;
        sayln!(
            "     project: {} (a copy of {})",
            project.display(),
            example.display()
        );
        Ok(Scene {
            scratch,
            portal,
            project,
            n: std::cell::Cell::new(n),
            reporter: StderrReporter::new(),
        })
    }

    fn say(&self, text: &str) {
        let mut n = self.n.get();
        say(&mut n, text);
        self.n.set(n);
    }

    /// A user of the demo: a throwaway home of their own, on the embedded portal.
    fn user(&self, name: &str) -> Context {
        let mut ctx = Context::new(
            self.scratch.path().join(format!("home-{name}")),
            self.project.clone(),
        );
        ctx.portal_override = Some(self.portal.url.clone());
        ctx
    }

    async fn publish(
        &self,
        dev: &Context,
        cancel: &CancellationToken,
    ) -> Result<PublishResult, CoreError> {
        // The demo answers its own questions; a version with the same files as the last is
        // still a step of its story, said by the warning the publish prints.
        let options = PublishOptions {
            allow_identical: true,
            ..PublishOptions::default()
        };
        let published = publish::publish(dev, &options, &self.reporter, &AssumeYes, cancel).await?;
        terminal::end_progress_line();
        sayln!(
            "     published {} ({} files, {} bytes, version id {})",
            published.version,
            published.files,
            published.size,
            published.version_id.as_deref().unwrap_or("-")
        );
        Ok(published)
    }

    async fn release(&self, dev: &Context, at: &ReleaseRef) -> Result<StepResult, CoreError> {
        let created =
            rel::release(dev, at, &Default::default(), &AssumeYes, &self.reporter).await?;
        sayln!("     state: {}", created.release.state_label);
        Ok(created)
    }

    async fn apply(
        &self,
        dev: &Context,
        at: &ReleaseRef,
        notes: Option<&str>,
    ) -> Result<StepResult, CoreError> {
        let applied = rel::apply(dev, at, notes, &AssumeYes, &self.reporter).await?;
        sayln!("     state: {}", applied.release.state_label);
        Ok(applied)
    }

    async fn official(&self, dev: &Context, at: &ReleaseRef) -> Result<StepResult, CoreError> {
        let official = rel::official(dev, at, &AssumeYes, &self.reporter).await?;
        sayln!("     state: {}", official.release.state_label);
        Ok(official)
    }

    async fn finish(self) {
        self.portal.shutdown().await;
    }
}

fn say(n: &mut u32, text: &str) {
    *n += 1;
    sayln!("\n[{n:>2}] {text}");
}

/// `version` on "GoPay Staging".
fn at(version: &str) -> ReleaseRef {
    ReleaseRef {
        version: Some(version.to_string()),
        target_app: Some(STAGING.to_string()),
    }
}

async fn native_story(
    example: Option<PathBuf>,
    cancel: &CancellationToken,
) -> Result<(), CoreError> {
    let scene = Scene::start(
        example,
        Backend::Native,
        "Starting the local portal (demo accounts, spaces, MiniApps, target apps)",
    )
    .await?;
    let dev = scene.user("demo");
    let admin = scene.user("admin");

    scene.say("Login as demo (the password goes to the portal once; only tokens are kept)");
    let login = log_in(&dev, "demo").await?;
    sayln!(
        "     logged in as {} ({})",
        login.username,
        login.display_name
    );
    log_in(&admin, "admin").await?;

    scene.say("Select Space & Bind MiniApp: \"Demo Space\" → \"Hello MiniApp\"");
    let request = bind::BindRequest {
        space: Some("Demo Space".into()),
        app: Some("Hello MiniApp".into()),
        ..Default::default()
    };
    let bound = bind::bind(&dev, &request, &AssumeYes, &scene.reporter).await?;
    let app_id = bound.binding.app.id.clone();
    sayln!("     wrote {} (app id {app_id})", bound.file);

    let cast = Cast {
        scene: &scene,
        dev: &dev,
        admin: &admin,
        app_id: &app_id,
    };
    let v1 = cast.first_release(cancel).await?;
    let v2 = cast.second_version_approved(cancel).await?;
    cast.roll_out(&v1, &v2).await?;

    scene.say("Versions and their release states");
    let versions = rel::versions(&dev).await?;
    say!("{}", output::versions_text(&versions.versions));

    scene.finish().await;
    Ok(())
}

/// The demo account `name` logs in with its password (the same as its name).
async fn log_in(user: &Context, name: &str) -> Result<account::LoginResult, CoreError> {
    let with = Login::Password {
        username: name,
        password: name,
    };
    account::login(user, with).await
}

/// Who acts in the native story once the project is bound: the developer and the
/// target-app admin, on the MiniApp `app_id`.
struct Cast<'a> {
    scene: &'a Scene,
    dev: &'a Context,
    admin: &'a Context,
    app_id: &'a str,
}

impl Cast<'_> {
    /// Publish, release to staging, the QR, apply, the admin's approval, official; the
    /// version released.
    async fn first_release(&self, cancel: &CancellationToken) -> Result<String, CoreError> {
        let (scene, dev) = (self.scene, self.dev);
        scene.say(
            "Publish MiniApp: latest version → bump package.json → npm run build → zip → upload",
        );
        let v1 = scene.publish(dev, cancel).await?.version;

        scene.say(&format!(
            "Release {v1} → target app \"{STAGING}\" (not submitted)"
        ));
        scene.release(dev, &at(&v1)).await?;

        scene.say("Show Temporary Code: a QR of the working deeplink");
        let code = rel::temporary_code(dev, &at(&v1), None, &AssumeYes).await?;
        if let Ok(art) = qr::render_terminal(&code.deeplink) {
            sayln!("{art}");
        }
        sayln!("     {}\n     expires {}", code.deeplink, code.expires_at);

        scene.say("Apply Release → Confirm Release Information → Submit for Review");
        scene
            .apply(dev, &at(&v1), Some("First release of Hello MiniApp"))
            .await?;

        scene.say("The target-app admin approves (as `admin`)");
        let approved = self.approve(&v1).await?;
        sayln!(
            "     state: {} (first release: official only)",
            approved.release.state_label
        );

        scene.say(&format!("Officially Release {v1}"));
        scene.official(dev, &at(&v1)).await?;
        Ok(v1)
    }

    /// A change that reaches the package, published, released, applied and approved; the
    /// new version.
    async fn second_version_approved(
        &self,
        cancel: &CancellationToken,
    ) -> Result<String, CoreError> {
        let (scene, dev, r) = (self.scene, self.dev, &self.scene.reporter);
        scene.say("Change the app (a new greeting, \"Hai\") and publish again");
        add_greeting(&scene.project.join("src/pages/index/index.js"), "Hai")?;
        let v2 = scene.publish(dev, cancel).await?.version;

        scene.say(&format!(
            "Release {v2} → \"{STAGING}\", apply, admin approves"
        ));
        rel::release(dev, &at(&v2), &Default::default(), &AssumeYes, r).await?;
        rel::apply(dev, &at(&v2), Some("Faster home page"), &AssumeYes, r).await?;
        let approved = self.approve(&v2).await?;
        sayln!("     state: {}", approved.release.state_label);
        Ok(v2)
    }

    /// `v2` through whitelist and grayscale to official (archiving `v1`), then the rollback
    /// that brings `v1` back.
    async fn roll_out(&self, v1: &str, v2: &str) -> Result<(), CoreError> {
        let (scene, dev, r) = (self.scene, self.dev, &self.scene.reporter);
        scene.say("Whitelist test with two user IDs");
        let ids = gopay_miniapp_core::user_ids::parse_user_ids("100001, 100002")?;
        let wl = rel::whitelist(dev, &at(v2), ids, &AssumeYes, r).await?;
        sayln!(
            "     state: {} ({:?})",
            wl.release.state_label,
            wl.release.whitelist.unwrap_or_default()
        );

        for ratio in [10, 50] {
            scene.say(&format!("Grayscale {ratio}%"));
            let g = rel::grayscale(dev, &at(v2), ratio, &AssumeYes, r).await?;
            sayln!(
                "     state: {} {}%",
                g.release.state_label,
                g.release.ratio.unwrap_or(0)
            );
        }

        scene.say(&format!("Officially Release {v2} ({v1} is archived)"));
        let official = rel::official(dev, &at(v2), &AssumeYes, r).await?;
        sayln!(
            "     {v2}: {}; archived: {}",
            official.release.state_label,
            official.archived_version.as_deref().unwrap_or("-")
        );

        scene.say(&format!("Rollback \"{STAGING}\" ({v1} comes back)"));
        let rb = rel::rollback(dev, Some(STAGING), &AssumeYes, r).await?;
        sayln!(
            "     live again: {}; archived: {}",
            rb.restored_version.as_deref().unwrap_or("-"),
            rb.archived_version.as_deref().unwrap_or("-")
        );
        Ok(())
    }

    /// The target-app admin approves `version` on staging.
    async fn approve(&self, version: &str) -> Result<StepResult, CoreError> {
        let r = &self.scene.reporter;
        rel::review(
            self.admin,
            Decision::Approve,
            self.app_id,
            version,
            STAGING,
            None,
            r,
        )
        .await
    }
}

fn demo_failure(message: String) -> CoreError {
    CoreError::invalid(message, Hint::None)
}

async fn superapp_story(
    example: Option<PathBuf>,
    cancel: &CancellationToken,
) -> Result<(), CoreError> {
    let scene = Scene::start(
        example,
        Backend::Superapp,
        "Starting the SuperApp console emulator (demo accounts; the ids its API needs, since it has no lists)",
    )
    .await?;
    let directory = console_directory(&scene.portal).await?;
    let space_id = id_of(&directory, "space", "Demo Space")?;
    let app_id = id_of(&directory, "app", "Hello MiniApp")?;
    let channel = id_of(&directory, "target-app", STAGING)?;
    let url = scene.portal.url.clone();
    let dev = scene.user("demo").with_backend(Some(Backend::Superapp));

    scene
        .say("Login as demo on the console's login page (the session cookie is kept, never shown)");
    // The login page's form, as a browser submits it: the demo needs no browser.
    let console = console_log_in(&url, "demo").await?;
    let login = account::login(&dev, Login::Cookie(console.cookie())).await?;
    sayln!(
        "     logged in ({}, backend {})",
        login.username,
        login.backend
    );

    scene.say(&format!(
        "Bind with ids (the API cannot list them): space {space_id}, MiniApp {app_id}, target app \"{STAGING}={channel}\""
    ));
    let request = bind::BindRequest {
        space: Some(space_id.clone()),
        app: Some(app_id.clone()),
        target_apps: vec![GivenTargetApp {
            id: channel.clone(),
            name: STAGING.into(),
            // The demo's staging app is a testing app: said, as a user binding by ids says it.
            production: Some(false),
        }],
        rebind: false,
    };
    let bound = bind::bind(&dev, &request, &AssumeYes, &scene.reporter).await?;
    sayln!(
        "     wrote {} (backend {})",
        bound.file,
        bound.binding.backend
    );

    scene.say("Publish: version/query → bump package.json → npm run build → zip → uploadResource (multipart, streamed) → version/create");
    let v1 = scene.publish(&dev, cancel).await?.version;

    scene.say(&format!(
        "Release {v1} → target app \"{STAGING}\" (publish/version/create)"
    ));
    scene.release(&dev, &at(&v1)).await?;

    scene.say("Apply Release (publish/version/startApprove)");
    scene
        // The console takes the notes with the release (the version's description).
        .apply(&dev, &at(&v1), None)
        .await?;

    scene.say("The target-app admin approves on the emulator (as `admin`, POST /emulator/review)");
    let admin = console_log_in(&url, "admin").await?;
    let state = admin
        .review(&app_id, &channel, &v1, superapp::Decision::Approve, "")
        .await
        .map_err(|e| demo_failure(e.to_string()))?;
    sayln!("     versionStatus: {state}");

    scene.say(&format!(
        "Officially Release {v1} (gray/skipBeta, then publish/online)"
    ));
    scene.official(&dev, &at(&v1)).await?;

    scene.say("Status");
    let snapshot = status::status(&dev, &crate::words::hint).await?;
    for line in output::status_text(&snapshot).lines() {
        sayln!("     {line}");
    }

    scene.say("Whitelist test: a step this API does not have");
    whitelist_is_not_available(&scene, &dev, &v1).await?;

    scene.finish().await;
    Ok(())
}

/// Every id the console's API needs, printed (it has no lists).
async fn console_directory(portal: &RunningPortal) -> Result<Vec<DirectoryEntry>, CoreError> {
    let directory = superapp::directory_async(portal.store())
        .await
        .map_err(|e| demo_failure(e.to_string()))?;
    for entry in &directory {
        sayln!("     {}", entry.line());
    }
    Ok(directory)
}

fn id_of(directory: &[DirectoryEntry], kind: &str, name: &str) -> Result<String, CoreError> {
    directory
        .iter()
        .find(|e| e.kind == kind && e.name == name)
        .map(|e| e.id.clone())
        .ok_or_else(|| demo_failure(format!("the emulator's demo data has no {kind} \"{name}\"")))
}

/// The whitelist step is refused on this backend, with exit 7's words (anything else fails
/// the demo).
async fn whitelist_is_not_available(
    scene: &Scene,
    dev: &Context,
    version: &str,
) -> Result<(), CoreError> {
    let ids = gopay_miniapp_core::user_ids::parse_user_ids("100001, 100002")?;
    match rel::whitelist(dev, &at(version), ids, &AssumeYes, &scene.reporter).await {
        Err(err @ CoreError::Portal(PortalError::NotAvailable { .. })) => {
            let report = err.report(&crate::words::hint);
            sayln!("     {} (exit {})", report.message, err.exit_code());
            sayln!("     hint: {}", report.hint.text);
            Ok(())
        }
        Err(other) => Err(other),
        Ok(_) => Err(demo_failure(
            "the whitelist step went through on the SuperApp backend, which has no whitelist route"
                .into(),
        )),
    }
}

/// The demo account `name` logs in on the emulator's login page (its password is its name).
async fn console_log_in(url: &str, name: &str) -> Result<ConsoleSession, CoreError> {
    ConsoleSession::log_in(url, name, name)
        .await
        .map_err(|e| demo_failure(e.to_string()))
}
