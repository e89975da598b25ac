//! Core's workflows called directly, in process, against the local portal
//! (crates/portal-server) on an ephemeral loopback port: login, bind, publish, the release
//! steps, the admin's review, `wait`, rollback, status and access tokens, with their results
//! and the portal's state asserted. (The CLI and the sidecar are thin shells around these
//! functions; their own suites spawn the binary or speak LSP.)

mod support;

use std::path::PathBuf;
use std::time::Duration;

use gopay_miniapp_core::binding::Binding;
use gopay_miniapp_core::events::{AssumeYes, NoPrompts, Reporter, Silent};
use gopay_miniapp_core::workflows::release::{self, Decision, ReleaseRef};
use gopay_miniapp_core::workflows::{account, bind, publish, status};
use gopay_miniapp_core::{Context, CoreError, Hint, Input};
use gopay_miniapp_portal::{Login, ReleaseState, Step};
use gopay_miniapp_portal_server::{PortalConfig, RunningPortal, TestClock};
use support::{project, seeded_portal};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const STAGING: &str = "GoPay Staging";
const GOPAY: &str = "GoPay";

/// A seeded local portal on a test clock, and one project to publish from.
struct World {
    portal: RunningPortal,
    clock: TestClock,
    dir: tempfile::TempDir,
    project: PathBuf,
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let clock = TestClock::at(dir.path().join("test-clock"));
        let portal = seeded_portal(
            dir.path(),
            PortalConfig {
                test_clock: Some(clock.clone()),
                ..PortalConfig::default()
            },
        )
        .await;
        let project = project(dir.path(), "core-workflows");
        World {
            portal,
            clock,
            dir,
            project,
        }
    }

    /// `user`'s own home, on this portal and project (what `--portal URL` gives the CLI).
    fn context(&self, user: &str) -> Context {
        let mut ctx = Context::new(
            self.dir.path().join("homes").join(user),
            self.project.clone(),
        );
        ctx.portal_override = Some(self.portal.url.clone());
        ctx
    }

    /// `user` (whose password is the name, as seeded) logged in.
    async fn logged_in(&self, user: &str) -> Context {
        let ctx = self.context(user);
        let login = account::login(
            &ctx,
            Login::Password {
                username: user,
                password: user,
            },
        )
        .await
        .unwrap();
        assert_eq!(login.username, user);
        ctx
    }

    /// `demo` logged in, the project bound to "Hello MiniApp" with a build that copies src/.
    async fn developer(&self) -> Context {
        let dev = self.logged_in("demo").await;
        let bound = bind::bind(&dev, &in_demo_space("Hello MiniApp"), &NoPrompts, &Silent)
            .await
            .unwrap();
        assert!(bound.changed);
        let mut binding = bound.binding;
        binding.build_command = "rm -rf dist && mkdir -p dist && cp -R src/. dist/".into();
        binding.write(&self.project).unwrap();
        dev
    }
}

async fn publish(dev: &Context, description: &str) -> publish::PublishResult {
    // These stories publish the same files again as a new version; the question that asks
    // about it first has its own tests (tests/publish_workflow.rs).
    let options = publish::PublishOptions {
        description: Some(description.into()),
        allow_identical: true,
        ..Default::default()
    };
    publish::publish(
        dev,
        &options,
        &Silent,
        &NoPrompts,
        &CancellationToken::new(),
    )
    .await
    .unwrap()
}

/// What a status snapshot says of the target app `name`.
fn target<'a>(snapshot: &'a status::StatusSnapshot, name: &str) -> &'a status::TargetAppStatus {
    snapshot
        .target_apps
        .iter()
        .find(|t| t.target_app == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", snapshot.target_apps))
}

/// Binding to the MiniApp `app` of "Demo Space".
fn in_demo_space(app: &str) -> bind::BindRequest {
    bind::BindRequest {
        space: Some("Demo Space".into()),
        app: Some(app.into()),
        ..Default::default()
    }
}

fn at(version: &str, target_app: &str) -> ReleaseRef {
    ReleaseRef {
        version: Some(version.into()),
        target_app: Some(target_app.into()),
    }
}

