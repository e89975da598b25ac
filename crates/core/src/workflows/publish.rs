//! "Publish MiniApp": fetch the latest version, bump package.json, build, pack, upload.
//!
//! package.json is the only user file publish changes, and it is either committed with the
//! new version (the upload made the version) or restored byte-for-byte (any failure or
//! cancel after the bump). The portal never keeps anything half-made: the upload is
//! abandoned on failure, and completing it is what creates the version.

use std::path::{Path, PathBuf};
use std::time::Instant;

use gopay_miniapp_portal::domain::NewVersion;
use gopay_miniapp_portal::pause::pause_at;
use gopay_miniapp_portal::{BumpKind, Portal, UploadProgress, VersionNumber};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::binding::Binding;
use crate::context::Context;
use crate::error::CoreError;
use crate::events::{self, Confirm, LogSource, Prompter, Reporter};
use crate::hint::{Hint, Input};
use crate::journal::{self, Journal, Phase as JournalPhase, Recovery};
use crate::lock::{LockArea, ProjectLock};
use crate::project::build::{Build, BUILD_TOKEN_ENV};
use crate::project::pack::{self, PackOptions, PackedArchive};
use crate::project::package_json::{PackageJson, PackageLock};

/// `--bump patch|minor|major|X.Y.Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BumpSpec {
    Kind(BumpKind),
    Exact(VersionNumber),
}

impl std::str::FromStr for BumpSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "patch" => Ok(BumpSpec::Kind(BumpKind::Patch)),
            "minor" => Ok(BumpSpec::Kind(BumpKind::Minor)),
            "major" => Ok(BumpSpec::Kind(BumpKind::Major)),
            other => other.parse().map(BumpSpec::Exact).map_err(|_| {
                format!(
                    "`{}` is neither patch, minor, major nor a version x.y.z",
                    gopay_miniapp_guard::text::Shown(other)
                )
            }),
        }
    }
}

/// From the string form a user types (`"patch"`, `"minor"`, `"major"` or `"x.y.z"`), so a
/// front end that takes JSON (the sidecar's `bump`) gets it typed, with `FromStr`'s error.
/// On the wire, the text its `FromStr` reads.
impl schemars::JsonSchema for BumpSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "BumpSpec".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string"})
    }
}

impl<'de> serde::Deserialize<'de> for BumpSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = BumpSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("patch, minor, major or a version x.y.z")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<BumpSpec, E> {
                text.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    pub bump: Option<BumpSpec>,
    /// The version's description; `None`: the last commit's subject, else the default.
    pub description: Option<String>,
    pub no_build: bool,
    pub dry_run: bool,
    pub allow_secrets: bool,
    /// Publish a package identical to the latest version without asking.
    pub allow_identical: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishResult {
    pub version: String,
    pub app_id: String,
    pub app: String,
    /// None for a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    pub dry_run: bool,
    /// The portal's latest version before this publish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_version: Option<String>,
    /// The version package.json holds now: `version` after a publish, the old one after a
    /// dry run (which writes nothing).
    pub package_json_version: String,
    /// The files whose version was written (a dry run: would be): package.json, and
    /// package-lock.json when it names the project's version.
    pub bumped_files: Vec<String>,
    /// The build command that ran (a dry run: would run; it does not build). Absent when
    /// the build was skipped as asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_command: Option<String>,
    /// Whether the build ran (never in a dry run: it packs the output folder as it is).
    pub built: bool,
    /// The version's description, and where it came from.
    pub description: String,
    pub description_source: DescriptionSource,
    pub size: u64,
    pub sha256: String,
    pub files: usize,
    /// The package has exactly the content of the previous version.
    pub identical_to_previous: bool,
    pub elapsed_ms: u64,
    /// What an interrupted publish before this one left, and what was done about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered: Option<Recovery>,
}

/// Where a version's description came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DescriptionSource {
    /// The user gave it.
    Given,
    /// The subject of the project's last git commit.
    LastCommit,
    /// No git: the tool's default ([`default_description`]), which tells a reviewer nothing.
    Default,
}

/// A description to publish with, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Description {
    pub description: String,
    pub source: DescriptionSource,
}

const DEFAULT_DESCRIPTION_PREFIX: &str = "Published with gopay-miniapp ";

/// The description of a version when nothing better is known.
pub fn default_description() -> String {
    format!("{DEFAULT_DESCRIPTION_PREFIX}{}", env!("CARGO_PKG_VERSION"))
}

