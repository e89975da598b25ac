// Words shown to the user for what the sidecar answered: errors, questions, results.
// No `vscode` here.

import type { BindResult, ErrorReport, LoginResult, PublishResult, ReleaseState, ReleaseView, StatusSnapshot, StepResult, WaitResult } from './snapshot';
import { formatDate, formatSize } from './format';

/** JSON-RPC error codes the sidecar uses (crates/lsp/src/errors.rs). */
export const REQUEST_CANCELLED = -32800;
export const INVALID_PARAMS = -32602;

export interface Failure {
  message: string;
  /** The sidecar's words for what to do (`data.hint.text`, crates/lsp/src/words.rs). */
  hint?: string;
  /** The hint's kind (core's typed `Hint`): it decides the buttons, never the words. */
  hintKind?: string;
  /** `data.code` of the sidecar (not_logged_in, busy, build_failed, cancelled…). */
  code?: string;
  /** Stopped by the user (Cancel, or a question dismissed). */
  cancelled: boolean;
  retryable: boolean;
  /** Facts some failures carry beside the report (crates/lsp/src/errors.rs `details`). */
  buildCommand?: string;
  buildExitCode?: number;
  buildSignal?: number;
  buildProgramMissing?: string;
  firstErrorLine?: string;
  buildOutputAvailable?: boolean;
  restoredVersion?: string;
  /** A step this portal's API lacks: where it is done instead. */
  portalUrl?: string;
}

function isReport(value: unknown): value is ErrorReport {
  return typeof value === 'object' && value !== null && typeof (value as ErrorReport).message === 'string';
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `data.hint`: `{kind, text, …}`; anything else is no hint (a client never guesses one). */
function hintOf(value: unknown): { kind?: string; text?: string } {
  if (typeof value !== 'object' || value === null) return {};
  const hint = value as { kind?: unknown; text?: unknown };
  return { kind: optionalString(hint.kind), text: optionalString(hint.text) };
}

/** Anything thrown by a request → what to tell the user (never `[object Object]`). */
export function describeError(error: unknown): Failure {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; message?: unknown; data?: unknown };
    if (isReport(e.data)) {
      const data = e.data as unknown as Record<string, unknown> & { message: string };
      const hint = hintOf(data.hint);
      const failure: Failure = {
        message: data.message,
        code: optionalString(data.code),
        cancelled: e.code === REQUEST_CANCELLED || data.code === 'cancelled',
        retryable: Boolean(data.retryable),
      };
      const extra = {
        hint: hint.text,
        hintKind: hint.kind,
        buildCommand: optionalString(data.buildCommand),
        buildExitCode: optionalNumber(data.buildExitCode),
        buildSignal: optionalNumber(data.buildSignal),
        buildProgramMissing: optionalString(data.buildProgramMissing),
        firstErrorLine: optionalString(data.firstErrorLine),
        buildOutputAvailable: data.buildOutputAvailable === true ? true : undefined,
        restoredVersion: optionalString(data.restoredVersion),
        portalUrl: optionalString(data.portalUrl),
      };
      for (const [key, value] of Object.entries(extra)) if (value !== undefined) (failure as any)[key] = value;
      return failure;
    }
    if (typeof e.message === 'string' && e.message) {
      return { message: e.message, cancelled: e.code === REQUEST_CANCELLED, retryable: false };
    }
  }
  if (typeof error === 'string') return { message: error, cancelled: false, retryable: false };
  return { message: 'the sidecar failed without saying why (see the log)', cancelled: false, retryable: false };
}

/** One line for the log: "message — hint" (the sidecar's own words). */
export function failureText(failure: Failure): string {
  return failure.hint ? `${failure.message} — ${failure.hint}` : failure.message;
}

// --- failures, worded for the editor ---------------------------------------------------------

/** The buttons an error notification may offer (the first one is the main one). */
export type ErrorButton = 'Show Build Output' | 'Retry' | 'Open Settings' | 'Log In' | 'Bind MiniApp' | 'Refresh' | 'Show Progress' | 'Open Log';

