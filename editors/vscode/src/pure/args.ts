// The argument object of each sidecar command (the sidecar's exported table is the truth),
// built from what the user picked. Validation here is only about the shape of what was typed;
// whether a step is legal is the sidecar's call. No `vscode` here.

import { takesArgument } from './protocol';

export type Args = Record<string, string | number | boolean | string[]>;

/** Fields every command takes from the extension: the portal setting and the project. */
export interface Common {
  /**
   * A portal chosen for this command (Log In's pick): it wins over the binding's, for this
   * command only. Never the setting.
   */
  portal?: string;
  /** `gopayMiniapp.portal.url`: the portal of an unbound project (a binding wins over it). */
  defaultPortal?: string;
  /** Project folder (path); empty means the sidecar's default. */
  project?: string;
}

/** Drops empty fields and adds the common ones the command takes (as the table says). */
export function withCommon(command: string, args: Args, common: Common): Args {
  const out: Args = {};
  const portal = common.portal?.trim();
  if (portal && takesArgument(command, 'portal')) out.portal = portal;
  const defaultPortal = common.defaultPortal?.trim();
  if (defaultPortal && takesArgument(command, 'defaultPortal')) out.defaultPortal = defaultPortal;
  const project = common.project?.trim();
  if (project && takesArgument(command, 'project')) out.project = project;
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' && value.trim() === '') continue;
    out[key] = value;
  }
  return out;
}

/** Password login: both are sent once and never stored. */
export function loginArgs(username: string, password: string): Args {
  return { username: username.trim(), password };
}

/** Browser (device) login: no username, no password. */
export function browserLoginArgs(): Args {
  return {};
}

/**
 * Binding to the space and app picked in the quick picks. `yes` answers the sidecar's
 * "Rebind?" question with the answer the user already gave in the modal.
 */
export function bindArgs(spaceId: string, appId: string, rebindConfirmed: boolean): Args {
  const args: Args = { space: spaceId, app: appId };
  if (rebindConfirmed) args.rebind = true;
  return args;
}

/**
 * Bind by ids, for portals that cannot list spaces, MiniApps or target apps: the target apps
 * as typed (`NAME=ID`, separated by commas); the sidecar checks every id's shape.
 */
export function bindByIdsArgs(spaceId: string, appId: string, targetApps: string, rebindConfirmed: boolean): Args {
  const args: Args = { space: spaceId.trim(), app: appId.trim(), targetApps: targetApps.trim() };
  if (rebindConfirmed) args.rebind = true;
  return args;
}

/** The binding's target apps as the Bind box shows them again (`NAME=ID, …`). */
/** Target apps as the bind box and the sidecar take them: `NAME=ID`, then `(production)` or `(testing)` when said. */
export function targetAppsText(targetApps: { id: string; name: string; production?: boolean }[] | undefined): string {
  const mark = (p: boolean | undefined) => (p === true ? ' (production)' : p === false ? ' (testing)' : '');
  return (targetApps ?? []).map((t) => `${t.name}=${t.id}${mark(t.production)}`).join(', ');
}

export function listAppsArgs(spaceId: string): Args {
  return { space: spaceId };
}

export interface PublishChoices {
  bump?: string;
  description?: string;
  dryRun?: boolean;
}

export function publishArgs(choices: PublishChoices = {}): Args {
  const args: Args = {};
  if (choices.bump) args.bump = choices.bump;
  if (choices.description) args.description = choices.description;
  if (choices.dryRun) args.dryRun = true;
  return args;
}

/** One release: a version on a target app (by id: names may repeat, ids do not). */
export interface ReleaseRef {
  version: string;
  targetAppId: string;
}

/**
 * Release's arguments: `notes` only where the portal takes them at Release (see `notesAt`),
 * `then` the step taken right after (the sidecar checks the portal can take it before making
 * the release).
 */
export function releaseArgs(version: string, targetAppId: string, extra: { notes?: string; then?: string } = {}): Args {
  const args: Args = { version, targetApp: targetAppId };
  if (extra.notes !== undefined && extra.notes.trim() !== '') args.notes = extra.notes.trim();
  if (extra.then) args.then = extra.then;
  return args;
}

/** Where this portal takes release notes (its capabilities): the one step that asks for them. */
export function notesAt(capabilities: { releaseNotes?: 'apply' | 'release' } | undefined): 'apply' | 'release' {
  return capabilities?.releaseNotes ?? 'apply';
}

/**
 * The notes box's prefill: the version's description, unless it is the sidecar's default, which
 * says nothing to a reviewer (the typed `descriptionIsDefault`, never the words).
 */
