//! The release lifecycle, as one table.
//!
//! A *release* is one version of a MiniApp released to one target app. [`TRANSITIONS`] is
//! the single source of truth for which step is legal in which state and who may take it.
//! The local portal enforces it; clients use it to offer only legal next steps and to fail
//! before the network with a message that names the state and the allowed steps.
//!
//! Rules that need more than the release's own state also live here:
//! - the first release of a MiniApp to a target app may only go straight to official
//!   ([`Transition::not_on_first_release`]);
//! - the grayscale ratio is 1–100 and only goes up ([`check_ratio`]);
//! - only one release per (MiniApp, target app) is in flight ([`ReleaseState::is_in_flight`]).

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseState {
    VersionCreation,
    InReview,
    Rejected,
    PilotTest,
    WhitelistTesting,
    Grayscale,
    Released,
    Archived,
    Cancelled,
    /// A state the portal reports that no table of ours places (a console status word this
    /// client does not know): kept and shown with the portal's own word
    /// ([`crate::domain::Release::status_text`]), never guessed, and no step is offered on it.
    Unknown,
}

impl ReleaseState {
    pub const ALL: [ReleaseState; 10] = [
        ReleaseState::VersionCreation,
        ReleaseState::InReview,
        ReleaseState::Rejected,
        ReleaseState::PilotTest,
        ReleaseState::WhitelistTesting,
        ReleaseState::Grayscale,
        ReleaseState::Released,
        ReleaseState::Archived,
        ReleaseState::Cancelled,
        ReleaseState::Unknown,
    ];

    /// The states a portal holds: [`Self::ALL`] but [`ReleaseState::Unknown`], which is this
    /// client's word for a status no table places (the emulators never hold it).
    pub const PLACED: [ReleaseState; 9] = {
        // `ALL` lists Unknown last; the test `placed_states_are_all_but_unknown` keeps it so.
        let mut placed = [ReleaseState::VersionCreation; 9];
        let mut i = 0;
        while i < placed.len() {
            placed[i] = Self::ALL[i];
            i += 1;
        }
        placed
    };

    /// The wire name (`version_creation`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseState::VersionCreation => "version_creation",
            ReleaseState::InReview => "in_review",
            ReleaseState::Rejected => "rejected",
            ReleaseState::PilotTest => "pilot_test",
            ReleaseState::WhitelistTesting => "whitelist_testing",
            ReleaseState::Grayscale => "grayscale",
            ReleaseState::Released => "released",
            ReleaseState::Archived => "archived",
            ReleaseState::Cancelled => "cancelled",
            ReleaseState::Unknown => "unknown",
        }
    }

    /// Our word for the state, the one every front end shows (CLI, sidecar, editors):
    /// [`STATE_WORDS`].
    pub fn name(self) -> &'static str {
        self.words().name
    }

    /// The words GoPay's portal UI uses ("Version Creation", "Submit for Review", "Pilot
    /// test", …): only the portal's own pages (and the emulators of them) show these.
    pub fn label(self) -> &'static str {
        self.words().portal_label
    }

    /// What the state means, in a sentence (tooltips, help).
    pub fn meaning(self) -> &'static str {
        self.words().meaning
    }

    /// `"Not submitted" (the portal's "Version Creation")`: our word, quoted, with the
    /// portal's where it differs (messages that both the portal and our tools show).
    pub fn quoted(self) -> String {
        let w = self.words();
        if w.name == w.portal_label {
            format!("\"{}\"", w.name)
        } else {
            format!("\"{}\" (the portal's \"{}\")", w.name, w.portal_label)
        }
    }

    /// This state's row of [`STATE_WORDS`].
    pub fn words(self) -> &'static StateWords {
        STATE_WORDS
            .iter()
            .find(|w| w.state == self)
            .expect("every state has a row in STATE_WORDS")
    }

    /// Between In review and Live: at most one such release per
    /// (MiniApp, target app).
    pub fn is_in_flight(self) -> bool {
        matches!(
            self,
            ReleaseState::InReview
                | ReleaseState::PilotTest
                | ReleaseState::WhitelistTesting
                | ReleaseState::Grayscale
        )
    }

    /// Whitelist testing or grayscale: only some users see the version (the whitelist, a
    /// share), so the whitelist and the ratio say something about it only now.
    pub fn is_testing(self) -> bool {
        matches!(
            self,
            ReleaseState::WhitelistTesting | ReleaseState::Grayscale
        )
    }

    /// Waiting on someone else (a target-app admin's review): what happens next can be waited
    /// for (`wait`, the sidecar's polling, the editor's Wait for Review).
    pub fn awaits_review(self) -> bool {
        matches!(self, ReleaseState::InReview)
    }

    /// No step leads anywhere from here.
    pub fn is_terminal(self) -> bool {
        matches!(self, ReleaseState::Archived | ReleaseState::Cancelled)
    }
}

