//! `learn` (issue #22, docs/recipes.md): a console step or list learned from a recording of
//! the user's own portal pages — a HAR file, or live: the portal's pages in a fresh browser
//! with the session, recorded through DevTools until the user is done
//! ([`Portal::record_pages`]) — shown field by field, and saved on confirmation; `learn
//! --list`, `--export` and `--forget`. Both recordings are the same requests to one learner.
//!
//! The step's values are the ones a replay fills in (`superapp::step_values`, the same
//! function), so a placeholder means the same when learned and when replayed. Nothing is
//! saved when the learner refuses (a typed [`CoreError::LearnRefused`], CLI exit 9).

use std::path::{Path, PathBuf};

use gopay_miniapp_guard::text::Shown;
use gopay_miniapp_portal::domain::{StepInput, TargetApp};
use gopay_miniapp_portal::{Backend, Portal, RecordPages};
use gopay_miniapp_recipes::learn::{Literals, Options};
pub use gopay_miniapp_recipes::Feature;
use gopay_miniapp_recipes::{ListExpect, Recipe, Values};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::release::{self, ReleaseRef};
use crate::binding::Binding;
use crate::error::CoreError;
use crate::events::{Confirm, Prompter};
use crate::hint::{Hint, Input};
use crate::recipes;
use crate::Context;

/// What `learn FEATURE` is given besides the recording.
#[derive(Debug, Clone, Default)]
pub struct LearnInputs {
    /// The release the recording acted on (steps).
    pub at: ReleaseRef,
    /// The whitelist's user IDs as recorded.
    pub user_ids: Vec<String>,
    /// The grayscale ratio as recorded.
    pub ratio: Option<u8>,
    /// Lists: the id the recorded answer holds (default: the binding's).
    pub expect: Option<String>,
    /// Lists: the name of that item, as the user confirms it.
    pub name: Option<String>,
    /// Fields whose literal the user accepts under `--yes` (`body.remark`, `2:query.type`).
    pub accept_literals: Vec<String>,
    /// What a field is whose recorded value equals more than one known value ([`parse_choice`]):
    /// the recipe's field name, and the input it is (`None`: a literal).
    pub choices: Vec<(String, Option<gopay_miniapp_recipes::Input>)>,
    /// `--yes`: no question; only short constant literals pass, and the accepted ones.
    pub yes: bool,
    /// Where the recipe is saved.
    pub scope: Scope,
}

/// Where a learned recipe is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    /// Under the tool's home, per portal origin (owner-only).
    #[default]
    User,
    /// Next to the binding (`gopay-miniapp.recipes/`), so a team shares it in git; others
    /// confirm it once per content before it runs.
    Project,
}

/// What `learn` did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LearnResult {
    pub feature: String,
    pub origin: String,
    /// The recipe as shown to the user, field by field (placeholders and literals; never a
    /// session value).
    pub shown: String,
    /// The file written; `None` when the user said no.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved: Option<String>,
}

/// A feature by the name a user types, or the typed refusal listing the names.
pub fn feature(name: &str) -> Result<Feature, CoreError> {
    Feature::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Feature::ALL.iter().map(|f| f.name()).collect();
        CoreError::invalid(
            format!(
                "`{}` is not a feature learn knows: {}",
                Shown(name),
                names.join(", ")
            ),
            Hint::None,
        )
    })
}

/// The portal recipes are learned for: the binding's, which must be a SuperApp console (the
/// native portal does every step through its API).
async fn console(ctx: &Context) -> Result<(std::sync::Arc<dyn Portal>, Binding), CoreError> {
    let binding = Binding::require(&ctx.project)?;
    let portal = ctx.portal().await?;
    if portal.backend() != Backend::Superapp {
        return Err(CoreError::invalid(
            format!(
                "{} is a {} portal: its API does every step, there is nothing to learn",
                portal.base_url(),
                portal.backend()
            ),
            Hint::None,
        ));
    }
    Ok((portal, binding))
}

