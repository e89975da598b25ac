//! One snapshot of everything a front end shows: account, binding, versions with each
//! target app's release state and the next legal step. The sidecar pushes it after every
//! change (`miniapp/didChangeStatus`); `gopay-miniapp status` prints it.

use gopay_miniapp_portal::domain::{AppRef, Release, TargetApp, User, Version};
use gopay_miniapp_portal::lifecycle::{self, Roles};
use gopay_miniapp_portal::{Backend, Capabilities, Portal, PortalPage, ReleaseState, Step};
use serde::Serialize;

use crate::binding::Binding;
use crate::context::Context;
use crate::error::{CoreError, ErrorReport, HintWords};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub username: String,
    pub display_name: String,
    /// `token` (GOPAY_MINIAPP_TOKEN) or `session`.
    pub via: &'static str,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseView {
    pub release_id: String,
    pub target_app: String,
    pub target_app_id: String,
    pub state: ReleaseState,
    /// The state's word on every surface of ours (`lifecycle::STATE_WORDS`).
    pub state_label: &'static str,
    /// The portal's own words for the state, when it has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whitelist: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
    pub publish_id: String,
    pub first_release: bool,
    /// Steps to offer now: legal in the state (the lifecycle table), the user's to take
    /// (roles), and possible on this portal (its capabilities).
    pub allowed_steps: Vec<Step>,
    /// The allowed steps that take the release to another state (`lifecycle::changes_state`):
    /// not setting the whitelist again, raising the grayscale or a temporary code. Editors
    /// offer these first where they have room for few (a row's hover icons).
    pub state_changing_steps: Vec<Step>,
    /// The one step on the main road, for releases in flight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<Step>,
    /// Waiting on a target-app admin's review ([`ReleaseState::awaits_review`]): editors
    /// offer to wait, and the sidecar re-reads the status until it changes.
    pub awaits_review: bool,
}

/// What the user may do with releases, on this portal: who they are and what it can do.
#[derive(Debug, Clone)]
pub struct Offer {
    pub user: Option<User>,
    pub capabilities: Capabilities,
}

impl Offer {
    pub async fn of(portal: &dyn Portal) -> Self {
        Offer {
            // Backends that cannot say who is logged in still let the user develop.
            user: portal.me().await.ok(),
            capabilities: portal.capabilities().clone(),
        }
    }

    /// A member of the MiniApp's space develops it; admins of the target app review.
    pub fn roles(&self, release: &Release) -> Roles {
        Roles {
            developer: true,
            admin: self
                .user
                .as_ref()
                .is_some_and(|u| u.administers(&release.target_app_id)),
        }
    }

    pub fn steps(&self, release: &Release) -> Vec<Step> {
        lifecycle::offered_steps(
            release.state,
            release.context(),
            self.roles(release),
            &self.capabilities,
        )
    }
}