impl fmt::Display for ReleaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A state's words: ours, the portal's, and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateWords {
    pub state: ReleaseState,
    /// Our word, on every surface of ours (CLI, sidecar, editors).
    pub name: &'static str,
    /// The portal UI's word, for telling the user what the portal's pages call it.
    pub portal_label: &'static str,
    /// What the state means for users of the target app.
    pub meaning: &'static str,
}

const fn words(
    state: ReleaseState,
    name: &'static str,
    portal_label: &'static str,
    meaning: &'static str,
) -> StateWords {
    StateWords {
        state,
        name,
        portal_label,
        meaning,
    }
}

/// THE vocabulary of release states: one word per state on every surface of ours (the
/// portal's labels read like buttons — "Submit for Review" — or say nothing to a developer —
/// "Pilot test"), with the portal's word beside it. The sidecar exports this table to the
/// editors (`releaseStates` of the command table), so they read the same words by state id.
pub const STATE_WORDS: &[StateWords] = &[
    words(
        ReleaseState::VersionCreation,
        "Not submitted",
        "Version Creation",
        "created on the target app; not submitted for review and not live",
    ),
    words(
        ReleaseState::InReview,
        "In review",
        "Submit for Review",
        "waiting for the target app's administrator to approve or reject it",
    ),
    words(
        ReleaseState::Rejected,
        "Rejected",
        "Rejected",
        "the target app's administrator rejected it; not live",
    ),
    words(
        ReleaseState::PilotTest,
        "Approved",
        "Pilot test",
        "approved by the target app's administrator; not live yet",
    ),
    words(
        ReleaseState::WhitelistTesting,
        "Whitelist test",
        "Whitelist testing",
        "live for the whitelisted users only",
    ),
    words(
        ReleaseState::Grayscale,
        "Grayscale",
        "Grayscale",
        "live for a share of the users",
    ),
    words(
        ReleaseState::Released,
        "Live",
        "Released",
        "live for everyone",
    ),
    words(
        ReleaseState::Archived,
        "Archived",
        "Archived",
        "replaced by a newer release; no longer live",
    ),
    words(
        ReleaseState::Cancelled,
        "Cancelled",
        "Cancelled",
        "cancelled; it never went live to everyone",
    ),
    words(
        ReleaseState::Unknown,
        "Unknown state",
        // The portal's own word is the release's `status_text`, shown beside this one.
        "Unknown state",
        "the portal reports a state this tool does not know; its own word says what it is, and its pages what can be done",
    ),
];

impl std::str::FromStr for ReleaseState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReleaseState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("unknown release state `{s}`"))
    }
}