export interface FailureView {
  /** Nothing to tell: the user stopped it (Escape in a picker, a cancelled login). */
  silent: boolean;
  /** An error, or only information (a cancelled publish says what was put back). */
  severity: 'error' | 'info';
  text: string;
  buttons: ErrorButton[];
}

/** `http://127.0.0.1:8780/x` → `127.0.0.1:8780`. */
export function hostOf(portal: string): string {
  try {
    return new URL(portal).host || portal;
  } catch {
    return portal;
  }
}

/** The buttons of a hint's kind (core's typed hints: crates/core/src/hint.rs). */
const HINT_BUTTONS: Record<string, ErrorButton[]> = {
  logIn: ['Log In'],
  bind: ['Bind MiniApp'],
  fixBuild: ['Show Build Output'],
  checkNetwork: ['Retry', 'Open Settings', 'Open Log'],
  checkPortalUrl: ['Open Settings', 'Open Log'],
  waitForOtherPublish: ['Show Progress'],
  takeStep: ['Refresh', 'Open Log'],
  releaseFinished: ['Refresh', 'Open Log'],
  waitForDevelopers: ['Refresh', 'Open Log'],
  loginRefused: ['Log In'],
  tryLoginLater: ['Open Log'],
  useOwnPortalUrl: ['Open Settings', 'Open Log'],
};

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t[0].toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

/** What happened to a failed build, from its typed fields. */
function buildOutcome(failure: Failure): string {
  if (failure.buildProgramMissing) return `could not start (${failure.buildProgramMissing} was not found)`;
  if (failure.buildExitCode !== undefined) return `exited ${failure.buildExitCode}`;
  if (failure.buildSignal !== undefined) return `was stopped by signal ${failure.buildSignal}`;
  return 'failed';
}

/** The message's first line: the rest (a build's last lines) went to the log. */
function firstLine(text: string): string {
  return text.split('\n')[0];
}

/**
 * What a failed command tells the user: one line, and the buttons that help with this kind of
 * error (the main one first). `what` names the command ("Publish"), `portal` the portal in use.
 * The words are the sidecar's (message and hint text) and the typed fields'; the hint's kind
 * picks the buttons.
 */
export function failureView(what: string, failure: Failure, portal: string): FailureView {
  const restored = failure.restoredVersion ? ` package.json is back at ${failure.restoredVersion}.` : '';
  if (failure.cancelled) {
    // Escape in a picker, a cancelled login: silent. A cancelled publish says what was put back.
    if (failure.restoredVersion) {
      return { silent: false, severity: 'info', text: `${what} cancelled: nothing was uploaded.${restored}`, buttons: [] };
    }
    return { silent: true, severity: 'info', text: '', buttons: [] };
  }
  if (failure.code === 'not_available_on_portal' && failure.portalUrl) {
    // The sidecar itself offers to open the portal, where the step is done, to any client
    // that can open URLs (VS Code can): one message, not two.
    return { silent: true, severity: 'info', text: '', buttons: [] };
  }
  const kindButtons = failure.hintKind ? HINT_BUTTONS[failure.hintKind] : undefined;
  const buttons: ErrorButton[] = kindButtons ?? (failure.retryable ? ['Retry', 'Open Log'] : ['Open Log']);
  if (failure.code === 'build_failed') {
    const command = failure.buildCommand ?? 'the build';
    const line = failure.firstErrorLine ? `: ${failure.firstErrorLine}` : '';
    return {
      silent: false,
      severity: 'error',
      text: `${what} failed: \`${command}\` ${buildOutcome(failure)}${line}.${restored}`.replace(/\.\./g, '.'),
      buttons: ['Show Build Output'],
    };
  }
  if (failure.code === 'network') {
    return {
      silent: false,
      severity: 'error',
      text: `${what} failed: can’t reach ${hostOf(portal)}. Check the portal URL and your network.${restored}`,
      buttons,
    };
  }
  if (failure.hintKind === 'logIn') {
    return {
      silent: false,
      severity: 'error',
      text: `${what}: ${failure.code === 'session_expired' ? 'your session expired' : 'you are not logged in'} on ${hostOf(portal)}. ${failure.hint ?? ''}`.trim(),
      buttons,
    };
  }
  if (failure.code === 'not_bound') {
    return { silent: false, severity: 'error', text: `${what}: this project is not bound to a MiniApp yet.`, buttons };
  }
  if (failure.code === 'busy') {
    return { silent: false, severity: 'error', text: `${what}: a publish is already running for this project.`, buttons };
  }
  const hint = failure.hint ? ` ${sentence(failure.hint)}` : '';
  return {
    silent: false,
    severity: 'error',
    text: `${what} failed: ${sentence(firstLine(failure.message))}${hint}${restored}`,
    buttons: buttons.includes('Open Log') || buttons.includes('Show Progress') ? buttons : [...buttons, 'Open Log'],
  };
}

