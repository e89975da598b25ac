//! Replaying the route recipes learned on this console (issue #22, `docs/recipes.md`): the
//! steps and lists the observed API lacks, done the way the user's own console pages do them.
//! Templating and the success checks are `crates/recipes::replay`'s (pure); this sends the
//! prepared requests through [`Http::send_learned`] (the recipe's origin only, the current
//! session cookie) and turns answers into domain values or typed errors.

use std::collections::BTreeMap;

use gopay_miniapp_recipes::replay::{self, Code, ListItem};
use gopay_miniapp_recipes::{Context, Feature as RecipeFeature, Recipe, Values};
use serde_json::Value;

use super::envelope;
use super::http::Http;
use crate::backend::{Capabilities, Feature, PlannedHeader, PlannedRequest};
use crate::error::PortalError;
use crate::lifecycle::Step;

/// The recipe feature of a lifecycle step, for the steps a recipe can make.
pub(crate) fn recipe_feature(step: Step) -> Option<RecipeFeature> {
    Some(match step {
        Step::Whitelist => RecipeFeature::Whitelist,
        Step::Grayscale => RecipeFeature::Grayscale,
        Step::TemporaryCode => RecipeFeature::TemporaryCode,
        Step::Rollback => RecipeFeature::Rollback,
        Step::Withdraw => RecipeFeature::Withdraw,
        Step::Cancel => RecipeFeature::Cancel,
        _ => return None,
    })
}

/// The capability a recipe gives.
pub fn capability(feature: RecipeFeature) -> Feature {
    match feature {
        RecipeFeature::Whitelist => Feature::Step(Step::Whitelist),
        RecipeFeature::Grayscale => Feature::Step(Step::Grayscale),
        RecipeFeature::TemporaryCode => Feature::Step(Step::TemporaryCode),
        RecipeFeature::Rollback => Feature::Step(Step::Rollback),
        RecipeFeature::Withdraw => Feature::Step(Step::Withdraw),
        RecipeFeature::Cancel => Feature::Step(Step::Cancel),
        RecipeFeature::Spaces => Feature::ListSpaces,
        RecipeFeature::Apps => Feature::ListApps,
        RecipeFeature::TargetApps => Feature::ListTargetApps,
    }
}

/// The `learn` feature that would make `capability` on a console (`None`: nothing learnable),
/// for the words of a "not available" error: front ends name `gopay-miniapp learn NAME`.
pub fn learnable(capability: Feature) -> Option<&'static str> {
    RecipeFeature::ALL
        .into_iter()
        .find(|f| self::capability(*f) == capability)
        .map(RecipeFeature::name)
}

/// The recipes this portal replays, one per feature.
#[derive(Default)]
pub(crate) struct Learned {
    recipes: BTreeMap<RecipeFeature, Recipe>,
}

/// The answers of a step's requests, in order (JSON, and the last one's bytes for a code that
/// is an image).
pub(crate) struct Answers {
    pub json: Vec<Value>,
    pub last_body: Vec<u8>,
}

