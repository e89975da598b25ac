//! `gopay-miniapp.json`: which portal, space and MiniApp a project publishes to, and how it
//! builds. No secrets: it is meant to be committed.

use std::path::{Path, PathBuf};

use gopay_miniapp_portal::domain::AppRef;
use gopay_miniapp_portal::{Backend, BumpKind};
use serde::{Deserialize, Serialize};

use crate::atomic_write::Permissions;
use crate::error::CoreError;

pub const BINDING_FILE: &str = "gopay-miniapp.json";
pub const DEFAULT_BUILD_COMMAND: &str = "npm run build";
pub const DEFAULT_OUTPUT_DIR: &str = "dist";
/// Matches the portal's default package limit, so the budget fails before the upload does.
pub const DEFAULT_SIZE_BUDGET: u64 = gopay_miniapp_portal::DEFAULT_MAX_PACKAGE_SIZE;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamedRef {
    pub id: String,
    pub name: String,
}

/// A target app given by hand at bind time (portals that cannot list them): its name, its id
/// (the channel code), and whether real users get what is released there when the user said
/// so (`None`: not said; it is then unmarked, never guessed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GivenTargetApp {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    pub portal: String,
    /// Which API the portal speaks; files written before backends existed read as native.
    #[serde(default)]
    pub backend: Backend,
    pub space: NamedRef,
    pub app: NamedRef,
    /// Target apps given at bind time (name, id, production when said), for portals that
    /// cannot list them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_apps: Vec<GivenTargetApp>,
    #[serde(default = "default_build_command")]
    pub build_command: String,
    #[serde(default = "default_output_dir")]
    pub output_dir: String,
    #[serde(default = "default_bump")]
    pub bump: BumpKind,
    /// Largest package (ZIP) publish will upload, in bytes.
    #[serde(default = "default_size_budget")]
    pub size_budget: u64,
    /// Ship `*.map` files (left out by default).
    #[serde(default)]
    pub include_source_maps: bool,
    /// The `Bx-V` header sent to a SuperApp console (default: the observed client's value;
    /// before `GOPAY_MINIAPP_BX_V`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bx_v: Option<String>,
}

fn default_build_command() -> String {
    DEFAULT_BUILD_COMMAND.into()
}
fn default_output_dir() -> String {
    DEFAULT_OUTPUT_DIR.into()
}
fn default_bump() -> BumpKind {
    BumpKind::Patch
}
fn default_size_budget() -> u64 {
    DEFAULT_SIZE_BUDGET
}

impl Binding {
    /// The target apps given at bind time, as the portal's type (for portals that cannot
    /// list them).
    pub fn given_target_apps(&self) -> Vec<gopay_miniapp_portal::domain::TargetApp> {
        self.target_apps
            .iter()
            .map(|t| gopay_miniapp_portal::domain::TargetApp {
                id: t.id.clone(),
                name: t.name.clone(),
                // Not known without the portal's list; only temporary codes need it.
                scheme: String::new(),
                // What the user said when binding, else unknown.
                production: t.production,
            })
            .collect()
    }

    pub fn new(portal: &str, backend: Backend, space: NamedRef, app: NamedRef) -> Self {
        Binding {
            portal: portal.to_string(),
            backend,
            space,
            app,
            target_apps: Vec::new(),
            build_command: default_build_command(),
            output_dir: default_output_dir(),
            bump: default_bump(),
            size_budget: default_size_budget(),
            include_source_maps: false,
            bx_v: None,
        }
    }

    pub fn path(project: &Path) -> PathBuf {
        project.join(BINDING_FILE)
    }