/** A problem in a status snapshot, for the sidebar: "Can't reach 127.0.0.1:8780". */
export function problemText(problem: ErrorReport, portal: string): { label: string; detail?: string } {
  if (problem.code === 'network' || problem.code === 'protocol') {
    return { label: `Can’t reach ${hostOf(portal)}`, detail: 'Check the portal URL and your network, then Retry.' };
  }
  if (problem.code === 'session_expired') return { label: 'Your session expired', detail: problem.hint.text || undefined };
  const hint = problem.hint?.text;
  return { label: sentence(firstLine(problem.message)), detail: hint ? sentence(hint) : undefined };
}

export const YES = 'Yes';
export const NO = 'No';

/** How a `window/showMessageRequest` from the sidecar is shown. */
export type Question =
  | { kind: 'confirm'; message: string; detail?: string; yes: string; no: string }
  | { kind: 'choice'; message: string; detail?: string; options: string[] }
  | { kind: 'message'; message: string; detail?: string };

/** The first line is the question, the rest its details (the sidecar puts facts there). */
export function splitMessage(text: string): { message: string; detail?: string } {
  const [first, ...rest] = text.split('\n');
  const detail = rest.map((l) => l.replace(/^\s+/, '')).join('\n').trim();
  return detail ? { message: first.trim(), detail } : { message: first.trim() };
}

/**
 * Confirmations become modals: the sidecar offers its verb and No ("Roll Back", "No"), or
 * Yes/No from older sidecars. Other choices become quick picks.
 */
export function classifyQuestion(message: string, actions: Array<{ title: string }> | undefined | null): Question {
  const titles = (actions ?? []).map((a) => a.title);
  const parts = splitMessage(message);
  if (titles.length === 2 && titles[1] === NO) {
    return { kind: 'confirm', ...parts, yes: titles[0], no: NO };
  }
  if (titles.length === 2 && titles.includes(YES) && titles.includes(NO)) {
    return { kind: 'confirm', ...parts, yes: YES, no: NO };
  }
  if (titles.length > 0) return { kind: 'choice', ...parts, options: titles };
  return { kind: 'message', ...parts };
}

/** How the editor asks the sidecar's confirmation of a command: a verb button, a warning when it reaches users. */
export interface ConfirmWording {
  verb: string;
  /** A modal warning (it reaches users or cannot be undone) instead of an information modal. */
  warning: boolean;
}

const CONFIRMS: Record<string, ConfirmWording> = {
  'miniapp.applyRelease': { verb: 'Submit for Review', warning: false },
  'miniapp.officialRelease': { verb: 'Release to Everyone', warning: true },
  'miniapp.rollback': { verb: 'Roll Back', warning: true },
  'miniapp.cancelRelease': { verb: 'Cancel Release', warning: true },
  'miniapp.bind': { verb: 'Rebind', warning: false },
};