async fn review(admin: &Context, decision: Decision, app_id: &str, version: &str, target: &str) {
    let reason = (decision == Decision::Reject).then_some("the icon is blurry");
    let reviewed = release::review(admin, decision, app_id, version, target, reason, &Silent)
        .await
        .unwrap();
    let expected = match decision {
        Decision::Approve => ReleaseState::PilotTest,
        Decision::Reject => ReleaseState::Rejected,
    };
    assert_eq!(reviewed.release.state, expected);
}

/// Releases `version` to `target` and submits it for review: the release is in review.
async fn submitted(dev: &Context, version: &str, target: &str) {
    release::release(
        dev,
        &at(version, target),
        &Default::default(),
        &NoPrompts,
        &Silent,
    )
    .await
    .unwrap();
    let applied = release::apply(dev, &at(version, target), None, &AssumeYes, &Silent)
        .await
        .unwrap();
    assert_eq!(applied.release.state, ReleaseState::InReview);
}

/// Releases `version` to `target` and has it approved: the release is in pilot test.
async fn approved(dev: &Context, admin: &Context, app_id: &str, version: &str, target: &str) {
    submitted(dev, version, target).await;
    review(admin, Decision::Approve, app_id, version, target).await;
}

/// Tells the test when a workflow begins a step whose title contains `text`.
struct StepSignal {
    text: &'static str,
    reached: Notify,
}

impl StepSignal {
    fn new(text: &'static str) -> StepSignal {
        StepSignal {
            text,
            reached: Notify::new(),
        }
    }
}

impl Reporter for StepSignal {
    fn step(&self, title: &str) {
        if title.contains(self.text) {
            // A permit is kept when nobody waits yet.
            self.reached.notify_one();
        }
    }
}

#[tokio::test]
async fn a_first_release_goes_live_on_the_main_road_and_status_follows_it() {
    let w = World::new().await;
    let dev = w.developer().await;
    let admin = w.logged_in("admin").await;

    let published = publish(&dev, "first").await;
    assert_eq!(published.version, "1.0.1");
    assert_eq!(published.previous_version, None);
    let package_json = std::fs::read_to_string(w.project.join("package.json")).unwrap();
    assert!(package_json.contains("\"1.0.1\""), "{package_json}");

    let created = release::release(
        &dev,
        &at("latest", STAGING),
        &Default::default(),
        &NoPrompts,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(created.version, "1.0.1");
    assert_eq!(created.release.state, ReleaseState::VersionCreation);
    assert!(created.release.first_release);
    let applied = release::apply(&dev, &at("1.0.1", STAGING), None, &AssumeYes, &Silent)
        .await
        .unwrap();
    assert_eq!(applied.release.state, ReleaseState::InReview);

    // The developer sees the release in flight, waiting for the admin.
    let snapshot = status::status(&dev, &|hint| format!("{hint:?}"))
        .await
        .unwrap();
    assert!(snapshot.logged_in);
    assert_eq!(snapshot.latest_version.as_deref(), Some("1.0.1"));
    let staging = target(&snapshot, STAGING);
    assert_eq!(staging.live_version, None);
    let in_flight = staging.in_flight.as_ref().unwrap();
    assert_eq!(
        (
            in_flight.version.as_str(),
            in_flight.state,
            in_flight.next_step
        ),
        ("1.0.1", ReleaseState::InReview, Some(Step::Approve))
    );

    review(
        &admin,
        Decision::Approve,
        &published.app_id,
        "1.0.1",
        STAGING,
    )
    .await;

    // The first release to a target app may only go official: refused before the portal is
    // asked, naming the state and what is allowed.
    let err = release::grayscale(&dev, &at("1.0.1", STAGING), 10, &NoPrompts, &Silent)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "first_release_official_only", "{err}");
    assert!(
        matches!(&err, CoreError::Portal(gopay_miniapp_portal::PortalError::IllegalStep { state: Some(ReleaseState::PilotTest), allowed, .. }) if allowed.contains(&Step::Official)),
        "{err:?}"
    );

    let official = release::official(&dev, &at("1.0.1", STAGING), &AssumeYes, &Silent)
        .await
        .unwrap();
    assert_eq!(official.release.state, ReleaseState::Released);
    assert_eq!(official.archived_version, None);

    let snapshot = status::status(&dev, &|hint| format!("{hint:?}"))
        .await
        .unwrap();
    let staging = target(&snapshot, STAGING);
    assert_eq!(staging.live_version.as_deref(), Some("1.0.1"));
    assert!(staging.in_flight.is_none());
    let gopay = target(&snapshot, GOPAY);
    assert_eq!(gopay.live_version, None);
    let releases = &snapshot.versions[0].releases;
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0].state, ReleaseState::Released);
    // Issue 21 item 8: nothing was live before it, so Roll Back is not offered, and asked for
    // anyway it is refused before the question (NoPrompts would fail with needs_input).
    assert!(
        !releases[0].allowed_steps.contains(&Step::Rollback),
        "{:?}",
        releases[0].allowed_steps
    );
    let err = release::rollback(&dev, Some(STAGING), &NoPrompts, &Silent)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "nothing_to_roll_back");
    assert!(
        err.to_string()
            .contains("no earlier version to roll back to"),
        "{err}"
    );
}