/// `FIELD=NAME`: the recipe's field (`body.ratio`, `2:query.pageSize`) is the input `NAME`
/// (`ratio`, `space_id`, …) or `literal`.
pub fn parse_choice(
    given: &str,
) -> Result<(String, Option<gopay_miniapp_recipes::Input>), CoreError> {
    let names = || {
        gopay_miniapp_recipes::Input::ALL
            .iter()
            .map(|i| i.name())
            .chain(["literal"])
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (field, name) = given
        .split_once('=')
        .filter(|(f, n)| !f.trim().is_empty() && !n.trim().is_empty())
        .ok_or_else(|| {
            CoreError::invalid(
                format!(
                    "`{}` does not say FIELD=NAME (NAME: {})",
                    gopay_miniapp_guard::text::Line(given),
                    names()
                ),
                Hint::None,
            )
        })?;
    let (field, name) = (field.trim(), name.trim());
    if name == "literal" {
        return Ok((field.to_string(), None));
    }
    match gopay_miniapp_recipes::Input::parse(name) {
        Some(input) => Ok((field.to_string(), Some(input))),
        None => Err(CoreError::invalid(
            format!(
                "`{}` is not a value the learner knows; one of {}",
                gopay_miniapp_guard::text::Line(name),
                names()
            ),
            Hint::None,
        )),
    }
}

/// Where the recording comes from.
pub enum Source<'a> {
    /// A HAR 1.2 file the user saved from their own browser.
    Har(&'a Path),
    /// The portal's pages in a fresh browser, recorded until the user is done.
    Live(Live<'a>),
}

/// A live recording: how the front end shows it and stops it.
pub struct Live<'a> {
    /// A window for the user (else headless: something else drives the browser, a test).
    pub window: bool,
    /// The whole recording, at most.
    pub timeout: std::time::Duration,
    /// Hears when the browser is open on the portal: the front end says what to do there.
    pub opened: &'a (dyn Fn(&LivePage) + Send + Sync),
    /// The user is done (Enter in the terminal). Cancelled here too once the recording ended,
    /// whatever ended it: whoever watches for Enter stops before a question follows.
    pub stop: &'a CancellationToken,
    pub cancel: &'a CancellationToken,
}

/// What the user is asked to do in the browser, typed: the front end words the feature's
/// click path. Learning a step performs it for real on `target_app`.
#[derive(Debug, Clone)]
pub struct LivePage {
    pub feature: Feature,
    /// Where the tab opened.
    pub url: String,
    /// The browser's DevTools address (another client may drive the same browser).
    pub devtools_url: String,
    /// Steps: the release the step is done on.
    pub version: Option<String>,
    pub target_app: Option<TargetApp>,
    /// The whitelist's user IDs, the grayscale ratio to type.
    pub user_ids: Vec<String>,
    pub ratio: Option<u8>,
    /// Lists: the item the list must show.
    pub expect: Option<String>,
}

/// Learns `feature` from `source` and saves it when the user confirms (always under `--yes`,
/// where the learner lets only short constant literals and the accepted ones pass). The
/// step's release and inputs are resolved before a live recording starts, so a missing input
/// is asked for before the user does the real step.
pub async fn learn(
    ctx: &Context,
    feature: Feature,
    source: Source<'_>,
    inputs: &LearnInputs,
    prompter: &dyn Prompter,
) -> Result<LearnResult, CoreError> {
    let (portal, binding) = console(ctx).await?;
    let origin = recipes::origin_of(portal.base_url())?;
    let literals = if inputs.yes {
        Literals::Yes {
            accepted: inputs.accept_literals.clone(),
        }
    } else {
        Literals::Confirm
    };
    let mut options = Options::new(time::OffsetDateTime::now_utc(), literals);
    options.choices = inputs.choices.clone();
    let what = if feature.is_list() {
        // The binding's item by default, with its name when the binding knows one.
        let named =
            |id: &str, name: &str| (Some(id.to_string()), (name != id).then(|| name.to_string()));
        let (values, (default_expect, default_name)) = match feature {
            Feature::Spaces => (
                Values::default(),
                named(&binding.space.id, &binding.space.name),
            ),
            Feature::Apps => (
                Values {
                    space_id: Some(binding.space.id.clone()),
                    ..Values::default()
                },
                named(&binding.app.id, &binding.app.name),
            ),
            _ => (
                Values::default(),
                binding
                    .target_apps
                    .first()
                    .map(|t| named(&t.id, &t.name))
                    .unwrap_or_default(),
            ),
        };
        // A name given with another id than the binding's is the user's; the binding's name
        // goes with the binding's id only.
        let default_name = default_name.filter(|_| inputs.expect.is_none());
        let expect =
            ListExpect {
                id: inputs.expect.clone().or(default_expect).ok_or_else(|| {
                    CoreError::NeedsInput {
                        question: "Which id does the recorded list hold?".into(),
                        input: match feature {
                            Feature::Spaces => Input::Space,
                            Feature::Apps => Input::App,
                            _ => Input::TargetApp,
                        },
                    }
                })?,
                name: inputs.name.clone().or(default_name),
            };
        What::List(values, expect)
    } else {
        let (values, at) =
            step_values(ctx, portal.as_ref(), &binding, feature, inputs, prompter).await?;
        What::Step(values, at)
    };
    let recorded = match source {
        Source::Har(har) => gopay_miniapp_recipes::read_har_file(har)?,
        Source::Live(live) => record(portal.as_ref(), feature, &what, inputs, live).await?,
    };
    let learned = match &what {
        What::List(values, expect) => gopay_miniapp_recipes::learn_list(
            feature, &recorded, &origin, values, expect, &options,
        )?,
        What::Step(values, _) => {
            gopay_miniapp_recipes::learn_step(feature, &recorded, &origin, values, &options)?
        }
    };
    let shown = learned.to_string();
    let save = inputs.yes
        || prompter
            .confirm(&Confirm {
                question: &format!("{shown}\nSave this recipe for {feature}?"),
                input: Input::Confirmation,
                action: "Save",
                destructive: false,
            })
            .await?;
    let saved = match (save, inputs.scope) {
        (false, _) => None,
        (true, Scope::User) => Some(recipes::save(&ctx.home, &learned.recipe)?),
        (true, Scope::Project) => Some(recipes::save_project(
            &ctx.home,
            &ctx.project,
            &learned.recipe,
        )?),
    };
    Ok(LearnResult {
        feature: feature.name().into(),
        origin: learned.recipe.origin.clone(),
        shown,
        saved: saved.map(|p| p.display().to_string()),
    })
}

/// What is learned, with the values the recording is made with.
enum What {
    List(Values, ListExpect),
    Step(Values, StepAt),
}

/// Where a step is done: the release's version (none for a rollback) and target app.
struct StepAt {
    version: Option<String>,
    target: TargetApp,
}

/// The portal's pages in a fresh browser with the session, recorded until the user is done.
async fn record(
    portal: &dyn Portal,
    feature: Feature,
    what: &What,
    inputs: &LearnInputs,
    live: Live<'_>,
) -> Result<Vec<gopay_miniapp_recipes::RecordedRequest>, CoreError> {
    let start = url::Url::parse(&format!("{}/", portal.base_url())).map_err(|e| {
        CoreError::invalid(format!("the portal URL does not parse: {e}"), Hint::None)
    })?;
    let (version, target_app, expect) = match what {
        What::List(_, expect) => (None, None, Some(expect.id.clone())),
        What::Step(_, at) => (at.version.clone(), Some(at.target.clone()), None),
    };
    let page = |url: &str, devtools_url: &str| {
        (live.opened)(&LivePage {
            feature,
            url: url.to_string(),
            devtools_url: devtools_url.to_string(),
            version: version.clone(),
            target_app: target_app.clone(),
            user_ids: inputs.user_ids.clone(),
            ratio: inputs.ratio,
            expect: expect.clone(),
        })
    };
    let recorded = portal
        .record_pages(RecordPages {
            start,
            window: live.window,
            timeout: live.timeout,
            opened: &page,
            stop: live.stop,
            cancel: live.cancel,
        })
        .await;
    live.stop.cancel();
    let recorded = recorded?;
    tracing::debug!(
        requests = recorded.requests.len(),
        left_out = recorded.left_out,
        stopped = ?recorded.stopped,
        "live recording ended"
    );
    Ok(recorded.requests)
}

/// The values the recording was made with: the release's (as a replay fills them in) and the
/// step's own inputs; and where the step is done.
async fn step_values(
    ctx: &Context,
    portal: &dyn Portal,
    binding: &Binding,
    feature: Feature,
    inputs: &LearnInputs,
    prompter: &dyn Prompter,
) -> Result<(Values, StepAt), CoreError> {
    if feature == Feature::Rollback {
        let target = release::resolve_target(
            portal,
            Some(binding),
            inputs.at.target_app.as_deref(),
            prompter,
        )
        .await?;
        let values = Values {
            space_id: Some(binding.space.id.clone()),
            app_id: Some(binding.app.id.clone()),
            channel_code: Some(target.id.clone()),
            ..Values::default()
        };
        return Ok((
            values,
            StepAt {
                version: None,
                target,
            },
        ));
    }
    let resolved = release::resolve(ctx, &inputs.at, prompter).await?;
    let release = resolved.require_release()?;
    let input = match feature {
        Feature::Whitelist => {
            if inputs.user_ids.is_empty() {
                return Err(CoreError::NeedsInput {
                    question: "Which user IDs did the recording send?".into(),
                    input: Input::Users,
                });
            }
            Some(StepInput::Whitelist {
                user_ids: inputs.user_ids.clone(),
            })
        }
        Feature::Grayscale => Some(StepInput::Grayscale {
            ratio: inputs.ratio.ok_or_else(|| CoreError::NeedsInput {
                question: "Which ratio did the recording send?".into(),
                input: Input::Ratio,
            })?,
        }),
        _ => None,
    };
    let values = gopay_miniapp_portal::superapp::step_values(release, input.as_ref())?;
    Ok((
        values,
        StepAt {
            version: Some(release.version.to_string()),
            target: resolved.target.clone(),
        },
    ))
}

/// Where a feature stands on a portal (`learn --list`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecipeState {
    /// The backend does it without a recipe.
    BuiltIn,
    Learned,
    Missing,
    /// A project recipe whose content was not confirmed yet (`learn --trust`).
    Unconfirmed,
    /// A file that does not read as a recipe for this portal, e.g. another origin's:
    /// `problem` says why.
    Unusable,
}