/** The confirmation wording of a sidecar command (undefined: it asks nothing). */
export function confirmWording(command: string): ConfirmWording | undefined {
  return CONFIRMS[command];
}

// --- release states, in the editor's words -------------------------------------------------------

/**
 * A release state as the sidebar names it. The portal's labels read like buttons ("Submit for
 * Review") or say nothing to a developer ("Pilot test"), so the editor words them.
 */
const STATE_NAMES: Record<ReleaseState, string> = {
  version_creation: 'Not submitted',
  in_review: 'In review',
  rejected: 'Rejected',
  pilot_test: 'Approved',
  whitelist_testing: 'Whitelist test',
  grayscale: 'Grayscale',
  released: 'Live',
  archived: 'Archived',
  cancelled: 'Cancelled',
};

/** What each state means, for tooltips. */
const STATE_MEANINGS: Record<ReleaseState, string> = {
  version_creation: 'created on the target app, not submitted for review and not live (the portal calls it Version Creation)',
  in_review: 'waiting for the target app’s administrator to approve or reject it',
  rejected: 'the administrator rejected it; fix what they named and apply again',
  pilot_test: 'approved (the portal calls it Pilot test): test it with a whitelist or grayscale, or release it to everyone',
  whitelist_testing: 'live for the whitelisted users only',
  grayscale: 'live for a share of the users',
  released: 'live for everyone',
  archived: 'replaced by a newer release; no longer live',
  cancelled: 'cancelled; it never went live to everyone',
};

export function stateName(state: ReleaseState): string {
  return STATE_NAMES[state] ?? state.replace(/_/g, ' ');
}

export function stateMeaning(state: ReleaseState): string {
  return STATE_MEANINGS[state] ?? '';
}

