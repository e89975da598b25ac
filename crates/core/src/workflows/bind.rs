//! Binding a project to a MiniApp ("Select Space & Bind MiniApp").

use gopay_miniapp_portal::domain::AppRef;
use gopay_miniapp_portal::{Feature, PortalError};
use serde::Serialize;

use super::catalog::{choose, pick_named};
use crate::binding::{Binding, GivenTargetApp, NamedRef};
use crate::context::Context;
use crate::error::CoreError;
use crate::events::{Confirm, Prompter, Reporter};
use crate::hint::{Hint, Input, Named};

/// What to bind to; what is missing is asked (or listed) where the portal can.
#[derive(Debug, Clone, Default)]
pub struct BindRequest {
    /// Space name or id (where the portal cannot list spaces: its id, or `NAME=ID` to keep a
    /// name of the user's choosing, shown instead of the id).
    pub space: Option<String>,
    /// MiniApp name or id (where the portal cannot list MiniApps: its id, or `NAME=ID`).
    pub app: Option<String>,
    /// Target apps as name and id (`NAME=CHANNELCODE`, optionally `(production)` or
    /// `(testing)` after it), for portals that cannot list them.
    pub target_apps: Vec<GivenTargetApp>,
    /// Skip the "Rebind?" question (the user already chose to rebind).
    pub rebind: bool,
}

/// Parses `NAME=ID` (a target app given by hand), optionally followed by `(production)` or
/// `(testing)`: whether real users get what is released there is the user's to say, since
/// such a portal cannot tell (`GoPay=1611000000000000000001 (production)`).
pub fn parse_named_ref(text: &str) -> Result<GivenTargetApp, CoreError> {
    let refused = || {
        CoreError::invalid(
            format!(
                "`{text}` is not a target app as NAME=ID, optionally followed by (production) or (testing) (e.g. \"GoPay Staging=1611000000000000000002 (testing)\")"
            ),
            Hint::Provide {
                input: Input::TargetAppCode,
            },
        )
    };
    let (name, rest) = text.split_once('=').ok_or_else(refused)?;
    let rest = rest.trim();
    let (id, production) = match rest.strip_suffix(')').and_then(|r| r.rsplit_once('(')) {
        Some((id, mark)) => match mark.trim().to_ascii_lowercase().as_str() {
            "production" => (id, Some(true)),
            "testing" => (id, Some(false)),
            _ => return Err(refused()),
        },
        None => (rest, None),
    };
    let (name, id) = (name.trim(), id.trim());
    if name.is_empty() || id.is_empty() {
        return Err(refused());
    }
    Ok(GivenTargetApp {
        name: name.to_string(),
        id: id.to_string(),
        production,
    })
}