/// A step someone takes on a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Show the temporary code (QR) of an unreleased release; changes nothing.
    TemporaryCode,
    /// "Apply Release": confirm the release information and submit for review.
    Apply,
    /// Take a release out of review, back to Version Creation.
    Withdraw,
    Approve,
    Reject,
    /// Set the whitelist user IDs and start (or update) whitelist testing.
    Whitelist,
    /// Start grayscale with a ratio, or raise the ratio.
    Grayscale,
    /// "Officially Release": everyone gets it; the live version is archived.
    Official,
    Cancel,
    /// Bring back the last archived version on this target app.
    Rollback,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::TemporaryCode,
        Step::Apply,
        Step::Withdraw,
        Step::Approve,
        Step::Reject,
        Step::Whitelist,
        Step::Grayscale,
        Step::Official,
        Step::Cancel,
        Step::Rollback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::TemporaryCode => "temporary_code",
            Step::Apply => "apply",
            Step::Withdraw => "withdraw",
            Step::Approve => "approve",
            Step::Reject => "reject",
            Step::Whitelist => "whitelist",
            Step::Grayscale => "grayscale",
            Step::Official => "official",
            Step::Cancel => "cancel",
            Step::Rollback => "rollback",
        }
    }

    /// Our name for the step, as a phrase in a sentence ("setting a whitelist is not
    /// available on this portal"): the vocabulary of our tools, not the portal's labels
    /// ([`Step::label`]).
    pub fn name(self) -> &'static str {
        match self {
            Step::TemporaryCode => "the temporary code",
            Step::Apply => "applying for review",
            Step::Withdraw => "withdrawing from review",
            Step::Approve => "approving a release",
            Step::Reject => "rejecting a release",
            Step::Whitelist => "setting a whitelist",
            Step::Grayscale => "grayscale",
            Step::Official => "the official release",
            Step::Cancel => "cancelling a release",
            Step::Rollback => "rolling back",
        }
    }

    /// The words the portal UI uses for the step.
    pub fn label(self) -> &'static str {
        match self {
            Step::TemporaryCode => "Show Temporary Code",
            Step::Apply => "Apply Release",
            Step::Withdraw => "Withdraw",
            Step::Approve => "Approve",
            Step::Reject => "Reject",
            Step::Whitelist => "Whitelist Test",
            Step::Grayscale => "Grayscale",
            Step::Official => "Officially Release",
            Step::Cancel => "Cancel Release",
            Step::Rollback => "Rollback",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who takes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// A member of the MiniApp's space.
    Developer,
    /// An administrator of the target app.
    TargetAppAdmin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: ReleaseState,
    pub step: Step,
    pub to: ReleaseState,
    pub actor: Actor,
    /// Refused while no version of the MiniApp was ever officially released to the target
    /// app (the first release may only go official).
    pub not_on_first_release: bool,
    /// The one step of the main road from `from` (what "next:" hints name).
    pub main_road: bool,
}

const fn t(from: ReleaseState, step: Step, to: ReleaseState, actor: Actor) -> Transition {
    Transition {
        from,
        step,
        to,
        actor,
        not_on_first_release: false,
        main_road: false,
    }
}

/// A transition on the main road (publish → apply → approve → official).
const fn main(from: ReleaseState, step: Step, to: ReleaseState, actor: Actor) -> Transition {
    Transition {
        main_road: true,
        ..t(from, step, to, actor)
    }
}

const fn later(from: ReleaseState, step: Step, to: ReleaseState) -> Transition {
    Transition {
        not_on_first_release: true,
        ..t(from, step, to, Actor::Developer)
    }
}

use Actor::{Developer as Dev, TargetAppAdmin as Admin};
use ReleaseState::*;