export function notesPrefill(version: { description?: string; descriptionIsDefault?: boolean } | undefined): string {
  if (!version?.description || version.descriptionIsDefault) return '';
  return version.description;
}

/** A space or MiniApp as the bind-by-ids box shows it again: `NAME=ID` when it has a name of its own, else the id. */
export function namedIdText(ref: { id: string; name: string } | undefined): string {
  if (!ref) return '';
  return ref.name && ref.name !== ref.id ? `${ref.name}=${ref.id}` : ref.id;
}

/** The release's fields; none when the user picked none (the sidecar then asks, or says why not). */
export function refArgs(ref: ReleaseRef | undefined): Args {
  return ref ? { version: ref.version, targetApp: ref.targetAppId } : {};
}

export function temporaryCodeArgs(ref: ReleaseRef | undefined): Args {
  // Every rendering: the panel shows the PNG and keeps the SVG as its fallback.
  return refArgs(ref);
}

export function applyReleaseArgs(ref: ReleaseRef | undefined, notes: string | undefined): Args {
  const args = refArgs(ref);
  if (notes !== undefined && notes.trim() !== '') args.notes = notes.trim();
  return args;
}

/** A validation message with its severity (VS Code's `InputBoxValidationSeverity`: 1 info, 2 warning, 3 error). */
export interface Validation {
  message: string;
  severity: 1 | 2 | 3;
}

/** The sidecar's parse of a user-ID list (`miniapp.checkUserIds`, the one parser). */
export interface CheckedUserIds {
  ids: string[];
  duplicates: number;
}

/**
 * The whitelist input box's message: what will be sent, as the sidecar parsed it (the IDs
 * and the repeats it drops), or its refusal (`refusal`: the error's message) as an error.
 */
export function userIdsValidation(checked: CheckedUserIds | { refusal: string }): Validation {
  if ('refusal' in checked) {
    const text = checked.refusal.trim();
    return { message: `${text.charAt(0).toUpperCase()}${text.slice(1)}.`.replace(/\.\.$/, '.'), severity: 3 };
  }
  const { ids, duplicates } = checked;
  const count = `${ids.length} user ID${ids.length === 1 ? '' : 's'}: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}`;
  if (duplicates) {
    return { message: `${count}; ${duplicates} repeat${duplicates === 1 ? '' : 's'} counted once.`, severity: 2 };
  }
  return { message: `${count}.`, severity: 1 };
}

/** The whitelist's IDs go as typed: the sidecar parses them (the same parser as the check). */
export function whitelistArgs(ref: ReleaseRef | undefined, text: string): Args {
  return { ...refArgs(ref), users: text };
}

/**
 * For `showInputBox`'s `validateInput`, which also checks the value the box opens with: an empty
 * box is not an error (the caller takes an empty answer as nothing to do), so it never opens red.
 */
export function unlessEmpty<T>(validate: (value: string) => T): (value: string) => T | undefined {
  return (value) => (value.trim() ? validate(value) : undefined);
}

/**
 * Input-box validation for the grayscale ratio: a whole percentage from 1 to 100, above the
 * current ratio (the sidecar refuses anything else; this only saves a round trip).
 */
export function validateRatio(text: string, current = 0): string | undefined {
  const trimmed = text.trim().replace(/%$/, '').trim();
  if (!/^\d+$/.test(trimmed)) return 'Type a whole percentage from 1 to 100.';
  const ratio = Number(trimmed);
  if (ratio < 1 || ratio > 100) return 'The ratio is a percentage from 1 to 100.';
  if (ratio <= current) return `The ratio only goes up: it is ${current}% now, so type more than ${current}.`;
  return undefined;
}

export function parseRatio(text: string): number {
  return Number(text.trim().replace(/%$/, '').trim());
}

export function grayscaleArgs(ref: ReleaseRef | undefined, ratio: number): Args {
  return { ...refArgs(ref), ratio };
}

/** Rollback acts on a target app (the last archived version comes back). */
export function rollbackArgs(targetAppId: string): Args {
  return { targetApp: targetAppId };
}

export function waitForReviewArgs(ref: ReleaseRef | undefined, timeoutSeconds?: number): Args {
  const args = refArgs(ref);
  if (timeoutSeconds !== undefined) args.timeout = Math.max(1, Math.round(timeoutSeconds));
  return args;
}

/** The arguments as the log shows them: never a password or a token. */
export function redact(args: Args): string {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) shown[key] = key === 'password' || key === 'token' ? '***' : value;
  return JSON.stringify(shown);
}
