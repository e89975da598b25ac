//! Learned route recipes (issue #22, `docs/recipes.md`), stored per portal origin under the
//! tool's home: `<home>/recipes/<origin_dir>/<feature>.json`, folders 0700 and files 0600
//! (`guard::files`), like everything else of ours there. A recipe file is outside data even
//! here (anyone who can write the home can write it): it is read back within its limit and
//! checked against the portal it is used on (`Recipe::read_file`).

use std::path::{Path, PathBuf};

use gopay_miniapp_guard::files::{self, FileError, Permissions};
use gopay_miniapp_recipes::{origin_dir, Feature, Recipe, RecipeFileError};
use url::Url;

use crate::error::CoreError;

/// The folder of the recipes learned on `origin`.
pub fn dir(home: &Path, origin: &Url) -> PathBuf {
    home.join("recipes").join(origin_dir(origin))
}

/// The file of `feature`'s recipe learned on `origin`.
pub fn file(home: &Path, origin: &Url, feature: Feature) -> PathBuf {
    dir(home, origin).join(feature.file_name())
}

/// The portal URL as the origin recipes are stored and checked by.
pub fn origin_of(portal: &str) -> Result<Url, CoreError> {
    Url::parse(portal).map_err(|e| {
        CoreError::invalid(
            format!(
                "the portal URL `{}` cannot name recipes: {e}",
                gopay_miniapp_guard::text::Line(portal)
            ),
            crate::hint::Hint::CheckPortalUrl,
        )
    })
}

/// One feature's stored recipe, as `learn --list` shows it.
pub struct StoredRecipe {
    pub feature: Feature,
    pub file: PathBuf,
    /// `None`: nothing stored; `Some(Err)`: a file that does not read as a recipe for this
    /// portal (it is not used).
    pub recipe: Option<Result<Recipe, CoreError>>,
}

/// Every feature's stored recipe on `origin`, in the format's order.
pub fn list(home: &Path, origin: &Url) -> Vec<StoredRecipe> {
    Feature::ALL
        .into_iter()
        .map(|feature| {
            let path = file(home, origin, feature);
            let recipe = read(&path, origin, feature);
            StoredRecipe {
                feature,
                file: path,
                recipe,
            }
        })
        .collect()
}

/// The recipes the portal at `origin` can use: every stored one that reads and checks. One
/// that does not is left out with a warning naming the file (it holds no session value to
/// leak, and the message is the checker's, cleaned), so a broken file never stops the
/// built-in steps.
pub fn load(home: &Path, origin: &Url) -> Vec<Recipe> {
    list(home, origin)
        .into_iter()
        .filter_map(|stored| match stored.recipe? {
            Ok(recipe) => Some(recipe),
            Err(e) => {
                tracing::warn!("the recipe {} is not used: {e}", stored.file.display());
                None
            }
        })
        .collect()
}

fn read(path: &Path, origin: &Url, feature: Feature) -> Option<Result<Recipe, CoreError>> {
    if !path.exists() {
        return None;
    }
    let bad = |message: String| CoreError::BadRecipe {
        file: path.display().to_string(),
        message,
    };
    Some(match Recipe::read_file(path, origin) {
        Ok(recipe) if recipe.feature == feature => Ok(recipe),
        Ok(recipe) => Err(bad(format!(
            "it holds the recipe for {}, not for {feature}",
            recipe.feature
        ))),
        Err(RecipeFileError::Read(e)) => Err(bad(e.to_string())),
        Err(RecipeFileError::Recipe(e)) => Err(bad(e.to_string())),
    })
}

/// Stores `recipe` for its origin and feature (replacing one learned before), atomically and
/// owner-only; the file written.
pub fn save(home: &Path, recipe: &Recipe) -> Result<PathBuf, CoreError> {
    let origin = origin_of(&recipe.origin)?;
    let folder = dir(home, &origin);
    files::create_private_dir(&folder).map_err(|source| FileError::Io {
        path: folder.clone(),
        source,
    })?;
    let path = folder.join(recipe.feature.file_name());
    files::replace(
        &path,
        None,
        recipe.to_json().as_bytes(),
        Permissions::Private,
    )?;
    Ok(path)
}

