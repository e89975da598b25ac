//! `learn`: a console step or list learned from the user's own portal (issue #22,
//! docs/recipes.md): live, in a browser window with the session, where the user does the step
//! while its requests are recorded, or from a HAR file (`--har`); `--list`, `--export`,
//! `--forget`.

use std::time::Duration;

use gopay_miniapp_core::workflows::learn::{
    self, Feature, LearnInputs, LearnResult, Live, LivePage, RecipeState, Scope, Source,
};
use gopay_miniapp_core::workflows::release::ReleaseRef;
use gopay_miniapp_core::{CoreError, Input};
use gopay_miniapp_guard::text::{Line, Shown};
use tokio_util::sync::CancellationToken;

use super::Cx;
use crate::args::{LearnArgs, LearnScope};

pub async fn run(cx: &Cx, args: LearnArgs, yes: bool) -> i32 {
    if args.list {
        let result = learn::list(&cx.ctx).await;
        return cx.finish(result, |l| {
            let mut text = format!("Features on {}:\n", Shown(&l.portal));
            // Outside data (file names, the checker's words), cleaned for the terminal.
            let shown = |v: &Option<String>| {
                v.as_deref()
                    .map(|t| Shown(t).to_string())
                    .unwrap_or_default()
            };
            for f in &l.features {
                let detail = match f.state {
                    RecipeState::Learned => format!(
                        "learned {} ({})",
                        f.learned_at.as_deref().unwrap_or("?"),
                        shown(&f.file)
                    ),
                    RecipeState::Unusable => {
                        format!("not used: {} ({})", shown(&f.problem), shown(&f.file))
                    }
                    RecipeState::BuiltIn => "built in".into(),
                    RecipeState::Unconfirmed => format!(
                        "a project recipe not confirmed yet: gopay-miniapp learn --trust {} ({})",
                        f.feature,
                        shown(&f.file)
                    ),
                    RecipeState::Missing => format!(
                        "missing (learn it: gopay-miniapp learn {} …, or with --har FILE)",
                        f.feature
                    ),
                };
                text.push_str(&format!("  {:<15} {detail}\n", f.feature));
            }
            text.trim_end().to_string()
        });
    }
    if args.export {
        let result = learn::export(&cx.ctx).await;
        // The recipes' JSON as stored: no session value by construction.
        return cx.finish(result, |recipes| {
            let all: Vec<serde_json::Value> = recipes
                .iter()
                .map(|r| serde_json::from_str(&r.to_json()).expect("a recipe is JSON"))
                .collect();
            serde_json::to_string_pretty(&all).expect("JSON")
        });
    }
    let feature = match learn::feature(args.feature.as_deref().unwrap_or_default()) {
        Ok(f) => f,
        Err(e) => return cx.fail(e),
    };
    if args.forget {
        let result = learn::forget(&cx.ctx, feature).await;
        return cx.finish(result, |f| match &f.removed {
            Some(file) => format!("Forgot {} ({} removed)", f.feature, Shown(file)),
            None => format!("Nothing was learned for {}", f.feature),
        });
    }
    if args.trust {
        let result = learn::trust(&cx.ctx, feature, yes, &cx.prompter).await;
        return cx.finish(result, |r| match &r.saved {
            Some(file) => format!(
                "{}Confirmed: {} runs on {}",
                r.shown,
                Shown(file),
                Shown(&r.origin)
            ),
            None => format!("{}Not confirmed: it does not run.", r.shown),
        });
    }
    let choices = match args
        .fields
        .iter()
        .map(|f| learn::parse_choice(f))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(choices) => choices,
        Err(e) => return cx.fail(e),
    };
    let inputs = LearnInputs {
        at: ReleaseRef {
            version: args.version,
            target_app: args.target_app,
        },
        user_ids: args.users,
        ratio: args.ratio,
        expect: args.expect,
        name: args.name,
        accept_literals: args.accept_literals,
        choices,
        yes,
        scope: match args.scope {
            LearnScope::User => Scope::User,
            LearnScope::Project => Scope::Project,
        },
    };
    let result = match &args.har {
        Some(har) => learn::learn(&cx.ctx, feature, Source::Har(har), &inputs, &cx.prompter).await,
        None => live(cx, feature, &inputs).await,
    };
    cx.finish(result, |r| match &r.saved {
        Some(file) => format!("{}Saved: {}", r.shown, Shown(file)),
        None => format!("{}Not saved.", r.shown),
    })
}

