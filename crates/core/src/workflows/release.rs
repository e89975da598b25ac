//! The release lifecycle from a bound project: release a version to a target app, the
//! temporary code, apply, withdraw, wait for review, whitelist, grayscale, official,
//! cancel, rollback, and the admin's review. Every step is checked against the one
//! lifecycle table before the network, so an illegal step fails fast with the state and
//! the allowed steps (the portal refuses it too).

use std::time::Duration;

use std::sync::Arc;

use gopay_miniapp_portal::domain::{Release, StepInput, StepOutcome, TargetApp, Version};
use gopay_miniapp_portal::lifecycle;
use gopay_miniapp_portal::{
    Feature, NotesAt, Portal, PortalError, ReleaseState, Step, VersionNumber,
};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::account::known;
use super::catalog::{known_target_apps, pick_named};
use super::status::{version_views, Offer, ReleaseView, VersionView};
use crate::binding::Binding;
use crate::context::Context;
use crate::error::CoreError;
use crate::events::{Confirm, Prompter, Reporter};
use crate::hint::{Hint, Input};
use crate::user_ids::UserIds;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionsResult {
    pub app_id: String,
    pub app: String,
    pub versions: Vec<VersionView>,
}

pub async fn versions(ctx: &Context) -> Result<VersionsResult, CoreError> {
    let binding = Binding::require(&ctx.project)?;
    let portal = ctx.portal().await?;
    let app = binding.app_ref();
    let (versions, releases, offer) = tokio::join!(
        portal.versions(&app),
        portal.releases(&app),
        Offer::of(portal.as_ref())
    );
    Ok(VersionsResult {
        app_id: binding.app.id.clone(),
        app: binding.app.name.clone(),
        versions: version_views(portal.as_ref(), &app, &versions?, &releases?, &offer),
    })
}

/// What names one release: a version (`1.0.2`, or `latest`) and a target app (name or id).
/// Front ends deserialize it from their arguments (`{"version", "targetApp"}`).
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseRef {
    /// `x.y.z` or `latest`. Default: asked.
    pub version: Option<String>,
    /// Target app name or id ("GoPay", "GoPay Staging"). Default: asked.
    pub target_app: Option<String>,
}

/// The release a step acts on, with what was resolved to find it.
pub struct Resolved {
    pub portal: Arc<dyn Portal>,
    pub binding: Binding,
    pub version: Version,
    pub target: TargetApp,
    pub release: Option<Release>,
    pub releases: Vec<Release>,
}

pub async fn resolve_version(
    portal: &dyn Portal,
    binding: &Binding,
    given: Option<&str>,
    versions_hint: Option<Vec<Version>>,
    prompter: &dyn Prompter,
) -> Result<Version, CoreError> {
    let versions = match versions_hint {
        Some(v) => v,
        None => portal.versions(&binding.app_ref()).await?,
    };
    if versions.is_empty() {
        return Err(CoreError::invalid(
            "this MiniApp has no versions yet",
            Hint::PublishFirst,
        ));
    }
    let given = match given {
        Some(g) => g.trim().to_string(),
        None => {
            let labels: Vec<String> = versions.iter().map(|v| v.version.to_string()).collect();
            let label =
                super::catalog::choose("Which version?", Input::Version, &labels, |l| l, prompter)
                    .await?;
            return Ok(versions
                .iter()
                .find(|v| &v.version.to_string() == label)
                .cloned()
                .expect("labels come from the versions"));
        }
    };
    if given == "latest" {
        return Ok(versions[0].clone());
    }
    let wanted: Option<VersionNumber> = given.parse().ok();
    versions
        .iter()
        .find(|v| Some(v.version) == wanted || v.id == given)
        .cloned()
        .ok_or_else(|| CoreError::UnknownName {
            what: crate::hint::Named::Version,
            given: given.clone(),
            known: known(versions.iter().take(10).map(|v| v.version.to_string())),
        })
}

pub async fn resolve_target(
    portal: &dyn Portal,
    binding: Option<&Binding>,
    given: Option<&str>,
    prompter: &dyn Prompter,
) -> Result<TargetApp, CoreError> {
    let targets = known_target_apps(portal, binding).await?;
    match given {
        Some(g) => Ok(pick_named(crate::hint::Named::TargetApp, g, &targets, |t| {
            (&t.id, &t.name)
        })?
        .clone()),
        None => Ok(super::catalog::choose(
            "Release to which target app?",
            Input::TargetApp,
            &targets,
            |t| &t.name,
            prompter,
        )
        .await?
        .clone()),
    }
}