#[tokio::test]
async fn wait_ends_with_the_admins_decision() {
    let w = World::new().await;
    let dev = w.developer().await;
    let admin = w.logged_in("admin").await;
    let app_id = publish(&dev, "first").await.app_id;
    submitted(&dev, "1.0.1", STAGING).await;

    // Without a decision, a timeout is a clear error, not a hang.
    let err = release::wait(
        &dev,
        &at("1.0.1", STAGING),
        Some(Duration::ZERO),
        &NoPrompts,
        &Silent,
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("still in review"), "{err}");
    assert_eq!(err.hint(), Hint::WaitLonger);

    // The admin decides while `wait` waits (once it said so): it sees the approval.
    let waiting = StepSignal::new("Waiting for the review");
    let cancel = CancellationToken::new();
    let staging = at("1.0.1", STAGING);
    let (waited, ()) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::join!(
            release::wait(
                &dev,
                &staging,
                Some(Duration::from_secs(60)),
                &NoPrompts,
                &waiting,
                &cancel,
            ),
            async {
                waiting.reached.notified().await;
                review(&admin, Decision::Approve, &app_id, "1.0.1", STAGING).await;
            }
        )
    })
    .await
    .expect("wait returns once the release is approved");
    let waited = waited.unwrap();
    assert!(waited.approved);
    assert_eq!(waited.state, ReleaseState::PilotTest);
    assert_eq!(waited.reject_reason, None);

    // A rejection needs a reason, and `wait` reports it.
    submitted(&dev, "1.0.1", GOPAY).await;
    let err = release::review(
        &admin,
        Decision::Reject,
        &app_id,
        "1.0.1",
        GOPAY,
        Some("  "),
        &Silent,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.hint(),
        Hint::Provide {
            input: Input::Reason
        }
    );
    review(&admin, Decision::Reject, &app_id, "1.0.1", GOPAY).await;
    let waited = release::wait(
        &dev,
        &at("1.0.1", GOPAY),
        None,
        &NoPrompts,
        &Silent,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(!waited.approved);
    assert_eq!(waited.state, ReleaseState::Rejected);
    assert_eq!(waited.reject_reason.as_deref(), Some("the icon is blurry"));
}