/// Whether a version's description is this tool's default (any version of it): front ends
/// then prefill nothing from it. The one place that knows the default's words.
pub fn is_default_description(text: &str) -> bool {
    text.strip_prefix(DEFAULT_DESCRIPTION_PREFIX)
        .is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
}

/// How long `git log` may take, and how much of its answer is read.
const GIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
const GIT_OUTPUT_MAX: usize = 4096;
/// Characters of a commit subject kept as a description.
const SUBJECT_CHARS: usize = 200;

/// The description publish uses when none is given: the subject of the project's last git
/// commit (bounded, cleaned of control and bidi characters, cut), else the default.
pub async fn suggested_description(project: &Path) -> Description {
    match last_commit_subject(project).await {
        Some(subject) => Description {
            description: subject,
            source: DescriptionSource::LastCommit,
        },
        None => Description {
            description: default_description(),
            source: DescriptionSource::Default,
        },
    }
}

/// `git log -1 --format=%s` in the project, or `None` (no git, not a repository, no commit,
/// too slow). The repository is the user's, but its config may not be: nothing that runs a
/// program of the config's (fsmonitor, a signature check, a pager) is allowed.
async fn last_commit_subject(project: &Path) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut child = tokio::process::Command::new("git")
        .arg("-C")
        .arg(project)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "log.showSignature=false",
            "--no-pager",
            "log",
            "-1",
            "--no-show-signature",
            "--format=%s",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    let read = async {
        let mut out = Vec::new();
        (&mut stdout)
            .take(GIT_OUTPUT_MAX as u64)
            .read_to_end(&mut out)
            .await
            .ok()?;
        child.wait().await.ok()?.success().then_some(out)
    };
    let out = tokio::time::timeout(GIT_TIMEOUT, read).await.ok()??;
    let text = String::from_utf8_lossy(&out);
    let subject = text.lines().next()?.trim();
    if subject.is_empty() {
        return None;
    }
    let cleaned = gopay_miniapp_guard::text::clean(subject);
    Some(gopay_miniapp_guard::text::cut(&cleaned, SUBJECT_CHARS).into_owned())
}

/// The next version: the explicit one, or `bump(max(latest on the portal, package.json))`.
pub fn next_version(
    latest: Option<VersionNumber>,
    in_package_json: VersionNumber,
    bump: BumpSpec,
) -> Result<VersionNumber, CoreError> {
    match bump {
        BumpSpec::Exact(v) => match latest {
            Some(latest) if v <= latest => Err(CoreError::invalid(
                format!("version {v} is not higher than the latest version {latest} on the portal"),
                Hint::PublishHigher {
                    suggestion: latest.bump(BumpKind::Patch).ok(),
                },
            )),
            _ => Ok(v),
        },
        BumpSpec::Kind(kind) => latest
            .map_or(in_package_json, |l| l.max(in_package_json))
            .bump(kind)
            .map_err(|err| {
                CoreError::invalid(err.to_string(), Hint::PublishHigher { suggestion: None })
            }),
    }
}

pub fn pack_options(project: &Path, binding: &Binding, allow_secrets: bool) -> PackOptions {
    PackOptions {
        output_dir: binding.output_path(project),
        project_root: Some(project.to_path_buf()),
        build_command: Some(binding.build_command.clone()),
        include_source_maps: binding.include_source_maps,
        allow_secrets,
        size_budget: Some(binding.size_budget),
    }
}

/// Packs the output dir into `out` (checks included: secrets, budget, symlinks).
pub async fn pack_archive(options: PackOptions, out: PathBuf) -> Result<PackedArchive, CoreError> {
    tokio::task::spawn_blocking(move || -> Result<PackedArchive, CoreError> {
        let plan = pack::plan(&options)?;
        Ok(pack::write_archive(&plan, &out, |_, _| {})?)
    })
    .await
    .map_err(|e| CoreError::Io {
        message: format!("packing stopped: {e}"),
    })?
}

/// The portals' package check (`guard::entries`) of a ZIP made elsewhere, on this machine:
/// its size when it passes.
pub async fn check_package_file(archive: &Path, size_budget: u64) -> Result<u64, CoreError> {
    let path = archive.to_path_buf();
    let checked = tokio::task::spawn_blocking(move || {
        let limits = pack::entry_limits(Some(size_budget));
        let (file, size) = gopay_miniapp_guard::entries::open_regular_file(&path)?;
        gopay_miniapp_guard::entries::check_zip(std::io::BufReader::new(file), size, &limits)
            .map_err(|source| gopay_miniapp_guard::entries::ZipFileError::Entry {
                path: path.clone(),
                source,
            })?;
        Ok::<u64, gopay_miniapp_guard::entries::ZipFileError>(size)
    })
    .await
    .map_err(|e| CoreError::Io {
        message: format!("checking the package stopped: {e}"),
    })?;
    Ok(checked.map_err(pack::PackError::from)?)
}