impl ReleaseView {
    pub fn new(r: &Release, offer: &Offer) -> Self {
        let allowed = offer.steps(r);
        ReleaseView {
            release_id: r.id.clone(),
            target_app: r.target_app_name.clone(),
            target_app_id: r.target_app_id.clone(),
            state: r.state,
            state_label: r.state.name(),
            status_text: r.status_text.clone(),
            // A ratio means something only while the release is in grayscale: once released,
            // archived (after a rollback) or cancelled it would read as a live share.
            ratio: r.ratio.filter(|_| r.state == ReleaseState::Grayscale),
            // Likewise the whitelist: it is who sees the version while it is tested, not
            // who sees it once it is released to everyone or archived.
            whitelist: (!r.whitelist.is_empty() && r.state.is_testing())
                .then(|| r.whitelist.clone()),
            reject_reason: r.reject_reason.clone(),
            publish_id: r.publish_id.clone(),
            first_release: r.first_release,
            allowed_steps: allowed.clone(),
            state_changing_steps: allowed
                .into_iter()
                .filter(|step| lifecycle::changes_state(r.state, *step))
                .collect(),
            next_step: lifecycle::next_step(r.state, r.context())
                .filter(|step| offer.capabilities.steps.contains(step)),
            awaits_review: r.state.awaits_review(),
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    pub version: String,
    pub version_id: String,
    pub created_at: String,
    pub description: String,
    /// The description is this tool's default ("Published with gopay-miniapp x.y.z"): it
    /// tells a reviewer nothing, so editors prefill nothing from it.
    pub description_is_default: bool,
    pub size: u64,
    pub sha256: String,
    pub releases: Vec<ReleaseView>,
    /// The version's page on the portal's own web UI, where the backend knows it (Open on
    /// Portal); absent: the MiniApp's page or the portal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

/// Versions newest first, each with its releases (one per target app, newest first) and its
/// page on the portal.
pub fn version_views(
    portal: &dyn Portal,
    app: &AppRef,
    versions: &[Version],
    releases: &[Release],
    offer: &Offer,
) -> Vec<VersionView> {
    versions
        .iter()
        .map(|v| VersionView {
            page: portal.page_url(PortalPage::Version {
                app,
                version_id: &v.id,
            }),
            version: v.version.to_string(),
            version_id: v.id.clone(),
            created_at: v.created_at.clone(),
            description: v.description.clone(),
            description_is_default: crate::workflows::publish::is_default_description(
                &v.description,
            ),
            size: v.size,
            sha256: v.sha256.clone(),
            releases: releases
                .iter()
                .filter(|r| r.version_id == v.id)
                .map(|r| {
                    let mut view = ReleaseView::new(r, offer);
                    // Roll Back brings the last archived release back: with none on this
                    // target app (the first release that went live) it is not offered.
                    if !has_archived(releases, &r.target_app_id) {
                        view.allowed_steps.retain(|s| *s != Step::Rollback);
                    }
                    view
                })
                .collect(),
        })
        .collect()
}

/// Whether a release on `target_app_id` is archived (what a rollback would bring back).
pub fn has_archived(releases: &[Release], target_app_id: &str) -> bool {
    releases
        .iter()
        .any(|r| r.target_app_id == target_app_id && r.state == ReleaseState::Archived)
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetAppStatus {
    pub target_app: String,
    pub target_app_id: String,
    /// The version live on this target app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_version: Option<String>,
    /// The release between In review and Live, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<InFlight>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InFlight {
    pub version: String,
    pub state: ReleaseState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<Step>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusSnapshot {
    /// The portal this project's commands talk to (core's one rule); absent when nothing
    /// names one yet (no binding, no setting, no login): the front end asks, offering the
    /// presets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal: Option<String>,
    /// Why that portal: `given` (this request's `portal`), `binding`, `setting`, `lastLogin`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal_from: Option<crate::context::PortalFrom>,
    /// The binding's portal when a given portal disagrees with it (this request only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_elsewhere: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<Backend>,
    /// What this portal can do: front ends offer nothing else.
    pub capabilities: Capabilities,
    pub project: String,
    pub logged_in: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// Why the portal could not be asked (session expired, portal down…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<ErrorReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<Binding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<String>,
    pub versions: Vec<VersionView>,
    /// The bound MiniApp's page on the portal's own web UI, where the backend knows it (Open
    /// on Portal); absent: `portal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_page: Option<String>,
    pub target_apps: Vec<TargetAppStatus>,
    /// What an interrupted publish left and what was done about it (found by this snapshot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered: Option<crate::journal::Recovery>,
    /// The CLI's exit code for `problem` (the error's own category).
    #[serde(skip)]
    #[schemars(skip)]
    pub problem_exit_code: Option<i32>,
}

/// Never fails for "not logged in" or "portal down": those are part of the snapshot, as a
/// problem whose hint is in the caller's `words`.
pub async fn status(ctx: &Context, words: HintWords<'_>) -> Result<StatusSnapshot, CoreError> {
    // A publish that died in this project is put right before anything is shown.
    let (recovered, recovery_problem) = match crate::journal::recover(ctx).await {
        Ok(recovered) => (recovered, None),
        Err(e) => (None, Some(e.report(words))),
    };
    // One read of the binding answers every question below.
    let binding = ctx.binding();
    let bound = binding.as_ref().ok().and_then(Option::as_ref);
    let choice = match ctx.portal_choice_of(bound) {
        Ok(choice) => choice,
        // Nothing names a portal yet: nothing can be asked of one, and none is assumed.
        Err(CoreError::NoPortal) => {
            return Ok(StatusSnapshot {
                portal: None,
                portal_from: None,
                bound_elsewhere: None,
                backend: None,
                capabilities: Capabilities::default(),
                project: ctx.project.display().to_string(),
                logged_in: false,
                account: None,
                problem_exit_code: recovery_problem
                    .as_ref()
                    .map(|_| crate::error::exit::PREFLIGHT),
                problem: recovery_problem,
                binding: None,
                latest_version: None,
                versions: vec![],
                app_page: None,
                target_apps: vec![],
                recovered,
            })
        }
        Err(e) => return Err(e),
    };
    let url = choice.url.clone();
    let backend = ctx.backend_of(&url, bound).unwrap_or_default();
    let portal = ctx.portal_of(&url, backend, bound).await?;
    let mut snapshot = StatusSnapshot {
        portal: Some(url.clone()),
        portal_from: Some(choice.from),
        bound_elsewhere: choice.bound_elsewhere,
        backend: Some(backend),
        capabilities: portal.capabilities().clone(),
        project: ctx.project.display().to_string(),
        logged_in: false,
        account: None,
        problem: None,
        binding: None,
        latest_version: None,
        versions: vec![],
        app_page: None,
        target_apps: vec![],
        recovered,
        problem_exit_code: None,
    };
    if let Some(problem) = recovery_problem {
        snapshot.problem = Some(problem);
        snapshot.problem_exit_code = Some(crate::error::exit::PREFLIGHT);
        return Ok(snapshot);
    }
    let binding = match binding {
        Ok(b) => b,
        Err(e) => {
            snapshot.problem = Some(e.report(words));
            snapshot.problem_exit_code = Some(e.exit_code());
            return Ok(snapshot);
        }
    };
    snapshot.binding = binding.clone();
    if ctx.env_token.is_none() && ctx.credentials().get(&url)?.is_none() {
        return Ok(snapshot);
    }
    if let Err(e) = fill(portal.as_ref(), ctx, binding.as_ref(), &mut snapshot).await {
        snapshot.problem = Some(e.report(words));
        snapshot.problem_exit_code = Some(e.exit_code());
    }
    Ok(snapshot)
}

async fn fill(
    portal: &dyn Portal,
    ctx: &Context,
    binding: Option<&Binding>,
    snapshot: &mut StatusSnapshot,
) -> Result<(), CoreError> {
    let me = portal.me().await?;
    snapshot.logged_in = true;
    snapshot.account = Some(Account {
        username: me.username.clone(),
        display_name: me.display_name.clone(),
        via: if ctx.env_token.is_some() {
            "token"
        } else {
            "session"
        },
    });
    let Some(binding) = binding else {
        return Ok(());
    };
    let offer = Offer {
        user: Some(me),
        capabilities: portal.capabilities().clone(),
    };
    let app = binding.app_ref();
    let (versions, releases, targets) = tokio::try_join!(
        async { Ok::<_, CoreError>(portal.versions(&app).await?) },
        async { Ok::<_, CoreError>(portal.releases(&app).await?) },
        super::catalog::known_target_apps(portal, Some(binding))
    )?;
    snapshot.latest_version = versions.first().map(|v| v.version.to_string());
    snapshot.target_apps = target_statuses(&targets, &releases);
    snapshot.versions = version_views(portal, &app, &versions, &releases, &offer);
    snapshot.app_page = portal.page_url(PortalPage::App(&app));
    Ok(())
}

pub fn target_statuses(targets: &[TargetApp], releases: &[Release]) -> Vec<TargetAppStatus> {
    targets
        .iter()
        .map(|t| {
            let of_target = releases.iter().filter(|r| r.target_app_id == t.id);
            let live = of_target
                .clone()
                .find(|r| r.state == ReleaseState::Released)
                .map(|r| r.version.to_string());
            let in_flight = of_target
                .clone()
                .find(|r| r.state.is_in_flight())
                .map(|r| InFlight {
                    version: r.version.to_string(),
                    state: r.state,
                    next_step: lifecycle::next_step(r.state, r.context()),
                });
            TargetAppStatus {
                target_app: t.name.clone(),
                target_app_id: t.id.clone(),
                live_version: live,
                in_flight,
            }
        })
        .collect()
}