#[tokio::test]
async fn a_second_version_replaces_the_first_and_rollback_brings_it_back() {
    let w = World::new().await;
    let dev = w.developer().await;
    let admin = w.logged_in("admin").await;
    let app_id = publish(&dev, "first").await.app_id;
    approved(&dev, &admin, &app_id, "1.0.1", STAGING).await;
    release::official(&dev, &at("1.0.1", STAGING), &AssumeYes, &Silent)
        .await
        .unwrap();

    let second = publish(&dev, "second").await;
    assert_eq!(second.version, "1.0.2");
    assert_eq!(second.previous_version.as_deref(), Some("1.0.1"));
    approved(&dev, &admin, &app_id, "1.0.2", STAGING).await;
    // Not the first release any more: grayscale is possible, and only upwards.
    // It reaches users: asked first (#21 item 21), naming what stays live for the others.
    let asked = release::grayscale(&dev, &at("1.0.2", STAGING), 20, &NoPrompts, &Silent)
        .await
        .unwrap_err();
    match &asked {
        CoreError::NeedsInput { question, .. } => assert!(
            question.contains("20% of its users") && question.contains("the others keep 1.0.1"),
            "{question}"
        ),
        other => panic!("grayscale did not ask: {other}"),
    }
    let gray = release::grayscale(&dev, &at("1.0.2", STAGING), 20, &AssumeYes, &Silent)
        .await
        .unwrap();
    assert_eq!(gray.release.state, ReleaseState::Grayscale);
    assert_eq!(gray.release.ratio, Some(20));
    let err = release::grayscale(&dev, &at("1.0.2", STAGING), 10, &NoPrompts, &Silent)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ratio_not_higher", "{err}");
    let official = release::official(&dev, &at("1.0.2", STAGING), &AssumeYes, &Silent)
        .await
        .unwrap();
    assert_eq!(official.archived_version.as_deref(), Some("1.0.1"));

    let rolled = release::rollback(&dev, Some(STAGING), &AssumeYes, &Silent)
        .await
        .unwrap();
    assert_eq!(rolled.restored_version.as_deref(), Some("1.0.1"));
    assert_eq!(rolled.archived_version.as_deref(), Some("1.0.2"));
    let snapshot = status::status(&dev, &|hint| format!("{hint:?}"))
        .await
        .unwrap();
    let staging = target(&snapshot, STAGING);
    assert_eq!(staging.live_version.as_deref(), Some("1.0.1"));
    let versions = release::versions(&dev).await.unwrap();
    let states: Vec<(&str, ReleaseState)> = versions
        .versions
        .iter()
        .map(|v| (v.version.as_str(), v.releases[0].state))
        .collect();
    assert_eq!(
        states,
        [
            ("1.0.2", ReleaseState::Archived),
            ("1.0.1", ReleaseState::Released)
        ]
    );
}

#[tokio::test]
async fn an_expired_session_is_renewed_and_saved_and_a_dead_one_is_a_status_problem() {
    let w = World::new().await;
    let dev = w.developer().await;
    let credentials = || std::fs::read(dev.credentials().path()).unwrap();
    let before = credentials();

    // Past the access token's lifetime: renewed on the way, and written back for every
    // process that shares the credentials file.
    let lifetime = PortalConfig::default().access_token_ttl;
    w.clock.advance(lifetime).unwrap();
    let who = account::whoami(&dev).await.unwrap();
    assert_eq!(who.user.username, "demo");
    assert_eq!(who.via, "session");
    let renewed = credentials();
    assert_ne!(before, renewed, "the renewed session was saved");
    let snapshot = status::status(&dev, &|hint| format!("{hint:?}"))
        .await
        .unwrap();
    assert!(snapshot.logged_in);
    assert!(snapshot.problem.is_none());

    // Past the refresh token's lifetime the session is over: status still answers, with the
    // problem, and a command says to log in again.
    w.clock
        .advance(PortalConfig::default().refresh_token_ttl)
        .unwrap();
    let snapshot = status::status(&dev, &|hint| format!("{hint:?}"))
        .await
        .unwrap();
    assert!(!snapshot.logged_in);
    assert_eq!(snapshot.binding.unwrap().app.name, "Hello MiniApp");
    let problem = snapshot.problem.expect("the lost session is the problem");
    assert_eq!(problem.code, "session_expired", "{problem:?}");
    let err = account::whoami(&dev).await.unwrap_err();
    assert!(account::is_auth_error(&err), "{err:?}");
}

/// Eight runs (each its own client, as eight processes have) find the same expired session
/// at once: one refreshes it, the others take what it saved instead of spending the dead
/// refresh token and telling the user to log in again (issue #20 item 20).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_runs_renewing_one_expired_session_at_once_all_go_on() {
    let w = World::new().await;
    let first = w.logged_in("demo").await;
    w.clock
        .advance(PortalConfig::default().access_token_ttl)
        .unwrap();
    // Every run has read the stored (expired) session before any of them renews it.
    let mut portals = Vec::new();
    for _ in 0..8 {
        let mut run = Context::new(first.home.clone(), w.project.clone());
        run.portal_override = Some(w.portal.url.clone());
        portals.push(run.portal().await.unwrap());
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(portals.len()));
    let runs: Vec<_> = portals
        .into_iter()
        .map(|portal| {
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                portal.me().await
            })
        })
        .collect();
    for run in runs {
        let me = run
            .await
            .unwrap()
            .expect("every run goes on with the renewed session");
        assert_eq!(me.username, "demo");
    }
    // And the session on file is the live one.
    assert_eq!(account::whoami(&first).await.unwrap().user.username, "demo");
}

