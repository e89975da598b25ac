//! Publish in process against the local portal (crates/portal-server) on a loopback port:
//! what a dry run writes (nothing), where the description comes from, package-lock.json
//! bumped and restored with package.json, and the question before an identical package
//! (issue 21 items 14, 17, 21; issue 19's typed progress).

mod support;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use gopay_miniapp_core::events::{
    AssumeYes, Confirm, NoPrompts, Phase, Prompter, Reporter, Silent,
};
use gopay_miniapp_core::workflows::publish::{self, DescriptionSource, PublishOptions};
use gopay_miniapp_core::workflows::{account, bind};
use gopay_miniapp_core::{Context, CoreError, Input};
use gopay_miniapp_portal::Login;
use gopay_miniapp_portal_server::{PortalConfig, RunningPortal};
use support::{project, seeded_portal};
use tokio_util::sync::CancellationToken;

const LOCK: &str = "{\n  \"name\": \"p\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"p\",\n      \"version\": \"1.0.0\"\n    },\n    \"node_modules/left-pad\": {\n      \"version\": \"1.0.0\"\n    }\n  }\n}\n";
/// What `support::project(_, "p")` writes.
const PACKAGE_JSON: &str = "{\n  \"name\": \"p\",\n  \"version\": \"1.0.0\"\n}\n";

struct World {
    _portal: RunningPortal,
    dir: tempfile::TempDir,
    project: PathBuf,
    dev: Context,
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let portal = seeded_portal(dir.path(), PortalConfig::default()).await;
        let project = project(dir.path(), "p");
        std::fs::write(project.join("package-lock.json"), LOCK).unwrap();
        let mut dev = Context::new(dir.path().join("home"), project.clone());
        dev.portal_override = Some(portal.url.clone());
        account::login(
            &dev,
            Login::Password {
                username: "demo",
                password: "demo",
            },
        )
        .await
        .unwrap();
        let request = bind::BindRequest {
            space: Some("Demo Space".into()),
            app: Some("Hello MiniApp".into()),
            ..Default::default()
        };
        let bound = bind::bind(&dev, &request, &NoPrompts, &Silent)
            .await
            .unwrap();
        let mut binding = bound.binding;
        binding.build_command = "rm -rf dist && mkdir -p dist && cp -R src/. dist/".into();
        binding.write(&project).unwrap();
        World {
            _portal: portal,
            dir,
            project,
            dev,
        }
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.project.join(file)).unwrap()
    }

    async fn publish(
        &self,
        options: PublishOptions,
        prompter: &dyn Prompter,
    ) -> Result<publish::PublishResult, CoreError> {
        publish::publish(
            &self.dev,
            &options,
            &Silent,
            prompter,
            &CancellationToken::new(),
        )
        .await
    }
}

fn given(description: &str) -> PublishOptions {
    PublishOptions {
        description: Some(description.into()),
        ..Default::default()
    }
}