/// The release of `version` to `target`: the one not finished if any, else the newest.
pub fn pick_release<'a>(
    releases: &'a [Release],
    version_id: &str,
    target_app_id: &str,
) -> Option<&'a Release> {
    let mut matching: Vec<&Release> = releases
        .iter()
        .filter(|r| r.version_id == version_id && r.target_app_id == target_app_id)
        .collect();
    matching.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    matching
        .iter()
        .find(|r| !r.state.is_terminal())
        .or_else(|| matching.first())
        .copied()
}

pub async fn resolve(
    ctx: &Context,
    reference: &ReleaseRef,
    prompter: &dyn Prompter,
) -> Result<Resolved, CoreError> {
    let binding = Binding::require(&ctx.project)?;
    let portal = ctx.portal().await?;
    let version = resolve_version(
        portal.as_ref(),
        &binding,
        reference.version.as_deref(),
        None,
        prompter,
    )
    .await?;
    let target = resolve_target(
        portal.as_ref(),
        Some(&binding),
        reference.target_app.as_deref(),
        prompter,
    )
    .await?;
    let releases = portal.releases(&binding.app_ref()).await?;
    let release = pick_release(&releases, &version.id, &target.id).cloned();
    Ok(Resolved {
        portal,
        binding,
        version,
        target,
        release,
        releases,
    })
}

impl Resolved {
    /// The release, or a clear error when the version was never released to the target.
    pub fn require_release(&self) -> Result<&Release, CoreError> {
        self.release.as_ref().ok_or_else(|| {
            CoreError::invalid(
                format!(
                    "version {} was not released to \"{}\" yet",
                    self.version.version, self.target.name
                ),
                Hint::ReleaseFirst {
                    version: self.version.version.to_string(),
                    target_app: self.target.name.clone(),
                },
            )
        })
    }

    /// The checks before the network: the portal can take the step at all (its
    /// capabilities), and the lifecycle table allows it in the release's state.
    pub fn check(&self, step: Step) -> Result<&Release, CoreError> {
        check_feature(self.portal.as_ref(), Feature::Step(step))?;
        let release = self.require_release()?;
        lifecycle::check_step(release.state, step, release.context())
            .map_err(|e| CoreError::Portal(PortalError::from(e)))?;
        Ok(release)
    }

    /// Takes a checked step on the portal and says so.
    async fn take(
        &self,
        release: &Release,
        input: StepInput,
        reporter: &dyn Reporter,
    ) -> Result<StepResult, CoreError> {
        let StepOutcome { release, archived } = self.portal.take_step(release, input).await?;
        reporter.changed();
        let mut result = step_result(self, &release).await;
        result.archived_version = archived.map(|r| r.version.to_string());
        Ok(result)
    }

    /// The release live on the target app now.
    pub fn live(&self) -> Option<&Release> {
        self.releases
            .iter()
            .find(|r| r.target_app_id == self.target.id && r.state == ReleaseState::Released)
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    pub app_id: String,
    pub version: String,
    pub version_id: String,
    pub release: ReleaseView,
    /// For official releases and rollbacks: the version that stopped being live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_version: Option<String>,
    /// For rollbacks: the version live again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_version: Option<String>,
}

async fn step_result(resolved: &Resolved, release: &Release) -> StepResult {
    let offer = Offer::of(resolved.portal.as_ref()).await;
    StepResult {
        app_id: resolved.binding.app.id.clone(),
        version: release.version.to_string(),
        version_id: release.version_id.clone(),
        release: ReleaseView::new(release, &offer),
        archived_version: None,
        restored_version: None,
    }
}

/// The typed "not available on this portal" error, before any request.
fn check_feature(portal: &dyn Portal, feature: Feature) -> Result<(), CoreError> {
    Ok(portal.capabilities().require(feature, portal.base_url())?)
}

/// What "Release" is asked to do besides making the release.
#[derive(Debug, Clone, Default)]
pub struct ReleaseOptions<'a> {
    /// Notes for the reviewer, on a portal that takes them when the release is made
    /// ([`NotesAt::Release`]; `None`: the version's description). Refused on others, which
    /// take them at Apply: nothing is shown that would not be sent.
    pub notes: Option<&'a str>,
    /// The step the caller takes right after (e.g. the temporary code): checked against the
    /// portal's capabilities before the release is made, so a step the portal lacks fails
    /// with nothing changed.
    pub then: Option<Step>,
}