/// One feature as `learn --list` shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeatureState {
    pub feature: String,
    pub state: RecipeState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learned_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LearnList {
    pub portal: String,
    pub features: Vec<FeatureState>,
}

/// Each feature on the bound portal: built in, learned (when, where), missing.
pub async fn list(ctx: &Context) -> Result<LearnList, CoreError> {
    let (portal, _) = console(ctx).await?;
    let origin = recipes::origin_of(portal.base_url())?;
    // Built-in: what the backend does without any recipe.
    let built_in = gopay_miniapp_portal::superapp::capabilities();
    let project = recipes::project_list(&ctx.project, &origin);
    let features = recipes::list(&ctx.home, &origin)
        .into_iter()
        .zip(project)
        .map(|(stored, shared)| {
            // The user's own wins; else the project's, when there is one.
            let (stored, in_project) = match (&stored.recipe, &shared.recipe) {
                (None, Some(_)) => (shared, true),
                _ => (stored, false),
            };
            let cap = gopay_miniapp_portal::superapp::recipe_capability(stored.feature);
            let mut state = FeatureState {
                feature: stored.feature.name().into(),
                state: RecipeState::Missing,
                learned_at: None,
                file: None,
                problem: None,
            };
            match stored.recipe {
                _ if built_in.supports(cap) => state.state = RecipeState::BuiltIn,
                Some(Ok(recipe)) if in_project && !recipes::is_trusted(&ctx.home, &recipe) => {
                    // The front end says how to confirm it (the CLI: `learn --trust`).
                    state.state = RecipeState::Unconfirmed;
                    state.file = Some(stored.file.display().to_string());
                }
                Some(Ok(recipe)) => {
                    state.state = RecipeState::Learned;
                    state.learned_at = recipe
                        .learned_at
                        .format(&time::format_description::well_known::Rfc3339)
                        .ok();
                    state.file = Some(stored.file.display().to_string());
                }
                Some(Err(e)) => {
                    state.state = RecipeState::Unusable;
                    state.file = Some(stored.file.display().to_string());
                    state.problem = Some(e.to_string());
                }
                None => {}
            }
            state
        })
        .collect();
    Ok(LearnList {
        portal: portal.base_url().to_string(),
        features,
    })
}