/// `NAME=ID` or `ID` (a space or MiniApp given by hand): the name, when given, and the id.
/// Split at the last `=`: ids are digits, names may hold anything.
pub fn split_named_id(text: &str) -> (Option<&str>, &str) {
    match text.rsplit_once('=') {
        Some((name, id)) if !name.trim().is_empty() => (Some(name.trim()), id.trim()),
        Some((_, id)) => (None, id.trim()),
        None => (None, text.trim()),
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BindResult {
    pub binding: Binding,
    /// False when the project was bound already and the user kept that binding.
    pub changed: bool,
    pub file: String,
    /// What was given and could not be checked on the portal (no route for it): each front
    /// end says so. On the SuperApp console: `targetAppCode` (no observed route reads a
    /// target app's channel code; a wrong one shows at the first release).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<Input>,
}

pub async fn bind(
    ctx: &Context,
    request: &BindRequest,
    prompter: &dyn Prompter,
    reporter: &dyn Reporter,
) -> Result<BindResult, CoreError> {
    let file = Binding::path(&ctx.project).display().to_string();
    // A binding belongs next to a package.json: publish bumps and builds it. Refused before
    // any question or request, so nothing is asked in vain.
    if !ctx.project.join("package.json").is_file() {
        return Err(CoreError::NoPackageJson {
            project: ctx.project.display().to_string(),
        });
    }
    let existing = ctx.binding()?;
    if let Some(existing) = existing.as_ref().filter(|_| !request.rebind) {
        let question = format!(
            "This project is bound to \"{}\" in \"{}\". Rebind it to another MiniApp?",
            existing.app.name, existing.space.name
        );
        let confirm = Confirm {
            input: Input::Confirmation,
            question: &question,
            action: "Rebind",
            destructive: false,
        };
        if !prompter.confirm(&confirm).await? {
            return Ok(BindResult {
                binding: existing.clone(),
                changed: false,
                file,
                unchecked: Vec::new(),
            });
        }
    }
    let url = ctx.portal_url()?;
    let backend = match ctx.backend_override {
        Some(backend) => backend,
        None => super::detect::detect_backend(&url).await?,
    };
    let portal = ctx.portal_for(&url, backend).await?;
    let caps = portal.capabilities().clone();
    let (space, app) = if caps.list_spaces && caps.list_apps {
        let spaces = portal.spaces().await?;
        let space = match &request.space {
            Some(given) => pick_named(crate::hint::Named::Space, given, &spaces, |s| {
                (&s.id, &s.name)
            })?,
            None => {
                choose(
                    "Select a space",
                    Input::Space,
                    &spaces,
                    |s| &s.name,
                    prompter,
                )
                .await?
            }
        };
        let apps = portal.apps(&space.id).await?;
        let app = match &request.app {
            Some(given) => pick_named(crate::hint::Named::App, given, &apps, |a| (&a.id, &a.name))?,
            None => {
                choose(
                    &format!("Select the MiniApp in \"{}\" to bind", space.name),
                    Input::App,
                    &apps,
                    |a| &a.name,
                    prompter,
                )
                .await?
            }
        };
        (
            NamedRef {
                id: space.id.clone(),
                name: space.name.clone(),
            },
            NamedRef {
                id: app.id.clone(),
                name: app.name.clone(),
            },
        )
    } else {
        // No lists on this portal: the ids are given, as the portal's pages show them, each
        // with a name of the user's when given (else the id stands for its name).
        let old_name = |id: &str, of: fn(&Binding) -> &NamedRef| {
            existing
                .as_ref()
                .map(of)
                .filter(|r| r.id == id && r.name != r.id)
                .map(|r| r.name.clone())
        };
        let id_of = |given: &Option<String>,
                     input: Input,
                     feature: Feature,
                     of: fn(&Binding) -> &NamedRef| {
            let given = given.as_deref().map(str::trim).filter(|s| !s.is_empty());
            let given = given.ok_or_else(|| CoreError::NeedsInput {
                question: format!("{} cannot be listed on {url}: which id?", feature),
                input,
            })?;
            let (name, id) = split_named_id(given);
            portal.check_id(id)?;
            Ok::<_, CoreError>(NamedRef {
                id: id.to_string(),
                name: name
                    .map(str::to_string)
                    .or_else(|| old_name(id, of))
                    .unwrap_or_else(|| id.to_string()),
            })
        };
        let space = id_of(&request.space, Input::Space, Feature::ListSpaces, |b| {
            &b.space
        })?;
        let app = id_of(&request.app, Input::App, Feature::ListApps, |b| &b.app)?;
        check_app_in_space(portal.as_ref(), &url, &space, &app).await?;
        (space, app)
    };
    let mut target_apps = request.target_apps.clone();
    let mut unchecked = Vec::new();
    if !caps.list_target_apps {
        if target_apps.is_empty() {
            if let Some(old) = existing.as_ref().filter(|old| old.app.id == app.id) {
                target_apps = old.target_apps.clone();
            }
        }
        if target_apps.is_empty() {
            return Err(CoreError::NeedsInput {
                question: format!(
                    "{url} cannot list its target apps: which ones do you release to?"
                ),
                input: Input::TargetAppCode,
            });
        }
        for target in &target_apps {
            portal.check_id(&target.id)?;
        }
        unchecked.push(Input::TargetAppCode);
    } else if !target_apps.is_empty() {
        return Err(CoreError::invalid(
            "target apps are listed by this portal; they cannot be given by hand",
            Hint::None,
        ));
    }
    let mut binding = Binding::new(&url, backend, space, app);
    binding.target_apps = target_apps;
    binding.build_command = crate::binding::detect_build_command(&ctx.project);
    // Rebinding changes where we publish, not how the project builds.
    if let Some(old) = existing {
        binding.build_command = old.build_command;
        binding.output_dir = old.output_dir;
        binding.bump = old.bump;
        binding.size_budget = old.size_budget;
        binding.include_source_maps = old.include_source_maps;
        binding.bx_v = old.bx_v;
    }
    binding.write(&ctx.project)?;
    reporter.changed();
    Ok(BindResult {
        binding,
        changed: true,
        file,
        unchecked,
    })
}

/// On a portal without lists, the MiniApp and its space are checked together before the
/// binding is written: the versions query (an OBSERVED route) takes both ids and refuses a
/// MiniApp that does not exist, is not in that space, or is not the user's to see.
async fn check_app_in_space(
    portal: &dyn gopay_miniapp_portal::Portal,
    url: &str,
    space: &NamedRef,
    app: &NamedRef,
) -> Result<(), CoreError> {
    let app_ref = AppRef {
        space_id: space.id.clone(),
        app_id: app.id.clone(),
    };
    match portal.latest_version(&app_ref).await {
        Ok(_) => Ok(()),
        Err(
            err @ (PortalError::NotFound { .. }
            | PortalError::Forbidden { .. }
            | PortalError::Refused(_)),
        ) => Err(CoreError::invalid(
            format!(
                "{url} has no MiniApp {} in space {} that you can see (its versions query with both ids answered: {err})",
                app.id, space.id
            ),
            Hint::CheckName {
                what: Some(Named::App),
            },
        )),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 21 item 6: production is what the user says when binding by ids (the portal
    /// cannot tell); without a word it stays unknown.
    #[test]
    fn a_target_app_given_by_hand_says_production_only_when_the_user_does() {
        let given = |text: &str| parse_named_ref(text).unwrap();
        assert_eq!(
            given("GoPay=1611000000000000000001 (production)"),
            GivenTargetApp {
                name: "GoPay".into(),
                id: "1611000000000000000001".into(),
                production: Some(true),
            }
        );
        assert_eq!(
            given(" GoPay Staging = 1611000000000000000002(Testing) ").production,
            Some(false)
        );
        let plain = given("GoPay=1611000000000000000001");
        assert_eq!(
            (plain.id.as_str(), plain.production),
            ("1611000000000000000001", None)
        );
        for bad in [
            "GoPay",
            "=1",
            "GoPay=",
            "GoPay=1 (live)",
            "GoPay=(production)",
        ] {
            let err = parse_named_ref(bad).unwrap_err();
            assert_eq!(err.code(), "invalid", "{bad}");
        }
        // The binding carries it to the portal's type, which the editors mark from.
        let mut binding = Binding::new(
            "https://console.example",
            gopay_miniapp_portal::Backend::Superapp,
            NamedRef {
                id: "1".into(),
                name: "s".into(),
            },
            NamedRef {
                id: "2".into(),
                name: "a".into(),
            },
        );
        binding.target_apps = vec![given("GoPay=3 (production)"), given("Other=4")];
        let targets = binding.given_target_apps();
        assert_eq!(targets[0].production, Some(true));
        assert_eq!(targets[1].production, None);
    }
}
