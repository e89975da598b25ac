//! The publish journal: what a publish has done so far, on disk, so that a publish killed
//! half-way (kill -9, a crashed editor, a power cut) is put right by the next run.
//!
//! It lives next to the project's lock (crates/core/src/lock.rs), in the user's home, never in
//! the project: `<home>/locks/publish-<key>.journal.json` plus `publish-<key>.package.json`, a
//! byte copy of package.json as it was before the bump. Both are written atomically and
//! fsynced ([`crate::atomic_write`]) before the step they announce, and every step updates the
//! journal's `phase`: `bumped` (written *before* package.json changes, with the hash of the
//! bytes about to be written), `building` (with the build's process group id, its leader's
//! start time and boot id, and the random token in the build's environment), `packing`,
//! `uploading` (with the package's sha256, then the portal's upload id once there is one),
//! `uploaded` (every byte acknowledged, the upload not yet completed), `version-made`. A
//! publish that ends — published, failed or cancelled, package.json settled either way —
//! removes both files.
//!
//! A journal whose lock is free belongs to a publish that died: the kernel drops the flock
//! with its holder, so "lock free" is "owner dead", never a guess from a PID. [`recover`] then,
//! under that lock:
//! 1. stops the build's processes if they are still the same ones (the group's leader with
//!    the recorded start time on the same boot, or members carrying the build's token);
//! 2. decides whether the version was made: not before `uploading`; surely at `version-made`;
//!    in between it abandons the recorded upload and asks the portal's version list (a
//!    version of that number with the package's sha256 is ours);
//! 3. keeps the bump if the version was made; else puts package.json back byte for byte if it
//!    still holds the bumped bytes (left alone, and said, if someone edited it since);
//! 4. removes the journal — unless the portal could not be asked, in which case nothing is
//!    touched and the next run asks again (publish refuses to start meanwhile, so a version
//!    is never skipped or made twice).
//!
//! What it found and did is a typed [`Recovery`]; each front end words it in one line.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gopay_miniapp_portal::domain::AppRef;
use gopay_miniapp_portal::VersionNumber;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic_write::{write_atomically, Permissions};
use crate::context::Context;
use crate::error::CoreError;
use crate::hint::Hint;
use crate::lock::{LockArea, ProjectLock};
use crate::process::{self, ProcessIdentity};
use crate::project::package_json::{PackageJson, PackageLock};

const JOURNAL_SUFFIX: &str = ".journal.json";
const ORIGINAL_SUFFIX: &str = ".package.json";
const LOCK_COPY_SUFFIX: &str = ".package-lock.json";
const FORMAT: u32 = 1;

/// How far a publish got.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Bumped,
    Building,
    Packing,
    Uploading,
    Uploaded,
    VersionMade,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Bumped => "bumped",
            Phase::Building => "building",
            Phase::Packing => "packing",
            Phase::Uploading => "uploading",
            Phase::Uploaded => "uploaded",
            Phase::VersionMade => "version-made",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BuildRecord {
    /// `pid` is the process group id (the shell leads its own group).
    group: ProcessIdentity,
    /// The value of [`crate::project::build::BUILD_TOKEN_ENV`] in the build's environment.
    token: String,
}

/// package-lock.json, bumped with package.json (and put back with it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LockRecord {
    path: PathBuf,
    original_sha256: String,
    original_copy: PathBuf,
    bumped_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    format: u32,
    project: PathBuf,
    /// The file publish writes (symlinks resolved).
    package_json: PathBuf,
    original_sha256: String,
    /// Where the byte copy of the original is.
    original_copy: PathBuf,
    original_version: String,
    bumped_sha256: String,
    version: VersionNumber,
    space_id: String,
    app_id: String,
    portal: String,
    owner: ProcessIdentity,
    /// Absent in journals written before package-lock.json was bumped too.
    #[serde(default)]
    lock: Option<LockRecord>,
    #[serde(default)]
    build: Option<BuildRecord>,
    #[serde(default)]
    archive_sha256: Option<String>,
    #[serde(default)]
    upload_id: Option<String>,
    phase: Phase,
    started_at: String,
    updated_at: String,
}

