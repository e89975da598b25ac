//! Backends through the `Portal` trait against the local portal on an ephemeral loopback
//! port: the lifecycle with typed refusals, concurrency and persistence run over
//! `dyn Portal` for every backend the local portal serves; the native adapter's own
//! behaviour (transparent refresh, access tokens, resume through a connection cut
//! mid-upload) is tested on it directly. (The portal's own rules are tested over raw HTTP in
//! crates/portal-server/tests; the whole CLI on top in crates/cli/tests.)

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gopay_miniapp_portal::domain::{AppRef, NewVersion, StepInput, TargetApp, Version};
use gopay_miniapp_portal::native::{Credentials, NativePortal, PortalClient};
use gopay_miniapp_portal::retry::RetryPolicy;
use gopay_miniapp_portal::{
    Backend, Login, Portal, PortalError, PortalOptions, ReleaseState, Step, VersionNumber,
};
use gopay_miniapp_portal_server::{start, PortalConfig, RunningPortal, TestClock};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

async fn portal(dir: &std::path::Path, adjust: impl FnOnce(&mut PortalConfig)) -> RunningPortal {
    let mut config = PortalConfig {
        data_dir: dir.to_path_buf(),
        seed_demo: true,
        ..PortalConfig::default()
    };
    adjust(&mut config);
    start(config).await.expect("the portal starts")
}

/// The backends the local portal serves, each run through the same tests.
const BACKENDS: &[Backend] = &[Backend::Native, Backend::Superapp];

/// The emulator's fixed demo ids (docs/portal-superapp.md): this API has no lists.
const SA_DEMO_SPACE: &str = "1532000000000000000001";
const SA_HELLO: &str = "1512000000000000000001";
const SA_WALLET: &str = "1512000000000000000002";
const SA_STAGING: &str = "1611000000000000000002";

fn sa_target_apps() -> Vec<TargetApp> {
    vec![TargetApp {
        id: SA_STAGING.into(),
        name: "GoPay Staging".into(),
        scheme: String::new(),
        production: None,
    }]
}

/// The console's session cookie, got the way a browser gets it: the login page's form.
async fn console_cookie(url: &str, user: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http
        .post(format!("{url}/login"))
        .form(&[("username", user), ("password", user)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "the form logs {user} in");
    let set_cookie = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("SA_CONSOLE_SESSION="))
        .expect("the session cookie");
    set_cookie.split(';').next().unwrap().to_string()
}

async fn login_as(backend: Backend, url: &str, user: &str) -> Arc<dyn Portal> {
    let options = PortalOptions {
        target_apps: sa_target_apps(),
        ..PortalOptions::default()
    };
    let portal = gopay_miniapp_portal::open(backend, url, options).unwrap();
    let logged_in = match backend {
        Backend::Native => portal
            .login(Login::Password {
                username: user,
                password: user,
            })
            .await
            .expect("login"),
        Backend::Superapp => {
            let cookie = console_cookie(url, user).await;
            portal.login(Login::Cookie(&cookie)).await.expect("login")
        }
    };
    portal.set_session(Some(logged_in.session)).await;
    portal
}

async fn login(url: &str, user: &str) -> PortalClient {
    let client = PortalClient::new(url, Credentials::None).unwrap();
    client.login(user, user).await.expect("login");
    client
}

/// A MiniApp package: a ZIP with app.json at its root, plus `filler` incompressible bytes.
fn package(dir: &std::path::Path, name: &str, filler: usize) -> (std::path::PathBuf, String) {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("app.json", opts).unwrap();
    zip.write_all(format!("{{\"name\":\"{name}\"}}").as_bytes())
        .unwrap();
    zip.start_file("blob.bin", opts).unwrap();
    let mut x: u64 = name.len() as u64 * 0x9E37_79B9 + 1;
    let mut buf = vec![0u8; filler];
    for b in buf.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    zip.write_all(&buf).unwrap();
    zip.finish().unwrap();
    let sha = hex::encode(Sha256::digest(std::fs::read(&path).unwrap()));
    (path, sha)
}

async fn app_id(client: &PortalClient, name: &str) -> String {
    let spaces = client.spaces().await.unwrap();
    let apps = client.apps(&spaces[0].id).await.unwrap();
    apps.into_iter().find(|a| a.name == name).unwrap().id
}

async fn app_ref(portal: &dyn Portal, name: &str) -> AppRef {
    if portal.backend() == Backend::Superapp {
        let app_id = match name {
            "Hello MiniApp" => SA_HELLO,
            "Wallet Tools" => SA_WALLET,
            other => panic!("no demo id for {other}"),
        };
        return AppRef {
            space_id: SA_DEMO_SPACE.into(),
            app_id: app_id.into(),
        };
    }
    let spaces = portal.spaces().await.unwrap();
    let apps = portal.apps(&spaces[0].id).await.unwrap();
    let app = apps.into_iter().find(|a| a.name == name).unwrap();
    AppRef {
        space_id: app.space_id,
        app_id: app.id,
    }
}

async fn upload_package(
    portal: &dyn Portal,
    app: &AppRef,
    path: &std::path::Path,
    sha: &str,
    version: VersionNumber,
) -> Result<Version, PortalError> {
    let new = NewVersion {
        version,
        description: "t",
        package: path,
        size: std::fs::metadata(path).unwrap().len(),
        sha256: Some(sha),
        on_opened: None,
    };
    portal
        .upload(app, new, &|_| {}, &CancellationToken::new())
        .await
}

async fn upload(
    portal: &dyn Portal,
    app: &AppRef,
    dir: &std::path::Path,
    version: &str,
) -> Version {
    let (path, sha) = package(dir, &format!("pkg-{version}.zip"), 10_000);
    upload_package(portal, app, &path, &sha, version.parse().unwrap())
        .await
        .expect("upload")
}