/// What was last uploaded for an app from this machine, so that an identical package is
/// recognised on a portal whose version list carries no hash.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LastUpload {
    version: String,
    sha256: String,
}

fn last_upload_file(ctx: &Context, portal: &str, binding: &Binding) -> PathBuf {
    use sha2::{Digest, Sha256};
    let key =
        Sha256::digest(format!("{portal}\n{}\n{}", binding.space.id, binding.app.id).as_bytes());
    ctx.home
        .join("uploads")
        .join(format!("{}.json", hex::encode(&key[..12])))
}

fn read_last_upload(file: &Path) -> Option<LastUpload> {
    let bytes =
        gopay_miniapp_guard::limits::read_file_io(file, gopay_miniapp_guard::limits::HOME_FILE_MAX)
            .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn record_last_upload(file: &Path, upload: &LastUpload) {
    let written = file
        .parent()
        .map_or(Ok(()), crate::atomic_write::create_private_dir)
        .and_then(|()| {
            let bytes = serde_json::to_vec_pretty(upload).expect("serializes");
            crate::atomic_write::write_atomically(
                file,
                &bytes,
                crate::atomic_write::Permissions::Private,
            )
            .map_err(CoreError::from)
        });
    // Only a comparison aid: the version exists either way.
    if let Err(e) = written {
        tracing::warn!("could not record the upload in {}: {e}", file.display());
    }
}

/// The file names of the version bump, for messages.
fn bumped_names(lock: Option<&PackageLock>) -> Vec<String> {
    let mut names = vec!["package.json".to_string()];
    if lock.is_some() {
        names.push(PackageLock::FILE.to_string());
    }
    names
}

pub async fn publish(
    ctx: &Context,
    options: &PublishOptions,
    reporter: &dyn Reporter,
    prompter: &dyn Prompter,
    cancel: &CancellationToken,
) -> Result<PublishResult, CoreError> {
    let started = Instant::now();
    // 1. Preflight: bound, package.json readable, logged in, nobody else publishing here.
    reporter.step("Checking the project");
    reporter.progress(&events::Phase::Check, "Checking the project");
    let binding = Binding::require(&ctx.project)?;
    PackageJson::read(ctx.project.join("package.json"))?.version()?;
    let area = LockArea::of(&ctx.home, &ctx.project)?;
    let lock = ProjectLock::try_acquire(&area)?.ok_or_else(|| CoreError::Busy {
        project: area.project.display().to_string(),
    })?;
    // A publish that died here before is put right first (under the same lock).
    let recovered = journal::recover_locked(ctx, &area, &lock).await?;
    if let Some(r) = recovered.as_ref().filter(|r| !r.settled) {
        return Err(unsettled(r));
    }
    let package_json = PackageJson::read(ctx.project.join("package.json"))?;
    let package_lock = PackageLock::read(&ctx.project)?;
    let current = package_json.version()?;
    let description = match options.description.as_deref().map(str::trim) {
        Some(given) if !given.is_empty() => Description {
            description: given.to_string(),
            source: DescriptionSource::Given,
        },
        _ => suggested_description(&ctx.project).await,
    };
    let portal = ctx.portal().await?;

    // 2. The latest version on the portal decides the next one.
    reporter.step("Fetching the latest version");
    reporter.progress(&events::Phase::Latest, "Fetching the latest version");
    let latest = portal.latest_version(&binding.app_ref()).await?;
    let latest_number = latest.as_ref().map(|v| v.version);
    let next = next_version(
        latest_number,
        current,
        options.bump.unwrap_or(BumpSpec::Kind(binding.bump)),
    )?;
    reporter.log(
        LogSource::Workflow,
        &format!(
            "{}: {next} (latest on the portal: {}, package.json: {current})",
            binding.app.name,
            latest_number.map_or("none".into(), |v| v.to_string()),
        ),
    );
    let bumped_files = bumped_names(package_lock.as_ref());
    let last_upload = last_upload_file(ctx, portal.base_url(), &binding);
    let plan = Plan {
        binding: &binding,
        options,
        next,
        latest: latest.as_ref(),
        last_upload: &last_upload,
        description: &description,
    };
    let result = |archive: &PackedArchive, version_id: Option<String>, built: bool| PublishResult {
        package_json_version: if version_id.is_some() {
            next.to_string()
        } else {
            current.to_string()
        },
        version: next.to_string(),
        app_id: binding.app.id.clone(),
        app: binding.app.name.clone(),
        dry_run: version_id.is_none(),
        version_id,
        previous_version: latest_number.map(|v| v.to_string()),
        bumped_files: bumped_files.clone(),
        build_command: (!options.no_build).then(|| binding.build_command.clone()),
        built,
        description: description.description.clone(),
        description_source: description.source,
        size: archive.size,
        sha256: archive.sha256.clone(),
        files: archive.entries.len(),
        identical_to_previous: identical_to(&plan, archive).is_some(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        recovered: recovered.clone(),
    };

    // A dry run writes nothing: no bump, no build (a build writes the output folder), no
    // upload. It says what it would do and packs the output folder as it is now.
    if options.dry_run {
        reporter.step(&format!(
            "Dry run: would write version {next} to {}",
            bumped_files.join(" and ")
        ));
        if !options.no_build {
            reporter.step(&format!(
                "Dry run: would build {next} with `{}`; not built, so the output folder is packed as it is now",
                binding.build_command
            ));
        }
        let scratch = scratch_dir()?;
        let archive = pack_step(ctx, &plan, reporter, scratch.path()).await?;
        reporter.progress(&events::Phase::Done, "Dry run done: nothing was changed");
        return Ok(result(&archive, None, false));
    }

    // Without a build, the output folder is what will be packed: what the portals would
    // refuse in it (names, sizes) is found before package.json is touched.
    if options.no_build {
        let plan_options = pack_options(&ctx.project, &binding, options.allow_secrets);
        tokio::task::spawn_blocking(move || pack::plan(&plan_options).map(drop))
            .await
            .map_err(|e| CoreError::Io {
                message: format!("packing stopped: {e}"),
            })??;
    }

    // 3. From here on, package.json (and package-lock.json) are restored on any failure,
    //    and the journal (written before the bump) lets the next run restore them if this
    //    process dies.
    let bump_message = format!("Writing version {next} to {}", bumped_files.join(" and "));
    reporter.step(&bump_message);
    reporter.progress(
        &events::Phase::Bump {
            version: next.to_string(),
        },
        &bump_message,
    );
    let journal = Journal::begin(
        &area,
        &lock,
        &package_json,
        package_lock.as_ref(),
        next,
        &binding.app_ref(),
        portal.base_url(),
    )?;
    pause_at("publish-before-bump");
    let edit = match package_json.write_version(&next) {
        Ok(edit) => edit,
        Err(e) => {
            journal.finish();
            return Err(e.into());
        }
    };
    let lock_edit = match package_lock
        .as_ref()
        .map(|l| l.write_version(&next))
        .transpose()
    {
        Ok(lock_edit) => lock_edit,
        Err(e) => {
            let restored = edit.restore();
            journal.finish();
            restored?;
            return Err(e.into());
        }
    };
    pause_at("publish-bumped");
    let outcome = build_pack_upload(
        ctx,
        &plan,
        reporter,
        prompter,
        cancel,
        portal.as_ref(),
        &journal,
    )
    .await;
    match outcome {
        Ok((archive, version_id)) => {
            edit.commit();
            if let Some(lock_edit) = lock_edit {
                lock_edit.commit();
            }
            journal.finish();
            record_last_upload(
                &last_upload,
                &LastUpload {
                    version: next.to_string(),
                    sha256: archive.sha256.clone(),
                },
            );
            reporter.progress(&events::Phase::Done, &format!("Published {next}"));
            reporter.changed();
            Ok(result(&archive, Some(version_id), !options.no_build))
        }
        Err(err) => {
            let restored = edit.original_version().to_string();
            let lock_restored = lock_edit.map_or(Ok(()), |e| e.restore());
            match edit.restore().and(lock_restored) {
                Ok(()) => {
                    journal.finish();
                    Err(CoreError::Restored {
                        source: Box::new(err),
                        restored_version: restored,
                    })
                }
                // The journal stays: the next run tries again.
                Err(restore_err) => Err(CoreError::invalid(
                    format!("{err}; and the version could NOT be put back: {restore_err}"),
                    Hint::RestoreByHand {
                        file: ctx.project.join("package.json").display().to_string(),
                        version: restored,
                    },
                )),
            }
        }
    }
}

/// What the steps after the bump need to know.
struct Plan<'a> {
    binding: &'a Binding,
    options: &'a PublishOptions,
    next: VersionNumber,
    latest: Option<&'a gopay_miniapp_portal::domain::Version>,
    last_upload: &'a Path,
    description: &'a Description,
}

/// The version whose package is identical to `archive`: the latest on the portal by its
/// hash, or, where the portal gives none, what this machine last uploaded for the app.
fn identical_to(plan: &Plan<'_>, archive: &PackedArchive) -> Option<String> {
    identical_version(plan.latest, plan.last_upload, &archive.sha256)
}

/// [`identical_to`] by its facts: the latest version, the last-upload record, the package's hash.
fn identical_version(
    latest: Option<&gopay_miniapp_portal::domain::Version>,
    last_upload: &Path,
    sha256: &str,
) -> Option<String> {
    let latest = latest?;
    if !latest.sha256.is_empty() {
        return latest
            .sha256
            .eq_ignore_ascii_case(sha256)
            .then(|| latest.version.to_string());
    }
    // Only a record of the latest version itself counts: an older upload with the same hash
    // says nothing about what the portal serves now.
    read_last_upload(last_upload)
        .filter(|u| u.sha256.eq_ignore_ascii_case(sha256))
        .filter(|u| u.version == latest.version.to_string())
        .map(|u| u.version)
}

fn scratch_dir() -> Result<tempfile::TempDir, CoreError> {
    tempfile::Builder::new()
        .prefix("gopay-miniapp-pack")
        .tempdir()
        .map_err(|e| CoreError::io("a temporary folder", e))
}

/// 5–6. Pack with the checks (secrets, size budget, symlinks, empty output) into `dir`.
async fn pack_step(
    ctx: &Context,
    plan: &Plan<'_>,
    reporter: &dyn Reporter,
    dir: &Path,
) -> Result<PackedArchive, CoreError> {
    let next = plan.next;
    let message = format!("Packing {next}");
    reporter.step(&message);
    reporter.progress(
        &events::Phase::Pack {
            version: next.to_string(),
        },
        &message,
    );
    let archive_path = dir.join(format!("{}-{next}.zip", plan.binding.app.id));
    let archive = pack_archive(
        pack_options(&ctx.project, plan.binding, plan.options.allow_secrets),
        archive_path,
    )
    .await?;
    reporter.log(
        LogSource::Workflow,
        &format!(
            "Packed {} files: {} (sha256 {})",
            archive.entries.len(),
            pack::human_size(archive.size),
            archive.sha256
        ),
    );
    if let Some(same) = identical_to(plan, &archive) {
        reporter.warn(&format!(
            "the package is identical to version {same} already on the portal"
        ));
    }
    Ok(archive)
}

/// The error of a publish that cannot start because an interrupted one is not settled yet.
fn unsettled(r: &Recovery) -> CoreError {
    let reason = match &r.version_on_portal {
        journal::VersionOnPortal::Unknown { reason } => reason.as_str(),
        _ => "unknown",
    };
    CoreError::invalid(
        format!(
            "an interrupted publish of {} (it got as far as {}) is not settled: the portal could not tell whether it made the version ({reason}); nothing was changed",
            r.version,
            r.phase.as_str()
        ),
        Hint::CheckNetwork,
    )
}

async fn build_pack_upload(
    ctx: &Context,
    plan: &Plan<'_>,
    reporter: &dyn Reporter,
    prompter: &dyn Prompter,
    cancel: &CancellationToken,
    portal: &dyn Portal,
    journal: &Journal,
) -> Result<(PackedArchive, String), CoreError> {
    let (binding, options, next) = (plan.binding, plan.options, plan.next);
    // 4. Build, streaming its output.
    if options.no_build {
        reporter.log(LogSource::Workflow, "Skipping the build, as asked");
    } else {
        let message = format!("Building {next}: {}", binding.build_command);
        reporter.step(&message);
        reporter.progress(
            &events::Phase::Build {
                version: next.to_string(),
                command: binding.build_command.clone(),
            },
            &message,
        );
        let token = journal::new_build_token();
        let mut journaled = Ok(());
        Build::new(binding.build_command.clone(), ctx.project.clone())
            .env(BUILD_TOKEN_ENV, &token)
            .run_observed(
                cancel,
                |pgid| journaled = journal.build_started(pgid, &token),
                |_stream, line| reporter.log(LogSource::Build, line),
            )
            .await?;
        journaled?;
    }
    if cancel.is_cancelled() {
        return Err(CoreError::Cancelled);
    }

    journal.phase(JournalPhase::Packing)?;
    pause_at("publish-packing");
    let scratch = scratch_dir()?;
    let archive = pack_step(ctx, plan, reporter, scratch.path()).await?;
    if cancel.is_cancelled() {
        return Err(CoreError::Cancelled);
    }
    // The same content as the latest version would make a version nobody can tell apart:
    // asked first; `allow_identical` is the yes given ahead (never a blanket --yes).
    if let Some(same) = identical_to(plan, &archive).filter(|_| !options.allow_identical) {
        let question = format!(
            "The package is identical to version {same} already on the portal. Publish it again as {next}?"
        );
        let yes = prompter
            .confirm(&Confirm {
                question: &question,
                action: "Publish Anyway",
                destructive: false,
                input: Input::AllowIdentical,
            })
            .await?;
        if !yes {
            return Err(CoreError::Cancelled);
        }
    }

    // 7. Upload (chunked, resumable, retried) and create the version.
    reporter.step(&format!("Uploading {}", pack::human_size(archive.size)));
    journal.uploading(&archive.sha256)?;
    let warn_journal = |e: CoreError| tracing::warn!("the publish journal: {e}");
    let progress = |p: UploadProgress| {
        reporter.progress(
            &events::Phase::Upload {
                version: next.to_string(),
                done: p.sent,
                total: p.total,
            },
            &format!(
                "Uploading {next}: {}% of {}",
                p.percent(),
                pack::human_size(p.total)
            ),
        );
        if p.sent > 0 && p.sent < p.total {
            pause_at("publish-mid-upload");
        } else if p.sent == p.total {
            let _ = journal.phase(JournalPhase::Uploaded).map_err(warn_journal);
            pause_at("publish-uploaded");
        }
    };
    let on_opened = |id: &str| {
        let _ = journal.upload_opened(id).map_err(warn_journal);
    };
    let new = NewVersion {
        version: next,
        description: &plan.description.description,
        package: &archive.path,
        size: archive.size,
        sha256: Some(&archive.sha256),
        on_opened: Some(&on_opened),
    };
    let version = portal
        .upload(&binding.app_ref(), new, &progress, cancel)
        .await?;
    // The version exists now: nothing may undo the bump any more, not even a journal error
    // (a crash from here on is settled by asking the portal).
    let _ = journal
        .phase(JournalPhase::VersionMade)
        .map_err(warn_journal);
    pause_at("publish-version-made");
    drop(scratch);
    Ok((archive, version.id))
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub size: u64,
    pub sha256: String,
    pub files: usize,
    pub uncompressed_size: u64,
    /// The files, when asked for (`--list`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<PackListEntry>>,
    /// The settings used because the project is not bound (no gopay-miniapp.json).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defaults: Option<PackDefaults>,
}

/// What an unbound project is packed with: the settings `bind` would write.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackDefaults {
    pub output_dir: String,
    pub size_budget: u64,
    pub include_source_maps: bool,
    /// Only named in "run the build first" messages: pack never builds.
    pub build_command: String,
}