#[tokio::test]
async fn an_access_token_works_in_place_of_a_session_until_revoked() {
    let w = World::new().await;
    let dev = w.developer().await;
    let created = account::create_token(&dev, " ci-main ", Some(30))
        .await
        .unwrap();
    assert_eq!(created.token.name, "ci-main");
    let listed = account::list_tokens(&dev).await.unwrap();
    assert_eq!(listed.tokens.len(), 1);
    assert_eq!(listed.tokens[0].id, created.token.id);

    // CI: no credentials file, the token in the environment.
    let mut ci = w.context("ci");
    ci.env_token = Some(created.secret.clone());
    let who = account::whoami(&ci).await.unwrap();
    assert_eq!((who.user.username.as_str(), who.via), ("demo", "token"));
    let versions = release::versions(&ci).await.unwrap();
    assert_eq!(versions.app, "Hello MiniApp");
    assert!(!ci.credentials().path().exists(), "CI keeps no session");

    let revoked = account::revoke_token(&dev, "ci-main").await.unwrap();
    assert_eq!(revoked.id, created.token.id);
    assert!(account::list_tokens(&dev).await.unwrap().tokens.is_empty());
    let err = account::whoami(&ci).await.unwrap_err();
    assert!(account::is_auth_error(&err), "{err:?}");
    let err = account::revoke_token(&dev, "ci-main").await.unwrap_err();
    assert_eq!(err.code(), "unknown_name");
}

