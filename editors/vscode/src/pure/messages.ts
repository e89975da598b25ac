// Words shown to the user for what the sidecar answered: errors, questions, results.
// No `vscode` here.

import type { BindResult, Description, ErrorReport, LoginResult, ProgressPhase, PublishResult, ReleaseState, ReleaseView, SourceError, StatusSnapshot, Step, StepResult, WaitResult } from './snapshot';
import { formatDate, formatSize } from './format';
import { COMMAND_TABLE } from './protocol';

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
  /** The first error naming a file of the project (for the Problems panel). */
  buildError?: SourceError;
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

/** `data.buildError`, if it has the shape; anything else is none. */
export function sourceErrorOf(value: unknown): SourceError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const line = optionalNumber(v.line);
  const file = optionalString(v.file);
  if (!file || line === undefined || line < 1) return undefined;
  const column = optionalNumber(v.column);
  return { file, line, ...(column !== undefined && column >= 1 ? { column } : {}), message: typeof v.message === 'string' ? v.message : '' };
}

/**
 * Where a build error goes in the Problems panel: the file as a path inside the project, or
 * undefined when it would leave it (the sidecar only sends project files; the editor checks
 * again rather than trusting a path from a child process's output). 0-based line and column.
 */
export function problemOf(projectRoot: string, error: SourceError): { path: string; line: number; column: number; message: string } | undefined {
  const parts = error.file.split(/[\\/]/);
  if (error.file.startsWith('/') || /^[A-Za-z]:/.test(error.file) || parts.some((p) => p === '..' || p === '')) return undefined;
  const root = projectRoot.replace(/[\\/]+$/, '');
  return {
    path: `${root}/${parts.join('/')}`,
    line: error.line - 1,
    column: Math.max(0, (error.column ?? 1) - 1),
    message: error.message || 'build error',
  };
}

/**
 * How a `$/progress` report is drawn: a bar only where the phase is a real fraction (the
 * upload's bytes, the end); every other phase is a step without a percentage.
 */
export function progressPercent(phase: ProgressPhase | undefined): number | undefined {
  if (!phase) return undefined;
  if (phase.kind === 'upload') return phase.total > 0 ? Math.floor((Math.min(phase.done, phase.total) * 100) / phase.total) : 100;
  if (phase.kind === 'done') return 100;
  return undefined;
}

/** `value.phase` of a `$/progress` report, when it has a known shape. */
export function phaseOf(value: unknown): ProgressPhase | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const phase = (value as { phase?: unknown }).phase;
  if (typeof phase !== 'object' || phase === null || typeof (phase as { kind?: unknown }).kind !== 'string') return undefined;
  const p = phase as ProgressPhase & Record<string, unknown>;
  if (p.kind === 'upload' && (optionalNumber(p.done) === undefined || optionalNumber(p.total) === undefined)) return undefined;
  return p;
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
        buildError: sourceErrorOf(data.buildError),
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
export type ErrorButton = 'Show Build Output' | 'Retry' | 'Open Settings' | 'Log In' | 'Log In with Browser' | 'Bind MiniApp' | 'Refresh' | 'Show Progress' | 'Open Log';

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
  // The portal's anti-bot firewall answered instead of its API: only a real browser passes it.
  passBrowserCheck: ['Log In with Browser', 'Open Log'],
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

/**
 * Text for a notification, which shows Markdown literally: `code` spans (the sidecar's words
 * name files and settings that way) become quoted.
 */