/// Refuses notes given where this portal does not take them (`at`: where they were given).
fn check_notes_at(portal: &dyn Portal, at: NotesAt, notes: Option<&str>) -> Result<(), CoreError> {
    let takes = portal.capabilities().release_notes;
    if takes == at || notes.is_none_or(|n| n.trim().is_empty()) {
        return Ok(());
    }
    let when = |at: NotesAt| match at {
        NotesAt::Apply => "at Apply",
        NotesAt::Release => "when the release is made",
    };
    Err(CoreError::invalid(
        format!(
            "{} takes release notes {}, not {}: these notes would not be sent",
            portal.base_url(),
            when(takes),
            when(at)
        ),
        Hint::NotesGoWith { at: takes },
    ))
}

/// "Release": choose the target app → Version Creation.
pub async fn release(
    ctx: &Context,
    reference: &ReleaseRef,
    options: &ReleaseOptions<'_>,
    prompter: &dyn Prompter,
    reporter: &dyn Reporter,
) -> Result<StepResult, CoreError> {
    // What the portal cannot do fails before anything is asked or made.
    let portal = ctx.portal().await?;
    if let Some(then) = options.then {
        check_feature(portal.as_ref(), Feature::Step(then))?;
    }
    check_notes_at(portal.as_ref(), NotesAt::Release, options.notes)?;
    let resolved = resolve(ctx, reference, prompter).await?;
    if let Some(existing) = &resolved.release {
        if !existing.state.is_terminal() {
            return Err(CoreError::invalid(
                format!(
                    "version {} is already released to \"{}\" (state \"{}\")",
                    resolved.version.version, resolved.target.name, existing.state
                ),
                next_hint(existing),
            ));
        }
    }
    let notes = options.notes.map(str::trim).filter(|n| !n.is_empty());
    let created = resolved
        .portal
        .create_release(
            &resolved.binding.app_ref(),
            &resolved.version,
            &resolved.target,
            notes,
        )
        .await?;
    reporter.changed();
    Ok(step_result(&resolved, &created).await)
}