/// Issue 21 item 19: a folder without package.json is not a MiniApp project; bind refuses it
/// with a typed error before asking anything, and writes nothing.
#[tokio::test]
async fn bind_refuses_a_folder_without_package_json() {
    let w = World::new().await;
    std::fs::remove_file(w.project.join("package.json")).unwrap();
    let dev = w.logged_in("demo").await;
    let err = bind::bind(&dev, &in_demo_space("Hello MiniApp"), &NoPrompts, &Silent)
        .await
        .unwrap_err();
    assert!(
        matches!(err, gopay_miniapp_core::CoreError::NoPackageJson { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "package_json");
    assert!(err.to_string().contains("has no package.json"), "{err}");
    assert!(!Binding::path(&w.project).exists(), "nothing was written");
}

#[tokio::test]
async fn binding_again_asks_first_and_keeps_how_the_project_builds() {
    let w = World::new().await;
    let dev = w.developer().await;
    let before = Binding::require(&w.project).unwrap();
    assert_eq!(
        (before.space.name.as_str(), before.app.name.as_str()),
        ("Demo Space", "Hello MiniApp")
    );
    assert_eq!(before.portal, w.portal.url);
    let mut request = in_demo_space("Wallet Tools");
    // Bound already: it asks before rebinding, and unanswered nothing changes.
    let err = bind::bind(&dev, &request, &NoPrompts, &Silent)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "needs_input");
    assert_eq!(Binding::require(&w.project).unwrap(), before);

    // Rebinding changes where the project publishes, not how it builds.
    request.rebind = true;
    let rebound = bind::bind(&dev, &request, &NoPrompts, &Silent)
        .await
        .unwrap();
    assert!(rebound.changed);
    let after = Binding::require(&w.project).unwrap();
    assert_eq!(after.app.name, "Wallet Tools");
    assert_ne!(after.app.id, before.app.id);
    assert_eq!(after.build_command, before.build_command);
    let published = publish(&dev, "to the other app").await;
    assert_eq!(
        (published.app.as_str(), published.version.as_str()),
        ("Wallet Tools", "1.0.1")
    );
}

/// An admin approving a release that is still in Version Creation is told it waits for the
/// developers, never that it is finished (issue #20 item 26).
#[tokio::test]
async fn approving_a_release_still_being_made_says_it_waits_for_the_developers() {
    let w = World::new().await;
    let dev = w.developer().await;
    let admin = w.logged_in("admin").await;
    let published = publish(&dev, "first").await;
    release::release(
        &dev,
        &at(&published.version, STAGING),
        &Default::default(),
        &NoPrompts,
        &Silent,
    )
    .await
    .unwrap();
    let err = release::review(
        &admin,
        Decision::Approve,
        &published.app_id,
        &published.version,
        STAGING,
        None,
        &Silent,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "illegal_step", "{err}");
    assert_eq!(err.hint(), Hint::WaitForDevelopers, "{err}");
    let message = err.to_string();
    assert!(!message.contains("finished"), "{message}");
    assert!(message.contains("the MiniApp's developers"), "{message}");
}

/// `logout` with the portal down forgets the session here, but says the portal still holds
/// it (with its date) and fails with the network code (issue #20 item 21).
#[tokio::test]
async fn logout_with_the_portal_down_says_the_portal_still_holds_the_session() {
    let w = World::new().await;
    let dev = w.logged_in("demo").await;
    let expires = dev
        .credentials()
        .get(&w.portal.url)
        .unwrap()
        .unwrap()
        .expires_at
        .expect("a native session has an expiry");
    let url = w.portal.url.clone();
    // The portal goes down (the data directory stays until the test ends).
    let World {
        portal,
        clock: _clock,
        dir: _dir,
        project: _project,
    } = w;
    portal.shutdown().await;
    let err = account::logout(&dev).await.unwrap_err();
    assert_eq!(err.code(), "network", "{err}");
    assert_eq!(
        err.exit_code(),
        gopay_miniapp_core::error::exit::NETWORK,
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("still holds"), "{message}");
    assert!(message.contains(&expires), "{message}");
    assert_eq!(
        err.hint(),
        Hint::SessionStillOnPortal {
            until: Some(expires.clone())
        }
    );
    assert!(
        dev.credentials().get(&url).unwrap().is_none(),
        "forgotten here as asked"
    );
}

/// A login that does not log in (a dead cookie) says so, with advice for that way of logging
/// in, never "the session expired and could not be renewed" and "log in" (issue #20 item 27).
#[tokio::test]
async fn a_dead_cookie_login_is_a_refused_login_not_an_expired_session() {
    let dir = tempfile::tempdir().unwrap();
    let portal = seeded_portal(
        dir.path(),
        PortalConfig {
            backend: gopay_miniapp_portal::Backend::Superapp,
            ..PortalConfig::default()
        },
    )
    .await;
    let mut ctx = Context::new(dir.path().join("home"), dir.path().to_path_buf());
    ctx.portal_override = Some(portal.url.clone());
    let ctx = ctx.with_backend(Some(gopay_miniapp_portal::Backend::Superapp));
    let err = account::login(&ctx, Login::Cookie("SA_CONSOLE_SESSION=gone"))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(!message.contains("could not be renewed"), "{message}");
    assert!(message.contains("did not log in"), "{message}");
    assert_eq!(
        err.hint(),
        Hint::LoginRefused {
            way: gopay_miniapp_portal::LoginKind::Cookie
        }
    );
    assert_eq!(err.exit_code(), gopay_miniapp_core::error::exit::AUTH);
}

/// Repeated failed logins: the portal's 429 is a typed error with its wait, worded as such
/// (issue #20 item 9).
#[tokio::test]
async fn too_many_failed_logins_are_a_typed_wait() {
    let w = World::new().await;
    let ctx = w.context("demo");
    let attempt = || {
        account::login(
            &ctx,
            Login::Password {
                username: "demo",
                password: "wrong",
            },
        )
    };
    for _ in 0..gopay_miniapp_portal_server::LOGIN_FREE_FAILURES_PER_ACCOUNT {
        assert_eq!(attempt().await.unwrap_err().code(), "invalid_credentials");
    }
    let err = attempt().await.unwrap_err();
    assert_eq!(err.code(), "too_many_attempts", "{err}");
    assert_eq!(
        err.hint(),
        Hint::TryLoginLater {
            seconds: Some(gopay_miniapp_portal_server::LOGIN_FIRST_DELAY_SECS)
        }
    );
    assert!(err.retryable());
    assert!(!err.to_string().contains("wrong"), "no password in {err}");
}