impl PackDefaults {
    pub fn for_project(project: &Path) -> Self {
        PackDefaults {
            output_dir: crate::binding::DEFAULT_OUTPUT_DIR.into(),
            size_budget: crate::binding::DEFAULT_SIZE_BUDGET,
            include_source_maps: false,
            build_command: crate::binding::detect_build_command(project),
        }
    }

    /// Which defaults were used; each front end adds how to bind (where they can be changed).
    pub fn describe(&self) -> String {
        format!(
            "not bound: packing with the defaults (output dir `{}`, size budget {}, source maps {})",
            self.output_dir,
            pack::human_size(self.size_budget),
            if self.include_source_maps { "included" } else { "left out" },
        )
    }

    fn options(&self, project: &Path, allow_secrets: bool) -> PackOptions {
        PackOptions {
            output_dir: project.join(&self.output_dir),
            project_root: Some(project.to_path_buf()),
            build_command: Some(self.build_command.clone()),
            include_source_maps: self.include_source_maps,
            allow_secrets,
            size_budget: Some(self.size_budget),
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackListEntry {
    pub path: String,
    pub size: u64,
    pub compressed_size: u64,
}

/// Exactly what publish would upload, without the network (and without building). An
/// unbound project is packed with the defaults (the ZIP for the portal's "Upload by Files"
/// needs no portal), and the result says which.
pub async fn pack_project(
    ctx: &Context,
    out: Option<PathBuf>,
    list: bool,
    allow_secrets: bool,
    force: bool,
) -> Result<PackResult, CoreError> {
    // Before anything is packed: the project's own files are never overwritten, nor (unless
    // forced) an existing file that is not a ZIP; re-packing over our own ZIP is fine.
    let written = match &out {
        Some(out) => Some(gopay_miniapp_guard::files::check_output(
            out,
            &ctx.project,
            &crate::project::own_files(&ctx.project),
            gopay_miniapp_guard::files::ZIP,
            force,
        )?),
        None => None,
    };
    let (options, defaults) = match Binding::read(&ctx.project)? {
        Some(binding) => (pack_options(&ctx.project, &binding, allow_secrets), None),
        None => {
            let defaults = PackDefaults::for_project(&ctx.project);
            (
                defaults.options(&ctx.project, allow_secrets),
                Some(defaults),
            )
        }
    };
    let scratch = tempfile::Builder::new()
        .prefix("gopay-miniapp-pack")
        .tempdir()
        .map_err(|e| CoreError::io("a temporary folder", e))?;
    let target = written.unwrap_or_else(|| scratch.path().join("package.zip"));
    let archive = pack_archive(options, target).await?;
    Ok(PackResult {
        path: out.map(|p| p.display().to_string()),
        size: archive.size,
        sha256: archive.sha256.clone(),
        files: archive.entries.len(),
        uncompressed_size: archive.uncompressed_size(),
        entries: list.then(|| {
            archive
                .entries
                .iter()
                .map(|e| PackListEntry {
                    path: e.path.clone(),
                    size: e.size,
                    compressed_size: e.compressed_size,
                })
                .collect()
        }),
        defaults,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> VersionNumber {
        s.parse().unwrap()
    }

    #[test]
    fn bump_deserializes_from_its_string_form() {
        let parse = |json: &str| serde_json::from_str::<BumpSpec>(json).map_err(|e| e.to_string());
        assert_eq!(parse(r#""minor""#), Ok(BumpSpec::Kind(BumpKind::Minor)));
        assert_eq!(parse(r#""2.0.1""#), Ok(BumpSpec::Exact(v("2.0.1"))));
        let wrong = parse(r#""mega""#).unwrap_err();
        assert!(
            wrong.contains("`mega` is neither patch, minor, major nor a version x.y.z"),
            "{wrong}"
        );
        let not_text = parse("3").unwrap_err();
        assert!(
            not_text.contains("expected patch, minor, major or a version x.y.z"),
            "{not_text}"
        );
        #[derive(Debug, serde::Deserialize)]
        struct Args {
            bump: Option<BumpSpec>,
        }
        let args: Args = serde_json::from_str(r#"{"bump": "major"}"#).unwrap();
        assert_eq!(args.bump, Some(BumpSpec::Kind(BumpKind::Major)));
    }

    /// Issue #21 item 21: identical by the portal's hash when it gives one, else by what this
    /// machine recorded of its last upload of the latest version.
    #[test]
    fn identical_by_the_portals_hash_else_by_the_last_upload_recorded() {
        let home = tempfile::tempdir().unwrap();
        let record = home.path().join("uploads/app.json");
        let latest = |sha256: &str| gopay_miniapp_portal::domain::Version {
            id: "ver".into(),
            app_id: "app".into(),
            version: v("1.0.1"),
            description: String::new(),
            size: 1,
            sha256: sha256.into(),
            created_at: String::new(),
            created_by: String::new(),
        };
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        assert_eq!(identical_version(None, &record, &a), None);
        assert_eq!(
            identical_version(Some(&latest(&a.to_uppercase())), &record, &a),
            Some("1.0.1".into())
        );
        assert_eq!(identical_version(Some(&latest(&b)), &record, &a), None);
        // No hash from the portal, no record: not known to be identical.
        assert_eq!(identical_version(Some(&latest("")), &record, &a), None);
        let write = |version: &str, sha256: &str| {
            record_last_upload(
                &record,
                &LastUpload {
                    version: version.into(),
                    sha256: sha256.into(),
                },
            )
        };
        write("1.0.1", &a);
        assert_eq!(
            identical_version(Some(&latest("")), &record, &a),
            Some("1.0.1".into())
        );
        assert_eq!(identical_version(Some(&latest("")), &record, &b), None);
        // A record of another version says nothing about the latest one.
        write("1.0.0", &a);
        assert_eq!(identical_version(Some(&latest("")), &record, &a), None);
    }

    #[test]
    fn next_is_bump_of_the_higher_of_portal_and_package_json() {
        let patch = BumpSpec::Kind(BumpKind::Patch);
        assert_eq!(next_version(None, v("1.0.0"), patch).unwrap(), v("1.0.1"));
        assert_eq!(
            next_version(Some(v("1.0.4")), v("1.0.0"), patch).unwrap(),
            v("1.0.5")
        );
        assert_eq!(
            next_version(Some(v("1.0.4")), v("2.0.0"), patch).unwrap(),
            v("2.0.1")
        );
        assert_eq!(
            next_version(
                Some(v("1.0.4")),
                v("1.0.0"),
                BumpSpec::Kind(BumpKind::Minor)
            )
            .unwrap(),
            v("1.1.0")
        );
        assert!(next_version(Some(v("1.0.4")), v("1.0.0"), BumpSpec::Exact(v("1.0.4"))).is_err());
        assert_eq!(
            next_version(Some(v("1.0.4")), v("1.0.0"), BumpSpec::Exact(v("3.0.0"))).unwrap(),
            v("3.0.0")
        );
    }

    /// Found by fuzzing `VersionNumber::bump`: a patch at u64::MAX panicked here (debug) or
    /// wrapped to x.y.0, below the portal's latest (release).
    #[test]
    fn a_version_that_cannot_be_bumped_is_an_invalid_error() {
        let top = v(&format!("1.2.{}", u64::MAX));
        let err = next_version(Some(top), v("1.0.0"), BumpSpec::Kind(BumpKind::Patch)).unwrap_err();
        assert!(
            matches!(&err, CoreError::Invalid { message, hint }
                if message.contains("has no next patch version") && *hint == Hint::PublishHigher { suggestion: None }),
            "{err:?}"
        );
        assert_eq!(
            next_version(Some(top), v("1.0.0"), BumpSpec::Kind(BumpKind::Minor)).unwrap(),
            v("1.3.0")
        );
        let err = next_version(Some(top), v("1.0.0"), BumpSpec::Exact(v("1.0.0"))).unwrap_err();
        assert!(matches!(err, CoreError::Invalid { .. }), "{err:?}");
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadResult {
    pub version: String,
    pub app_id: String,
    pub version_id: String,
    pub size: u64,
    pub sha256: String,
    pub elapsed_ms: u64,
}

/// Uploads a ZIP made elsewhere (the portal's "Upload by Files"): no build, no package.json
/// change. The portal checks that it is a MiniApp package.
pub async fn upload_archive(
    ctx: &Context,
    archive: &Path,
    version: VersionNumber,
    description: Option<String>,
    reporter: &dyn Reporter,
    cancel: &CancellationToken,
) -> Result<UploadResult, CoreError> {
    let started = Instant::now();
    let binding = Binding::require(&ctx.project)?;
    // Checked here first, with the portals' own rules, before anything is sent: a regular file
    // (a FIFO would hang the read, /dev/zero never ends), a ZIP, entries the portals accept.
    // No hash here: the backend hashes the package when and how it needs to, and the created
    // version carries it.
    let size = check_package_file(archive, binding.size_budget).await?;
    let portal = ctx.portal().await?;
    reporter.step(&format!("Uploading {} as {version}", archive.display()));
    let progress = |p: UploadProgress| {
        reporter.progress(
            &events::Phase::Upload {
                version: version.to_string(),
                done: p.sent,
                total: p.total,
            },
            &format!(
                "Uploading {version}: {}% of {}",
                p.percent(),
                pack::human_size(p.total)
            ),
        );
    };
    let description = description.unwrap_or_default();
    let new = NewVersion {
        version,
        description: &description,
        package: archive,
        size,
        sha256: None,
        on_opened: None,
    };
    let created = portal
        .upload(&binding.app_ref(), new, &progress, cancel)
        .await?;
    reporter.changed();
    Ok(UploadResult {
        version: created.version.to_string(),
        app_id: binding.app.id,
        version_id: created.id,
        size,
        sha256: created.sha256,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}
