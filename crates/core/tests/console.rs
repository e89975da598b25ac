//! Core's workflows against the SuperApp console emulator (crates/portal-server, in process,
//! loopback): what issue #21 asks of the console backend. Binding checks the MiniApp and its
//! space together and keeps the names given (items 12, 18); release notes go where the
//! console takes them, at Release, and nothing else is shown (item 2); a step the console
//! lacks fails before a release is made (item 3) and is named in our words (item 7); the
//! firewall's browser check is a typed error, in commands and in doctor (item 23).

mod support;

use std::sync::Mutex;

use async_trait::async_trait;
use gopay_miniapp_core::events::{Confirm, NoPrompts, Prompter, Silent};
use gopay_miniapp_core::workflows::release::{self, ReleaseOptions, ReleaseRef};
use gopay_miniapp_core::workflows::{account, bind, doctor};
use gopay_miniapp_core::{Context, CoreError, Hint, Input};
use gopay_miniapp_portal::{Backend, Login, NotesAt, PortalError, Step};
use gopay_miniapp_portal_server::superapp::ConsoleSession;
use gopay_miniapp_portal_server::{PortalConfig, RunningPortal};
use support::{project, seeded_portal};

// The emulator's demo ids (`portal serve --backend superapp --seed-demo` prints them).
const SPACE: &str = "1532000000000000000001";
const APP: &str = "1512000000000000000001";
const STAGING_ID: &str = "1611000000000000000002";
const STAGING: &str = "GoPay Staging";

struct World {
    portal: RunningPortal,
    _dir: tempfile::TempDir,
    dev: Context,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let portal = seeded_portal(
        dir.path(),
        PortalConfig {
            backend: Backend::Superapp,
            ..PortalConfig::default()
        },
    )
    .await;
    let project = project(dir.path(), "console");
    let mut dev = Context::new(dir.path().join("home"), project);
    dev.portal_override = Some(portal.url.clone());
    dev.backend_override = Some(Backend::Superapp);
    let session = ConsoleSession::log_in(&portal.url, "demo", "demo")
        .await
        .unwrap();
    account::login(&dev, Login::Cookie(session.cookie()))
        .await
        .unwrap();
    World {
        portal,
        _dir: dir,
        dev,
    }
}

fn request(space: &str, app: &str) -> bind::BindRequest {
    bind::BindRequest {
        space: Some(space.into()),
        app: Some(app.into()),
        target_apps: vec![bind::parse_named_ref(&format!("{STAGING}={STAGING_ID}")).unwrap()],
        rebind: true,
    }
}

/// The project bound (by ids, with names) and one version published.
async fn bound_with_a_version(w: &World) {
    bind::bind(
        &w.dev,
        &request(&format!("Demo Space={SPACE}"), &format!("Hello={APP}")),
        &NoPrompts,
        &Silent,
    )
    .await
    .unwrap();
    let mut binding = w.dev.binding().unwrap().unwrap();
    binding.build_command = "rm -rf dist && mkdir -p dist && cp -R src/. dist/".into();
    binding.write(&w.dev.project).unwrap();
    let options = gopay_miniapp_core::workflows::publish::PublishOptions {
        description: Some("Published by the test".into()),
        ..Default::default()
    };
    gopay_miniapp_core::workflows::publish::publish(
        &w.dev,
        &options,
        &Silent,
        &gopay_miniapp_core::events::NoPrompts,
        &tokio_util::sync::CancellationToken::new(),
    )
    .await
    .unwrap();
}

fn at_staging() -> ReleaseRef {
    ReleaseRef {
        version: Some("latest".into()),
        target_app: Some(STAGING.into()),
    }
}

/// Says yes, and keeps every question it was asked.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