/// THE lifecycle table (DOMAIN.md "Release lifecycle"). Archiving (a newer official
/// release on the same target app) is done by the system and is not a step.
pub const TRANSITIONS: &[Transition] = &[
    t(VersionCreation, Step::TemporaryCode, VersionCreation, Dev),
    main(VersionCreation, Step::Apply, InReview, Dev),
    t(VersionCreation, Step::Cancel, Cancelled, Dev),
    t(InReview, Step::TemporaryCode, InReview, Dev),
    main(InReview, Step::Approve, PilotTest, Admin),
    t(InReview, Step::Reject, Rejected, Admin),
    t(InReview, Step::Withdraw, VersionCreation, Dev),
    t(Rejected, Step::TemporaryCode, Rejected, Dev),
    // Re-apply after fixing what the reviewer named.
    main(Rejected, Step::Apply, InReview, Dev),
    t(Rejected, Step::Cancel, Cancelled, Dev),
    t(PilotTest, Step::TemporaryCode, PilotTest, Dev),
    later(PilotTest, Step::Whitelist, WhitelistTesting),
    later(PilotTest, Step::Grayscale, Grayscale),
    main(PilotTest, Step::Official, Released, Dev),
    t(PilotTest, Step::Cancel, Cancelled, Dev),
    t(WhitelistTesting, Step::TemporaryCode, WhitelistTesting, Dev),
    // Setting the whitelist again replaces the user IDs.
    later(WhitelistTesting, Step::Whitelist, WhitelistTesting),
    later(WhitelistTesting, Step::Grayscale, Grayscale),
    main(WhitelistTesting, Step::Official, Released, Dev),
    t(WhitelistTesting, Step::Cancel, Cancelled, Dev),
    // Raising the ratio; [`check_ratio`] keeps it going up only.
    later(Grayscale, Step::Grayscale, Grayscale),
    main(Grayscale, Step::Official, Released, Dev),
    t(Grayscale, Step::Cancel, Cancelled, Dev),
    // The live release steps down; the last archived one comes back (see [`rollback_restores`]).
    t(Released, Step::Rollback, Archived, Dev),
];

/// The state a rollback puts the restored (previously archived) release into.
pub const fn rollback_restores() -> (ReleaseState, ReleaseState) {
    (Archived, Released)
}

/// Facts beyond the release's own state that decide what is legal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseContext {
    /// No version of this MiniApp was ever officially released to this target app.
    pub first_release: bool,
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error(
        "cannot {step} a release in state {}; allowed now: {}",
        state.quoted(),
        list(*state, allowed)
    )]
    IllegalStep {
        state: ReleaseState,
        step: Step,
        allowed: Vec<Step>,
    },
    #[error("the first release of a MiniApp to a target app may only go straight to official; {step} is possible from the second release on")]
    FirstReleaseOfficialOnly {
        state: ReleaseState,
        step: Step,
        allowed: Vec<Step>,
    },
    #[error("{}", match actor {
        Actor::TargetAppAdmin => format!("only a target-app administrator may {step} a release"),
        Actor::Developer => format!("only developers of the MiniApp's space may {step} a release"),
    })]
    WrongRole { step: Step, actor: Actor },
    #[error("the grayscale ratio must be a whole percentage from 1 to 100, not {requested}")]
    RatioOutOfRange { requested: i64 },
    /// A ratio that is not a whole number at all: `given` is what was sent, as sent (cut
    /// when long), never a number made from it (issue #20 item 29: `"50"` was echoed as -1,
    /// 1e308 as 9223372036854775807).
    #[error("the grayscale ratio {given} is not a whole percentage from 1 to 100")]
    RatioNotANumber { given: String },
    #[error("the grayscale ratio only goes up: it is {current}% now, so {requested}% is refused")]
    RatioNotHigher { current: u8, requested: u8 },
}