/// The recipes learned on the bound portal, as stored (they hold no session value), for a bug
/// report.
pub async fn export(ctx: &Context) -> Result<Vec<Recipe>, CoreError> {
    let (portal, _) = console(ctx).await?;
    let origin = recipes::origin_of(portal.base_url())?;
    Ok(recipes::load(&ctx.home, &origin))
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Forgotten {
    pub feature: String,
    /// The file removed; `None` when nothing was learned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
}

/// Forgets `feature`'s recipe on the bound portal.
pub async fn forget(ctx: &Context, feature: Feature) -> Result<Forgotten, CoreError> {
    let (portal, _) = console(ctx).await?;
    let origin = recipes::origin_of(portal.base_url())?;
    let removed: Option<PathBuf> = recipes::forget(&ctx.home, &origin, feature)?;
    Ok(Forgotten {
        feature: feature.name().into(),
        removed: removed.map(|p| p.display().to_string()),
    })
}

/// Confirms the project's recipe of `feature` (outside data: it came with the project) once
/// for its content, after showing it; a changed file needs confirming again.
pub async fn trust(
    ctx: &Context,
    feature: Feature,
    yes: bool,
    prompter: &dyn Prompter,
) -> Result<LearnResult, CoreError> {
    let (portal, _) = console(ctx).await?;
    let origin = recipes::origin_of(portal.base_url())?;
    let file = recipes::project_file(&ctx.project, feature);
    let stored = recipes::project_list(&ctx.project, &origin)
        .into_iter()
        .find(|s| s.feature == feature)
        .and_then(|s| s.recipe);
    let recipe = match stored {
        Some(Ok(recipe)) => recipe,
        Some(Err(e)) => return Err(e),
        None => {
            return Err(CoreError::invalid(
                format!(
                    "the project has no recipe for {feature} ({})",
                    file.display()
                ),
                Hint::None,
            ))
        }
    };
    // The recipe as stored: no session value by construction, shown cleaned.
    let shown = gopay_miniapp_guard::text::Lines(&recipe.to_json()).to_string();
    let ok = yes
        || prompter
            .confirm(&Confirm {
                question: &format!(
                    "{shown}\nUse this project recipe for {feature} on {}?",
                    Shown(&recipe.origin)
                ),
                input: Input::Confirmation,
                action: "Use",
                destructive: false,
            })
            .await?;
    if ok {
        recipes::trust(&ctx.home, &recipe)?;
    }
    Ok(LearnResult {
        feature: feature.name().into(),
        origin: recipe.origin.clone(),
        shown,
        saved: ok.then(|| file.display().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gopay_miniapp_recipes::Input;

    #[test]
    fn a_choice_names_an_input_or_literal() {
        assert_eq!(
            parse_choice("body.ratio=ratio").unwrap(),
            ("body.ratio".to_string(), Some(Input::Ratio))
        );
        assert_eq!(
            parse_choice(" 2:query.pageSize = literal ").unwrap(),
            ("2:query.pageSize".to_string(), None)
        );
        for bad in ["body.ratio", "=ratio", "body.ratio=", "body.ratio=ratios"] {
            let err = parse_choice(bad).unwrap_err();
            assert_eq!(err.code(), crate::codes::INVALID, "{bad}: {err}");
            assert!(err.to_string().contains("space_id"), "{bad}: {err}");
        }
    }
}