/// What to do next with a release, from the lifecycle table's main road.
pub fn next_hint(release: &Release) -> Hint {
    match lifecycle::next_step(release.state, release.context()) {
        Some(Step::Approve) => Hint::WaitForReview,
        Some(step) => Hint::TakeStep {
            steps: vec![step],
            version: Some(release.version.to_string()),
            target_app: Some(release.target_app_name.clone()),
        },
        None => Hint::ReleaseFinished,
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryCodeResult {
    pub app_id: String,
    pub version: String,
    pub target_app: String,
    pub publish_id: String,
    pub deeplink: String,
    pub expires_at: String,
}

pub async fn temporary_code(
    ctx: &Context,
    reference: &ReleaseRef,
    path: Option<String>,
    prompter: &dyn Prompter,
) -> Result<TemporaryCodeResult, CoreError> {
    let resolved = resolve(ctx, reference, prompter).await?;
    let release = resolved.check(Step::TemporaryCode)?;
    let code = resolved
        .portal
        .temporary_code(release, path.as_deref())
        .await?;
    Ok(TemporaryCodeResult {
        app_id: code.app_id,
        version: resolved.version.version.to_string(),
        target_app: resolved.target.name.clone(),
        publish_id: code.publish_id,
        deeplink: code.deeplink,
        expires_at: code.expires_at,
    })
}

/// "Apply Release": shows the release information, asks to confirm, submits for review.
pub async fn apply(
    ctx: &Context,
    reference: &ReleaseRef,
    notes: Option<&str>,
    prompter: &dyn Prompter,
    reporter: &dyn Reporter,
) -> Result<StepResult, CoreError> {
    let portal = ctx.portal().await?;
    check_notes_at(portal.as_ref(), NotesAt::Apply, notes)?;
    let resolved = resolve(ctx, reference, prompter).await?;
    let release = resolved.check(Step::Apply)?;
    let (notes, shown) = apply_notes(&resolved, release, notes);
    let mut question = format!(
        "Submit {} {} for review on \"{}\"?\n  App: {} ({})\n  Size: {}{}\n  Notes: {}",
        resolved.binding.app.name,
        resolved.version.version,
        resolved.target.name,
        resolved.binding.app.name,
        resolved.binding.app.id,
        crate::project::pack::human_size(resolved.version.size),
        if resolved.version.sha256.is_empty() {
            String::new()
        } else {
            format!(
                ", sha256 {}",
                &resolved.version.sha256[..resolved.version.sha256.len().min(12)]
            )
        },
        gopay_miniapp_guard::text::Line(&shown)
    );
    if let Some(form) = gopay_release_form(resolved.portal.base_url(), release.first_release) {
        question.push_str("\n  ");
        question.push_str(&form);
    }
    let confirm = Confirm {
        input: Input::Confirmation,
        question: &question,
        action: "Submit for Review",
        destructive: false,
    };
    if !prompter.confirm(&confirm).await? {
        return Err(CoreError::Cancelled);
    }
    resolved
        .take(release, StepInput::Apply { notes }, reporter)
        .await
}

/// The notes Apply sends, and how the confirmation shows them. Only what is sent is shown:
/// where notes went in with the release, they are the release's (and Apply sends none).
fn apply_notes(resolved: &Resolved, release: &Release, notes: Option<&str>) -> (String, String) {
    match resolved.portal.capabilities().release_notes {
        NotesAt::Apply => {
            let notes = notes.unwrap_or(&resolved.version.description).to_string();
            let shown = if notes.is_empty() {
                "(none)".to_string()
            } else {
                notes.clone()
            };
            (notes, shown)
        }
        NotesAt::Release => (
            String::new(),
            match release.notes.as_deref().filter(|n| !n.is_empty()) {
                Some(n) => format!("{n} (given when the release was made)"),
                None => "(none were given when the release was made)".into(),
            },
        ),
    }
}

/// GoPay's portals (production and staging), whose docs ask for a form after Apply.
const GOPAY_HOSTS: &[&str] = &["miniapp.midtrans.com", "miniapp.stg.midtrans.com"];

/// Where GoPay documents its release form (no link to the form itself is public).
pub const GOPAY_RELEASE_FORM_DOCS: &str = "https://docs.midtrans.com/reference/miniapp-v1";

/// On a GoPay portal: after Apply Release, GoPay's docs ("GoPay Container V1: Getting
/// Started", [`GOPAY_RELEASE_FORM_DOCS`]) ask merchants to submit "MiniApp Completed" on
/// GoPay's onboarding form, as "New Release" the first time and "Enhancement" after; its QA
/// then tests the MiniApp before the release is approved. Said in the confirmation, since no
/// API does it. `None` on any other portal.
pub fn gopay_release_form(portal: &str, first_release: bool) -> Option<String> {
    let host = gopay_miniapp_guard::url::parse_http(portal)
        .ok()?
        .host_str()?
        .to_ascii_lowercase();
    if !GOPAY_HOSTS.contains(&host.as_str()) {
        return None;
    }
    Some(format!(
        "GoPay also asks for its release form: after this, submit \"MiniApp Completed\" on GoPay's onboarding form, choosing \"{}\" (GoPay's QA tests it before approving). No link to the form is known; the steps are in \"GoPay Container V1: Getting Started\" ({GOPAY_RELEASE_FORM_DOCS}).",
        if first_release { "New Release" } else { "Enhancement" }
    ))
}

/// A step that needs no input beyond the release.
pub async fn simple_step(
    ctx: &Context,
    reference: &ReleaseRef,
    step: Step,
    prompter: &dyn Prompter,
    reporter: &dyn Reporter,
) -> Result<StepResult, CoreError> {
    let resolved = resolve(ctx, reference, prompter).await?;
    let release = resolved.check(step)?;
    let input = match step {
        Step::Withdraw => StepInput::Withdraw,
        Step::Cancel => {
            let question = format!(
                "Cancel the release of {} to \"{}\" (state \"{}\")? This cannot be undone.",
                resolved.version.version, resolved.target.name, release.state
            );
            let confirm = Confirm {
                input: Input::Confirmation,
                question: &question,
                action: "Cancel Release",
                destructive: true,
            };
            if !prompter.confirm(&confirm).await? {
                return Err(CoreError::Cancelled);
            }
            StepInput::Cancel
        }
        other => unreachable!("{other} is not a simple step"),
    };
    resolved.take(release, input, reporter).await
}

pub async fn whitelist(
    ctx: &Context,
    reference: &ReleaseRef,
    users: UserIds,
    prompter: &dyn Prompter,
    reporter: &dyn Reporter,
) -> Result<StepResult, CoreError> {
    let resolved = resolve(ctx, reference, prompter).await?;
    let release = resolved.check(Step::Whitelist)?;
    let input = StepInput::Whitelist {
        user_ids: users.ids,
    };
    resolved.take(release, input, reporter).await
}

pub async fn grayscale(
    ctx: &Context,
    reference: &ReleaseRef,
    ratio: i64,
    prompter: &dyn Prompter,
    reporter: &dyn Reporter,
) -> Result<StepResult, CoreError> {
    // The range is checked before any request (the same rule again below, with the current
    // ratio, once the release is known).
    lifecycle::check_ratio(None, ratio).map_err(PortalError::from)?;
    let resolved = resolve(ctx, reference, prompter).await?;
    let release = resolved.check(Step::Grayscale)?;
    let (current, ratio) = grayscale_ratio(release, ratio)?;
    // It reaches real users of the target app, and the ratio can only go up: confirmed, as
    // Officially Release is (#21 item 21).
    let (version, target) = (&resolved.version.version, &resolved.target.name);
    let question = match current {
        Some(from) => format!(
            "Raise the grayscale of {version} on \"{target}\" from {from}% to {ratio}% of its users? The ratio cannot be lowered again."
        ),
        None => {
            let others = match resolved.live() {
                Some(live) => format!("the others keep {}", live.version),
                None => "nothing is live for the others yet".to_owned(),
            };
            format!(
                "Start the grayscale of {version} on \"{target}\" for {ratio}% of its users ({others})? The ratio can be raised later, not lowered."
            )
        }
    };
    let confirm = Confirm {
        question: &question,
        input: Input::Confirmation,
        action: if current.is_some() {
            "Raise Grayscale"
        } else {
            "Start Grayscale"
        },
        destructive: true,
    };
    if !prompter.confirm(&confirm).await? {
        return Err(CoreError::Cancelled);
    }
    resolved
        .take(release, StepInput::Grayscale { ratio }, reporter)
        .await
}

/// The release's current grayscale ratio (when in grayscale) and `ratio` checked against it.
fn grayscale_ratio(release: &Release, ratio: i64) -> Result<(Option<u8>, u8), CoreError> {
    let current = (release.state == ReleaseState::Grayscale)
        .then_some(release.ratio)
        .flatten();
    let ratio = lifecycle::check_ratio(current, ratio).map_err(PortalError::from)?;
    Ok((current, ratio))
}

/// "Officially Release": confirms, naming the version that will be archived.
pub async fn official(
    ctx: &Context,
    reference: &ReleaseRef,
    prompter: &dyn Prompter,
    reporter: &dyn Reporter,
) -> Result<StepResult, CoreError> {
    let resolved = resolve(ctx, reference, prompter).await?;
    let release = resolved.check(Step::Official)?;
    let question = match resolved.live() {
        Some(live) => format!(
            "Officially release {} to everyone on \"{}\"? {} (live now) will be archived.",
            resolved.version.version, resolved.target.name, live.version
        ),
        None => format!(
            "Officially release {} to everyone on \"{}\"? It is the first release there.",
            resolved.version.version, resolved.target.name
        ),
    };
    let confirm = Confirm {
        input: Input::Confirmation,
        question: &question,
        action: "Release to Everyone",
        destructive: true,
    };
    if !prompter.confirm(&confirm).await? {
        return Err(CoreError::Cancelled);
    }
    resolved.take(release, StepInput::Official, reporter).await
}

/// Brings back the last archived version on a target app; confirms, naming it.
pub async fn rollback(
    ctx: &Context,
    target_app: Option<&str>,
    prompter: &dyn Prompter,
    reporter: &dyn Reporter,
) -> Result<StepResult, CoreError> {
    let RollbackCheck {
        portal,
        binding,
        target,
        live,
        back,
    } = rollback_check(ctx, target_app, prompter).await?;
    let question = format!(
        "Roll back \"{}\" from {} to {}? {} comes back for everyone.",
        target.name, live.version, back.version, back.version
    );
    let confirm = Confirm {
        input: Input::Confirmation,
        question: &question,
        action: "Roll Back",
        destructive: true,
    };
    if !prompter.confirm(&confirm).await? {
        return Err(CoreError::Cancelled);
    }
    let change = portal.rollback(&binding.app_ref(), &target).await?;
    reporter.changed();
    let offer = Offer::of(portal.as_ref()).await;
    Ok(StepResult {
        app_id: binding.app.id.clone(),
        version: change.released.version.to_string(),
        version_id: change.released.version_id.clone(),
        release: ReleaseView::new(&change.released, &offer),
        archived_version: change.archived.map(|r| r.version.to_string()),
        restored_version: Some(change.released.version.to_string()),
    })
}

/// A change `--dry-run` describes instead of making, with the inputs its command takes.
#[derive(Debug, Clone)]
pub enum DryRunOf<'a> {
    Apply { notes: Option<&'a str> },
    Withdraw,
    Whitelist { users: UserIds },
    Grayscale { ratio: i64 },
    Official,
    Cancel,
    TemporaryCode { path: Option<&'a str> },
    Rollback,
}

impl DryRunOf<'_> {
    pub fn step(&self) -> Step {
        match self {
            DryRunOf::Apply { .. } => Step::Apply,
            DryRunOf::Withdraw => Step::Withdraw,
            DryRunOf::Whitelist { .. } => Step::Whitelist,
            DryRunOf::Grayscale { .. } => Step::Grayscale,
            DryRunOf::Official => Step::Official,
            DryRunOf::Cancel => Step::Cancel,
            DryRunOf::TemporaryCode { .. } => Step::TemporaryCode,
            DryRunOf::Rollback => Step::Rollback,
        }
    }
}

/// What a step would do (`--dry-run`): the release it acts on, as the real run would find and
/// check it, and the exact requests it would send, session values named instead of shown.
/// Nothing is sent and no confirmation is asked (a missing version or target app is asked for,
/// as by the step).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DryRun {
    pub step: Step,
    pub app_id: String,
    /// The release's version (a rollback: the one live now).
    pub version: String,
    pub target_app: String,
    /// The release's state now.
    pub state: ReleaseState,
    /// A rollback: the version that would come back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_version: Option<String>,
    pub requests: Vec<gopay_miniapp_portal::PlannedRequest>,
}

/// `--dry-run` of a step: the same resolution and checks as the step itself (capabilities,
/// the lifecycle table, the inputs), then the portal's plan instead of the requests.
pub async fn dry_run(
    ctx: &Context,
    reference: &ReleaseRef,
    of: DryRunOf<'_>,
    prompter: &dyn Prompter,
) -> Result<DryRun, CoreError> {
    use gopay_miniapp_portal::Planned;
    let step = of.step();
    if let DryRunOf::Rollback = of {
        let checked = rollback_check(ctx, reference.target_app.as_deref(), prompter).await?;
        let requests = checked.portal.plan(Planned::Rollback {
            app: &checked.binding.app_ref(),
            target: &checked.target,
        })?;
        return Ok(DryRun {
            step,
            app_id: checked.binding.app.id.clone(),
            version: checked.live.version.to_string(),
            target_app: checked.target.name.clone(),
            state: checked.live.state,
            restored_version: Some(checked.back.version.to_string()),
            requests,
        });
    }
    if let DryRunOf::Apply { notes } = of {
        let portal = ctx.portal().await?;
        check_notes_at(portal.as_ref(), NotesAt::Apply, notes)?;
    }
    if let DryRunOf::Grayscale { ratio } = of {
        lifecycle::check_ratio(None, ratio).map_err(PortalError::from)?;
    }
    let path = match of {
        DryRunOf::TemporaryCode { path } => path,
        _ => None,
    };
    let resolved = resolve(ctx, reference, prompter).await?;
    let release = resolved.check(step)?;
    let input = match of {
        DryRunOf::Apply { notes } => Some(StepInput::Apply {
            notes: apply_notes(&resolved, release, notes).0,
        }),
        DryRunOf::Withdraw => Some(StepInput::Withdraw),
        DryRunOf::Whitelist { users } => Some(StepInput::Whitelist {
            user_ids: users.ids,
        }),
        DryRunOf::Grayscale { ratio } => Some(StepInput::Grayscale {
            ratio: grayscale_ratio(release, ratio)?.1,
        }),
        DryRunOf::Official => Some(StepInput::Official),
        DryRunOf::Cancel => Some(StepInput::Cancel),
        DryRunOf::TemporaryCode { .. } | DryRunOf::Rollback => None,
    };
    // No input: the temporary code (a rollback was planned above).
    let planned = match &input {
        Some(input) => Planned::Step { release, input },
        None => Planned::TemporaryCode { release, path },
    };
    let requests = resolved.portal.plan(planned)?;
    Ok(DryRun {
        step,
        app_id: resolved.binding.app.id.clone(),
        version: release.version.to_string(),
        target_app: resolved.target.name.clone(),
        state: release.state,
        restored_version: None,
        requests,
    })
}

/// What a rollback acts on, checked before the question.
struct RollbackCheck {
    portal: Arc<dyn Portal>,
    binding: Binding,
    target: TargetApp,
    /// Live on the target now.
    live: Release,
    /// Comes back.
    back: Release,
}

/// The checks before a rollback (capability, something live, something to come back).
async fn rollback_check(
    ctx: &Context,
    target_app: Option<&str>,
    prompter: &dyn Prompter,
) -> Result<RollbackCheck, CoreError> {
    let binding = Binding::require(&ctx.project)?;
    let portal = ctx.portal().await?;
    check_feature(portal.as_ref(), Feature::Step(Step::Rollback))?;
    let target = resolve_target(portal.as_ref(), Some(&binding), target_app, prompter).await?;
    let releases = portal.releases(&binding.app_ref()).await?;
    let live = releases
        .iter()
        .find(|r| r.target_app_id == target.id && r.state == ReleaseState::Released)
        .ok_or_else(|| {
            CoreError::invalid(
                format!(
                    "nothing is live on \"{}\", so there is nothing to roll back",
                    target.name
                ),
                Hint::ReleaseOfficiallyFirst,
            )
        })?;
    lifecycle::check_step(live.state, Step::Rollback, live.context()).map_err(PortalError::from)?;
    let mut archived: Vec<&Release> = releases
        .iter()
        .filter(|r| r.target_app_id == target.id && r.state == ReleaseState::Archived)
        .collect();
    archived.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    // Nothing was live here before: a rollback has nothing to bring back. Said before the
    // question, which would otherwise not say what happens.
    // The portal's own refusal (`nothing_to_roll_back`), before the network.
    let back = archived.first().ok_or_else(|| {
        PortalError::Refused(Box::new(gopay_miniapp_portal::Refusal {
            status: 409,
            code: gopay_miniapp_portal::codes::NOTHING_TO_ROLL_BACK.into(),
            message: format!(
                "{} is the first version live on \"{}\": there is no earlier version to roll back to",
                live.version, target.name
            ),
            hint: String::new(),
            retryable: false,
            field: None,
        }))
    })?;
    Ok(RollbackCheck {
        live: live.clone(),
        back: (*back).clone(),
        portal,
        binding,
        target,
    })
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitResult {
    pub version: String,
    pub target_app: String,
    pub approved: bool,
    pub state: ReleaseState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<String>,
}

/// Polls (with backoff up to 10 s) until the release leaves review.
pub async fn wait(
    ctx: &Context,
    reference: &ReleaseRef,
    timeout: Option<Duration>,
    prompter: &dyn Prompter,
    reporter: &dyn Reporter,
    cancel: &CancellationToken,
) -> Result<WaitResult, CoreError> {
    let resolved = resolve(ctx, reference, prompter).await?;
    let release = resolved.require_release()?.clone();
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    let mut delay = Duration::from_millis(250);
    let mut current = release;
    reporter.step(&format!(
        "Waiting for the review of {} on \"{}\"",
        resolved.version.version, resolved.target.name
    ));
    loop {
        match current.state {
            ReleaseState::InReview => {}
            ReleaseState::Rejected => {
                reporter.changed();
                return Ok(WaitResult {
                    version: current.version.to_string(),
                    target_app: resolved.target.name.clone(),
                    approved: false,
                    state: current.state,
                    reject_reason: current.reject_reason.clone(),
                });
            }
            ReleaseState::VersionCreation | ReleaseState::Cancelled => {
                return Err(CoreError::invalid(
                    format!(
                        "the release of {} to \"{}\" is not in review (state \"{}\")",
                        current.version, resolved.target.name, current.state
                    ),
                    Hint::TakeStep {
                        steps: vec![Step::Apply],
                        version: Some(current.version.to_string()),
                        target_app: Some(resolved.target.name.clone()),
                    },
                ));
            }
            _ => {
                reporter.changed();
                return Ok(WaitResult {
                    version: current.version.to_string(),
                    target_app: resolved.target.name.clone(),
                    approved: true,
                    state: current.state,
                    reject_reason: None,
                });
            }
        }
        if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            return Err(CoreError::StillInReview {
                waited: humantime(timeout.unwrap_or_default()),
            });
        }
        tokio::select! {
            _ = cancel.cancelled() => return Err(CoreError::Cancelled),
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(10));
        current = resolved.portal.release(&current).await?;
    }
}

fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Review decisions, taken by a target-app admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// Finds the release in review by app id (or the bound app's name), version and target app.
pub async fn review(
    ctx: &Context,
    decision: Decision,
    app: &str,
    version: &str,
    target_app: &str,
    reason: Option<&str>,
    reporter: &dyn Reporter,
) -> Result<StepResult, CoreError> {
    let step = match decision {
        Decision::Approve => Step::Approve,
        Decision::Reject => Step::Reject,
    };
    let binding = ctx.binding().ok().flatten();
    let portal = ctx.portal().await?;
    check_feature(portal.as_ref(), Feature::Reviews)?;
    check_feature(portal.as_ref(), Feature::Step(step))?;
    let targets = known_target_apps(portal.as_ref(), binding.as_ref()).await?;
    let target = pick_named(crate::hint::Named::TargetApp, target_app, &targets, |t| {
        (&t.id, &t.name)
    })?;
    let app_id = match &binding {
        Some(b) if b.app.name == app || b.app.id == app => b.app.id.clone(),
        _ => app.to_string(),
    };
    let wanted: VersionNumber =
        version
            .parse()
            .map_err(|e: gopay_miniapp_portal::VersionParseError| {
                CoreError::invalid(
                    e.to_string(),
                    Hint::Provide {
                        input: Input::Version,
                    },
                )
            })?;
    let all = portal.reviews(true).await?;
    let release = all
        .iter()
        .filter(|r| r.app_id == app_id && r.version == wanted && r.target_app_id == target.id)
        .max_by(|a, b| a.created_at.cmp(&b.created_at))
        .ok_or_else(|| {
            CoreError::invalid(
                format!(
                    "no release of app {app_id} version {wanted} to \"{}\" is visible to you",
                    target.name
                ),
                Hint::CheckName {
                    what: Some(crate::hint::Named::Version),
                },
            )
        })?;
    // A review is the admin's step: what else the state allows is named for the admin only
    // (never the developers' steps, nor "finished" for a release still being made).
    lifecycle::check_step(release.state, step, release.context()).map_err(|err| match err {
        lifecycle::LifecycleError::IllegalStep { state, step, .. } => {
            PortalError::from(lifecycle::LifecycleError::IllegalStep {
                state,
                step,
                allowed: lifecycle::steps_for_roles(
                    state,
                    release.context(),
                    lifecycle::Roles {
                        developer: false,
                        admin: true,
                    },
                ),
            })
        }
        other => PortalError::from(other),
    })?;
    let input = match decision {
        Decision::Approve => StepInput::Approve,
        Decision::Reject => {
            let reason = reason
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .ok_or_else(|| {
                    CoreError::invalid(
                        "a rejection needs a reason the developer can act on",
                        Hint::Provide {
                            input: Input::Reason,
                        },
                    )
                })?;
            StepInput::Reject {
                reason: reason.to_string(),
            }
        }
    };
    let done = portal.take_step(release, input).await?.release;
    reporter.changed();
    let offer = Offer::of(portal.as_ref()).await;
    Ok(StepResult {
        app_id,
        version: done.version.to_string(),
        version_id: done.version_id.clone(),
        release: ReleaseView::new(&done, &offer),
        archived_version: None,
        restored_version: None,
    })
}