/// Forgets `feature`'s recipe on `origin`; the file removed, or `None` when there was none.
pub fn forget(home: &Path, origin: &Url, feature: Feature) -> Result<Option<PathBuf>, CoreError> {
    let path = file(home, origin, feature);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(Some(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CoreError::io(path.display(), e)),
    }
}

/// The project's recipes, next to the binding so a team shares them in git
/// (`learn --scope project`): `<project>/gopay-miniapp.recipes/<feature>.json`.
pub const PROJECT_DIR: &str = "gopay-miniapp.recipes";

pub fn project_file(project: &Path, feature: Feature) -> PathBuf {
    project.join(PROJECT_DIR).join(feature.file_name())
}

/// Every feature's recipe in the project, checked against `origin` (the binding's portal): one
/// of another origin does not read (`BadRecipe`).
pub fn project_list(project: &Path, origin: &Url) -> Vec<StoredRecipe> {
    Feature::ALL
        .into_iter()
        .map(|feature| {
            let path = project_file(project, feature);
            let recipe = read(&path, origin, feature);
            StoredRecipe {
                feature,
                file: path,
                recipe,
            }
        })
        .collect()
}

/// The content hashes of the project recipes the user confirmed (`<home>/recipes/trusted.json`).
fn trusted_file(home: &Path) -> PathBuf {
    home.join("recipes").join("trusted.json")
}

fn trusted(home: &Path) -> Vec<String> {
    gopay_miniapp_guard::limits::read_file_io(
        &trusted_file(home),
        gopay_miniapp_guard::limits::RECIPE_FILE_MAX,
    )
    .ok()
    .and_then(|bytes| serde_json::from_slice(&bytes).ok())
    .unwrap_or_default()
}

/// Whether the user confirmed this project recipe's content (a changed file is a new hash).
pub fn is_trusted(home: &Path, recipe: &Recipe) -> bool {
    trusted(home).contains(&recipe.content_hash())
}

/// Remembers that the user confirmed `recipe`'s content (before it first runs).
pub fn trust(home: &Path, recipe: &Recipe) -> Result<(), CoreError> {
    let mut hashes = trusted(home);
    let hash = recipe.content_hash();
    if hashes.contains(&hash) {
        return Ok(());
    }
    hashes.push(hash);
    let folder = home.join("recipes");
    files::create_private_dir(&folder).map_err(|source| FileError::Io {
        path: folder.clone(),
        source,
    })?;
    let bytes = serde_json::to_vec_pretty(&hashes).expect("JSON");
    files::replace(&trusted_file(home), None, &bytes, Permissions::Private)?;
    Ok(())
}

/// The project's recipes the portal at `origin` may use: those that read and check against
/// the origin and whose content the user confirmed; the others are left out with a warning
/// (`learn --trust FEATURE` confirms one).
pub fn load_project(home: &Path, project: &Path, origin: &Url) -> Vec<Recipe> {
    project_list(project, origin)
        .into_iter()
        .filter_map(|stored| match stored.recipe? {
            Ok(recipe) if is_trusted(home, &recipe) => Some(recipe),
            Ok(_) => {
                tracing::warn!(
                    "the project recipe {} is not used until you confirm it: gopay-miniapp learn --trust {}",
                    stored.file.display(),
                    stored.feature
                );
                None
            }
            Err(e) => {
                tracing::warn!("the project recipe {} is not used: {e}", stored.file.display());
                None
            }
        })
        .collect()
}