/// The steps allowed now, in words. An empty list is "finished" only when no step leads
/// anywhere from the state; otherwise the steps are someone else's (an admin asked to
/// approve a release still in Version Creation was told it is finished: issue #20 item 26).
fn list(state: ReleaseState, steps: &[Step]) -> String {
    if steps.is_empty() {
        return if state.is_terminal() {
            "nothing (this release is finished)".to_string()
        } else if state.awaits_review() {
            "nothing of yours (it waits for a target-app administrator's review)".to_string()
        } else {
            "nothing of yours (it waits for the MiniApp's developers)".to_string()
        };
    }
    steps
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Steps legal in `state` given the context, for any actor.
pub fn allowed_steps(state: ReleaseState, ctx: ReleaseContext) -> Vec<Step> {
    TRANSITIONS
        .iter()
        .filter(|tr| tr.from == state && !(tr.not_on_first_release && ctx.first_release))
        .map(|tr| tr.step)
        .collect()
}

/// Does `step` take a release in `state` to another state? Setting the whitelist again,
/// raising the grayscale or showing a temporary code leave it where it is; editors offer the
/// steps that move a release on before those.
pub fn changes_state(state: ReleaseState, step: Step) -> bool {
    TRANSITIONS
        .iter()
        .any(|tr| tr.from == state && tr.step == step && tr.to != state)
}

/// Checks a step against the table and returns the state it leads to.
pub fn check_step(
    state: ReleaseState,
    step: Step,
    ctx: ReleaseContext,
) -> Result<ReleaseState, LifecycleError> {
    let allowed = allowed_steps(state, ctx);
    match TRANSITIONS
        .iter()
        .find(|tr| tr.from == state && tr.step == step)
    {
        Some(tr) if tr.not_on_first_release && ctx.first_release => {
            Err(LifecycleError::FirstReleaseOfficialOnly {
                state,
                step,
                allowed,
            })
        }
        Some(tr) => Ok(tr.to),
        None => Err(LifecycleError::IllegalStep {
            state,
            step,
            allowed,
        }),
    }
}

/// The roles a user holds on one release: a member of the MiniApp's space develops it; an
/// administrator of the target app reviews releases to it. One user may hold both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Roles {
    pub developer: bool,
    pub admin: bool,
}

impl Roles {
    pub const DEVELOPER: Roles = Roles {
        developer: true,
        admin: false,
    };

    pub fn holds(self, actor: Actor) -> bool {
        match actor {
            Actor::Developer => self.developer,
            Actor::TargetAppAdmin => self.admin,
        }
    }
}

/// Who takes `step` from `state` (the actor rule), when the table has that transition.
pub fn actor_of(state: ReleaseState, step: Step) -> Option<Actor> {
    TRANSITIONS
        .iter()
        .find(|tr| tr.from == state && tr.step == step)
        .map(|tr| tr.actor)
}

/// Like [`check_step`], and also checks that someone with `roles` may take it.
pub fn check_step_by(
    state: ReleaseState,
    step: Step,
    ctx: ReleaseContext,
    roles: Roles,
) -> Result<ReleaseState, LifecycleError> {
    let to = check_step(state, step, ctx)?;
    match actor_of(state, step) {
        Some(actor) if !roles.holds(actor) => Err(LifecycleError::WrongRole { step, actor }),
        _ => Ok(to),
    }
}

/// Steps legal in `state` that someone with `roles` may take.
pub fn steps_for_roles(state: ReleaseState, ctx: ReleaseContext, roles: Roles) -> Vec<Step> {
    TRANSITIONS
        .iter()
        .filter(|tr| {
            tr.from == state
                && roles.holds(tr.actor)
                && !(tr.not_on_first_release && ctx.first_release)
        })
        .map(|tr| tr.step)
        .collect()
}

/// What to offer a user: legal in the state, theirs to take, and possible on the backend.
pub fn offered_steps(
    state: ReleaseState,
    ctx: ReleaseContext,
    roles: Roles,
    capabilities: &crate::backend::Capabilities,
) -> Vec<Step> {
    steps_for_roles(state, ctx, roles)
        .into_iter()
        .filter(|step| capabilities.steps.contains(step))
        .collect()
}

/// The longest piece of a refused value echoed in a message.
const ECHO_MAX_CHARS: usize = 40;

/// [`LifecycleError::RatioNotANumber`] for `given` as sent (a JSON value's text, a form
/// field), cut to [`ECHO_MAX_CHARS`] characters.
pub fn ratio_not_a_number(given: &str) -> LifecycleError {
    use gopay_miniapp_guard::text::{clean, cut};
    let given = cut(&clean(given.trim()), ECHO_MAX_CHARS).into_owned();
    LifecycleError::RatioNotANumber { given }
}

