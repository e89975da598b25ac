//! `learn`: a console step or list learned from a HAR recording of the user's own portal
//! (issue #22, docs/recipes.md); `--list`, `--export`, `--forget`.

use gopay_miniapp_core::workflows::learn::{self, LearnInputs, RecipeState, Scope};
use gopay_miniapp_core::workflows::release::ReleaseRef;
use gopay_miniapp_guard::text::Shown;

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
                    RecipeState::Missing => {
                        "missing (learn it: gopay-miniapp learn FEATURE --har FILE)".into()
                    }
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
    let har = args.har.expect("clap requires --har");
    let result = learn::learn(&cx.ctx, feature, &har, &inputs, &cx.prompter).await;
    cx.finish(result, |r| match &r.saved {
        Some(file) => format!("{}Saved: {}", r.shown, Shown(file)),
        None => format!("{}Not saved.", r.shown),
    })
}