/// Issue 21 item 6: whether a target app is production is the portal's fact (the native
/// portal states it), never guessed from the deeplink scheme.
#[tokio::test]
async fn the_native_portal_says_which_target_app_is_production() {
    let dir = tempfile::tempdir().unwrap();
    let p = portal(dir.path(), |_| {}).await;
    let dev = login_as(Backend::Native, &p.url, "demo").await;
    let targets = dev.target_apps().await.unwrap();
    let production = |name: &str| targets.iter().find(|t| t.name == name).unwrap().production;
    assert_eq!(production("GoPay"), Some(true));
    assert_eq!(production("GoPay Staging"), Some(false));
    p.shutdown().await;
}

#[tokio::test]
async fn lifecycle_through_the_portal_trait_with_typed_refusals() {
    // The superapp backend cannot do most of this story: it has its own test below.
    for &backend in &[Backend::Native] {
        let dir = tempfile::tempdir().unwrap();
        let p = portal(dir.path(), |_| {}).await;
        lifecycle(backend, &p, dir.path()).await;
        p.shutdown().await;
    }
}

async fn lifecycle(backend: Backend, p: &RunningPortal, dir: &std::path::Path) {
    let dev = login_as(backend, &p.url, "demo").await;
    let admin = login_as(backend, &p.url, "admin").await;
    let dev = dev.as_ref();
    let app = app_ref(dev, "Hello MiniApp").await;
    let targets = dev.target_apps().await.unwrap();
    let staging = targets.iter().find(|t| t.name == "GoPay Staging").unwrap();
    assert_eq!(staging.scheme, "gopaystaging");

    assert!(dev.latest_version(&app).await.unwrap().is_none());
    let v1 = upload(dev, &app, dir, "1.0.1").await;
    assert_eq!(dev.latest_version(&app).await.unwrap().unwrap().id, v1.id);

    let r1 = dev.create_release(&app, &v1, staging, None).await.unwrap();
    assert_eq!(r1.state, ReleaseState::VersionCreation);
    assert!(r1.first_release);

    let code = dev.temporary_code(&r1, None).await.unwrap();
    assert_eq!(
        code.deeplink,
        format!(
            "gopaystaging://mini-app/windvane?app_id={}&publish_id={}",
            app.app_id, r1.publish_id
        )
    );

    match dev.take_step(&r1, StepInput::Official).await {
        Err(PortalError::IllegalStep { state, allowed, .. }) => {
            assert_eq!(state, Some(ReleaseState::VersionCreation));
            assert!(allowed.contains(&Step::Apply));
        }
        other => panic!("expected an illegal step, got {other:?}"),
    }
    let notes = || StepInput::Apply {
        notes: "notes".into(),
    };
    dev.take_step(&r1, notes()).await.unwrap();
    match dev.take_step(&r1, StepInput::Approve).await {
        Err(PortalError::Forbidden { .. }) => {}
        other => panic!("a developer cannot approve: {other:?}"),
    }
    let approved = admin.take_step(&r1, StepInput::Approve).await.unwrap();
    assert_eq!(approved.release.state, ReleaseState::PilotTest);
    assert_eq!(
        dev.release(&r1).await.unwrap().state,
        ReleaseState::PilotTest
    );
    match dev.take_step(&r1, StepInput::Grayscale { ratio: 10 }).await {
        Err(e @ PortalError::IllegalStep { .. }) => {
            assert!(e.to_string().contains("first release"), "{e}");
        }
        other => panic!("first release may only go official: {other:?}"),
    }
    let live = dev.take_step(&r1, StepInput::Official).await.unwrap();
    assert_eq!(live.release.state, ReleaseState::Released);
    assert!(live.archived.is_none());

    let v2 = upload(dev, &app, dir, "1.0.2").await;
    let r2 = dev.create_release(&app, &v2, staging, None).await.unwrap();
    assert!(!r2.first_release);
    dev.take_step(&r2, StepInput::Apply { notes: "".into() })
        .await
        .unwrap();
    admin.take_step(&r2, StepInput::Approve).await.unwrap();
    let whitelist = StepInput::Whitelist {
        user_ids: vec!["1".into(), "2".into()],
    };
    dev.take_step(&r2, whitelist).await.unwrap();
    dev.take_step(&r2, StepInput::Grayscale { ratio: 10 })
        .await
        .unwrap();
    for (ratio, code) in [
        (10, "ratio_not_higher"),
        (0, "invalid_ratio"),
        (101, "invalid_ratio"),
    ] {
        match dev.take_step(&r2, StepInput::Grayscale { ratio }).await {
            Err(e) => assert_eq!(e.code(), code, "{ratio}: {e}"),
            Ok(r) => panic!("ratio {ratio} must be refused: {r:?}"),
        }
    }
    dev.take_step(&r2, StepInput::Grayscale { ratio: 50 })
        .await
        .unwrap();
    let live = dev.take_step(&r2, StepInput::Official).await.unwrap();
    assert_eq!(live.archived.unwrap().version, v1.version);
    let back = dev.rollback(&app, staging).await.unwrap();
    assert_eq!(back.released.version, v1.version);
    assert_eq!(back.archived.unwrap().version, v2.version);
    let states: Vec<(VersionNumber, ReleaseState)> = dev
        .releases(&app)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.version, r.state))
        .collect();
    assert!(
        states.contains(&(v1.version, ReleaseState::Released)),
        "{states:?}"
    );
    assert!(
        states.contains(&(v2.version, ReleaseState::Archived)),
        "{states:?}"
    );

    // Versions only go up.
    let (path, sha) = package(dir, "old.zip", 10);
    match upload_package(dev, &app, &path, &sha, "1.0.2".parse().unwrap()).await {
        Err(PortalError::VersionNotHigher { message }) => {
            assert!(message.contains("1.0.2"), "{message}")
        }
        other => panic!("expected version_not_higher: {other:?}"),
    }
    if dev.capabilities().audit {
        let audit = dev.audit(&app).await.unwrap();
        assert!(audit.len() >= 12, "{audit:?}");
    }
}

