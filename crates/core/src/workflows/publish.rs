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
use crate::events::{LogSource, Reporter};
use crate::hint::Hint;
use crate::journal::{self, Journal, Phase, Recovery};
use crate::lock::{LockArea, ProjectLock};
use crate::project::build::{Build, BUILD_TOKEN_ENV};
use crate::project::pack::{self, PackOptions, PackedArchive};
use crate::project::package_json::PackageJson;

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
    pub description: Option<String>,
    pub no_build: bool,
    pub dry_run: bool,
    pub allow_secrets: bool,
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
    /// dry run (which puts package.json back).
    pub package_json_version: String,
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

pub async fn publish(
    ctx: &Context,
    options: &PublishOptions,
    reporter: &dyn Reporter,
    cancel: &CancellationToken,
) -> Result<PublishResult, CoreError> {
    let started = Instant::now();
    // 1. Preflight: bound, package.json readable, logged in, nobody else publishing here.
    reporter.step("Checking the project");
    reporter.progress(0, "Checking the project");
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
    let current = package_json.version()?;
    let portal = ctx.portal().await?;

    // 2. The latest version on the portal decides the next one.
    reporter.step("Fetching the latest version");
    reporter.progress(5, "Fetching the latest version");
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

    // 3. From here on, package.json is restored on any failure, and the journal (written
    //    before the bump) lets the next run restore it if this process dies.
    reporter.step(&format!("Writing version {next} to package.json"));
    let journal = Journal::begin(
        &area,
        &lock,
        &package_json,
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
    let outcome = build_pack_upload(
        ctx,
        &binding,
        options,
        next,
        latest.as_ref(),
        reporter,
        cancel,
        portal.as_ref(),
        &journal,
    )
    .await;
    let result = |archive: &PackedArchive, version_id: Option<String>| PublishResult {
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
        size: archive.size,
        sha256: archive.sha256.clone(),
        files: archive.entries.len(),
        identical_to_previous: latest.as_ref().is_some_and(|l| l.sha256 == archive.sha256),
        elapsed_ms: started.elapsed().as_millis() as u64,
        recovered: recovered.clone(),
    };
    match outcome {
        Ok((archive, Some(version_id))) => {
            edit.commit();
            journal.finish();
            reporter.progress(100, &format!("Published {next}"));
            reporter.changed();
            Ok(result(&archive, Some(version_id)))
        }
        Ok((archive, None)) => {
            // A dry run: put package.json back as it was.
            edit.restore()?;
            journal.finish();
            reporter.progress(100, "Dry run done: nothing was uploaded");
            Ok(result(&archive, None))
        }
        Err(err) => {
            let restored = edit.original_version().to_string();
            match edit.restore() {
                Ok(()) => {
                    journal.finish();
                    Err(CoreError::Restored {
                        source: Box::new(err),
                        restored_version: restored,
                    })
                }
                // The journal stays: the next run tries again.
                Err(restore_err) => Err(CoreError::invalid(
                    format!("{err}; and package.json could NOT be restored: {restore_err}"),
                    Hint::RestoreByHand {
                        file: ctx.project.join("package.json").display().to_string(),
                        version: restored,
                    },
                )),
            }
        }
    }
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

#[allow(clippy::too_many_arguments)]
async fn build_pack_upload(
    ctx: &Context,
    binding: &Binding,
    options: &PublishOptions,
    next: VersionNumber,
    latest: Option<&gopay_miniapp_portal::domain::Version>,
    reporter: &dyn Reporter,
    cancel: &CancellationToken,
    portal: &dyn Portal,
    journal: &Journal,
) -> Result<(PackedArchive, Option<String>), CoreError> {
    // 4. Build, streaming its output.
    if options.no_build {
        reporter.log(LogSource::Workflow, "Skipping the build, as asked");
    } else {
        reporter.step(&format!("Building {next}: {}", binding.build_command));
        reporter.progress(10, &format!("Building {next}: {}", binding.build_command));
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

    // 5–6. Pack with the checks (secrets, size budget, symlinks, empty output).
    reporter.step(&format!("Packing {next}"));
    reporter.progress(50, &format!("Packing {next}"));
    journal.phase(Phase::Packing)?;
    pause_at("publish-packing");
    let scratch = tempfile::Builder::new()
        .prefix("gopay-miniapp-pack")
        .tempdir()
        .map_err(|e| CoreError::io("a temporary folder", e))?;
    let archive_path = scratch
        .path()
        .join(format!("{}-{next}.zip", binding.app.id));
    let archive = pack_archive(
        pack_options(&ctx.project, binding, options.allow_secrets),
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
    if let Some(latest) = latest.filter(|l| l.sha256 == archive.sha256) {
        reporter.warn(&format!(
            "the package is identical to version {} already on the portal",
            latest.version
        ));
    }
    if options.dry_run {
        return Ok((archive, None));
    }
    if cancel.is_cancelled() {
        return Err(CoreError::Cancelled);
    }

    // 7. Upload (chunked, resumable, retried) and create the version.
    reporter.step(&format!("Uploading {}", pack::human_size(archive.size)));
    reporter.progress(60, "Uploading");
    let description = options
        .description
        .clone()
        .unwrap_or_else(|| format!("Published with gopay-miniapp {}", env!("CARGO_PKG_VERSION")));
    journal.uploading(&archive.sha256)?;
    let warn_journal = |e: CoreError| tracing::warn!("the publish journal: {e}");
    let progress = |p: UploadProgress| {
        let percent = p.percent();
        reporter.progress(
            60 + (percent * 39 / 100) as u8,
            &format!(
                "Uploading {next}: {percent}% of {}",
                pack::human_size(p.total)
            ),
        );
        if p.sent > 0 && p.sent < p.total {
            pause_at("publish-mid-upload");
        } else if p.sent == p.total {
            let _ = journal.phase(Phase::Uploaded).map_err(warn_journal);
            pause_at("publish-uploaded");
        }
    };
    let on_opened = |id: &str| {
        let _ = journal.upload_opened(id).map_err(warn_journal);
    };
    let new = NewVersion {
        version: next,
        description: &description,
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
    let _ = journal.phase(Phase::VersionMade).map_err(warn_journal);
    pause_at("publish-version-made");
    drop(scratch);
    Ok((archive, Some(version.id)))
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
        let percent = p.percent();
        reporter.progress(
            percent as u8,
            &format!(
                "Uploading {version}: {percent}% of {}",
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
