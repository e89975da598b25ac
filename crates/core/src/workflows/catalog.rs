//! Spaces, MiniApps and target apps, and finding one by name or id.

use gopay_miniapp_portal::domain::{MiniApp, Space, TargetApp};
use gopay_miniapp_portal::{Feature, Portal};
use serde::Serialize;

use super::account::known;
use crate::binding::Binding;
use crate::context::Context;
use crate::error::CoreError;
use crate::events::Prompter;
use crate::hint::{Hint, Input};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpaceList {
    pub spaces: Vec<Space>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppList {
    pub space: Space,
    pub apps: Vec<MiniApp>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetAppList {
    pub target_apps: Vec<TargetApp>,
}

pub async fn spaces(ctx: &Context) -> Result<SpaceList, CoreError> {
    let portal = ctx.portal().await?;
    portal
        .capabilities()
        .require(Feature::ListSpaces, portal.base_url())?;
    Ok(SpaceList {
        spaces: portal.spaces().await?,
    })
}

pub async fn target_apps(ctx: &Context) -> Result<TargetAppList, CoreError> {
    let portal = ctx.portal().await?;
    Ok(TargetAppList {
        target_apps: known_target_apps(portal.as_ref(), ctx.binding()?.as_ref()).await?,
    })
}

/// The target apps to release to: the portal's list, or for a portal that cannot list
/// them, the ones given when the project was bound.
pub async fn known_target_apps(
    portal: &dyn Portal,
    binding: Option<&Binding>,
) -> Result<Vec<TargetApp>, CoreError> {
    if portal.capabilities().list_target_apps {
        return Ok(portal.target_apps().await?);
    }
    let given = binding.map(Binding::given_target_apps).unwrap_or_default();
    if given.is_empty() {
        return Err(CoreError::invalid(
            format!(
                "{} cannot list its target apps, and none were given when the project was bound",
                portal.base_url()
            ),
            Hint::Provide {
                input: Input::TargetAppCode,
            },
        ));
    }
    Ok(given)
}

/// Apps of `space` (name or id); without one, the bound space, else asked.
pub async fn apps(
    ctx: &Context,
    space: Option<&str>,
    prompter: &dyn Prompter,
) -> Result<AppList, CoreError> {
    let portal = ctx.portal().await?;
    portal
        .capabilities()
        .require(Feature::ListApps, portal.base_url())?;
    let all = portal.spaces().await?;
    let space = match space {
        Some(s) => pick_named(crate::hint::Named::Space, s, &all, |x| (&x.id, &x.name))?.clone(),
        None => match ctx.binding()? {
            Some(binding) => all
                .iter()
                .find(|s| s.id == binding.space.id)
                .cloned()
                .ok_or_else(|| CoreError::UnknownName {
                    what: crate::hint::Named::Space,
                    given: binding.space.name.clone(),
                    known: known(all.iter().map(|s| s.name.clone())),
                })?,
            None => choose("Which space?", Input::Space, &all, |s| &s.name, prompter)
                .await?
                .clone(),
        },
    };
    let apps = portal.apps(&space.id).await?;
    Ok(AppList { space, apps })
}

/// Finds an item by exact id, else by exact name, else by case-insensitive name.
pub fn pick_named<'a, T>(
    what: crate::hint::Named,
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
            what,
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
    input: Input,
    items: &'a [T],
    label: impl Fn(&T) -> &String,
    prompter: &dyn Prompter,
) -> Result<&'a T, CoreError> {
    match items.len() {
        0 => Err(CoreError::invalid(
            format!("{question} There is nothing to choose from."),
            Hint::AskForAccess,
        )),
        1 => Ok(&items[0]),
        _ => {
            let labels: Vec<String> = items.iter().map(|x| label(x).clone()).collect();
            let index = prompter.choose(question, &labels, input).await?;
            items
                .get(index)
                .ok_or_else(|| CoreError::invalid("the choice is out of range", Hint::None))
        }
    }
}