/// The journal of the publish running in this process.
pub struct Journal {
    path: PathBuf,
    copy: PathBuf,
    lock_copy: PathBuf,
    record: Mutex<Record>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn journal_io(path: &Path, err: io::Error) -> CoreError {
    CoreError::io(format!("the publish journal {}", path.display()), err)
}

impl Journal {
    /// Records the intent to bump `package_json` to `next`, before anything changes: the
    /// original bytes' copy first, then the journal. The lock must be held.
    pub fn begin(
        area: &LockArea,
        _lock: &ProjectLock,
        package_json: &PackageJson,
        package_lock: Option<&PackageLock>,
        next: VersionNumber,
        app: &AppRef,
        portal: &str,
    ) -> Result<Journal, CoreError> {
        let path = area.file(JOURNAL_SUFFIX);
        let copy = area.file(ORIGINAL_SUFFIX);
        let lock_copy = area.file(LOCK_COPY_SUFFIX);
        let real = package_json
            .path()
            .canonicalize()
            .map_err(|e| CoreError::io(package_json.path().display(), e))?;
        write_atomically(&copy, package_json.bytes(), Permissions::Private)?;
        let lock = match package_lock {
            Some(lock) => {
                let real = lock
                    .path()
                    .canonicalize()
                    .map_err(|e| CoreError::io(lock.path().display(), e))?;
                write_atomically(&lock_copy, lock.bytes(), Permissions::Private)?;
                Some(LockRecord {
                    path: real,
                    original_sha256: sha256_hex(lock.bytes()),
                    original_copy: lock_copy.clone(),
                    bumped_sha256: sha256_hex(&lock.bytes_with_version(&next)),
                })
            }
            None => None,
        };
        let at = now();
        let record = Record {
            format: FORMAT,
            project: area.project.clone(),
            package_json: real,
            original_sha256: sha256_hex(package_json.bytes()),
            original_copy: copy.clone(),
            original_version: package_json.version_str().to_string(),
            bumped_sha256: sha256_hex(&package_json.bytes_with_version(&next)),
            version: next,
            space_id: app.space_id.clone(),
            app_id: app.app_id.clone(),
            portal: portal.to_string(),
            owner: ProcessIdentity::of(std::process::id() as i32),
            lock,
            build: None,
            archive_sha256: None,
            upload_id: None,
            phase: Phase::Bumped,
            started_at: at.clone(),
            updated_at: at,
        };
        let journal = Journal {
            path,
            copy,
            lock_copy,
            record: Mutex::new(record),
        };
        journal.update(|_| {})?;
        Ok(journal)
    }

    fn update(&self, change: impl FnOnce(&mut Record)) -> Result<(), CoreError> {
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut record);
        record.updated_at = now();
        let bytes = serde_json::to_vec_pretty(&*record).expect("the journal serializes");
        write_atomically(&self.path, &bytes, Permissions::Private).map_err(CoreError::from)
    }

    pub fn phase(&self, phase: Phase) -> Result<(), CoreError> {
        self.update(|r| r.phase = phase)
    }

    /// The build runs as process group `pgid` with `token` in its environment.
    pub fn build_started(&self, pgid: i32, token: &str) -> Result<(), CoreError> {
        let group = ProcessIdentity::of(pgid);
        self.update(|r| {
            r.phase = Phase::Building;
            r.build = Some(BuildRecord {
                group,
                token: token.to_string(),
            });
        })
    }

    pub fn uploading(&self, archive_sha256: &str) -> Result<(), CoreError> {
        self.update(|r| {
            r.phase = Phase::Uploading;
            r.archive_sha256 = Some(archive_sha256.to_string());
        })
    }

    pub fn upload_opened(&self, upload_id: &str) -> Result<(), CoreError> {
        self.update(|r| r.upload_id = Some(upload_id.to_string()))
    }

    /// The publish ended with package.json settled: the journal goes.
    pub fn finish(self) {
        remove(&self.path, &self.copy, &self.lock_copy);
    }
}

fn remove(journal: &Path, copy: &Path, lock_copy: &Path) {
    // The journal first: a copy without a journal is only cleaned up, never acted on.
    for path in [journal, copy, lock_copy] {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("could not remove {}: {e}", path.display()),
        }
    }
    if let Some(dir) = journal.parent().and_then(|d| std::fs::File::open(d).ok()) {
        let _ = dir.sync_all();
    }
}