fn git(project: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(project)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// Issue 21 item 21: package-lock.json's top version and `packages[""].version` follow
/// package.json, byte for byte otherwise; a dependency's version stays.
#[tokio::test]
async fn the_lock_is_bumped_with_package_json() {
    let w = World::new().await;
    let published = w.publish(given("first"), &NoPrompts).await.unwrap();
    assert_eq!(
        published.bumped_files,
        ["package.json", "package-lock.json"]
    );
    assert_eq!(
        w.read("package.json"),
        PACKAGE_JSON.replace("1.0.0", "1.0.1")
    );
    let expected = LOCK.replacen("\"version\": \"1.0.0\"", "\"version\": \"1.0.1\"", 2);
    assert_eq!(w.read("package-lock.json"), expected);
    assert!(expected.contains("\"node_modules/left-pad\": {\n      \"version\": \"1.0.0\""));
}

/// Issue 21 item 21: a failed build puts both files back byte for byte.
#[tokio::test]
async fn a_failed_build_restores_the_lock_with_package_json() {
    let w = World::new().await;
    let mut binding = gopay_miniapp_core::binding::Binding::require(&w.project).unwrap();
    binding.build_command = "echo 'src/index.html:1:2: error nope' >&2; exit 3".into();
    binding.write(&w.project).unwrap();
    let err = w.publish(given("x"), &NoPrompts).await.unwrap_err();
    assert_eq!(w.read("package.json"), PACKAGE_JSON);
    assert_eq!(w.read("package-lock.json"), LOCK);
    // Issue 21 item 15: the error names the file, typed.
    let CoreError::Build(gopay_miniapp_core::project::build::BuildError::Failed {
        source_error: Some(at),
        ..
    }) = err.root()
    else {
        panic!("a build failure with its place: {err:?}");
    };
    assert_eq!(
        (at.file.as_str(), at.line, at.column),
        ("src/index.html", 1, Some(2))
    );
    assert!(
        err.to_string().contains("src/index.html:1:2: error nope"),
        "{err}"
    );
}

/// Issue 21 item 14: a dry run writes nothing (no version in either file, no build output)
/// and says what it would do.
#[tokio::test]
async fn a_dry_run_writes_nothing_and_does_not_build() {
    let w = World::new().await;
    // The output folder as it is now: made by hand, not by the build.
    std::fs::create_dir_all(w.project.join("dist")).unwrap();
    std::fs::write(w.project.join("dist/index.html"), "<p>old build</p>\n").unwrap();
    let result = w
        .publish(
            PublishOptions {
                dry_run: true,
                ..given("x")
            },
            &NoPrompts,
        )
        .await
        .unwrap();
    assert!(result.dry_run && !result.built);
    assert_eq!(
        result.build_command.as_deref(),
        Some("rm -rf dist && mkdir -p dist && cp -R src/. dist/")
    );
    assert_eq!(result.bumped_files, ["package.json", "package-lock.json"]);
    assert_eq!(result.version, "1.0.1");
    assert_eq!(result.package_json_version, "1.0.0");
    assert_eq!(w.read("package.json"), PACKAGE_JSON);
    assert_eq!(w.read("package-lock.json"), LOCK);
    assert_eq!(
        w.read("dist/index.html"),
        "<p>old build</p>\n",
        "the build did not run"
    );
    assert!(!w.project.join("dist/app.json").exists());
    assert_eq!(result.files, 1);
}

/// Issue 21 item 17: without a description, the last commit's subject (cleaned and cut);
/// without git, the default, marked as such; given, it is used as given.
#[tokio::test]
async fn the_description_comes_from_git_else_the_default() {
    let w = World::new().await;
    let first = w
        .publish(PublishOptions::default(), &NoPrompts)
        .await
        .unwrap();
    assert_eq!(first.description_source, DescriptionSource::Default);
    assert!(
        publish::is_default_description(&first.description),
        "{}",
        first.description
    );

    git(&w.project, &["init", "-q"]);
    git(&w.project, &["add", "-A"]);
    git(
        &w.project,
        &[
            "commit",
            "-q",
            "-m",
            "Fix the \u{202e}checkout\u{1b}[31m button\n\nbody text",
        ],
    );
    std::fs::write(w.project.join("src/index.html"), "<p>2</p>\n").unwrap();
    let second = w
        .publish(PublishOptions::default(), &NoPrompts)
        .await
        .unwrap();
    assert_eq!(second.description_source, DescriptionSource::LastCommit);
    assert!(
        second.description.starts_with("Fix the "),
        "{}",
        second.description
    );
    assert!(
        !second.description.contains('\u{202e}') && !second.description.contains('\u{1b}'),
        "{:?}",
        second.description
    );
    assert!(!second.description.contains("body text"));
    let suggested = publish::suggested_description(&w.project).await;
    assert_eq!(suggested.source, DescriptionSource::LastCommit);

    std::fs::write(w.project.join("src/index.html"), "<p>3</p>\n").unwrap();
    let third = w.publish(given("typed by hand"), &NoPrompts).await.unwrap();
    assert_eq!(
        (third.description.as_str(), third.description_source),
        ("typed by hand", DescriptionSource::Given)
    );
    let _ = &w.dir;
}

/// A prompter that records the question and answers `answer`.
struct Answer {
    answer: bool,
    asked: Mutex<Vec<(String, Input)>>,
}

#[async_trait::async_trait]
impl Prompter for Answer {
    async fn choose(&self, _: &str, _: &[String], input: Input) -> Result<usize, CoreError> {
        panic!("no choice expected ({input:?})")
    }
    async fn confirm(&self, confirm: &Confirm<'_>) -> Result<bool, CoreError> {
        self.asked
            .lock()
            .unwrap()
            .push((confirm.question.to_string(), confirm.input));
        Ok(self.answer)
    }
}

/// Issue 21 item 21: the same package again is asked about first; No restores both files
/// and uploads nothing; `--yes` alone does not answer it; allowing it publishes.
#[tokio::test]
async fn an_identical_package_is_asked_about_first() {
    let w = World::new().await;
    w.publish(given("first"), &NoPrompts).await.unwrap();
    let bumped_json = w.read("package.json");
    let bumped_lock = w.read("package-lock.json");

    let no = Answer {
        answer: false,
        asked: Mutex::default(),
    };
    let err = w.publish(given("again"), &no).await.unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    let asked = no.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].0.contains("identical to version 1.0.1"),
        "{}",
        asked[0].0
    );
    assert_eq!(asked[0].1, Input::AllowIdentical);
    assert_eq!(
        (w.read("package.json"), w.read("package-lock.json")),
        (bumped_json.clone(), bumped_lock.clone())
    );

    let err = w.publish(given("again"), &AssumeYes).await.unwrap_err();
    assert!(
        matches!(
            err.root(),
            CoreError::NeedsInput {
                input: Input::AllowIdentical,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(w.read("package.json"), bumped_json);

    let allowed = w
        .publish(
            PublishOptions {
                allow_identical: true,
                ..given("again")
            },
            &NoPrompts,
        )
        .await
        .unwrap();
    assert_eq!(allowed.version, "1.0.2");
    assert!(allowed.identical_to_previous);

    // A changed package is not asked about.
    std::fs::write(w.project.join("src/index.html"), "<p>new</p>\n").unwrap();
    let changed = w.publish(given("new"), &NoPrompts).await.unwrap();
    assert!(!changed.identical_to_previous);
}

/// Issue 19: publish's progress is typed; only the upload has a percentage, from its bytes.
#[tokio::test]
async fn progress_is_typed_and_only_the_upload_has_a_percentage() {
    #[derive(Default)]
    struct Record(Mutex<Vec<Phase>>);
    impl Reporter for Record {
        fn progress(&self, phase: &Phase, _message: &str) {
            self.0.lock().unwrap().push(phase.clone());
        }
    }
    let w = World::new().await;
    let record = Record::default();
    publish::publish(
        &w.dev,
        &given("x"),
        &record,
        &NoPrompts,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let phases = record.0.into_inner().unwrap();
    let kinds: Vec<&str> = phases
        .iter()
        .map(|p| match p {
            Phase::Check => "check",
            Phase::Latest => "latest",
            Phase::Bump { .. } => "bump",
            Phase::Build { .. } => "build",
            Phase::Pack { .. } => "pack",
            Phase::Upload { .. } => "upload",
            Phase::Login => "login",
            Phase::Done => "done",
        })
        .collect();
    let mut steps = kinds.clone();
    steps.dedup();
    assert_eq!(
        steps,
        ["check", "latest", "bump", "build", "pack", "upload", "done"]
    );
    for phase in &phases {
        match phase {
            Phase::Upload { done, total, .. } => {
                assert!(done <= total && *total > 0);
                assert_eq!(phase.percent(), Some((done * 100 / total) as u8));
            }
            Phase::Done => assert_eq!(phase.percent(), Some(100)),
            other => assert_eq!(other.percent(), None, "{other:?}"),
        }
    }
    assert!(
        matches!(phases.iter().rev().find(|p| matches!(p, Phase::Upload { .. })), Some(Phase::Upload { done, total, .. }) if done == total)
    );
}