#[tokio::test]
async fn auth_refresh_revocation_and_isolation() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(dir.path().join("test-clock"));
    let ttl = Duration::from_secs(60);
    let p = portal(dir.path(), |c| {
        c.access_token_ttl = ttl;
        c.test_clock = Some(clock.clone());
    })
    .await;

    let anonymous = PortalClient::new(&p.url, Credentials::None).unwrap();
    assert!(matches!(
        anonymous.me().await,
        Err(PortalError::NotLoggedIn { .. })
    ));
    match anonymous.login("demo", "wrong").await {
        Err(e @ PortalError::InvalidCredentials { .. }) => assert!(e.is_auth()),
        other => panic!("{other:?}"),
    }

    // An expired access token is refreshed once, transparently, and the adapter says the
    // session changed (core saves it).
    let refreshed = Arc::new(AtomicUsize::new(0));
    let seen = refreshed.clone();
    let adapter = NativePortal::new(
        &p.url,
        Some(Arc::new(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
        })),
    )
    .unwrap();
    let logged_in = adapter
        .login(Login::Password {
            username: "demo",
            password: "demo",
        })
        .await
        .unwrap();
    adapter.set_session(Some(logged_in.session.clone())).await;
    clock.advance(ttl).unwrap();
    assert_eq!(adapter.me().await.unwrap().username, "demo");
    assert_eq!(refreshed.load(Ordering::SeqCst), 1);
    assert!(
        !format!("{:?}", logged_in.session).contains("ey"),
        "no token in Debug"
    );
    let dev = login(&p.url, "demo").await;

    // Isolation: `other` does not see Demo Space, and its apps are 404, not 403.
    let other = login(&p.url, "other").await;
    let names: Vec<String> = other
        .spaces()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["Other Space"]);
    let demo_app = app_id(&dev, "Hello MiniApp").await;
    assert!(matches!(
        other.versions(&demo_app).await,
        Err(PortalError::NotFound { .. })
    ));
    let demo_space = dev.spaces().await.unwrap()[0].id.clone();
    assert!(matches!(
        other.apps(&demo_space).await,
        Err(PortalError::NotFound { .. })
    ));

    // After logout the old tokens are refused, refresh included: "log in again".
    let stale = dev.credentials().await;
    dev.logout().await.unwrap();
    let revived = PortalClient::new(&p.url, stale).unwrap();
    match revived.me().await {
        Err(e @ PortalError::SessionExpired { .. }) => assert!(e.is_auth()),
        other => panic!("{other:?}"),
    }

    // CI access tokens: work as bearer, are listed without secrets, and die when revoked.
    let owner = login(&p.url, "demo").await;
    let created = owner.create_access_token("ci", Some(30)).await.unwrap();
    let ci = PortalClient::new(&p.url, Credentials::AccessToken(created.secret.clone())).unwrap();
    assert_eq!(ci.me().await.unwrap().username, "demo");
    let listed = owner.list_access_tokens().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!serde_json::to_string(&listed)
        .unwrap()
        .contains(&created.secret));
    owner.revoke_access_token(&created.token.id).await.unwrap();
    assert!(ci.me().await.unwrap_err().is_auth());
    p.shutdown().await;
}

/// A TCP proxy that cuts, once, the connection that carries upstream byte `cut_after`:
/// it forwards half of that read and drops both sides. Later connections pass.
async fn cutting_proxy(
    upstream: std::net::SocketAddr,
    cut_after: u64,
) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let cuts = Arc::new(AtomicUsize::new(0));
    let cuts_out = cuts.clone();
    let sent_total = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            let cuts = cuts.clone();
            let sent_total = sent_total.clone();
            tokio::spawn(async move {
                let mut outbound = tokio::net::TcpStream::connect(upstream).await.unwrap();
                let (mut ri, mut wi) = inbound.split();
                let (mut ro, mut wo) = outbound.split();
                let up = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match ri.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        let total = sent_total.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
                        if total > cut_after && cuts.load(Ordering::SeqCst) == 0 {
                            cuts.fetch_add(1, Ordering::SeqCst);
                            let _ = wo.write_all(&buf[..n / 2]).await;
                            return;
                        }
                        if wo.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                };
                let down = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match ro.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        if wi.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                };
                tokio::select! { _ = up => {}, _ = down => {} }
            });
        }
    });
    (url, cuts_out)
}

#[tokio::test]
async fn an_upload_cut_mid_way_resumes_into_one_version_with_the_right_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let p = portal(dir.path(), |_| {}).await;
    let (proxy, cuts) = cutting_proxy(p.local_addr, 3 * 1024 * 1024).await;
    let dev = PortalClient::new(&proxy, Credentials::None)
        .unwrap()
        .with_chunk_size(1024 * 1024)
        .with_retry(RetryPolicy {
            retries: 5,
            initial_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
        });
    dev.login("demo", "demo").await.unwrap();
    let app = app_id(&dev, "Hello MiniApp").await;
    let (path, sha) = package(dir.path(), "big.zip", 6 * 1024 * 1024);
    let progress = Arc::new(AtomicU64::new(0));
    let seen = progress.clone();
    let version = dev
        .upload_package(
            &app,
            &path,
            &sha,
            VersionNumber::new(1, 0, 1),
            "cut",
            None,
            &move |p| {
                seen.store(p.sent, Ordering::SeqCst);
            },
            &CancellationToken::new(),
        )
        .await
        .expect("the upload resumes after the cut");
    assert_eq!(
        cuts.load(Ordering::SeqCst),
        1,
        "the proxy cut one connection"
    );
    assert_eq!(version.sha256, sha);
    assert_eq!(
        progress.load(Ordering::SeqCst),
        std::fs::metadata(&path).unwrap().len()
    );
    let direct = login(&p.url, "demo").await;
    assert_eq!(direct.versions(&app).await.unwrap().len(), 1);
    // Uploading the same package again is idempotent: the same version comes back.
    let again = direct
        .upload_package(
            &app,
            &path,
            &sha,
            VersionNumber::new(1, 0, 1),
            "cut",
            None,
            &|_| {},
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(again.id, version.id);
    assert_eq!(direct.versions(&app).await.unwrap().len(), 1);
    p.shutdown().await;
}