/// Grayscale ratios: 1–100, and only up from the current one.
pub fn check_ratio(current: Option<u8>, requested: i64) -> Result<u8, LifecycleError> {
    if !(1..=100).contains(&requested) {
        return Err(LifecycleError::RatioOutOfRange { requested });
    }
    let requested = requested as u8;
    match current {
        Some(current) if requested <= current => {
            Err(LifecycleError::RatioNotHigher { current, requested })
        }
        _ => Ok(requested),
    }
}

/// The one step on the main road from `state`, for "what next?" hints (from the table's
/// `main_road` marks). `None` when the release is finished.
pub fn next_step(state: ReleaseState, ctx: ReleaseContext) -> Option<Step> {
    TRANSITIONS
        .iter()
        .find(|tr| {
            tr.from == state && tr.main_road && !(tr.not_on_first_release && ctx.first_release)
        })
        .map(|tr| tr.step)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: ReleaseContext = ReleaseContext {
        first_release: true,
    };
    const LATER: ReleaseContext = ReleaseContext {
        first_release: false,
    };

    /// Issue 21 item 13: one word per state, from one table, on every surface of ours.
    #[test]
    fn every_state_has_one_word_and_no_two_share_it() {
        for state in ReleaseState::ALL {
            let rows = STATE_WORDS.iter().filter(|w| w.state == state).count();
            assert_eq!(rows, 1, "{state:?} has {rows} rows in STATE_WORDS");
            assert_eq!(state.to_string(), state.name());
        }
        let mut names: Vec<_> = STATE_WORDS.iter().map(|w| w.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STATE_WORDS.len(), "two states share a word");
        // The portal's button-like labels are not our words.
        assert_eq!(ReleaseState::VersionCreation.name(), "Not submitted");
        assert_eq!(ReleaseState::InReview.name(), "In review");
        assert_eq!(ReleaseState::InReview.label(), "Submit for Review");
    }

    /// Editors offer the steps that move a release on first (#21 item 21): after a whitelist
    /// test, grayscale before setting the whitelist again.
    #[test]
    fn steps_that_leave_a_release_where_it_is_are_told_apart() {
        use ReleaseState::*;
        assert!(changes_state(WhitelistTesting, Step::Grayscale));
        assert!(changes_state(WhitelistTesting, Step::Official));
        assert!(!changes_state(WhitelistTesting, Step::Whitelist));
        assert!(!changes_state(Grayscale, Step::Grayscale));
        assert!(!changes_state(VersionCreation, Step::TemporaryCode));
        assert!(changes_state(PilotTest, Step::Whitelist));
        // A step the state does not allow changes nothing.
        assert!(!changes_state(Released, Step::Official));
    }

    #[test]
    fn placed_states_are_all_but_unknown() {
        let all: Vec<_> = ReleaseState::ALL
            .into_iter()
            .filter(|s| *s != ReleaseState::Unknown)
            .collect();
        assert_eq!(all, ReleaseState::PLACED);
    }

    #[test]
    fn table_has_no_duplicate_state_step_pairs() {
        for (i, a) in TRANSITIONS.iter().enumerate() {
            for b in &TRANSITIONS[i + 1..] {
                assert!(
                    !(a.from == b.from && a.step == b.step),
                    "{:?} {:?}",
                    a.from,
                    a.step
                );
            }
        }
    }

    #[test]
    fn terminal_states_allow_nothing() {
        for state in [Archived, Cancelled] {
            assert!(allowed_steps(state, LATER).is_empty());
        }
        // A state no table places (issue #22): nothing is offered on it, nothing guessed.
        for ctx in [
            LATER,
            ReleaseContext {
                first_release: true,
            },
        ] {
            assert!(allowed_steps(Unknown, ctx).is_empty());
            assert_eq!(next_step(Unknown, ctx), None);
        }
        assert!(!Unknown.is_in_flight() && !Unknown.awaits_review());
    }

    #[test]
    fn first_release_may_only_go_official() {
        assert_eq!(
            allowed_steps(PilotTest, FIRST),
            vec![Step::TemporaryCode, Step::Official, Step::Cancel]
        );
        let err = check_step(PilotTest, Step::Grayscale, FIRST).unwrap_err();
        assert!(matches!(
            err,
            LifecycleError::FirstReleaseOfficialOnly { .. }
        ));
        assert_eq!(check_step(PilotTest, Step::Grayscale, LATER), Ok(Grayscale));
    }

    #[test]
    fn illegal_step_names_state_and_allowed() {
        let err = check_step(VersionCreation, Step::Official, LATER).unwrap_err();
        let text = err.to_string();
        // Our word for the state, not the portal's button-like label.
        assert!(text.contains("Not submitted"), "{text}");
        assert!(text.contains("apply"), "{text}");
    }

    #[test]
    fn only_admins_review() {
        assert_eq!(
            check_step_by(InReview, Step::Approve, LATER, Roles::DEVELOPER),
            Err(LifecycleError::WrongRole {
                step: Step::Approve,
                actor: Actor::TargetAppAdmin
            })
        );
        assert_eq!(
            check_step_by(
                InReview,
                Step::Approve,
                LATER,
                Roles {
                    developer: false,
                    admin: true
                }
            ),
            Ok(PilotTest)
        );
    }

    #[test]
    fn the_main_road_is_one_step_per_unfinished_state() {
        assert_eq!(next_step(VersionCreation, FIRST), Some(Step::Apply));
        assert_eq!(next_step(Rejected, LATER), Some(Step::Apply));
        assert_eq!(next_step(InReview, LATER), Some(Step::Approve));
        for state in [PilotTest, WhitelistTesting, Grayscale] {
            assert_eq!(next_step(state, FIRST), Some(Step::Official));
        }
        for state in [Released, Archived, Cancelled] {
            assert_eq!(next_step(state, LATER), None);
        }
        for state in ReleaseState::ALL {
            let marked = TRANSITIONS
                .iter()
                .filter(|tr| tr.from == state && tr.main_road)
                .count();
            assert!(marked <= 1, "{state:?} has {marked} main-road steps");
        }
    }

    #[test]
    fn offered_steps_follow_roles_and_capabilities() {
        let all = crate::backend::Capabilities {
            steps: Step::ALL.to_vec(),
            release_notes: crate::backend::NotesAt::Apply,
            list_spaces: true,
            list_apps: true,
            list_target_apps: true,
            login: vec![],
            access_tokens: true,
            audit: true,
            reviews: true,
            learned: vec![],
        };
        let admin = Roles {
            developer: false,
            admin: true,
        };
        assert_eq!(
            offered_steps(InReview, LATER, admin, &all),
            vec![Step::Approve, Step::Reject]
        );
        assert_eq!(
            offered_steps(InReview, LATER, Roles::DEVELOPER, &all),
            vec![Step::TemporaryCode, Step::Withdraw]
        );
        let few = crate::backend::Capabilities {
            steps: vec![Step::Apply, Step::Official],
            ..all
        };
        assert_eq!(
            offered_steps(PilotTest, LATER, Roles::DEVELOPER, &few),
            vec![Step::Official]
        );
    }

    #[test]
    fn ratio_goes_up_only() {
        assert_eq!(check_ratio(None, 10), Ok(10));
        assert_eq!(check_ratio(Some(10), 50), Ok(50));
        assert!(check_ratio(Some(50), 50).is_err());
        assert!(check_ratio(Some(50), 10).is_err());
        assert!(check_ratio(None, 0).is_err());
        assert!(check_ratio(None, 101).is_err());
    }

    #[test]
    fn wire_names_round_trip() {
        for state in ReleaseState::ALL {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(state.as_str().parse::<ReleaseState>(), Ok(state));
        }
        for step in Step::ALL {
            let json = serde_json::to_string(&step).unwrap();
            assert_eq!(json, format!("\"{}\"", step.as_str()));
        }
    }
}