#[async_trait]
impl Prompter for Recorder {
    async fn choose(&self, _q: &str, _o: &[String], input: Input) -> Result<usize, CoreError> {
        Err(CoreError::NeedsInput {
            question: "unexpected".into(),
            input,
        })
    }
    async fn confirm(&self, question: &Confirm<'_>) -> Result<bool, CoreError> {
        self.0.lock().unwrap().push(question.question.to_string());
        Ok(true)
    }
}

/// Item 12: an id that is not one, a MiniApp that does not exist and a MiniApp in another
/// space are refused before the binding is written; what cannot be checked is said.
#[tokio::test]
async fn bind_checks_the_miniapp_and_its_space_before_writing() {
    let w = world().await;
    let file = w.dev.project.join("gopay-miniapp.json");
    for (space, app, names) in [
        (SPACE, "abc", "`abc`"),
        (SPACE, "1512000000000000000099", "1512000000000000000099"),
        ("1532000000000000000099", APP, "1532000000000000000099"),
    ] {
        let err = bind::bind(&w.dev, &request(space, app), &NoPrompts, &Silent)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(names), "{space} {app}: {err}");
        assert!(!file.exists(), "nothing written for {space} {app}");
    }
    let bound = bind::bind(&w.dev, &request(SPACE, APP), &NoPrompts, &Silent)
        .await
        .unwrap();
    assert_eq!(
        bound.unchecked,
        vec![Input::TargetAppCode],
        "the channel codes are said unchecked"
    );
    assert!(file.exists());
}