/// `upload` (a ZIP made elsewhere) gives no sha256: each backend hashes the package itself
/// (native before it opens the upload, superapp as the bytes go out) and the version carries
/// the right one. A sha256 that does not match the bytes sent is refused, not uploaded.
#[tokio::test]
async fn an_upload_without_a_sha256_is_hashed_by_the_backend() {
    for &backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        let p = portal(&dir.path().join("data"), |c| c.backend = backend).await;
        let dev = login_as(backend, &p.url, "demo").await;
        let app = app_ref(dev.as_ref(), "Hello MiniApp").await;
        let (path, sha) = package(dir.path(), "unhashed.zip", 200_000);
        let new = NewVersion {
            version: "1.0.1".parse().unwrap(),
            description: "",
            package: &path,
            size: std::fs::metadata(&path).unwrap().len(),
            sha256: None,
            on_opened: None,
        };
        let made = dev
            .upload(&app, new, &|_| {}, &CancellationToken::new())
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        assert_eq!(made.sha256, sha, "{backend:?}");

        let (path, _) = package(dir.path(), "other.zip", 1_000);
        let wrong = hex::encode(Sha256::digest(b"not these bytes"));
        let refused = upload_package(dev.as_ref(), &app, &path, &wrong, "1.0.2".parse().unwrap())
            .await
            .expect_err("a sha256 that is not the package's");
        // Native: the portal's checksum refusal; superapp: ours, before `version/create`.
        assert!(
            matches!(refused, PortalError::Refused(_) | PortalError::Local { .. }),
            "{backend:?}: {refused:?}"
        );
        assert_eq!(
            dev.latest_version(&app)
                .await
                .unwrap()
                .map(|v| v.version.to_string()),
            Some("1.0.1".to_string()),
            "{backend:?}: nothing was kept of the refused upload"
        );
        p.shutdown().await;
    }
}

#[tokio::test]
async fn eight_clients_upload_at_once_and_everything_survives_a_restart() {
    for &backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        concurrency_and_restart(backend, dir.path()).await;
    }
}

async fn concurrency_and_restart(backend: Backend, dir: &std::path::Path) {
    let data = dir.join("data");
    let p = portal(&data, |c| c.backend = backend).await;
    let mut tasks = Vec::new();
    for i in 0..8u64 {
        let url = p.url.clone();
        let dir = dir.to_path_buf();
        tasks.push(tokio::spawn(async move {
            let portal = login_as(backend, &url, "demo").await;
            let name = if i % 2 == 0 {
                "Hello MiniApp"
            } else {
                "Wallet Tools"
            };
            let app = app_ref(portal.as_ref(), name).await;
            let (path, sha) = package(&dir, &format!("c{i}.zip"), 2 * 1024 * 1024);
            upload_package(
                portal.as_ref(),
                &app,
                &path,
                &sha,
                VersionNumber::new(2, i, 0),
            )
            .await
        }));
    }
    let mut ok = 0;
    let mut not_higher = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            // Concurrent uploads to one app race for "higher than the latest": whoever
            // completes a lower number after a higher one is refused, never corrupted.
            Err(PortalError::VersionNotHigher { .. }) => not_higher += 1,
            Err(e) => panic!("unexpected failure: {e}"),
        }
    }
    assert_eq!(ok + not_higher, 8);
    assert!(ok >= 2, "at least one upload per app succeeds");
    let dev = login_as(backend, &p.url, "demo").await;
    let hello = app_ref(dev.as_ref(), "Hello MiniApp").await;
    let wallet = app_ref(dev.as_ref(), "Wallet Tools").await;
    let before = (
        dev.versions(&hello).await.unwrap(),
        dev.versions(&wallet).await.unwrap(),
    );
    assert_eq!(before.0.len() + before.1.len(), ok);
    p.shutdown().await;

    let p = portal(&data, |c| c.backend = backend).await;
    let dev = login_as(backend, &p.url, "demo").await;
    let after = (
        dev.versions(&hello).await.unwrap(),
        dev.versions(&wallet).await.unwrap(),
    );
    assert_eq!(before, after, "versions survive a restart");
    if !dev.capabilities().list_spaces {
        p.shutdown().await;
        return;
    }
    assert_eq!(
        dev.spaces().await.unwrap().len(),
        1,
        "seeding twice does not duplicate"
    );
    p.shutdown().await;
}

