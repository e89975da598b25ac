// Which actions a release offers: straight from the sidecar's `allowedSteps` (and
// `nextStep`), never from a lifecycle table of our own. No `vscode` here.

import type { ReleaseView, Step, StatusSnapshot, VersionView } from './snapshot';

/** An action on one release: the VS Code command that runs it and the sidecar command it forwards to. */
export interface ReleaseAction {
  /** VS Code command id (contributed in package.json). */
  command: string;
  /** `workspace/executeCommand` command of the sidecar. */
  sidecarCommand: string;
  title: string;
  /** The lifecycle step, when the action is one (waiting for the review is not). */
  step?: Step;
}

/** Steps a developer takes from VS Code, in the order the context menu lists them. */
const STEP_ACTIONS: ReadonlyArray<{ step: Step; command: string; sidecarCommand: string; title: string }> = [
  { step: 'temporary_code', command: 'gopayMiniapp.showTemporaryCode', sidecarCommand: 'miniapp.temporaryCode', title: 'Show Temporary Code' },
  { step: 'apply', command: 'gopayMiniapp.applyRelease', sidecarCommand: 'miniapp.applyRelease', title: 'Apply Release…' },
  { step: 'withdraw', command: 'gopayMiniapp.withdrawRelease', sidecarCommand: 'miniapp.withdrawRelease', title: 'Withdraw from Review' },
  { step: 'whitelist', command: 'gopayMiniapp.setWhitelist', sidecarCommand: 'miniapp.setWhitelist', title: 'Set Whitelist…' },
  { step: 'grayscale', command: 'gopayMiniapp.startGrayscale', sidecarCommand: 'miniapp.startGrayscale', title: 'Start Grayscale…' },
  { step: 'official', command: 'gopayMiniapp.officialRelease', sidecarCommand: 'miniapp.officialRelease', title: 'Officially Release' },
  { step: 'rollback', command: 'gopayMiniapp.rollback', sidecarCommand: 'miniapp.rollback', title: 'Roll Back' },
  { step: 'cancel', command: 'gopayMiniapp.cancelRelease', sidecarCommand: 'miniapp.cancelRelease', title: 'Cancel Release' },
];

export const WAIT_ACTION: ReleaseAction = {
  command: 'gopayMiniapp.waitForReview',
  sidecarCommand: 'miniapp.waitForReview',
  title: 'Wait for Review',
};

/** The VS Code command that takes `step`, if a developer takes it from VS Code. */
export function actionForStep(step: Step): ReleaseAction | undefined {
  const found = STEP_ACTIONS.find((a) => a.step === step);
  return found && { ...found };
}

/** The step a VS Code command takes (`gopayMiniapp.applyRelease` → `apply`). */
export function stepForCommand(command: string): Step | undefined {
  return STEP_ACTIONS.find((a) => a.command === command)?.step;
}

/** Waiting is offered while the release awaits review (the sidecar's `awaitsReview`). */
export function canWait(release: ReleaseView): boolean {
  return release.awaitsReview;
}

/** Actions offered on a release: one per allowed step (admin steps are not offered), plus waiting for the review. */
export function releaseActions(release: ReleaseView): ReleaseAction[] {
  const actions: ReleaseAction[] = [];
  for (const spec of STEP_ACTIONS) {
    if (!release.allowedSteps.includes(spec.step)) continue;
    const title =
      spec.step === 'grayscale' && release.state === 'grayscale' ? 'Raise Grayscale…' : spec.title;
    actions.push({ ...spec, title });
  }
  if (canWait(release)) actions.push({ ...WAIT_ACTION });
  return actions;
}

/**
 * Hover icons on a release row. Each takes about the width of two letters and VS Code hides the
 * row's description behind them: with four, the state ("Whitelist test", "Grayscale 10%") was
 * cut off at the sidebar's default width. Two fit beside the target app and its state; every
 * action stays in the context menu.
 */
export const INLINE_MAX = 2;