export function plain(text: string): string {
  return text.replace(/`([^`\n]+)`/g, '“$1”');
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
  const view = failureViewRaw(what, failure, portal);
  return { ...view, text: plain(view.text) };
}

function failureViewRaw(what: string, failure: Failure, portal: string): FailureView {
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
      text: `${what} failed: “${command}” ${buildOutcome(failure)}${line}.${restored}`.replace(/\.\./g, '.'),
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
  const worded = problemTextRaw(problem, portal);
  return { label: plain(worded.label), detail: worded.detail === undefined ? undefined : plain(worded.detail) };
}

function problemTextRaw(problem: ErrorReport, portal: string): { label: string; detail?: string } {
  if (problem.code === 'network' || problem.code === 'protocol') {
    return { label: `Can’t reach ${hostOf(portal)}`, detail: 'Check the portal URL and your network, then Retry.' };
  }
  if (problem.code === 'session_expired') return { label: 'Your session expired', detail: problem.hint.text || undefined };
  const hint = problem.hint?.text;
  return { label: sentence(firstLine(problem.message)), detail: hint ? sentence(hint) : undefined };
}

/** The button that opens the portal's own pages (the sidecar's offer has the same words). */
export const OPEN_ON_PORTAL = 'Open on Portal';

/** A step this portal's API lacks, in the CLI's and the sidecar's words. */
export function notAvailableText(title: string, portal: string): string {
  return `“${title.replace(/…$/, '')}” is not available on this portal (${hostOf(portal)}) through its API: do it on the portal’s own pages.`;
}

/** No release allows a step now (the step exists on this portal). */
export function nothingAllowsText(title: string, version?: string): string {
  return `No release${version ? ` of ${version}` : ''} allows “${title.replace(/…$/, '')}” now: the sidebar shows what each release allows.`;
}

/**
 * What each command is called when it fails ("Log in failed: …"): one word per action,
 * whichever way it was started (Log In and Log In with the Browser both log in).
 */
export const COMMAND_WHAT: Readonly<Record<string, string>> = {
  'gopayMiniapp.login': 'Log in',
  'gopayMiniapp.loginWithBrowser': 'Log in',
  'gopayMiniapp.logout': 'Log out',
  'gopayMiniapp.bind': 'Bind MiniApp',
  'gopayMiniapp.rebind': 'Bind MiniApp',
  'gopayMiniapp.publish': 'Publish',
  'gopayMiniapp.release': 'Release',
  'gopayMiniapp.showTemporaryCode': 'Show Temporary Code',
  'gopayMiniapp.applyRelease': 'Apply Release',
  'gopayMiniapp.waitForReview': 'Wait for Review',
  'gopayMiniapp.withdrawRelease': 'Withdraw from Review',
  'gopayMiniapp.setWhitelist': 'Set Whitelist',
  'gopayMiniapp.startGrayscale': 'Grayscale',
  'gopayMiniapp.officialRelease': 'Officially Release',
  'gopayMiniapp.cancelRelease': 'Cancel Release',
  'gopayMiniapp.rollback': 'Roll Back',
};

/** What a command is called in its failure toast. */
export function commandWhat(command: string): string {
  return COMMAND_WHAT[command] ?? command.replace(/^gopayMiniapp\./, '');
}

/**
 * How a target app is marked in the release picker: production or testing only when the
 * portal said so (or the user did when binding); otherwise unmarked — never guessed from its
 * deeplink scheme or name.
 */
export function targetAppMark(t: { production?: boolean }): { text?: 'production' | 'testing'; icon: string } {
  if (t.production === true) return { text: 'production', icon: 'globe' };
  if (t.production === false) return { text: 'testing', icon: 'beaker' };
  return { icon: 'device-mobile' };
}

/** Target apps in picker order: testing ones first (a release usually goes there first), unknown, production last. */
export function orderTargetApps<T extends { production?: boolean }>(targets: readonly T[]): T[] {
  const rank = (t: T) => (t.production === false ? 0 : t.production === true ? 2 : 1);
  return [...targets].sort((a, b) => rank(a) - rank(b));
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
  // Shown in a dialog or a toast, where Markdown is literal; the answers stay as sent.
  const parts = splitMessage(plain(message));
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
  /**
   * The button that says No, in place of the modal's own "Cancel" (where "Cancel" next to the
   * verb would read as the same thing: "Cancel" beside "Cancel Release").
   */
  keep?: string;
}

const CONFIRMS: Record<string, ConfirmWording> = {
  'miniapp.applyRelease': { verb: 'Submit for Review', warning: false },
  'miniapp.officialRelease': { verb: 'Release to Everyone', warning: true },
  'miniapp.rollback': { verb: 'Roll Back', warning: true },
  'miniapp.cancelRelease': { verb: 'Cancel Release', warning: true, keep: 'Keep the Release' },
  'miniapp.bind': { verb: 'Rebind', warning: false },
};

/** The confirmation wording of a sidecar command (undefined: it asks nothing). */
export function confirmWording(command: string): ConfirmWording | undefined {
  return CONFIRMS[command];
}

// --- release states: the one vocabulary -------------------------------------------------------

/**
 * A release state's words, read by its id from the sidecar's table (crates/portal
 * `lifecycle::STATE_WORDS`, exported in src/generated/commands.json): the CLI, the sidecar and
 * the editor say the same word for a state. The portal's labels ("Version Creation", "Submit
 * for Review") are only told beside ours.
 */
const STATE_WORDS = new Map(COMMAND_TABLE.releaseStates.map((w) => [w.state, w]));

export function stateName(state: ReleaseState): string {
  return STATE_WORDS.get(state)?.name ?? state.replace(/_/g, ' ');
}

export function stateMeaning(state: ReleaseState): string {
  const words = STATE_WORDS.get(state);
  if (!words) return '';
  return words.portalLabel === words.name ? words.meaning : `${words.meaning} (the portal calls it ${words.portalLabel})`;
}

/** What a release's state says, with its details (ratio, whitelist size, reject reason). */
export function releaseStateText(release: ReleaseView): string {
  let text = stateName(release.state);
  if (release.state === 'grayscale' && release.ratio !== undefined) text += ` ${release.ratio}%`;
  if (release.state === 'whitelist_testing' && release.whitelist?.length) text += ` (${plural(release.whitelist.length, 'user')})`;
  if (release.state === 'rejected' && release.rejectReason) text += ` — ${release.rejectReason}`;
  // Never guessed: the portal's own word beside ours.
  if (release.state === 'unknown' && release.statusText) text += ` (the portal says “${release.statusText}”)`;
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
  const bound = `Bound this project to "${result.binding.app.name}" in "${result.binding.space.name}" (${basename(result.file)}).`;
  // Said plainly: the portal has no route that reads a target app's channel code.
  const unchecked = result.unchecked?.includes('targetAppCode')
    ? ' The MiniApp and its space were checked on the portal; the target apps’ channel codes could not be (this portal has no route for them): a wrong one shows at the first release.'
    : '';
  return bound + unchecked;
}

export function publishText(result: PublishResult): string {
  const secs = (result.elapsedMs / 1000).toFixed(1);
  const what = `${plural(result.files, 'file')}, ${formatSize(result.size)}`;
  if (result.dryRun) {
    const build = result.buildCommand ? `, build with “${result.buildCommand}” (not run: the output folder was packed as it is now)` : '';
    return `Dry run: would write ${result.version} to ${result.bumpedFiles.join(' and ')}${build} and upload ${what} as ${result.app} ${result.version}. Nothing was written, built or uploaded.`;
  }
  const same = result.identicalToPrevious ? ' The package is identical to the previous version.' : '';
  return `Published ${result.app} ${result.version} (${what}, ${secs} s); package.json is now ${result.packageJsonVersion}. Not live yet: release it to a target app.${same}`;
}

/**
 * The description box of Publish: prefilled with the last commit's subject when the project is
 * in git; the tool's default is only the placeholder (it tells a reviewer nothing). An empty
 * answer publishes with what the placeholder shows.
 */
export function descriptionInput(suggested: Description | undefined): { value: string; placeholder: string; prompt: string } {
  const prompt = 'Description of this version: what changed (shown on the portal and to reviewers)';
  if (!suggested) return { value: '', placeholder: 'What changed in this version', prompt };
  if (suggested.source === 'lastCommit') return { value: suggested.description, placeholder: suggested.description, prompt: `${prompt}; prefilled from the last commit` };
  return { value: '', placeholder: suggested.description, prompt };
}

/** The ways forward a toast may suggest, in their order, as a sentence's parts. */
const NEXT_WORDS: ReadonlyArray<[Step, string]> = [
  ['temporary_code', 'test it with the temporary code'],
  ['apply', 'apply for review'],
  ['whitelist', 'test it with a whitelist'],
  ['grayscale', 'roll it out to a share of users (grayscale)'],
  ['official', 'release it to everyone'],
];

/**
 * What a toast suggests next: only the release's offered steps (`allowedSteps`: legal now, the
 * user's, and possible on this portal), so a first release — which may only go straight to
 * official — is never told to test with a whitelist, and a portal without temporary codes is
 * never said to have one. Empty when nothing forward is possible from here.
 */
export function nextStepsText(release: ReleaseView): string {
  let offered = NEXT_WORDS.filter(([step]) => release.allowedSteps.includes(step));
  // Once a whitelist or grayscale can test it, the temporary code is not the next thing to say.
  if (offered.some(([step]) => step === 'whitelist' || step === 'grayscale')) offered = offered.filter(([step]) => step !== 'temporary_code');
  if (offered.length === 0) return '';
  const ways = offered.map(([, words]) => words);
  let text: string;
  if (offered[0][0] === 'temporary_code' && offered[1]?.[0] === 'apply') {
    // The temporary code is a test before applying, not an alternative to it.
    text = `${ways[0]}, then ${ways.slice(1).join(', or ')}`;
  } else if (ways.length === 1) {
    text = `${ways[0]} next`;
  } else {
    text = `${ways.slice(0, -1).join(', ')} or ${ways[ways.length - 1]}`;
  }
  const officialOnly =
    release.firstRelease && release.state === 'pilot_test' && release.allowedSteps.includes('official') && !release.allowedSteps.includes('whitelist');
  return sentence(text) + (officialOnly ? ' A first release to a target app may only go straight to official.' : '');
}

/** What a release step did, and what it means for users. */
export function stepText(command: string, result: StepResult): string {
  const where = `"${result.release.targetApp}"`;
  const next = nextStepsText(result.release);
  switch (command) {
    case 'miniapp.release':
      return `Created the release of ${result.version} on ${where}: not submitted and not live yet.${next ? ` ${next}` : ''}`;
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

export function waitText(result: WaitResult, release?: ReleaseView): string {
  return reviewText(result.version, result.targetApp, result.approved, result.rejectReason, release);
}

/**
 * An approval or a rejection, however it arrived (Wait for Review or a pushed status). An
 * approval names only the next steps the release offers (`release`, when known); a rejection
 * says that applying again sends the same package.
 */
export function reviewText(version: string, targetApp: string, approved: boolean, rejectReason?: string, release?: ReleaseView): string {
  if (approved) {
    const next = release ? nextStepsText(release) : '';
    return `${version} was approved on "${targetApp}".${next ? ` ${next}` : ''}`;
  }
  return `${version} was rejected on "${targetApp}"${rejectReason ? `: ${rejectReason}` : ''}. Publish a fixed version, or re-apply if nothing in the package changes.`;
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