/** What a release's state says, with its details (ratio, whitelist size, reject reason). */
export function releaseStateText(release: ReleaseView): string {
  let text = stateName(release.state);
  if (release.state === 'grayscale' && release.ratio !== undefined) text += ` ${release.ratio}%`;
  if (release.state === 'whitelist_testing' && release.whitelist?.length) text += ` (${plural(release.whitelist.length, 'user')})`;
  if (release.state === 'rejected' && release.rejectReason) text += ` — ${release.rejectReason}`;
  return text;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// --- results ---------------------------------------------------------------------------------

export function loginText(result: LoginResult): string {
  return `Logged in to ${hostOf(result.portal)} as ${result.displayName || result.username}.`;
}

export function bindText(result: BindResult): string {
  if (!result.changed) return `Kept the binding to "${result.binding.app.name}" in "${result.binding.space.name}".`;
  return `Bound this project to "${result.binding.app.name}" in "${result.binding.space.name}" (${basename(result.file)}).`;
}

export function publishText(result: PublishResult): string {
  const secs = (result.elapsedMs / 1000).toFixed(1);
  const what = `${plural(result.files, 'file')}, ${formatSize(result.size)}`;
  if (result.dryRun) return `Dry run: ${result.app} ${result.version} would be uploaded (${what}); nothing was changed.`;
  const same = result.identicalToPrevious ? ' The package is identical to the previous version.' : '';
  return `Published ${result.app} ${result.version} (${what}, ${secs} s); package.json is now ${result.packageJsonVersion}. Not live yet: release it to a target app.${same}`;
}

/** What a release step did, and what it means for users. */
export function stepText(command: string, result: StepResult): string {
  const where = `"${result.release.targetApp}"`;
  switch (command) {
    case 'miniapp.release':
      return `Created the release of ${result.version} on ${where}: not submitted and not live yet. Test it with the temporary code, then apply for review.`;
    case 'miniapp.applyRelease':
      return `${result.version} is in review on ${where}. You will be told when the target app’s administrator approves or rejects it.`;
    case 'miniapp.withdrawRelease':
      return `${result.version} was taken out of review on ${where}; it is not submitted now.`;
    case 'miniapp.setWhitelist': {
      const n = result.release.whitelist?.length ?? 0;
      return `${result.version} is live on ${where} for ${plural(n, 'whitelisted user')}.`;
    }
    case 'miniapp.startGrayscale':
      return `${result.version} is live on ${where} for ${result.release.ratio ?? '?'}% of users (grayscale).`;
    case 'miniapp.officialRelease':
      return `${result.version} is live for everyone on ${where}.${result.archivedVersion ? ` ${result.archivedVersion} was archived.` : ''}`;
    case 'miniapp.cancelRelease':
      return `The release of ${result.version} to ${where} was cancelled.`;
    case 'miniapp.rollback':
      return `Rolled back on ${where}: ${result.restoredVersion ?? result.version} is live again${result.archivedVersion ? `, ${result.archivedVersion} was archived` : ''}.`;
    default:
      return `${result.version} on ${where}: ${releaseStateText(result.release)}.`;
  }
}

export function waitText(result: WaitResult): string {
  return reviewText(result.version, result.targetApp, result.approved, result.rejectReason);
}

/** An approval or a rejection, however it arrived (Wait for Review or a pushed status). */
export function reviewText(version: string, targetApp: string, approved: boolean, rejectReason?: string): string {
  if (approved) return `${version} was approved on "${targetApp}". Test it with a whitelist or grayscale, or release it to everyone.`;
  return `${version} was rejected on "${targetApp}"${rejectReason ? `: ${rejectReason}` : ''}. Fix it and apply again.`;
}

/** A review decided elsewhere: a release that was in review in `before` and is not in `after`. */
export interface ReviewChange {
  version: string;
  targetApp: string;
  targetAppId: string;
  approved: boolean;
  rejectReason?: string;
  release: ReleaseView;
}

/** Releases whose review was decided between two snapshots of the same project. */
export function reviewChanges(before: StatusSnapshot | undefined, after: StatusSnapshot): ReviewChange[] {
  if (!before || before.project !== after.project || before.portal !== after.portal) return [];
  const wasInReview = new Set<string>();
  for (const v of before.versions) for (const r of v.releases) if (r.state === 'in_review') wasInReview.add(r.releaseId);
  const out: ReviewChange[] = [];
  for (const v of after.versions) {
    for (const r of v.releases) {
      if (!wasInReview.has(r.releaseId)) continue;
      if (r.state === 'pilot_test' || r.state === 'rejected') {
        out.push({ version: v.version, targetApp: r.targetApp, targetAppId: r.targetAppId, approved: r.state === 'pilot_test', rejectReason: r.rejectReason, release: r });
      }
    }
  }
  return out;
}

/** The progress message without the title's words (VS Code shows "title: message"). */
export function progressMessage(title: string, message: string | undefined): string | undefined {
  if (!message) return undefined;
  const norm = (t: string) => t.replace(/[….\s]+$/, '').toLowerCase();
  if (norm(message) === norm(title) || norm(title).startsWith(norm(message))) return undefined;
  return message;
}

/** "expires in 9 min (2024-05-01 10:00 UTC)". */
export function expiryText(expiresAt: string, now: Date): string {
  const at = new Date(expiresAt);
  if (Number.isNaN(at.getTime())) return `expires ${expiresAt}`;
  const minutes = Math.round((at.getTime() - now.getTime()) / 60000);
  const when = formatDate(at);
  if (minutes <= 0) return `expired (${when})`;
  if (minutes < 120) return `expires in ${minutes} min (${when})`;
  return `expires in ${Math.round(minutes / 60)} h (${when})`;
}

/** `$/progress` percentages → the increments `Progress.report` wants. */
export class ProgressTracker {
  private last = 0;
  /** The increment to report for a new percentage (never negative). */
  step(percentage: number | undefined): number | undefined {
    if (percentage === undefined) return undefined;
    const p = Math.max(0, Math.min(100, percentage));
    const inc = p - this.last;
    if (inc <= 0) return undefined;
    this.last = p;
    return inc;
  }
}

function basename(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}
