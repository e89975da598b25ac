//! Spaces, MiniApps and target apps, and finding one by name or id.

use gopay_miniapp_portal::types::{MiniApp, Space, TargetApp};
use serde::Serialize;

use super::account::known;
use crate::context::Context;
use crate::error::CoreError;
use crate::events::Prompter;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceList {
    pub spaces: Vec<Space>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppList {
    pub space: Space,
    pub apps: Vec<MiniApp>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetAppList {
    pub target_apps: Vec<TargetApp>,
}

pub async fn spaces(ctx: &Context) -> Result<SpaceList, CoreError> {
    Ok(SpaceList {
        spaces: ctx.client().await?.spaces().await?,
    })
}

pub async fn target_apps(ctx: &Context) -> Result<TargetAppList, CoreError> {
    Ok(TargetAppList {
        target_apps: ctx.client().await?.target_apps().await?,
    })
}

/// Apps of `space` (name or id); without one, the bound space, else asked.
pub async fn apps(
    ctx: &Context,
    space: Option<&str>,
    prompter: &dyn Prompter,
) -> Result<AppList, CoreError> {
    let client = ctx.client().await?;
    let all = client.spaces().await?;
    let space = match space {
        Some(s) => pick_named("space", s, &all, |x| (&x.id, &x.name))?.clone(),
        None => match ctx.binding()? {
            Some(binding) => all
                .iter()
                .find(|s| s.id == binding.space.id)
                .cloned()
                .ok_or_else(|| CoreError::UnknownName {
                    what: "space".into(),
                    given: binding.space.name.clone(),
                    known: known(all.iter().map(|s| s.name.clone())),
                })?,
            None => choose("Which space?", "--space", &all, |s| &s.name, prompter)
                .await?
                .clone(),
        },
    };
    let apps = client.apps(&space.id).await?;
    Ok(AppList { space, apps })
}

/// Finds an item by exact id, else by exact name, else by case-insensitive name.
pub fn pick_named<'a, T>(
    what: &str,
    given: &str,
    items: &'a [T],
    key: impl Fn(&T) -> (&String, &String),
) -> Result<&'a T, CoreError> {
    let given_trim = given.trim();
    items
        .iter()
        .find(|x| key(x).0 == given_trim)
        .or_else(|| items.iter().find(|x| key(x).1 == given_trim))
        .or_else(|| {
            let mut matches = items
                .iter()
                .filter(|x| key(x).1.eq_ignore_ascii_case(given_trim));
            let first = matches.next();
            // Ambiguous case-insensitive matches fall through to "unknown".
            first.filter(|_| matches.next().is_none())
        })
        .ok_or_else(|| CoreError::UnknownName {
            what: what.into(),
            given: given.into(),
            known: known(items.iter().map(|x| {
                let (id, name) = key(x);
                format!("\"{name}\" ({id})")
            })),
        })
}

/// Asks to choose one of `items` (one item is chosen without asking).
pub async fn choose<'a, T>(
    question: &str,
    flag: &str,
    items: &'a [T],
    label: impl Fn(&T) -> &String,
    prompter: &dyn Prompter,
) -> Result<&'a T, CoreError> {
    match items.len() {
        0 => Err(CoreError::invalid(
            format!("{question} There is nothing to choose from."),
            "ask an owner on the portal to give you access",
        )),
        1 => Ok(&items[0]),
        _ => {
            let labels: Vec<String> = items.iter().map(|x| label(x).clone()).collect();
            let index = prompter.choose(question, &labels, flag).await?;
            items
                .get(index)
                .ok_or_else(|| CoreError::invalid("the choice is out of range", ""))
        }
    }
}