/// The test switch: the browser runs headless and its DevTools address is printed, for a test
/// that drives the portal's page over a second DevTools connection as a user would.
pub const HEADLESS_ENV: &str = "GOPAY_MINIAPP_LEARN_HEADLESS";

/// How long a live recording may take.
const LIVE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Live learning: a browser window with the session, on the portal; the user does the step
/// there and presses Enter (or closes the tab). It needs a person: without `--yes` the
/// recipe is confirmed on the terminal, so a run that cannot ask is refused before the
/// browser opens (nothing done on the portal yet).
async fn live(cx: &Cx, feature: Feature, inputs: &LearnInputs) -> Result<LearnResult, CoreError> {
    if !inputs.yes && !crate::terminal::interactive() {
        return Err(CoreError::NeedsInput {
            question: "Live learning shows the recipe for you to confirm on a terminal; without one, pass --yes (Enter or closing the tab still ends the recording), or learn from a HAR file with --har FILE.".into(),
            input: Input::Confirmation,
        });
    }
    let headless = std::env::var(HEADLESS_ENV).is_ok_and(|v| v == "1");
    let stop = CancellationToken::new();
    let done = CancellationToken::new();
    crate::terminal::stop_on_enter(stop.clone(), done.clone());
    let opened = move |page: &LivePage| show_live_page(page, headless);
    let result = learn::learn(
        &cx.ctx,
        feature,
        Source::Live(Live {
            window: !headless,
            timeout: LIVE_TIMEOUT,
            opened: &opened,
            stop: &stop,
            cancel: &cx.cancel,
        }),
        inputs,
        &cx.prompter,
    )
    .await;
    done.cancel();
    result
}

/// What to do in the browser, on stderr: the feature's click path (the console's button
/// labels), that the step is real, and which target app to prefer.
fn show_live_page(page: &LivePage, headless: bool) {
    let target = page
        .target_app
        .as_ref()
        .map(|t| Shown(&t.name).to_string())
        .unwrap_or_default();
    let release = format!(
        "open the release of {} to {target}",
        Shown(page.version.as_deref().unwrap_or("?"))
    );
    let users = page
        .user_ids
        .iter()
        .map(|u| Shown(u).to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let ratio = page.ratio.map(|r| r.to_string()).unwrap_or_default();
    let expect = Shown(page.expect.as_deref().unwrap_or("?")).to_string();
    let todo = match page.feature {
        Feature::Spaces => format!("open the space switcher, so the list of spaces (with {expect}) loads"),
        Feature::Apps => format!("open the space's MiniApp list (it shows {expect})"),
        Feature::TargetApps => format!("open the space's target apps (the list shows {expect})"),
        Feature::Whitelist => format!("{release}, click \"Setting Whitelist\", enter the user IDs {users} in this order, then click \"Start Testing\""),
        Feature::Grayscale => format!("{release}, click \"Set Grayscale\", enter the ratio {ratio}, then click \"Start Grayscale\""),
        Feature::TemporaryCode => format!("{release} and click \"Show Temporary Code\""),
        Feature::Withdraw => format!("{release} and click \"Withdraw\""),
        Feature::Cancel => format!("{release} and click \"Cancel\""),
        Feature::Rollback => format!("open the MiniApp's live release on {target} and click \"Roll Back\""),
    };
    esayln!(
        "A browser window opened on {} with your session (a fresh profile, deleted afterwards).\nThere, as you always do: {todo}.",
        Line(&page.url)
    );
    if !page.feature.is_list() {
        let marked = match page.target_app.as_ref().and_then(|t| t.production) {
            Some(true) => format!(" {target} is marked production: real users get it."),
            _ => String::new(),
        };
        esayln!(
            "Learning performs the REAL step on the portal.{marked} Learn it on a target app that is not production (a staging one) where you can."
        );
    }
    esayln!("Then press Enter here, or close the tab. Only the portal's own requests are recorded, and no cookie or token is kept. (Ctrl-C stops without learning.)");
    if headless {
        // The test switch: a headless browser is driven by someone else.
        esayln!("DevTools: {}", Line(&page.devtools_url));
    }
}