/// Item 18: names given as NAME=ID are kept in the binding (ids stay ids); a rebind by ids
/// alone keeps the names it had.
#[tokio::test]
async fn bind_keeps_the_names_given_with_the_ids() {
    let w = world().await;
    let bound = bind::bind(
        &w.dev,
        &request(
            &format!("Demo Space={SPACE}"),
            &format!("Hello MiniApp={APP}"),
        ),
        &NoPrompts,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(
        (
            bound.binding.space.name.as_str(),
            bound.binding.space.id.as_str()
        ),
        ("Demo Space", SPACE)
    );
    assert_eq!(
        (
            bound.binding.app.name.as_str(),
            bound.binding.app.id.as_str()
        ),
        ("Hello MiniApp", APP)
    );
    let again = bind::bind(&w.dev, &request(SPACE, APP), &NoPrompts, &Silent)
        .await
        .unwrap();
    assert_eq!(again.binding.app.name, "Hello MiniApp");
    assert_eq!(again.binding.space.name, "Demo Space");
}

/// Item 2: the console takes notes when the release is made: they are sent there (and read
/// back), refused at Apply before anything happens, and Apply's confirmation shows the
/// release's own notes, never text that will not be sent.
#[tokio::test]
async fn release_notes_go_with_the_release_on_the_console() {
    let w = world().await;
    bound_with_a_version(&w).await;
    let portal = w.dev.portal().await.unwrap();
    assert_eq!(portal.capabilities().release_notes, NotesAt::Release);
    let options = ReleaseOptions {
        notes: Some("Fixes the checkout button"),
        then: None,
    };
    release::release(&w.dev, &at_staging(), &options, &NoPrompts, &Silent)
        .await
        .unwrap();
    let releases = portal
        .releases(&w.dev.binding().unwrap().unwrap().app_ref())
        .await
        .unwrap();
    assert_eq!(
        releases[0].notes.as_deref(),
        Some("Fixes the checkout button")
    );

    let prompts = Recorder::default();
    let err = release::apply(
        &w.dev,
        &at_staging(),
        Some("other words"),
        &prompts,
        &Silent,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "invalid");
    assert_eq!(
        err.hint(),
        Hint::NotesGoWith {
            at: NotesAt::Release
        }
    );
    assert!(prompts.0.lock().unwrap().is_empty(), "nothing was asked");

    let applied = release::apply(&w.dev, &at_staging(), None, &prompts, &Silent)
        .await
        .unwrap();
    assert_eq!(
        applied.release.state,
        gopay_miniapp_portal::ReleaseState::InReview
    );
    let asked = prompts.0.lock().unwrap().join("\n");
    assert!(
        asked.contains("Notes: Fixes the checkout button (given when the release was made)"),
        "{asked}"
    );
    assert!(
        !asked.contains("GoPay also asks"),
        "not a GoPay portal: {asked}"
    );
}

/// Item 3: Release followed by a step the console lacks (the temporary code) fails before the
/// release is made, naming the step in our words (item 7), not the portal's label.
#[tokio::test]
async fn a_step_the_console_lacks_fails_before_the_release_is_made() {
    let w = world().await;
    bound_with_a_version(&w).await;
    let options = ReleaseOptions {
        notes: None,
        then: Some(Step::TemporaryCode),
    };
    let err = release::release(&w.dev, &at_staging(), &options, &NoPrompts, &Silent)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_available_on_portal");
    assert!(matches!(
        err.root(),
        CoreError::Portal(PortalError::NotAvailable { .. })
    ));
    let portal = w.dev.portal().await.unwrap();
    let releases = portal
        .releases(&w.dev.binding().unwrap().unwrap().app_ref())
        .await
        .unwrap();
    assert!(releases.is_empty(), "no release was made: {releases:?}");
    let whitelist = release::whitelist(
        &w.dev,
        &at_staging(),
        gopay_miniapp_core::user_ids::parse_user_ids("u1").unwrap(),
        &NoPrompts,
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(
        whitelist.to_string().contains("setting a whitelist"),
        "{whitelist}"
    );
    assert!(
        !whitelist.to_string().contains("Whitelist Test"),
        "{whitelist}"
    );
}

/// Item 23: with the emulator's firewall switched on, every command fails with the typed
/// browser check (exit 3, log in through the browser), and doctor says so.
#[tokio::test]
async fn the_firewalls_browser_check_is_a_typed_error_everywhere() {
    let w = world().await;
    bound_with_a_version(&w).await;
    ConsoleSession::set_firewall(&w.portal.url, true)
        .await
        .unwrap();
    let err = release::versions(&w.dev).await.unwrap_err();
    assert_eq!(err.code(), "browser_check");
    assert_eq!(err.exit_code(), gopay_miniapp_core::error::exit::AUTH);
    assert_eq!(err.hint(), Hint::PassBrowserCheck);
    let snapshot = gopay_miniapp_core::workflows::status::status(&w.dev, &|_| String::new())
        .await
        .unwrap();
    assert_eq!(
        snapshot.problem.as_ref().map(|p| p.code.as_str()),
        Some("browser_check")
    );
    let report = doctor::doctor(&w.dev).await.unwrap();
    assert!(report.browser_check && !report.healthy(), "{report:?}");
    assert_eq!(report.problem.as_ref().unwrap().code, "browser_check");
    ConsoleSession::set_firewall(&w.portal.url, false)
        .await
        .unwrap();
    release::versions(&w.dev).await.unwrap();
    assert!(!doctor::doctor(&w.dev).await.unwrap().browser_check);
}

/// Item 24: on GoPay's portals the Apply confirmation says to submit GoPay's release form
/// (New Release the first time, Enhancement after), and where the docs say so.
#[test]
fn apply_on_gopay_names_the_release_form() {
    let first = release::gopay_release_form("https://miniapp.midtrans.com", true).unwrap();
    assert!(
        first.contains("\"New Release\"") && first.contains(release::GOPAY_RELEASE_FORM_DOCS),
        "{first}"
    );
    let later = release::gopay_release_form("https://miniapp.stg.midtrans.com/", false).unwrap();
    assert!(later.contains("\"Enhancement\""), "{later}");
    assert!(release::gopay_release_form("http://127.0.0.1:8780", true).is_none());
    assert!(
        release::gopay_release_form("https://miniapp.midtrans.com.evil.example", true).is_none()
    );
}
