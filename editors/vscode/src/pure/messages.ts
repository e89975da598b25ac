// Words shown to the user for what the sidecar answered: errors, questions, results.
// No `vscode` here.

import type { BindResult, ErrorReport, LoginResult, PublishResult, StepResult, WaitResult } from './snapshot';
import { formatSize } from './model';

/** JSON-RPC error codes the sidecar uses (crates/lsp/src/errors.rs). */
export const REQUEST_CANCELLED = -32800;
export const INVALID_PARAMS = -32602;

export interface Failure {
  message: string;
  hint?: string;
  /** `data.code` of the sidecar (not_logged_in, busy, build_failed, cancelled…). */
  code?: string;
  /** Stopped by the user (Cancel, or a question dismissed). */
  cancelled: boolean;
  retryable: boolean;
}

function isReport(value: unknown): value is ErrorReport {
  return typeof value === 'object' && value !== null && typeof (value as ErrorReport).message === 'string';
}

/** Anything thrown by a request → what to tell the user (never `[object Object]`). */
export function describeError(error: unknown): Failure {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; message?: unknown; data?: unknown };
    if (isReport(e.data)) {
      return {
        message: e.data.message,
        hint: e.data.hint || undefined,
        code: e.data.code,
        cancelled: e.code === REQUEST_CANCELLED || e.data.code === 'cancelled',
        retryable: Boolean(e.data.retryable),
      };
    }
    if (typeof e.message === 'string' && e.message) {
      return { message: e.message, cancelled: e.code === REQUEST_CANCELLED, retryable: false };
    }
  }
  if (typeof error === 'string') return { message: error, cancelled: false, retryable: false };
  return { message: 'the sidecar failed without saying why (see the log)', cancelled: false, retryable: false };
}

/** One line for a notification: "message — hint". */
export function failureText(failure: Failure): string {
  return failure.hint ? `${failure.message} — ${failure.hint}` : failure.message;
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

/** Yes/No questions become modals; other choices quick picks. */
export function classifyQuestion(message: string, actions: Array<{ title: string }> | undefined | null): Question {
  const titles = (actions ?? []).map((a) => a.title);
  const parts = splitMessage(message);
  if (titles.length === 2 && titles.includes(YES) && titles.includes(NO)) {
    return { kind: 'confirm', ...parts, yes: YES, no: NO };
  }
  if (titles.length > 0) return { kind: 'choice', ...parts, options: titles };
  return { kind: 'message', ...parts };
}

export function loginText(result: LoginResult): string {
  return `Logged in to ${result.portal} as ${result.displayName || result.username}.`;
}

export function bindText(result: BindResult): string {
  if (!result.changed) return `Kept the binding to "${result.binding.app.name}" in "${result.binding.space.name}".`;
  return `Bound this project to "${result.binding.app.name}" in "${result.binding.space.name}" (${basename(result.file)}).`;
}

export function publishText(result: PublishResult): string {
  const secs = (result.elapsedMs / 1000).toFixed(1);
  const what = `${result.files} file${result.files === 1 ? '' : 's'}, ${formatSize(result.size)}`;
  if (result.dryRun) return `Dry run: ${result.app} ${result.version} would be uploaded (${what}); nothing was changed.`;
  const same = result.identicalToPrevious ? ' The package is identical to the previous version.' : '';
  return `Published ${result.app} ${result.version} (${what}, ${secs} s). package.json is now ${result.packageJsonVersion}.${same}`;
}

/** What a release step did, in the portal's words. */
export function stepText(command: string, result: StepResult): string {
  const where = `"${result.release.targetApp}"`;
  switch (command) {
    case 'miniapp.release':
      return `${result.version} is released to ${where}: ${result.release.stateLabel}.`;
    case 'miniapp.applyRelease':
      return `${result.version} was submitted for review on ${where}: ${result.release.stateLabel}. The target app's administrator approves it.`;
    case 'miniapp.withdrawRelease':
      return `${result.version} was taken out of review on ${where}: ${result.release.stateLabel}.`;
    case 'miniapp.setWhitelist':
      return `${result.version} is in whitelist testing on ${where} for ${result.release.whitelist?.length ?? 0} user(s).`;
    case 'miniapp.startGrayscale':
      return `${result.version} is in grayscale on ${where} for ${result.release.ratio ?? '?'}% of users.`;
    case 'miniapp.officialRelease':
      return `${result.version} is officially released on ${where}.${result.archivedVersion ? ` ${result.archivedVersion} was archived.` : ''}`;
    case 'miniapp.cancelRelease':
      return `The release of ${result.version} to ${where} was cancelled.`;
    case 'miniapp.rollback':
      return `Rolled back on ${where}: ${result.restoredVersion ?? result.version} is live again${result.archivedVersion ? `, ${result.archivedVersion} was archived` : ''}.`;
    default:
      return `${result.version} on ${where}: ${result.release.stateLabel}.`;
  }
}

export function waitText(result: WaitResult): string {
  if (result.approved) return `${result.version} was approved on "${result.targetApp}".`;
  return `${result.version} was rejected on "${result.targetApp}"${result.rejectReason ? `: ${result.rejectReason}` : ''}.`;
}

/** "expires in 9 min (2024-05-01 10:00 UTC)". */
export function expiryText(expiresAt: string, now: Date): string {
  const at = new Date(expiresAt);
  if (Number.isNaN(at.getTime())) return `expires ${expiresAt}`;
  const minutes = Math.round((at.getTime() - now.getTime()) / 60000);
  const when = at.toISOString().replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
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