/// The superapp backend through the trait against the console emulator: the observed story
/// (upload, release to a target app, apply, an administrator's approval, official), every
/// step it cannot take typed as not available, and a lost session typed as one.
#[tokio::test]
async fn superapp_story_through_the_portal_trait() {
    let dir = tempfile::tempdir().unwrap();
    let p = portal(&dir.path().join("data"), |c| c.backend = Backend::Superapp).await;
    assert_eq!(
        gopay_miniapp_portal::detect(&p.url).await.unwrap(),
        Backend::Superapp
    );
    let dev = login_as(Backend::Superapp, &p.url, "demo").await;
    let dev = dev.as_ref();
    let app = app_ref(dev, "Hello MiniApp").await;
    let staging = &sa_target_apps()[0];
    assert_eq!(dev.me().await.unwrap().admin_of, Vec::<String>::new());

    let before = dev.latest_version(&app).await.unwrap();
    let (path, sha) = package(dir.path(), "sa-1.0.1.zip", 300_000);
    let sent = Arc::new(AtomicU64::new(0));
    let seen = sent.clone();
    let new = NewVersion {
        version: "1.0.1".parse().unwrap(),
        description: "Fixes the top-up button",
        package: &path,
        size: std::fs::metadata(&path).unwrap().len(),
        sha256: Some(&sha),
        on_opened: None,
    };
    let v1 = dev
        .upload(
            &app,
            new,
            &move |p| seen.store(p.sent, Ordering::SeqCst),
            &CancellationToken::new(),
        )
        .await
        .expect("upload");
    assert_eq!(
        sent.load(Ordering::SeqCst),
        std::fs::metadata(&path).unwrap().len()
    );
    assert_eq!(v1.sha256, sha);
    assert_ne!(before.map(|v| v.id), Some(v1.id.clone()));
    assert_eq!(dev.latest_version(&app).await.unwrap().unwrap().id, v1.id);
    assert!(dev
        .versions(&app)
        .await
        .unwrap()
        .iter()
        .any(|v| v.id == v1.id));

    let r1 = dev.create_release(&app, &v1, staging, None).await.unwrap();
    assert_eq!(r1.state, ReleaseState::VersionCreation);
    assert_eq!(r1.status_text.as_deref(), Some("INIT"));
    assert!(r1.first_release);
    match dev.take_step(&r1, StepInput::Official).await {
        Err(PortalError::IllegalStep { state, .. }) => {
            assert_eq!(state, Some(ReleaseState::VersionCreation))
        }
        other => panic!("official before review must be refused: {other:?}"),
    }
    let applied = dev
        .take_step(&r1, StepInput::Apply { notes: "".into() })
        .await
        .unwrap();
    assert_eq!(applied.release.state, ReleaseState::InReview);
    assert_eq!(applied.release.status_text.as_deref(), Some("APPROVE"));

    // The administrator approves on the emulator (its own route; tests only).
    let admin_cookie = console_cookie(&p.url, "admin").await;
    let review: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/emulator/review", p.url))
        .header(reqwest::header::COOKIE, admin_cookie)
        .json(
            &serde_json::json!({"appId": app.app_id, "channelCode": staging.id,
            "version": "1.0.1", "decision": "APPROVE"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(review["success"], true, "{review}");
    assert_eq!(
        dev.release(&r1).await.unwrap().state,
        ReleaseState::PilotTest
    );

    let live = dev.take_step(&r1, StepInput::Official).await.unwrap();
    assert_eq!(live.release.state, ReleaseState::Released);
    let releases = dev.releases(&app).await.unwrap();
    let shown = releases.iter().find(|r| r.id == r1.id).expect("listed");
    assert_eq!(shown.state, ReleaseState::Released);
    assert!(
        !shown.first_release,
        "released once: no longer a first release"
    );

    // Versions only go up, typed (the same bytes again are the same version).
    let again = upload_package(dev, &app, &path, &sha, "1.0.1".parse().unwrap()).await;
    assert_eq!(again.unwrap().id, v1.id);
    let (other, other_sha) = package(dir.path(), "sa-other.zip", 1000);
    match upload_package(dev, &app, &other, &other_sha, "1.0.1".parse().unwrap()).await {
        Err(PortalError::VersionNotHigher { .. }) => {}
        other => panic!("expected version_not_higher: {other:?}"),
    }
    // Everything else is typed as not available on this portal.
    for input in [
        StepInput::Withdraw,
        StepInput::Approve,
        StepInput::Reject { reason: "r".into() },
        StepInput::Whitelist {
            user_ids: vec!["1".into()],
        },
        StepInput::Grayscale { ratio: 10 },
        StepInput::Cancel,
    ] {
        let step = input.step();
        match dev.take_step(&r1, input).await {
            Err(e @ PortalError::NotAvailable { .. }) => {
                assert!(e.to_string().contains(&p.url), "{e}");
                assert!(!dev.capabilities().steps.contains(&step));
            }
            other => panic!("{step:?} must be not available: {other:?}"),
        }
    }
    for err in [
        dev.temporary_code(&r1, None).await.map(|_| ()).unwrap_err(),
        dev.rollback(&app, staging).await.map(|_| ()).unwrap_err(),
        dev.reviews(false).await.map(|_| ()).unwrap_err(),
        dev.audit(&app).await.map(|_| ()).unwrap_err(),
        dev.spaces().await.map(|_| ()).unwrap_err(),
        dev.target_apps().await.map(|_| ()).unwrap_err(),
        dev.access_tokens().await.map(|_| ()).unwrap_err(),
    ] {
        assert!(matches!(err, PortalError::NotAvailable { .. }), "{err:?}");
        assert_eq!(err.code(), "not_available_on_portal");
    }
    assert!(dev.check_id("15x").is_err());

    // A bogus cookie: refused at login as a lost session (exit 3: log in again).
    let fresh =
        gopay_miniapp_portal::open(Backend::Superapp, &p.url, PortalOptions::default()).unwrap();
    let err = fresh
        .login(Login::Cookie("SA_CONSOLE_SESSION=sa_bogus"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, PortalError::SessionExpired { .. }) && err.is_auth(),
        "{err:?}"
    );
    // (A password login fills the login page in a headless browser: tests/superapp_login.rs.)
    match fresh.login(Login::Token("gma_x")).await {
        Err(PortalError::NotAvailable { .. }) => {}
        other => panic!("no access tokens are known: {other:?}"),
    }
    p.shutdown().await;
}

/// A server answering every request with `status`, `content_type` and `body`, repeated
/// `repeat` times in chunks. For "endless" bodies the repeat is capped at 256 MiB: far past
/// every read limit, and it keeps a client without limits (the old one) from taking the
/// machine's memory when the test is run against it.
async fn hostile_server(
    status: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    repeat: usize,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                );
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut framed = format!("{:x}\r\n", body.len()).into_bytes();
                framed.extend_from_slice(body);
                framed.extend_from_slice(b"\r\n");
                for _ in 0..repeat {
                    if socket.write_all(&framed).await.is_err() {
                        return;
                    }
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    url
}

/// The error of `result`; an answer read whole is a failure, reported without its (huge) value.
fn refused<T>(result: Result<T, PortalError>) -> PortalError {
    match result {
        Ok(_) => panic!("the answer was read without a limit"),
        Err(err) => err,
    }
}

const NO_RETRY: RetryPolicy = RetryPolicy {
    retries: 0,
    initial_delay: Duration::ZERO,
    max_delay: Duration::ZERO,
};

const ENDLESS_CHUNK: &[u8] = &[b' '; 64 * 1024];
/// 256 MiB of chunks: endless for a client with limits.
const ENDLESS: usize = 4096;

/// Issue #20 item 17: a portal sending an endless body (here to `doctor`'s probes and to a
/// JSON read, on both backends) makes the client stop at the documented limit with an error
/// naming it, instead of reading until the memory runs out.
#[tokio::test]
async fn an_endless_body_is_read_up_to_its_limit_and_refused() {
    use gopay_miniapp_guard::limits::{HTML_PAGE_MAX, JSON_ANSWER_MAX};
    let url = hostile_server("200 OK", "application/json", ENDLESS_CHUNK, ENDLESS).await;
    let over = |err: PortalError, limit: u64| {
        let message = err.to_string();
        assert!(
            matches!(err, PortalError::Protocol { .. })
                && message.contains("larger than")
                && message.contains(&format!("{limit} bytes")),
            "{message}"
        );
    };

    let native = PortalClient::new(&url, Credentials::AccessToken("t".into())).unwrap();
    over(
        refused(native.probe_get("/api/v1/health", None).await),
        HTML_PAGE_MAX,
    );
    over(refused(native.health().await), JSON_ANSWER_MAX);

    let console = gopay_miniapp_portal::superapp::http::Http::new(&url)
        .unwrap()
        .with_retry(NO_RETRY);
    over(refused(console.probe("/").await), HTML_PAGE_MAX);
    over(
        refused(console.get_with("/rest/anything", &[], "SESSION=x").await),
        JSON_ANSWER_MAX,
    );
}

/// Issue #20 item 31: a plain-text (or HTML) 413, what gateways send for a body over their
/// limit, reads as "too large" on both backends, with the limit when the answer names it.
#[tokio::test]
async fn a_plain_413_reads_as_too_large_with_its_limit() {
    let named = hostile_server(
        "413 Payload Too Large",
        "text/plain",
        b"Request body is larger than 10 MB",
        1,
    )
    .await;
    let html = hostile_server(
        "413 Request Entity Too Large",
        "text/html",
        b"<html><body><h1>413 Request Entity Too Large</h1></body></html>",
        1,
    )
    .await;
    for (url, limit) in [(&named, Some("10 MB")), (&html, None)] {
        let native = PortalClient::new(url, Credentials::AccessToken("t".into())).unwrap();
        let console = gopay_miniapp_portal::superapp::http::Http::new(url)
            .unwrap()
            .with_retry(NO_RETRY);
        console.set_cookie(Some("SESSION=x".into()));
        for err in [
            refused(native.health().await),
            console
                .post("/rest/anything", &serde_json::json!({}))
                .await
                .unwrap_err(),
        ] {
            let message = err.to_string();
            assert!(matches!(err, PortalError::TooLarge { .. }), "{err:?}");
            assert!(message.contains("too large"), "{message}");
            match limit {
                Some(limit) => assert!(message.contains(limit), "{message}"),
                None => assert!(!message.contains("names a limit"), "{message}"),
            }
        }
    }
}

/// The superapp backend replaying route recipes (issue #22) against the console emulator's own
/// console routes (variant a, ASSUMED, docs/portal-superapp.md "The console pages"): each recipe
/// becomes a capability marked learned, and whitelist, grayscale, temporary code, withdraw,
/// cancel, rollback and the three lists go through it, checked by the release's state
/// afterwards. A refusal is the portal's own message, typed; an answer that no longer matches
/// the recording is typed too. The recipes are written here as `learn` writes them
/// (docs/recipes.md); learning them from recordings of the console pages is the CLI's test.
mod learned {
    use std::sync::Arc;

    use gopay_miniapp_portal::backend::Feature;
    use gopay_miniapp_portal::domain::{AppRef, NewVersion, StepInput, TargetApp};
    use gopay_miniapp_portal::{
        Backend, Login, Portal, PortalError, PortalOptions, ReleaseState, Step,
    };
    use gopay_miniapp_portal_server::{start, PortalConfig};
    use gopay_miniapp_recipes::Recipe;
    use serde_json::{json, Value};
    use tokio_util::sync::CancellationToken;

    const SPACE: &str = "1532000000000000000001";
    const HELLO: &str = "1512000000000000000001";
    const STAGING: &str = "1611000000000000000002";

    fn staging() -> TargetApp {
        TargetApp {
            id: STAGING.into(),
            name: "GoPay Staging".into(),
            scheme: "gopaystaging".into(),
            production: None,
        }
    }

    fn lit(value: &str) -> Value {
        json!({"slot": "literal", "value": value})
    }

    fn input(name: &str, repr: &str) -> Value {
        json!({"slot": "input", "input": name, "as": repr})
    }

    fn path(segments: &str) -> Vec<Value> {
        segments
            .split('/')
            .filter(|s| !s.is_empty())
            .map(lit)
            .collect()
    }

    fn success() -> Value {
        json!({"equals": [{"path": ["success"], "value": true}], "message": [["errorMsg"]]})
    }

    /// A POST of `route` with a JSON object body of `fields` (name → slot).
    fn post(route: &str, fields: &[(&str, Value)]) -> Value {
        let body: serde_json::Map<String, Value> = fields
            .iter()
            .map(|(k, slot)| (k.to_string(), json!({"value": slot})))
            .collect();
        json!({"method": "POST", "path": path(route), "body": {"object": body}, "success": success()})
    }

    fn recipe(origin: &str, feature: &str, requests: Vec<Value>, extra: Value) -> Recipe {
        let mut r = json!({
            "format": 1,
            "feature": feature,
            "origin": origin,
            "learned_at": "2026-12-05T21:00:00Z",
            "requests": requests,
        });
        if let Value::Object(extra) = extra {
            r.as_object_mut().unwrap().extend(extra);
        }
        let url = url::Url::parse(origin).unwrap();
        Recipe::from_json(r.to_string().as_bytes(), &url)
            .unwrap_or_else(|e| panic!("{feature}: {e}"))
    }

    fn list(
        origin: &str,
        feature: &str,
        route: &str,
        query: &[(&str, Value)],
        item: (&str, &str),
    ) -> Recipe {
        let mut params: Vec<Value> = query
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        params.push(json!({"name": "currentPage", "value": {"slot": "page"}}));
        params.push(json!({"name": "pageSize", "value": lit("1")}));
        recipe(
            origin,
            feature,
            vec![
                json!({"method": "GET", "path": path(route), "query": params, "success": success()}),
            ],
            json!({"list": {
                "items": ["data", "list"], "id_field": item.0, "name_field": item.1,
                "paging": {"first": 1, "step": 1, "size": 1, "stop": {"when": "total", "path": ["data", "total"]}},
            }}),
        )
    }

    /// Every recipe of variant a, as learned on `origin`.
    fn recipes(origin: &str) -> Vec<Recipe> {
        let app = || ("appId", input("app_id", "string"));
        let publish = || ("publishId", input("release_id", "string"));
        let step = |feature: &str, route: &str, fields: &[(&str, Value)], extra: Value| {
            let route = format!("/rest/intercnn/app/publish/{route}");
            recipe(origin, feature, vec![post(&route, fields)], extra)
        };
        let users = json!({"slot": "user_ids", "shape": {"kind": "array", "as": "string"}});
        let code = json!({"code": {"kind": "publish_id", "path": ["data", "publishId"]}});
        let channel = ("channelCode", input("channel_code", "string"));
        vec![
            step(
                "whitelist",
                "whitelist/start",
                &[app(), publish(), ("userIds", users)],
                Value::Null,
            ),
            step(
                "grayscale",
                "gray/start",
                &[app(), publish(), ("ratio", input("ratio", "number"))],
                Value::Null,
            ),
            step("temporary_code", "tempCode", &[app(), publish()], code),
            step("withdraw", "withdraw", &[app(), publish()], Value::Null),
            step("cancel", "cancel", &[app(), publish()], Value::Null),
            step("rollback", "rollback", &[app(), channel], Value::Null),
            // Pages of one item, so paging is exercised.
            list(
                origin,
                "spaces",
                "/rest/intercnn/space/list",
                &[],
                ("spaceId", "spaceName"),
            ),
            list(
                origin,
                "apps",
                "/rest/intercnn/app/list",
                &[("spaceId", input("space_id", "string"))],
                ("appId", "appName"),
            ),
            list(
                origin,
                "target_apps",
                "/rest/intercnn/channel/list",
                &[],
                ("channelCode", "channelName"),
            ),
        ]
    }

    async fn open(url: &str, recipes: Vec<Recipe>) -> Arc<dyn Portal> {
        let options = PortalOptions {
            target_apps: vec![staging()],
            recipes,
            ..PortalOptions::default()
        };
        let portal = gopay_miniapp_portal::open(Backend::Superapp, url, options).unwrap();
        let cookie = super::console_cookie(url, "demo").await;
        let logged_in = portal.login(Login::Cookie(&cookie)).await.expect("login");
        portal.set_session(Some(logged_in.session)).await;
        portal
    }

    async fn approve(url: &str, version: &str) {
        let admin = super::console_cookie(url, "admin").await;
        let review: Value = reqwest::Client::new()
        .post(format!("{url}/emulator/review"))
        .header(reqwest::header::COOKIE, admin)
        .json(&json!({"appId": HELLO, "channelCode": STAGING, "version": version, "decision": "APPROVE"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(review["success"], true, "{review}");
    }

    async fn version(
        portal: &dyn Portal,
        dir: &std::path::Path,
        app: &AppRef,
        number: &str,
    ) -> gopay_miniapp_portal::domain::Version {
        let (path, _) = super::package(dir, &format!("{number}.zip"), 100);
        portal
            .upload(
                app,
                NewVersion {
                    version: number.parse().unwrap(),
                    description: "learned",
                    package: &path,
                    size: std::fs::metadata(&path).unwrap().len(),
                    sha256: None,
                    on_opened: None,
                },
                &|_| {},
                &CancellationToken::new(),
            )
            .await
            .expect("upload")
    }

    #[tokio::test]
    async fn learned_steps_and_lists_replay_on_the_console() {
        let dir = tempfile::tempdir().unwrap();
        let p = start(PortalConfig {
            data_dir: dir.path().join("data"),
            seed_demo: true,
            backend: Backend::Superapp,
            ..PortalConfig::default()
        })
        .await
        .expect("the emulator starts");
        let url = p.url.clone();
        let dev = open(&url, recipes(&url)).await;
        let dev = dev.as_ref();
        let app = AppRef {
            space_id: SPACE.into(),
            app_id: HELLO.into(),
        };
        let target = staging();

        // Capabilities: the learned ones, marked; the built-ins stay built-in.
        let caps = dev.capabilities();
        for step in [
            Step::TemporaryCode,
            Step::Withdraw,
            Step::Whitelist,
            Step::Grayscale,
            Step::Cancel,
            Step::Rollback,
        ] {
            assert!(caps.supports(Feature::Step(step)), "{step:?}");
            assert!(caps.is_learned(Feature::Step(step)), "{step:?}");
        }
        assert!(
            caps.supports(Feature::Step(Step::Apply))
                && !caps.is_learned(Feature::Step(Step::Apply))
        );
        assert!(!caps.supports(Feature::Step(Step::Approve)));
        assert!(caps.list_spaces && caps.list_apps && caps.list_target_apps);
        assert!(caps.is_learned(Feature::ListSpaces));

        // The lists, page after page (pages of one).
        let spaces = dev.spaces().await.unwrap();
        assert!(spaces.iter().any(|s| s.id == SPACE), "{spaces:?}");
        let apps = dev.apps(SPACE).await.unwrap();
        assert!(
            apps.iter()
                .any(|a| a.id == HELLO && a.name == "Hello MiniApp"),
            "{apps:?}"
        );
        assert!(apps.len() >= 2, "every page read: {apps:?}");
        let targets = dev.target_apps().await.unwrap();
        assert!(targets.iter().any(|t| t.id == STAGING), "{targets:?}");

        // 1.0.1: applied, withdrawn (learned), applied again, approved, official.
        let v1 = version(dev, dir.path(), &app, "1.0.1").await;
        let r1 = dev.create_release(&app, &v1, &target, None).await.unwrap();
        let applied = dev
            .take_step(
                &r1,
                StepInput::Apply {
                    notes: String::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(applied.release.state, ReleaseState::InReview);
        let withdrawn = dev
            .take_step(&applied.release, StepInput::Withdraw)
            .await
            .unwrap();
        assert_eq!(withdrawn.release.state, ReleaseState::VersionCreation);
        dev.take_step(
            &r1,
            StepInput::Apply {
                notes: String::new(),
            },
        )
        .await
        .unwrap();
        approve(&url, "1.0.1").await;
        let live = dev.take_step(&r1, StepInput::Official).await.unwrap();
        assert_eq!(live.release.state, ReleaseState::Released);

        // 1.0.2: approved, then the temporary code, whitelist and grayscale (learned).
        let v2 = version(dev, dir.path(), &app, "1.0.2").await;
        let r2 = dev.create_release(&app, &v2, &target, None).await.unwrap();
        dev.take_step(
            &r2,
            StepInput::Apply {
                notes: String::new(),
            },
        )
        .await
        .unwrap();
        approve(&url, "1.0.2").await;
        let code = dev.temporary_code(&r2, Some("pages/index")).await.unwrap();
        assert!(!code.publish_id.is_empty());
        assert_eq!(
        code.deeplink,
        format!(
            "gopaystaging://mini-app/windvane?app_id={HELLO}&publish_id={}&mini_app_path=pages%2Findex",
            code.publish_id
        )
    );
        let testing = dev
            .take_step(
                &r2,
                StepInput::Whitelist {
                    user_ids: vec!["1001".into(), "1002".into()],
                },
            )
            .await
            .unwrap();
        assert_eq!(testing.release.state, ReleaseState::WhitelistTesting);
        let gray = dev
            .take_step(&r2, StepInput::Grayscale { ratio: 10 })
            .await
            .unwrap();
        assert_eq!(gray.release.state, ReleaseState::Grayscale);
        // The console refuses a lower ratio: its own message, typed as a learned step's.
        let err = dev
            .take_step(&r2, StepInput::Grayscale { ratio: 5 })
            .await
            .unwrap_err();
        assert!(matches!(err, PortalError::Learned { .. }), "{err:?}");
        assert_eq!(err.code(), "learned_step_failed");
        assert!(err.to_string().contains("request 1 of 1"), "{err}");
        assert_eq!(
            dev.release(&r2).await.unwrap().state,
            ReleaseState::Grayscale
        );
        dev.take_step(&r2, StepInput::Official).await.unwrap();

        // Rollback (learned): 1.0.1 is live again.
        let back = dev.rollback(&app, &target).await.unwrap();
        assert_eq!(back.released.version.to_string(), "1.0.1");
        assert_eq!(
            dev.release(&r2).await.unwrap().state,
            ReleaseState::Archived
        );

        // 1.0.3: made, then cancelled (learned).
        let v3 = version(dev, dir.path(), &app, "1.0.3").await;
        let r3 = dev.create_release(&app, &v3, &target, None).await.unwrap();
        let cancelled = dev.take_step(&r3, StepInput::Cancel).await.unwrap();
        assert_eq!(cancelled.release.state, ReleaseState::Cancelled);

        // A recipe whose answer no longer matches the recording: typed, with what to do.
        let mut stale = recipes(&url);
        for r in &mut stale {
            for request in &mut r.requests {
                request.success.equals.push(
                    serde_json::from_value(json!({"path": ["data", "gone"], "value": true}))
                        .unwrap(),
                );
            }
        }
        let stale = open(&url, stale).await;
        let err = stale.temporary_code(&r3, None).await.unwrap_err();
        assert!(matches!(err, PortalError::Learned { .. }), "{err:?}");
        assert!(err.to_string().contains("learn"), "{err}");

        // Recipes of another origin are not used: nothing is learned there.
        let foreign = open(&url, recipes("http://127.0.0.1:9")).await;
        assert!(foreign.capabilities().learned.is_empty());
        match foreign.take_step(&r3, StepInput::Withdraw).await {
            Err(PortalError::NotAvailable { .. }) => {}
            other => panic!("no recipe of this origin: {other:?}"),
        }
        p.shutdown().await;
    }
}