/// Writes `recipe` next to the binding (a project file, the usual mode) and trusts its
/// content: the user just made it.
pub fn save_project(home: &Path, project: &Path, recipe: &Recipe) -> Result<PathBuf, CoreError> {
    let folder = project.join(PROJECT_DIR);
    std::fs::create_dir_all(&folder).map_err(|e| CoreError::io(folder.display(), e))?;
    let path = files::replace(
        &project_file(project, recipe.feature),
        Some(project),
        recipe.to_json().as_bytes(),
        Permissions::Keep,
    )?;
    trust(home, recipe)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gopay_miniapp_recipes::format::{Method, RequestTemplate, Slot, SuccessShape};

    fn recipe(origin: &str, feature: Feature) -> Recipe {
        Recipe {
            format: gopay_miniapp_recipes::format::FORMAT,
            feature,
            origin: origin.into(),
            learned_at: time::OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap(),
            requests: vec![RequestTemplate {
                method: Method::Post,
                path: vec![
                    Slot::Literal {
                        value: serde_json::json!("rest"),
                    },
                    Slot::Literal {
                        value: serde_json::json!("withdraw"),
                    },
                ],
                query: Vec::new(),
                headers: Vec::new(),
                body: None,
                success: SuccessShape {
                    equals: Vec::new(),
                    message: Vec::new(),
                },
            }],
            status_after: None,
            list: None,
            code: None,
        }
    }

    #[test]
    fn a_saved_recipe_reads_back_private_and_only_for_its_origin() {
        let home = tempfile::tempdir().unwrap();
        let origin = Url::parse("http://127.0.0.1:8780").unwrap();
        let saved = save(
            home.path(),
            &recipe("http://127.0.0.1:8780", Feature::Withdraw),
        )
        .unwrap();
        assert_eq!(saved, file(home.path(), &origin, Feature::Withdraw));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&saved), 0o600);
            assert_eq!(mode(&dir(home.path(), &origin)), 0o700);
        }
        let loaded = load(home.path(), &origin);
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].feature, Feature::Withdraw);

        // Copied under another origin's folder, it is not used there.
        let other = Url::parse("http://127.0.0.1:9999").unwrap();
        files::create_private_dir(&dir(home.path(), &other)).unwrap();
        std::fs::copy(&saved, file(home.path(), &other, Feature::Withdraw)).unwrap();
        assert!(load(home.path(), &other).is_empty());
        let listed = list(home.path(), &other);
        let withdraw = listed
            .iter()
            .find(|s| s.feature == Feature::Withdraw)
            .unwrap();
        assert!(matches!(
            withdraw.recipe,
            Some(Err(CoreError::BadRecipe { .. }))
        ));

        assert_eq!(
            forget(home.path(), &origin, Feature::Withdraw).unwrap(),
            Some(saved)
        );
        assert!(load(home.path(), &origin).is_empty());
        assert_eq!(
            forget(home.path(), &origin, Feature::Withdraw).unwrap(),
            None
        );
    }

    #[test]
    fn a_file_under_another_features_name_is_not_used() {
        let home = tempfile::tempdir().unwrap();
        let origin = Url::parse("http://127.0.0.1:8780").unwrap();
        let saved = save(
            home.path(),
            &recipe("http://127.0.0.1:8780", Feature::Withdraw),
        )
        .unwrap();
        std::fs::rename(&saved, file(home.path(), &origin, Feature::Cancel)).unwrap();
        assert!(load(home.path(), &origin).is_empty());
    }

    /// A project recipe is outside data: used only for its origin and once its content is
    /// confirmed; a changed file needs a new confirmation.
    #[test]
    fn a_project_recipe_runs_only_for_its_origin_once_confirmed() {
        let home = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        let origin = Url::parse("http://127.0.0.1:8780").unwrap();
        let made = recipe("http://127.0.0.1:8780", Feature::Withdraw);
        save_project(home.path(), project.path(), &made).unwrap();
        assert_eq!(
            load_project(home.path(), project.path(), &origin),
            vec![made.clone()]
        );

        // Someone else's commit: the same file for another portal is not used here.
        let foreign = recipe("http://127.0.0.1:9999", Feature::Cancel);
        std::fs::write(
            project_file(project.path(), Feature::Cancel),
            foreign.to_json(),
        )
        .unwrap();
        trust(home.path(), &foreign).unwrap();
        assert_eq!(load_project(home.path(), project.path(), &origin).len(), 1);
        let listed = project_list(project.path(), &origin);
        let cancel = listed
            .iter()
            .find(|s| s.feature == Feature::Cancel)
            .unwrap();
        assert!(matches!(
            cancel.recipe,
            Some(Err(CoreError::BadRecipe { .. }))
        ));

        // A changed recipe (another request path) is not used until confirmed again.
        let mut changed = made.clone();
        changed.requests[0].path[1] = Slot::Literal {
            value: serde_json::json!("withdraw2"),
        };
        std::fs::write(
            project_file(project.path(), Feature::Withdraw),
            changed.to_json(),
        )
        .unwrap();
        assert!(load_project(home.path(), project.path(), &origin).is_empty());
        trust(home.path(), &changed).unwrap();
        assert_eq!(
            load_project(home.path(), project.path(), &origin),
            vec![changed]
        );
    }
}