impl Learned {
    /// The recipes for `base_url`'s origin (one of another origin is left out with a warning:
    /// core reads them checked against the origin, so this is a second line).
    pub fn new(base_url: &str, recipes: Vec<Recipe>) -> Self {
        let origin = url::Url::parse(base_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        let mut map = BTreeMap::new();
        for recipe in recipes {
            let same = url::Url::parse(&recipe.origin)
                .is_ok_and(|u| u.origin().ascii_serialization() == origin);
            if same {
                map.insert(recipe.feature, recipe);
            } else {
                tracing::warn!(
                    "the {} recipe was learned on another origin; not used on {origin}",
                    recipe.feature
                );
            }
        }
        Learned { recipes: map }
    }

    pub fn get(&self, feature: RecipeFeature) -> Option<&Recipe> {
        self.recipes.get(&feature)
    }

    pub fn has_step(&self, step: Step) -> bool {
        recipe_feature(step).is_some_and(|f| self.recipes.contains_key(&f))
    }

    /// Adds what the recipes make to `caps`, each marked learned (a built-in stays built-in).
    pub fn extend(&self, caps: &mut Capabilities) {
        for feature in self.recipes.keys() {
            let cap = capability(*feature);
            if caps.supports(cap) {
                continue;
            }
            match cap {
                Feature::Step(step) => caps.steps.push(step),
                Feature::ListSpaces => caps.list_spaces = true,
                Feature::ListApps => caps.list_apps = true,
                Feature::ListTargetApps => caps.list_target_apps = true,
                _ => continue,
            }
            caps.learned.push(cap);
        }
        // The steps in the lifecycle's order, as for a built-in portal.
        caps.steps
            .sort_by_key(|s| Step::ALL.iter().position(|a| a == s));
    }

    /// Sends every request of `feature`'s recipe in order, each answer checked against the
    /// recorded success; a failure says which request failed and what was already done.
    pub async fn run(
        &self,
        http: &Http,
        feature: RecipeFeature,
        values: &Values,
    ) -> Result<Answers, PortalError> {
        let recipe = self.require(http, feature)?;
        let mut answers = Answers {
            json: Vec::new(),
            last_body: Vec::new(),
        };
        for index in 0..recipe.requests.len() {
            let prepared = prepare(http, recipe, index, values, &answers.json, None)
                .map_err(|e| template_error(feature, index, e))?;
            tracing::debug!("learned {feature}, request {}: {:?}", index + 1, prepared);
            let (status, body) = http
                .send_learned(&prepared)
                .await
                .map_err(|e| half_way(e, feature, index, recipe.requests.len()))?;
            let answer = replay::check_answer(recipe, index, status, &body)
                .map_err(|e| answer_error(http, status, &body, e))?;
            answers.json.push(answer);
            answers.last_body = body;
        }
        Ok(answers)
    }

    /// Every item of `feature`'s list recipe, page after page.
    pub async fn list(
        &self,
        http: &Http,
        feature: RecipeFeature,
        values: &Values,
    ) -> Result<Vec<ListItem>, PortalError> {
        let recipe = self.require(http, feature)?;
        let mut items = Vec::new();
        let mut page = replay::first_page(recipe);
        loop {
            let prepared = prepare(http, recipe, 0, values, &[], page)
                .map_err(|e| template_error(feature, 0, e))?;
            let (status, body) = http.send_learned(&prepared).await?;
            let answer = replay::check_answer(recipe, 0, status, &body)
                .map_err(|e| answer_error(http, status, &body, e))?;
            let found = replay::list_items(recipe, &answer).map_err(|e| PortalError::Learned {
                message: e.to_string(),
            })?;
            let on_page = found.len();
            items.extend(found);
            match page.and_then(|p| replay::next_page(recipe, p, &answer, on_page, items.len())) {
                Some(next) => page = Some(next),
                None => break,
            }
        }
        Ok(items)
    }

    /// Every request of `feature`'s recipe as `--dry-run` shows it (nothing is sent): the
    /// session cookie and values echoed from it named, not shown; a value a later request
    /// takes from an earlier answer named by where it comes from.
    pub fn plan(
        &self,
        http: &Http,
        feature: RecipeFeature,
        values: &Values,
    ) -> Result<Vec<PlannedRequest>, PortalError> {
        let recipe = self.require(http, feature)?;
        let requests = with_context(http, values, |ctx| replay::dry_run(recipe, ctx))
            .map_err(|e| template_error(feature, 0, e))?;
        Ok(requests
            .into_iter()
            .map(|request| {
                let mut headers = vec![session_cookie()];
                headers.extend(
                    request
                        .headers
                        .into_iter()
                        .map(|(name, value)| PlannedHeader::new(name, value)),
                );
                PlannedRequest {
                    method: request.method.to_string(),
                    url: http.origin_url(&request.path_and_query),
                    headers,
                    body: request.body,
                    learned: true,
                }
            })
            .collect())
    }

    /// The code a temporary code recipe's answers give.
    pub fn code(&self, answers: &Answers) -> Result<Code, PortalError> {
        let recipe = self
            .get(RecipeFeature::TemporaryCode)
            .expect("called after run");
        let last = answers.json.last().cloned().unwrap_or(Value::Null);
        replay::temporary_code(recipe, &last, &answers.last_body).map_err(|e| {
            PortalError::Learned {
                message: e.to_string(),
            }
        })
    }

    fn require(&self, http: &Http, feature: RecipeFeature) -> Result<&Recipe, PortalError> {
        self.get(feature).ok_or_else(|| PortalError::NotAvailable {
            feature: capability(feature),
            portal: http.base_url().to_string(),
        })
    }
}

/// The `Cookie` header of a planned request: the session's, named.
pub(crate) fn session_cookie() -> PlannedHeader {
    PlannedHeader::new("cookie", "<session cookie>")
}

/// Request `index` of `recipe` filled in with the session's cookies as they are now (a
/// synchronous step: the templating's context is not held across a send).
fn prepare(
    http: &Http,
    recipe: &Recipe,
    index: usize,
    values: &Values,
    answers: &[Value],
    page: Option<i64>,
) -> Result<replay::Prepared, gopay_miniapp_recipes::TemplateError> {
    with_context(http, values, |ctx| {
        replay::prepare(recipe, index, ctx, answers, page)
    })
}

/// The templating's context: `values`, the session's cookies as they are now, the configured
/// `Bx-V` and the time.
fn with_context<T>(http: &Http, values: &Values, then: impl FnOnce(&Context<'_>) -> T) -> T {
    let cookie = |name: &str| http.cookie_value(name);
    then(&Context {
        values,
        cookie: &cookie,
        bx_v: http.bx_v(),
        now: time::OffsetDateTime::now_utc(),
    })
}

fn template_error(
    feature: RecipeFeature,
    index: usize,
    err: gopay_miniapp_recipes::TemplateError,
) -> PortalError {
    let done = match index {
        0 => "nothing was sent".to_string(),
        1 => "request 1 had been made and was accepted (it is not undone)".into(),
        n => format!("requests 1 to {n} had been made and were accepted (they are not undone)"),
    };
    PortalError::Learned {
        message: format!("{feature} (learned): {err}; {done}"),
    }
}

/// A request that could not be sent after earlier ones of the same step were accepted: the
/// error says so (a network failure of request 1 is just that).
fn half_way(err: PortalError, feature: RecipeFeature, index: usize, of: usize) -> PortalError {
    if index == 0 {
        return err;
    }
    PortalError::Learned {
        message: format!(
            "{feature} (learned): request {} of {of} failed: {err}; {}",
            index + 1,
            if index == 1 {
                "request 1 had been made and was accepted (it is not undone)".to_string()
            } else {
                format!(
                    "requests 1 to {index} had been made and were accepted (they are not undone)"
                )
            }
        ),
    }
}

/// An answer that is not the recorded success: a lost session is the console's own typed
/// error (log in again); anything else is the portal's message, typed as a learned step's.
fn answer_error(http: &Http, status: u16, body: &[u8], err: replay::AnswerError) -> PortalError {
    if let Err(e) = envelope::decode(status, body, &http.url("")) {
        if e.is_auth() {
            return e;
        }
    }
    PortalError::Learned {
        message: format!(
            "{err} (if the console's page changed, learn the step again: `gopay-miniapp learn`)"
        ),
    }
}