    /// `None` when the project is not bound.
    pub fn read(project: &Path) -> Result<Option<Binding>, CoreError> {
        let path = Self::path(project);
        // Bounded: a project file is outside data (guard::limits).
        let bytes = match gopay_miniapp_guard::limits::read_file_io(
            &path,
            gopay_miniapp_guard::limits::PROJECT_FILE_MAX,
        ) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CoreError::io(path.display(), e)),
        };
        Self::parse(&bytes, &path).map(Some)
    }

    /// Reads a binding file's bytes; errors name `path`, the line and the column.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Binding, CoreError> {
        // Editors on Windows like to add a UTF-8 byte order mark; serde_json refuses it
        // (package.json is read the same way).
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        serde_json::from_slice(bytes).map_err(|e| CoreError::BadBinding {
            file: path.display().to_string(),
            message: format!("line {}, column {}: {e}", e.line(), e.column()),
        })
    }

    /// The bound MiniApp, as the portal addresses it.
    pub fn app_ref(&self) -> AppRef {
        AppRef {
            space_id: self.space.id.clone(),
            app_id: self.app.id.clone(),
        }
    }

    pub fn require(project: &Path) -> Result<Binding, CoreError> {
        Self::read(project)?.ok_or_else(|| CoreError::NotBound {
            project: project.display().to_string(),
        })
    }

    /// Writes the file, keeping the build settings of an earlier binding.
    pub fn write(&self, project: &Path) -> Result<(), CoreError> {
        let path = Self::path(project);
        let mut json = serde_json::to_string_pretty(self).expect("serializable");
        json.push('\n');
        gopay_miniapp_guard::files::replace(
            &path,
            Some(project),
            json.as_bytes(),
            Permissions::Keep,
        )?;
        Ok(())
    }

    pub fn output_path(&self, project: &Path) -> PathBuf {
        project.join(&self.output_dir)
    }
}

/// The build command for a new binding: the package manager whose lockfile sits in the
/// project or the nearest folder above it (a monorepo's root), else npm.
pub fn detect_build_command(project: &Path) -> String {
    const LOCKFILES: &[(&str, &str)] = &[
        ("pnpm-lock.yaml", "pnpm run build"),
        ("yarn.lock", "yarn run build"),
        ("bun.lockb", "bun run build"),
        ("bun.lock", "bun run build"),
        ("package-lock.json", DEFAULT_BUILD_COMMAND),
    ];
    for dir in project.ancestors() {
        for (lockfile, command) in LOCKFILES {
            if dir.join(lockfile).is_file() {
                return command.to_string();
            }
        }
        // Past a repository's root, lockfiles belong to something else.
        if dir.join(".git").exists() {
            break;
        }
    }
    DEFAULT_BUILD_COMMAND.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_command_follows_the_nearest_lockfile() {
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir(repo.path().join(".git")).unwrap();
        let app = repo.path().join("packages/miniapp");
        std::fs::create_dir_all(&app).unwrap();
        assert_eq!(detect_build_command(&app), "npm run build");
        std::fs::write(repo.path().join("pnpm-lock.yaml"), "").unwrap();
        assert_eq!(detect_build_command(&app), "pnpm run build");
        std::fs::write(app.join("yarn.lock"), "").unwrap();
        assert_eq!(detect_build_command(&app), "yarn run build");
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            Binding::path(dir.path()),
            b"\xEF\xBB\xBF{\"portal\":\"http://p\",\"space\":{\"id\":\"s\",\"name\":\"S\"},\"app\":{\"id\":\"a\",\"name\":\"A\"}}",
        )
        .unwrap();
        let binding = Binding::require(dir.path()).unwrap();
        assert_eq!(binding.app.id, "a");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_binding_writes_its_target_inside_and_is_refused_outside() {
        use std::os::unix::fs::symlink;
        let project = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let binding = Binding::new(
            "http://p",
            Backend::Native,
            NamedRef {
                id: "s".into(),
                name: "S".into(),
            },
            NamedRef {
                id: "a".into(),
                name: "A".into(),
            },
        );
        let victim = outside.path().join("victim");
        std::fs::write(&victim, b"theirs").unwrap();
        symlink(&victim, Binding::path(project.path())).unwrap();
        let err = binding.write(project.path()).unwrap_err();
        assert_eq!(err.code(), crate::codes::FILE_REFUSED, "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"theirs");
    }

    #[test]
    fn defaults_fill_in_and_errors_name_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            Binding::path(dir.path()),
            r#"{"portal":"http://p","space":{"id":"s","name":"S"},"app":{"id":"a","name":"A"}}"#,
        )
        .unwrap();
        let b = Binding::require(dir.path()).unwrap();
        assert_eq!(b.build_command, "npm run build");
        assert_eq!(b.output_dir, "dist");
        std::fs::write(Binding::path(dir.path()), "{\n  \"portal\": 3\n}").unwrap();
        let err = Binding::require(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("gopay-miniapp.json") && err.contains("line 2"),
            "{err}"
        );
    }
}