/// A random token for the build's environment.
pub fn new_build_token() -> String {
    let mut seed = [0u8; 16];
    if let Ok(mut urandom) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = urandom.read_exact(&mut seed);
    }
    let mut hasher = Sha256::new();
    hasher.update(seed);
    hasher.update(std::process::id().to_le_bytes());
    hasher.update(now().as_bytes());
    hex::encode(&hasher.finalize()[..16])
}

// ---------------------------------------------------------------------------------------------
// Recovery
// ---------------------------------------------------------------------------------------------

/// What an interrupted publish left and what the next run did about it. Front ends word it
/// (CLI: one stderr line and `recovered` in `--json`; sidecar: `window/showMessage` and
/// `recovered` in the snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recovery {
    /// The version the interrupted publish was making.
    pub version: String,
    /// package.json's version before that publish.
    pub previous_version: String,
    /// How far it got.
    pub phase: Phase,
    pub started_at: String,
    pub build: BuildCleanup,
    pub version_on_portal: VersionOnPortal,
    pub package_json: PackageJsonOutcome,
    /// What became of package-lock.json, when the publish had bumped one too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_lock: Option<PackageJsonOutcome>,
    pub upload: UploadOutcome,
    /// `false`: the portal could not be asked, nothing was touched, and the journal stays for
    /// the next run (publish refuses to start until then).
    pub settled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum BuildCleanup {
    /// The publish died before its build started (or it had none).
    NotStarted,
    /// No process of the build was left.
    AlreadyGone,
    /// Left-over build processes, stopped now.
    Stopped { processes: usize },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum VersionOnPortal {
    NotMade,
    Made,
    /// The portal could not be asked.
    Unknown {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PackageJsonOutcome {
    /// It held the bumped bytes and now holds the original ones again, byte for byte.
    Restored,
    /// It was never changed (the publish died before the bump was written).
    Unchanged,
    /// The version exists on the portal: the bump stays.
    KeptBump,
    /// It was edited since the bump: left as it is.
    LeftEdited,
    /// Not touched because the portal could not be asked.
    NotTouched,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum UploadOutcome {
    /// No upload was opened.
    None,
    Abandoned {
        upload_id: String,
    },
    /// It completed: it is the version.
    Completed {
        upload_id: String,
    },
    NotAbandoned {
        upload_id: String,
        reason: String,
    },
}

/// Puts right what a dead publish of `ctx`'s project left, if anything: `None` when there is
/// no journal or a live publish holds the lock. Cheap when there is no journal.
pub async fn recover(ctx: &Context) -> Result<Option<Recovery>, CoreError> {
    let Ok(area) = LockArea::of(&ctx.home, &ctx.project) else {
        return Ok(None);
    };
    if !area.file(JOURNAL_SUFFIX).exists() {
        return Ok(None);
    }
    let Some(lock) = ProjectLock::try_acquire(&area)? else {
        return Ok(None);
    };
    recover_locked(ctx, &area, &lock).await
}

/// [`recover`] with the project's lock already held (publish takes it first).
pub async fn recover_locked(
    ctx: &Context,
    area: &LockArea,
    _lock: &ProjectLock,
) -> Result<Option<Recovery>, CoreError> {
    let path = area.file(JOURNAL_SUFFIX);
    let copy = area.file(ORIGINAL_SUFFIX);
    let lock_copy = area.file(LOCK_COPY_SUFFIX);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let _ = std::fs::remove_file(&copy);
            let _ = std::fs::remove_file(&lock_copy);
            return Ok(None);
        }
        Err(e) => return Err(journal_io(&path, e)),
    };
    let record: Record = match serde_json::from_slice(&bytes) {
        Ok(record) => record,
        Err(e) => {
            // Written atomically, so only a foreign or future file gets here: keep it aside.
            let aside = path.with_extension("json.unreadable");
            tracing::warn!(
                "the publish journal {} cannot be read ({e}); moved to {}",
                path.display(),
                aside.display()
            );
            let _ = std::fs::rename(&path, &aside);
            return Ok(None);
        }
    };
    tracing::info!(
        "found the journal of an interrupted publish of {} ({})",
        record.version,
        record.phase.as_str()
    );

    let build = match &record.build {
        None => BuildCleanup::NotStarted,
        Some(build) => stop_build(build).await,
    };
    let (version_on_portal, upload) = if record.phase >= Phase::Uploading {
        ask_portal(ctx, &record).await
    } else {
        (VersionOnPortal::NotMade, UploadOutcome::None)
    };
    let package_json = settle_package_json(&record, &version_on_portal)?;
    let package_lock = record
        .lock
        .as_ref()
        .map(|lock| settle_lock(&record, lock, &version_on_portal))
        .transpose()?;
    let settled = !matches!(version_on_portal, VersionOnPortal::Unknown { .. });
    if settled {
        remove(&path, &copy, &lock_copy);
    }
    Ok(Some(Recovery {
        version: record.version.to_string(),
        previous_version: record.original_version.clone(),
        phase: record.phase,
        started_at: record.started_at.clone(),
        build,
        version_on_portal,
        package_json,
        package_lock,
        upload,
        settled,
    }))
}

/// The build's processes, if they are still the recorded ones: the group's leader with its
/// recorded start time (same boot), or any member carrying the build's token.
fn build_processes(build: &BuildRecord) -> (bool, Vec<i32>) {
    if build.group.boot_id.is_some() && build.group.boot_id != process::boot_id() {
        return (false, vec![]);
    }
    let pgid = build.group.pid;
    let leader_is_ours = build.group.is_alive();
    let members = process::group_members(pgid).unwrap_or_default();
    let ours = members
        .into_iter()
        .map(|(pid, _)| pid)
        .filter(|pid| {
            (leader_is_ours && *pid == pgid)
                || process::has_env(*pid, crate::project::build::BUILD_TOKEN_ENV, &build.token)
        })
        .collect();
    (leader_is_ours, ours)
}

async fn stop_build(build: &BuildRecord) -> BuildCleanup {
    let (leader_is_ours, ours) = build_processes(build);
    if ours.is_empty() && !leader_is_ours {
        return BuildCleanup::AlreadyGone;
    }
    let count = ours.len();
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        if leader_is_ours {
            // The leader is the very shell we started: the whole group is the build's.
            libc::kill(-build.group.pid, libc::SIGKILL);
        }
        for pid in &ours {
            libc::kill(*pid, libc::SIGKILL);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && !build_processes(build).1.is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tracing::info!(
        count,
        pgid = build.group.pid,
        "stopped a dead publish's build"
    );
    BuildCleanup::Stopped { processes: count }
}

/// Abandons the upload (a complete one is refused: it is the version) and looks for the
/// version in the portal's list.
async fn ask_portal(ctx: &Context, record: &Record) -> (VersionOnPortal, UploadOutcome) {
    let unknown = |e: &dyn std::fmt::Display| VersionOnPortal::Unknown {
        reason: e.to_string(),
    };
    let portal = match ctx.portal().await {
        Ok(portal) => portal,
        Err(e) => return (unknown(&e), UploadOutcome::None),
    };
    let app = AppRef {
        space_id: record.space_id.clone(),
        app_id: record.app_id.clone(),
    };
    let mut upload = UploadOutcome::None;
    if let Some(id) = &record.upload_id {
        upload = match portal.abandon_upload(id).await {
            Ok(()) => UploadOutcome::Abandoned {
                upload_id: id.clone(),
            },
            Err(e) => UploadOutcome::NotAbandoned {
                upload_id: id.clone(),
                reason: e.to_string(),
            },
        };
    }
    let versions = match portal.versions(&app).await {
        Ok(versions) => versions,
        Err(e) => return (unknown(&e), upload),
    };
    let ours = versions.iter().any(|v| {
        v.version == record.version
            && record
                .archive_sha256
                .as_ref()
                .is_none_or(|sha| sha.eq_ignore_ascii_case(&v.sha256))
    });
    if ours {
        if let UploadOutcome::NotAbandoned { upload_id, .. } = upload {
            upload = UploadOutcome::Completed { upload_id };
        }
        (VersionOnPortal::Made, upload)
    } else {
        (VersionOnPortal::NotMade, upload)
    }
}

fn settle_package_json(
    record: &Record,
    on_portal: &VersionOnPortal,
) -> Result<PackageJsonOutcome, CoreError> {
    let file = Bumped {
        path: &record.package_json,
        original_sha256: &record.original_sha256,
        bumped_sha256: &record.bumped_sha256,
    };
    settle(record, file, on_portal, |current| {
        original_bytes(record, current)
    })
}

/// package-lock.json by the rule of package.json; its original comes from its copy only.
fn settle_lock(
    record: &Record,
    lock: &LockRecord,
    on_portal: &VersionOnPortal,
) -> Result<PackageJsonOutcome, CoreError> {
    let file = Bumped {
        path: &lock.path,
        original_sha256: &lock.original_sha256,
        bumped_sha256: &lock.bumped_sha256,
    };
    settle(record, file, on_portal, |_| {
        std::fs::read(&lock.original_copy)
            .ok()
            .filter(|copy| sha256_hex(copy) == lock.original_sha256)
            .ok_or_else(|| {
                CoreError::invalid(
                    format!(
                        "an interrupted publish left version {} in {}, and its copy of the original ({}) is missing or damaged",
                        record.version,
                        lock.path.display(),
                        lock.original_copy.display()
                    ),
                    Hint::RestoreByHand {
                        file: lock.path.display().to_string(),
                        version: record.original_version.clone(),
                    },
                )
            })
    })
}

/// A file the publish bumped, by its hashes before and after.
struct Bumped<'a> {
    path: &'a Path,
    original_sha256: &'a str,
    bumped_sha256: &'a str,
}

/// The one rule for a bumped file: the bump stays with a version the portal made; else the
/// original bytes (`original`, given the bumped ones) go back if the file still holds the
/// bumped bytes; a file edited since is left alone; nothing is touched while the portal's
/// answer is unknown.
fn settle(
    record: &Record,
    file: Bumped<'_>,
    on_portal: &VersionOnPortal,
    original: impl FnOnce(&[u8]) -> Result<Vec<u8>, CoreError>,
) -> Result<PackageJsonOutcome, CoreError> {
    let current = std::fs::read(file.path).ok();
    let current_sha = current.as_deref().map(sha256_hex);
    let holds = |sha: &str| current_sha.as_deref() == Some(sha);
    Ok(match on_portal {
        VersionOnPortal::Unknown { .. } => PackageJsonOutcome::NotTouched,
        VersionOnPortal::Made if holds(file.bumped_sha256) => PackageJsonOutcome::KeptBump,
        VersionOnPortal::Made => PackageJsonOutcome::LeftEdited,
        VersionOnPortal::NotMade if holds(file.original_sha256) => PackageJsonOutcome::Unchanged,
        VersionOnPortal::NotMade if holds(file.bumped_sha256) => {
            let original = original(current.as_deref().unwrap_or_default())?;
            gopay_miniapp_guard::files::replace(
                file.path,
                Some(&record.project),
                &original,
                Permissions::Keep,
            )
            .map_err(|e| {
                CoreError::invalid(
                    format!(
                        "an interrupted publish left version {} in {}, and it could not be put back: {e}",
                        record.version,
                        file.path.display()
                    ),
                    Hint::RestoreByHand {
                        file: file.path.display().to_string(),
                        version: record.original_version.clone(),
                    },
                )
            })?;
            PackageJsonOutcome::Restored
        }
        VersionOnPortal::NotMade => PackageJsonOutcome::LeftEdited,
    })
}

/// The original bytes: the copy, if it is intact; else the bumped file with the old version
/// written back (the bump changed nothing else), if that gives the original's hash.
fn original_bytes(record: &Record, bumped: &[u8]) -> Result<Vec<u8>, CoreError> {
    if let Ok(copy) = std::fs::read(&record.original_copy) {
        if sha256_hex(&copy) == record.original_sha256 {
            return Ok(copy);
        }
    }
    let rebuilt = record
        .original_version
        .parse::<VersionNumber>()
        .ok()
        .and_then(|old| {
            PackageJson::parse(&record.package_json, bumped.to_vec())
                .ok()
                .map(|p| p.bytes_with_version(&old))
        })
        .filter(|bytes| sha256_hex(bytes) == record.original_sha256);
    rebuilt.ok_or_else(|| {
        CoreError::invalid(
            format!(
                "an interrupted publish left version {} in {}, and its copy of the original ({}) is missing or damaged",
                record.version,
                record.package_json.display(),
                record.original_copy.display()
            ),
            Hint::RestoreByHand {
                file: record.package_json.display().to_string(),
                version: record.original_version.clone(),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> (tempfile::TempDir, Context, LockArea) {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("p");
        std::fs::create_dir_all(&project).unwrap();
        std::fs::write(
            project.join("package.json"),
            "{\r\n  \"name\": \"x\",\r\n  \"version\": \"1.0.0\"\r\n}",
        )
        .unwrap();
        let ctx = Context::new(dir.path().join("home"), project.clone());
        let area = LockArea::of(&ctx.home, &project).unwrap();
        (dir, ctx, area)
    }

    fn begin(ctx: &Context, area: &LockArea, lock: &ProjectLock) -> Journal {
        let pj = PackageJson::read(ctx.project.join("package.json")).unwrap();
        let app = AppRef {
            space_id: "sp".into(),
            app_id: "app".into(),
        };
        Journal::begin(
            area,
            lock,
            &pj,
            None,
            "1.0.1".parse().unwrap(),
            &app,
            "http://x",
        )
        .unwrap()
    }

    #[tokio::test]
    async fn a_dead_publish_before_the_upload_gets_package_json_back_byte_for_byte() {
        let (_d, ctx, area) = world();
        let original = std::fs::read(ctx.project.join("package.json")).unwrap();
        {
            let lock = ProjectLock::try_acquire(&area).unwrap().unwrap();
            let journal = begin(&ctx, &area, &lock);
            let pj = PackageJson::read(ctx.project.join("package.json")).unwrap();
            pj.write_version(&"1.0.1".parse().unwrap())
                .unwrap()
                .commit();
            journal.phase(Phase::Packing).unwrap();
            // The "crash": the journal stays, the lock goes with its holder.
            std::mem::forget(journal);
        }
        let recovery = recover(&ctx).await.unwrap().expect("a recovery");
        assert_eq!(recovery.package_json, PackageJsonOutcome::Restored);
        assert_eq!(recovery.version_on_portal, VersionOnPortal::NotMade);
        assert_eq!(recovery.build, BuildCleanup::NotStarted);
        assert!(recovery.settled);
        assert_eq!(
            std::fs::read(ctx.project.join("package.json")).unwrap(),
            original
        );
        assert!(!area.file(JOURNAL_SUFFIX).exists());
        assert!(!area.file(ORIGINAL_SUFFIX).exists());
        assert!(recover(&ctx).await.unwrap().is_none(), "once only");
    }

    #[tokio::test]
    async fn an_edited_package_json_is_left_alone_and_a_lost_copy_is_rebuilt() {
        let (_d, ctx, area) = world();
        let pj_path = ctx.project.join("package.json");
        let original = std::fs::read(&pj_path).unwrap();
        let lock = ProjectLock::try_acquire(&area).unwrap().unwrap();
        let journal = begin(&ctx, &area, &lock);
        let pj = PackageJson::read(&pj_path).unwrap();
        pj.write_version(&"1.0.1".parse().unwrap())
            .unwrap()
            .commit();
        std::mem::forget(journal);
        // A live holder of the lock: nothing happens.
        assert!(recover(&ctx).await.unwrap().is_none());
        drop(lock);
        // The copy is lost: the original is rebuilt from the bumped bytes.
        std::fs::remove_file(area.file(ORIGINAL_SUFFIX)).unwrap();
        let recovery = recover(&ctx).await.unwrap().unwrap();
        assert_eq!(recovery.package_json, PackageJsonOutcome::Restored);
        assert_eq!(std::fs::read(&pj_path).unwrap(), original);

        let lock = ProjectLock::try_acquire(&area).unwrap().unwrap();
        let journal = begin(&ctx, &area, &lock);
        std::fs::write(&pj_path, "{\"version\": \"7.0.0\"}").unwrap();
        std::mem::forget(journal);
        drop(lock);
        let recovery = recover(&ctx).await.unwrap().unwrap();
        assert_eq!(recovery.package_json, PackageJsonOutcome::LeftEdited);
        assert_eq!(
            std::fs::read(&pj_path).unwrap(),
            b"{\"version\": \"7.0.0\"}"
        );
    }
}