/** The hover icons of a release row: the first ways forward its success notification offers. */
export function inlineActions(release: ReleaseView): ReleaseAction[] {
  return followUpActions(release).slice(0, INLINE_MAX);
}

/**
 * The tree item's `contextValue`: `release`, then `step:<step>` for every allowed step, `next:<step>`
 * for the next step on the main road, `action:wait` while in review, and `inline:<step>` (or
 * `inline:wait`) for each hover icon. package.json's menus match on it.
 */
export function releaseContextValue(release: ReleaseView): string {
  const parts = ['release', `state:${release.state}`];
  for (const step of release.allowedSteps) parts.push(`step:${step}`);
  if (release.nextStep && release.allowedSteps.includes(release.nextStep)) parts.push(`next:${release.nextStep}`);
  if (canWait(release)) parts.push('action:wait');
  for (const action of inlineActions(release)) parts.push(`inline:${action.step ?? 'wait'}`);
  return parts.join(' ');
}

/** A release with the version it belongs to. */
export interface ReleaseChoice {
  version: VersionView;
  release: ReleaseView;
}

/** Releases (newest version first) on which `step` is allowed now; for commands run without a tree item. */
export function releasesAllowing(snapshot: StatusSnapshot | undefined, step: Step | 'wait'): ReleaseChoice[] {
  const out: ReleaseChoice[] = [];
  for (const version of snapshot?.versions ?? []) {
    for (const release of version.releases) {
      const ok = step === 'wait' ? canWait(release) : release.allowedSteps.includes(step);
      if (ok) out.push({ version, release });
    }
  }
  return out;
}

/** What a release command run without a release finds: the step missing from this portal's API, none allowing it now, or the choices. */
export type ReleaseChoices =
  | { kind: 'notAvailable'; step: Step }
  | { kind: 'none' }
  | { kind: 'choices'; choices: ReleaseChoice[] };

/**
 * The releases a command (`gopayMiniapp.setWhitelist`, …) could act on. A step this portal's
 * API lacks (not in `capabilities.steps`) is told as such — it is done on the portal's own
 * pages — never as "no release allows it now".
 */
export function releaseChoices(snapshot: StatusSnapshot | undefined, command: string, version?: string): ReleaseChoices {
  const step = command === WAIT_ACTION.command ? 'wait' : stepForCommand(command);
  if (step && step !== 'wait' && snapshot?.capabilities && !snapshot.capabilities.steps.includes(step)) {
    return { kind: 'notAvailable', step };
  }
  let choices = step ? releasesAllowing(snapshot, step) : [];
  if (version) choices = choices.filter((c) => c.version.version === version);
  return choices.length ? { kind: 'choices', choices } : { kind: 'none' };
}

/** Steps that are a way forward (not a way back or out): what a notification offers next. */
const FORWARD: ReadonlyArray<Step> = ['temporary_code', 'apply', 'whitelist', 'grayscale', 'official'];

/**
 * The actions a step's success notification offers next: the next step on the main road
 * first, then the ways forward that move the release on, then the others (waiting for the
 * review while in review); at most three.
 */
export function followUpActions(release: ReleaseView): ReleaseAction[] {
  // The temporary code is for testing before approval; once approved, the whitelist test and
  // the grayscale are the ways to test (with three buttons at most, it pushed grayscale out).
  const approved = release.allowedSteps.some((s) => s === 'whitelist' || s === 'grayscale' || s === 'official');
  const forward = releaseActions(release).filter(
    (a) => (a.step && FORWARD.includes(a.step) && !(a.step === 'temporary_code' && approved)) || a.command === WAIT_ACTION.command,
  );
  // The next step on the main road, then the steps that move the release on (after a whitelist
  // test: grayscale before setting the whitelist again), then the others; stable otherwise.
  const rank = (a: ReleaseAction) => (a.step && a.step === release.nextStep ? 0 : a.step && release.stateChangingSteps.includes(a.step) ? 1 : 2);
  forward.sort((a, b) => rank(a) - rank(b));
  return forward.slice(0, 3);
}
