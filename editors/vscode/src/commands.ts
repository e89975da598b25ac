// Every VS Code command is a small function of the context: it asks what the sidecar needs
// with VS Code's own pickers, forwards it as one `workspace/executeCommand`, and shows what
// came back. No decision about the lifecycle is taken here.

import * as vscode from 'vscode';

import type { Ctx } from './ctx';
import { BACK, inputStep, pickStep } from './input';
import { appPicks, onlySpace, spacePicks } from './pure/bindPicks';
import { portalPageOf } from './pure/portalPage';
import { releaseChoices, releasesAllowing } from './pure/actions';
import {
  applyReleaseArgs,
  bindArgs,
  bindByIdsArgs,
  browserLoginArgs,
  grayscaleArgs,
  listAppsArgs,
  loginArgs,
  namedIdText,
  notesAt,
  notesPrefill,
  parseRatio,
  publishArgs,
  refArgs,
  releaseArgs,
  ReleaseRef,
  rollbackArgs,
  targetAppsText,
  temporaryCodeArgs,
  type CheckedUserIds,
  unlessEmpty,
  userIdsValidation,
  validateRatio,
  waitForReviewArgs,
  whitelistArgs,
} from './pure/args';
import {
  bindText,
  commandWhat,
  describeError,
  failureText,
  loginText,
  notAvailableText,
  nothingAllowsText,
  OPEN_ON_PORTAL,
  orderTargetApps,
  publishText,
  descriptionInput,
  releaseStateText,
  stepText,
  targetAppMark,
  waitText,
} from './pure/messages';
import type { TreeNode } from './pure/model';
import { checkPortalUrl, loginTitle, mustChoosePortal, OTHER_URL, portalItems, portalName } from './pure/portals';
import type {
  App,
  Binding,
  BindResult,
  Description,
  LoginResult,
  PortalCheck,
  PublishResult,
  ReleaseView,
  Space,
  StepResult,
  TargetApp,
  TemporaryCode,
  VersionView,
  WaitResult,
} from './pure/snapshot';

export type Cmd = (...args: any[]) => unknown;

const OPEN_LOG = 'Open Log';

/** What a release command may be given: a tree node, a release reference, or nothing. */
type ReleaseArg = TreeNode | RefLike | undefined;

interface RefLike {
  version?: string;
  targetAppId?: string;
  targetApp?: string;
}

function refOf(arg: ReleaseArg): RefLike {
  if (!arg) return {};
  if ('kind' in arg) {
    return arg.release
      ? { version: arg.release.version, targetAppId: arg.release.targetAppId, targetApp: arg.release.targetApp }
      : { version: arg.version };
  }
  return arg;
}

interface PickedRelease extends ReleaseRef {
  targetApp: string;
  release?: ReleaseView;
  versionView?: VersionView;
}

/** Runs `body`; a failure is shown in the sidecar's words with Open Log (and Retry). */
function guarded(ctx: Ctx, what: string, body: (...args: any[]) => Promise<unknown>): Cmd {
  const run = async (...args: any[]): Promise<void> => {
    try {
      await body(...args);
    } catch (e) {
      await ctx.showFailure(what, e, () => run(...args));
    }
  };
  return run;
}

/** The release a command acts on: the tree item's, the one given, the only one allowing the step, or picked. */
async function pickRelease(ctx: Ctx, arg: ReleaseArg, command: string, title: string): Promise<PickedRelease | undefined | null> {
  const fromSnapshot = (version: string, targetAppId: string): PickedRelease | undefined => {
    const versionView = ctx.snapshot?.versions.find((v) => v.version === version);
    const release = versionView?.releases.find((r) => r.targetAppId === targetAppId || r.targetApp === targetAppId);
    return release && { version, targetAppId: release.targetAppId, targetApp: release.targetApp, release, versionView };
  };
  const given = refOf(arg);
  if (given.version && given.targetAppId) {
    return (
      fromSnapshot(given.version, given.targetAppId) ?? {
        version: given.version,
        targetAppId: given.targetAppId,
        targetApp: given.targetApp ?? given.targetAppId,
      }
    );
  }
  if (!ctx.snapshot?.binding) return undefined; // the sidecar says what is missing
  const found = releaseChoices(ctx.snapshot, command, given.version);
  if (found.kind === 'notAvailable') {
    // The portal's API lacks the step: the CLI's words, and the portal's pages one click away.
    const portal = ctx.snapshot.binding.portal || ctx.snapshot.portal || '';
    const pick = await info(notAvailableText(title, portal), OPEN_ON_PORTAL);
    if (pick === OPEN_ON_PORTAL) await vscode.env.openExternal(vscode.Uri.parse(portal));
    return null;
  }
  if (found.kind === 'none') {
    // Nothing the sidecar could be asked to do: say so instead of offering what cannot work.
    void info(nothingAllowsText(title, given.version));
    return null;
  }
  const choices = found.choices;
  const toPicked = (c: (typeof choices)[number]): PickedRelease => ({
    version: c.version.version,
    targetAppId: c.release.targetAppId,
    targetApp: c.release.targetApp,
    release: c.release,
    versionView: c.version,
  });
  if (choices.length === 1) return toPicked(choices[0]);
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({ label: `${c.version.version} → ${c.release.targetApp}`, description: releaseStateText(c.release), choice: c })),
    { title, placeHolder: 'Which release?' },
  );
  return picked ? toPicked(picked.choice) : null;
}

async function info(message: string, ...actions: string[]): Promise<string | undefined> {
  return vscode.window.showInformationMessage(message, ...actions);
}

/** The step's result, with the next actions the release offers as buttons. */
async function afterStep(ctx: Ctx, command: string, result: StepResult): Promise<void> {
  await ctx.releaseToast('info', stepText(command, result), result.version, result.release);
}

// --- account and binding ---------------------------------------------------------------------

/**
 * Which portal this login is for, checked before anything is typed: a new user (no binding, no
 * setting, no login: the sidecar's snapshot has no portal) picks a preset — GoPay first — or
 * another URL; the sidecar then checks it answers like a portal. `undefined`: dismissed.
 */
async function loginPortal(ctx: Ctx): Promise<{ portal?: string; check: PortalCheck } | undefined> {
  let portal: string | undefined;
  if (mustChoosePortal(ctx.snapshot, ctx.portalSetting)) {
    const { items, active } = portalItems();
    const picked = await pickStep<string>({
      title: 'Log In: Which Portal?',
      placeholder: 'Nothing is bound here and you have not logged in yet: choose the portal',
      items,
      active,
    });
    if (picked === undefined || picked === BACK) return undefined;
    if (picked === OTHER_URL) {
      const typed = await inputStep({
        title: 'Log In: Other URL',
        prompt: 'The portal’s address (https://…)',
        placeholder: 'https://miniapp.example.com',
        validate: (v) => checkPortalUrl(v),
      });
      if (typed === undefined || typed === BACK) return undefined;
      portal = typed.trim();
    } else {
      portal = picked;
    }
  }
  // Reachable, and answers like a portal: checked before the password is asked for.
  const check = await ctx.run<PortalCheck>('miniapp.checkPortal', {}, { portal, progress: `Checking ${portal ? portalName(portal) : ctx.portalHost}` });
  return { portal, check };
}

export function login(ctx: Ctx): Cmd {
  return guarded(ctx, commandWhat('gopayMiniapp.login'), async () => {
    const chosen = await loginPortal(ctx);
    if (!chosen) return;
    const title = loginTitle(chosen.check.portal);
    const portal = portalName(chosen.check.portal);
    let username = '';
    let result: LoginResult | undefined;
    let failure: unknown;
    for (let step = 1; step <= 2; ) {
      if (step === 1) {
        const typed = await inputStep({
          title,
          step: 1,
          total: 2,
          prompt: `Username on ${portal}`,
          placeholder: 'username',
          value: username,
          validate: (v) => (v.trim() ? undefined : 'Type your username.'),
        });
        if (typed === undefined || typed === BACK) return;
        username = typed.trim();
        step = 2;
        continue;
      }
      const typed = await inputStep({
        title,
        step: 2,
        total: 2,
        prompt: `Password of ${username} on ${portal} (sent to the portal once, never saved)`,
        password: true,
        validate: (v) => (v ? undefined : 'Type your password.'),
        // The box stays open while the portal checks; a wrong password keeps it, with the username.
        accept: async (password) => {
          try {
            result = await ctx.run<LoginResult>('miniapp.login', loginArgs(username, password), { portal: chosen.portal });
            return undefined;
          } catch (e) {
            const f = describeError(e);
            if (f.code === 'invalid_credentials') return `Wrong username or password for ${username}: type the password again, or go Back to change the username.`;
            failure = e;
            return undefined;
          }
        },
      });
      if (typed === BACK) {
        step = 1;
        continue;
      }
      if (typed === undefined) return;
      break;
    }
    if (failure) throw failure;
    if (result) void info(loginText(result));
  });
}

export function loginWithBrowser(ctx: Ctx): Cmd {
  return guarded(ctx, commandWhat('gopayMiniapp.loginWithBrowser'), async () => {
    const chosen = await loginPortal(ctx);
    if (!chosen) return;
    const result = await ctx.run<LoginResult>('miniapp.login', browserLoginArgs(), {
      portal: chosen.portal,
      progress: `Logging in to ${portalName(chosen.check.portal)} with the browser`,
    });
    void info(loginText(result));
  });
}

export function logout(ctx: Ctx): Cmd {
  return guarded(ctx, commandWhat('gopayMiniapp.logout'), async () => {
    await ctx.run<{ portal: string }>('miniapp.logout');
    void info(`Logged out of ${ctx.portalHost}.`);
  });
}

/**
 * Select Space & Bind MiniApp. On a bound project, Bind asks first (Rebind / keep it); the
 * Rebind action is that answer already, so it goes straight to the pickers.
 */
function bindFlow(ctx: Ctx, rebindClicked: boolean): Cmd {
  return guarded(ctx, 'Bind MiniApp', async () => {
    const current = ctx.snapshot?.binding;
    if (current && !rebindClicked) {
      const rebind: vscode.MessageItem = { title: 'Rebind' };
      const answer = await vscode.window.showInformationMessage(
        `This project is bound to "${current.app.name}" in "${current.space.name}". Rebind it to another MiniApp?`,
        { modal: true, detail: 'Rebind: choose a different MiniApp. Cancel: keep the current one.' },
        rebind,
      );
      if (answer !== rebind) {
        void info(`Kept the binding to "${current.app.name}" in "${current.space.name}".`);
        return;
      }
    }
    if (ctx.snapshot?.capabilities?.listSpaces === false) return bindByIds(ctx, current);
    const { spaces } = await ctx.run<{ spaces: Space[] }>('miniapp.listSpaces');
    // One space is not a choice: the CLI takes it too, and the MiniApp picker names it.
    const only = onlySpace(spaces);
    const total = only ? 1 : 2;
    let space: Space | undefined = only;
    for (;;) {
      if (!only) {
        const choice = spacePicks(spaces, current);
        const pickedSpace = await pickStep<Space>({
          title: 'Bind MiniApp',
          step: 1,
          total,
          placeholder: 'Select a space',
          items: choice.items,
          active: space ?? choice.active,
        });
        if (pickedSpace === undefined || pickedSpace === BACK) return;
        space = pickedSpace;
      }
      const chosenSpace = space as Space;
      const { apps } = await ctx.run<{ apps: App[] }>('miniapp.listApps', listAppsArgs(chosenSpace.id));
      const choice = appPicks(apps, chosenSpace, current);
      const app = await pickStep<App>({
        title: 'Bind MiniApp',
        step: total,
        total,
        placeholder: only ? `Select the MiniApp to bind (space "${chosenSpace.name}", the only one)` : `Select the MiniApp in "${chosenSpace.name}" to bind`,
        items: choice.items,
        active: choice.active,
      });
      if (app === BACK) continue;
      if (app === undefined) return;
      const result = await ctx.run<BindResult>('miniapp.bind', bindArgs(chosenSpace.id, app.id, current !== undefined));
      const pick = await info(bindText(result), ...(result.changed ? ['Publish MiniApp'] : []));
      if (pick === 'Publish MiniApp') await vscode.commands.executeCommand('gopayMiniapp.publish');
      return;
    }
  });
}

/**
 * Bind on a portal that cannot list spaces, MiniApps or target apps (GoPay's console): their
 * ids typed, as the portal's pages show them. The last box stays open with the sidecar's
 * refusal (a malformed id names itself) so nothing typed is lost; Back goes to the earlier ones.
 */
async function bindByIds(ctx: Ctx, current: Binding | undefined): Promise<void> {
  const title = 'Bind MiniApp';
  // NAME=ID keeps a name of the user's, shown instead of the 22-digit id (the id stays in tooltips).
  const typed = {
    space: namedIdText(current?.space),
    app: namedIdText(current?.app),
    targetApps: targetAppsText(current?.targetApps),
  };
  const required = (what: string) => (v: string) => (v.trim() ? undefined : `Type the ${what}.`);
  let result: BindResult | undefined;
  let failure: unknown;
  for (let step = 1; step <= 3; ) {
    const answer = await inputStep(
      step === 1
        ? { title, step, total: 3, prompt: `Space on ${ctx.portalHost} as NAME=ID, or its ID (this portal cannot list spaces: copy the ID from the portal; the name is yours, shown instead of the ID)`, placeholder: 'Demo Space=1532000000000000000001', value: typed.space, validate: required('space ID') }
        : step === 2
          ? { title, step, total: 3, prompt: 'MiniApp in that space as NAME=ID, or its ID (from the MiniApp’s page on the portal; checked with the space before the binding is written)', placeholder: 'Hello MiniApp=1512000000000000000001', value: typed.app, validate: required('MiniApp ID') }
          : {
              title,
              step,
              total: 3,
              prompt: 'Target apps to release to, as NAME=ID separated by commas (the ID is the target app’s channel code, digits; this portal has no route to check it); add (production) or (testing) after an ID to mark it, as this portal cannot say',
              placeholder: 'GoPay Staging=1611000000000000000002 (testing), GoPay=1611000000000000000001 (production)',
              value: typed.targetApps,
              validate: required('target apps'),
              accept: async (text) => {
                try {
                  result = await ctx.run<BindResult>('miniapp.bind', bindByIdsArgs(typed.space, typed.app, text, current !== undefined));
                  return undefined;
                } catch (e) {
                  const f = describeError(e);
                  // A malformed id or a name=id pair the sidecar refuses: fixable here.
                  if (['invalid', 'invalid_request', 'not_found'].includes(f.code ?? '')) return `${f.message}${f.message.endsWith('.') ? '' : '.'} Fix it here, or go Back.`;
                  failure = e;
                  return undefined;
                }
              },
            },
    );
    if (answer === undefined) return;
    if (answer === BACK) {
      step -= 1;
      continue;
    }
    if (step === 1) typed.space = answer.trim();
    if (step === 2) typed.app = answer.trim();
    if (step === 3) typed.targetApps = answer.trim();
    step += 1;
  }
  if (failure) throw failure;
  if (!result) return;
  const pick = await info(bindText(result), ...(result.changed ? ['Publish MiniApp'] : []));
  if (pick === 'Publish MiniApp') await vscode.commands.executeCommand('gopayMiniapp.publish');
}

export const bind = (ctx: Ctx): Cmd => bindFlow(ctx, false);
export const rebind = (ctx: Ctx): Cmd => bindFlow(ctx, true);

// --- publish ------------------------------------------------------------------------------------

export function publish(ctx: Ctx): Cmd {
  const run = async (): Promise<void> => {
    const app = ctx.snapshot?.binding?.app.name ?? 'MiniApp';
    const running = ctx.snapshot?.runningJobs?.find((j) => j.command === 'miniapp.publish');
    if (ctx.publishing || running) {
      // A second publish would be refused: show the running one instead.
      const what = ctx.publishing || running?.message || 'starting';
      const pick = await info(`A publish of ${app} is running: ${what}.`, 'Show Progress');
      if (pick === 'Show Progress') ctx.log.show(true);
      return;
    }
    // The description first: prefilled from the last commit (the sidecar reads git).
    let suggested: Description | undefined;
    try {
      suggested = await ctx.run<Description>('miniapp.publishDescription', {}, { project: true, quiet: true });
    } catch (e) {
      ctx.log.warn(`miniapp.publishDescription failed: ${failureText(describeError(e))}`);
    }
    const box = descriptionInput(suggested);
    const typed = await inputStep({ title: `Publish ${app}`, ...box });
    if (typed === undefined || typed === BACK) return;
    // Empty: the sidecar's own choice, which the placeholder shows (the last commit, else the default).
    const description = typed.trim() || undefined;
    let result: PublishResult;
    ctx.setPublishing('starting');
    ctx.showBuildProblem(undefined);
    try {
      result = await ctx.run<PublishResult>('miniapp.publish', publishArgs({ description }), {
        project: true,
        progress: `Publishing ${app}`,
        onMessage: (message) => ctx.setPublishing(message),
      });
    } catch (e) {
      ctx.setPublishing(undefined);
      await ctx.showFailure('Publish', e, run);
      return;
    }
    ctx.setPublishing(undefined);
    const text = publishText(result);
    ctx.log.info(`✔ ${text}`);
    // Show Temporary Code needs a release: it releases first (target-app picker), then shows
    // the code; offered only where this portal's API has temporary codes.
    const codes = ctx.snapshot?.capabilities?.steps.includes('temporary_code') ?? false;
    const pick = await info(text, 'Release…', ...(codes ? ['Show Temporary Code'] : []), OPEN_LOG);
    if (pick === 'Release…') await vscode.commands.executeCommand('gopayMiniapp.release', { version: result.version });
    if (pick === 'Show Temporary Code') {
      await vscode.commands.executeCommand('gopayMiniapp.release', { version: result.version, showCode: true });
    }
    if (pick === OPEN_LOG) ctx.log.show(true);
  };
  return run;
}

// --- release steps ---------------------------------------------------------------------------

export function release(ctx: Ctx): Cmd {
  return guarded(ctx, 'Release', async (arg?: TreeNode | { version: string; showCode?: boolean }) => {
    let version = arg?.version;
    const fromPicker = !version;
    const total = fromPicker ? 2 : 1;
    const versions = ctx.snapshot?.versions ?? [];
    if (!version && versions.length === 0) {
      void vscode.window.showWarningMessage('There is no version to release yet: Publish MiniApp first.', 'Publish MiniApp').then(
        (p) => p && vscode.commands.executeCommand('gopayMiniapp.publish'),
      );
      return;
    }
    const { targetApps } = await ctx.run<{ targetApps: TargetApp[] }>('miniapp.listTargetApps');
    for (;;) {
      if (fromPicker) {
        const picked = await pickStep<string>({
          title: 'Release',
          step: 1,
          total,
          placeholder: 'Which version?',
          items: versions.map((v, i) => ({
            label: v.version,
            description: [i === 0 ? 'latest' : '', ...v.releases.map((r) => `${r.targetApp}: ${releaseStateText(r)}`)].filter(Boolean).join(' · ') || 'not released',
            detail: v.description || undefined,
            value: v.version,
          })),
          active: version,
        });
        if (picked === undefined || picked === BACK) return;
        version = picked;
      }
      const v = version!;
      const versionView = ctx.snapshot?.versions.find((x) => x.version === v);
      const status = (t: TargetApp): string => {
        const own = versionView?.releases.find((r) => r.targetAppId === t.id);
        const target = ctx.snapshot?.targetApps.find((s) => s.targetAppId === t.id);
        return [
          targetAppMark(t).text,
          own ? `${v}: ${releaseStateText(own)}` : undefined,
          target?.liveVersion ? `live ${target.liveVersion}` : 'nothing live',
          target?.inFlight && target.inFlight.version !== v ? `${target.inFlight.version} on its way` : undefined,
        ]
          .filter(Boolean)
          .join(' · ');
      };
      // Testing target apps first: a release usually goes there before production. Marked
      // only where the portal said which is which.
      const ordered = orderTargetApps(targetApps);
      const target = await pickStep<TargetApp>({
        title: `Release ${v}`,
        step: total,
        total,
        placeholder: 'Choose the target app to release to (nothing goes live before review and your release)',
        items: ordered.map((t) => ({
          label: t.name,
          description: status(t),
          iconPath: new vscode.ThemeIcon(targetAppMark(t).icon),
          value: t,
        })),
      });
      if (target === BACK) continue;
      if (target === undefined) return;
      // Where this portal takes release notes when the release is made (GoPay's console), they
      // are asked here, and nowhere else: Apply Release then sends none.
      let notes: string | undefined;
      if (notesAt(ctx.snapshot?.capabilities) === 'release') {
        const typed = await inputStep({
          title: `Release ${v} to "${target.name}"`,
          prompt: 'Release notes for the reviewer: what changed (this portal takes them now, not at Apply Release)',
          placeholder: 'What changed in this version',
          value: notesPrefill(versionView),
        });
        if (typed === BACK) continue;
        if (typed === undefined) return;
        notes = typed;
      }
      const showCode = !!(arg && 'showCode' in arg && arg.showCode);
      // The temporary code right after: the sidecar checks this portal has it before making the release.
      const result = await ctx.run<StepResult>('miniapp.release', releaseArgs(v, target.id, { notes, then: showCode ? 'temporary_code' : undefined }), { project: true });
      if (showCode) {
        const code = await ctx.run<TemporaryCode>('miniapp.temporaryCode', temporaryCodeArgs({ version: v, targetAppId: target.id }), { project: true });
        ctx.qr.show(code, result.release);
        void info(stepText('miniapp.release', result));
        return;
      }
      await afterStep(ctx, 'miniapp.release', result);
      return;
    }
  });
}

export function showTemporaryCode(ctx: Ctx): Cmd {
  return guarded(ctx, 'Show Temporary Code', async (arg?: ReleaseArg) => {
    const ref = await pickRelease(ctx, arg, 'gopayMiniapp.showTemporaryCode', 'Show Temporary Code');
    if (ref === null) return;
    const code = await ctx.run<TemporaryCode>('miniapp.temporaryCode', temporaryCodeArgs(ref), { project: true });
    ctx.qr.show(code, ref?.release);
  });
}

export function applyRelease(ctx: Ctx): Cmd {
  return guarded(ctx, 'Apply Release', async (arg?: ReleaseArg) => {
    const ref = await pickRelease(ctx, arg, 'gopayMiniapp.applyRelease', 'Apply Release');
    if (ref === null) return;
    let notes: string | undefined;
    // Notes are asked only where this portal takes them at Apply (the console took them at Release).
    if (ref && notesAt(ctx.snapshot?.capabilities) === 'apply') {
      // The version's description, unless it is the tool's default (a typed field).
      const prefill = notesPrefill(ref.versionView);
      const typed = await inputStep({
        title: `Apply Release: ${ref.version} on "${ref.targetApp}"`,
        prompt: 'Release notes for the reviewer: what changed (the release information to confirm comes next)',
        placeholder: 'What changed in this version',
        value: prefill,
      });
      if (typed === undefined || typed === BACK) return;
      notes = typed;
    }
    const result = await ctx.run<StepResult>('miniapp.applyRelease', applyReleaseArgs(ref, notes), { project: true });
    await afterStep(ctx, 'miniapp.applyRelease', result);
  });
}

export function waitForReview(ctx: Ctx): Cmd {
  return guarded(ctx, 'Wait for Review', async (arg?: ReleaseArg) => {
    const ref = await pickRelease(ctx, arg, 'gopayMiniapp.waitForReview', 'Wait for Review');
    if (ref === null) return;
    const what = ref ? `${ref.version} on "${ref.targetApp}"` : 'the release';
    const key = ref ? `${ref.version}@${ref.targetAppId}` : undefined;
    const stop = new vscode.CancellationTokenSource();
    // One toast, with a button that says what it does: it stops waiting, the release stays in
    // review. It replaces Apply's "in review, you will be told" toast, which says the same.
    await vscode.commands.executeCommand('notifications.hideToasts');
    void info(`Waiting for the review of ${what}. You will be told when it is approved or rejected.`, 'Stop Waiting').then((pick) => {
      if (pick === 'Stop Waiting') stop.cancel();
    });
    if (key) ctx.waitingFor.add(key);
    let result: WaitResult;
    try {
      result = await ctx.runInBackground<WaitResult>('miniapp.waitForReview', waitForReviewArgs(ref), { project: true }, stop.token);
    } catch (e) {
      if (stop.token.isCancellationRequested) {
        void vscode.window.setStatusBarMessage(`Stopped waiting; ${what} is still in review.`, 5000);
        return;
      }
      throw e;
    } finally {
      if (key) ctx.waitingFor.delete(key);
      stop.dispose();
    }
    // The waiting toast has done its job.
    await vscode.commands.executeCommand('notifications.hideToasts');
    const releaseView = ctx.snapshot?.versions.find((v) => v.version === result.version)?.releases.find((r) => r.targetApp === result.targetApp);
    if (result.approved || !releaseView) await ctx.tellReview(result.version, result.targetApp, result.approved, result.rejectReason, releaseView);
    else void vscode.window.showWarningMessage(waitText(result, releaseView));
  });
}

/** A step that needs only the release; the sidecar asks its own confirmation (a modal). */
function simpleStep(ctx: Ctx, command: string, sidecarCommand: string, what: string): Cmd {
  return guarded(ctx, what, async (arg?: ReleaseArg) => {
    const ref = await pickRelease(ctx, arg, command, what);
    if (ref === null) return;
    const result = await ctx.run<StepResult>(sidecarCommand, refArgs(ref), { project: true });
    await afterStep(ctx, sidecarCommand, result);
  });
}

export const withdrawRelease = (ctx: Ctx): Cmd =>
  simpleStep(ctx, 'gopayMiniapp.withdrawRelease', 'miniapp.withdrawRelease', 'Withdraw from Review');
export const officialRelease = (ctx: Ctx): Cmd =>
  simpleStep(ctx, 'gopayMiniapp.officialRelease', 'miniapp.officialRelease', 'Officially Release');
export const cancelRelease = (ctx: Ctx): Cmd =>
  simpleStep(ctx, 'gopayMiniapp.cancelRelease', 'miniapp.cancelRelease', 'Cancel Release');

/** The input box's validation: the sidecar parses the IDs as the whitelist step will. */
async function checkUserIds(ctx: Ctx, text: string) {
  try {
    return userIdsValidation(await ctx.run<CheckedUserIds>('miniapp.checkUserIds', { users: text }, { quiet: true }));
  } catch (error) {
    return userIdsValidation({ refusal: error instanceof Error ? error.message : String(error) });
  }
}

export function setWhitelist(ctx: Ctx): Cmd {
  return guarded(ctx, 'Set Whitelist', async (arg?: ReleaseArg) => {
    const ref = await pickRelease(ctx, arg, 'gopayMiniapp.setWhitelist', 'Set Whitelist');
    if (ref === null) return;
    const where = ref ? `${ref.version} on "${ref.targetApp}"` : 'the release';
    const users = await vscode.window.showInputBox({
      title: `Set Whitelist: ${where}`,
      prompt: 'User IDs of the target app that get this version first (separate them with commas)',
      value: ref?.release?.whitelist?.join(', ') ?? '',
      placeHolder: 'user-1001, user-1002',
      ignoreFocusOut: true,
      validateInput: unlessEmpty((text) => checkUserIds(ctx, text)),
    });
    if (users === undefined || !users.trim()) return;
    const result = await ctx.run<StepResult>('miniapp.setWhitelist', whitelistArgs(ref, users), { project: true });
    await afterStep(ctx, 'miniapp.setWhitelist', result);
  });
}

export function startGrayscale(ctx: Ctx): Cmd {
  return guarded(ctx, 'Grayscale', async (arg?: ReleaseArg) => {
    const ref = await pickRelease(ctx, arg, 'gopayMiniapp.startGrayscale', 'Start/Raise Grayscale');
    if (ref === null) return;
    const current = ref?.release?.state === 'grayscale' ? ref.release.ratio ?? 0 : 0;
    const where = ref ? `${ref.version} on "${ref.targetApp}"` : 'the release';
    const text = await vscode.window.showInputBox({
      title: `${current ? 'Raise' : 'Start'} Grayscale: ${where}`,
      prompt: current
        ? `Percentage of users that get this version (now ${current}%; it only goes up)`
        : 'Percentage of users that get this version (1–100)',
      placeHolder: current ? String(Math.min(100, current * 2)) : '10',
      ignoreFocusOut: true,
      validateInput: unlessEmpty((v) => validateRatio(v, current)),
    });
    if (text === undefined || !text.trim()) return;
    const result = await ctx.run<StepResult>('miniapp.startGrayscale', grayscaleArgs(ref, parseRatio(text)), { project: true });
    await afterStep(ctx, 'miniapp.startGrayscale', result);
  });
}

export function rollback(ctx: Ctx): Cmd {
  return guarded(ctx, commandWhat('gopayMiniapp.rollback'), async (arg?: TreeNode | { targetAppId: string }) => {
    let targetAppId = arg && 'kind' in arg ? arg.release?.targetAppId ?? arg.targetAppId : arg?.targetAppId;
    if (!targetAppId) {
      const choices = releasesAllowing(ctx.snapshot, 'rollback');
      if (choices.length === 0) {
        void info('Nothing can be rolled back now: roll back needs a live release with an archived one before it.');
        return;
      }
      if (choices.length === 1) targetAppId = choices[0].release.targetAppId;
      else {
        const picked = await vscode.window.showQuickPick(
          choices.map((c) => ({ label: c.release.targetApp, description: `live ${c.version.version}`, id: c.release.targetAppId })),
          { title: 'Roll Back', placeHolder: 'On which target app?' },
        );
        if (!picked) return;
        targetAppId = picked.id;
      }
    }
    const result = await ctx.run<StepResult>('miniapp.rollback', targetAppId ? rollbackArgs(targetAppId) : {}, { project: true });
    await afterStep(ctx, 'miniapp.rollback', result);
  });
}

// --- the rest --------------------------------------------------------------------------------

/** Open on Portal: the row's version page, else the MiniApp's, else the portal (pure/portalPage.ts). */
export function openOnPortal(ctx: Ctx): Cmd {
  return guarded(ctx, 'Open on Portal', async (node?: { version?: string; release?: { version?: string } }) => {
    const url = portalPageOf(ctx.snapshot, node?.version ?? node?.release?.version);
    if (!url) {
      void info('No portal to open: log in or bind the project first.');
      return;
    }
    await vscode.env.openExternal(vscode.Uri.parse(url, true));
  });
}

export const refresh = (ctx: Ctx): Cmd => () => ctx.refresh();
export const openLog = (ctx: Ctx): Cmd => () => ctx.log.show(true);
export const openSettings = (): Cmd => () => vscode.commands.executeCommand('workbench.action.openSettings', 'gopayMiniapp');
export const restartServer = (ctx: Ctx): Cmd => () => ctx.restart();
export const showPublishProgress = (ctx: Ctx): Cmd => () => publish(ctx)();
export const focus = (): Cmd => () => vscode.commands.executeCommand('gopayMiniapp.sidebar.focus');

/** Every contributed command (package.json) and its factory. */
export const COMMANDS: Record<string, (ctx: Ctx) => Cmd> = {
  'gopayMiniapp.login': login,
  'gopayMiniapp.loginWithBrowser': loginWithBrowser,
  'gopayMiniapp.logout': logout,
  'gopayMiniapp.bind': bind,
  'gopayMiniapp.rebind': rebind,
  'gopayMiniapp.showPublishProgress': showPublishProgress,
  'gopayMiniapp.publish': publish,
  'gopayMiniapp.release': release,
  'gopayMiniapp.showTemporaryCode': showTemporaryCode,
  'gopayMiniapp.applyRelease': applyRelease,
  'gopayMiniapp.waitForReview': waitForReview,
  'gopayMiniapp.withdrawRelease': withdrawRelease,
  'gopayMiniapp.setWhitelist': setWhitelist,
  'gopayMiniapp.startGrayscale': startGrayscale,
  'gopayMiniapp.officialRelease': officialRelease,
  'gopayMiniapp.cancelRelease': cancelRelease,
  'gopayMiniapp.rollback': rollback,
  'gopayMiniapp.openOnPortal': openOnPortal,
  'gopayMiniapp.refresh': refresh,
  'gopayMiniapp.openLog': openLog,
  'gopayMiniapp.openSettings': openSettings,
  'gopayMiniapp.restartServer': restartServer,
  'gopayMiniapp.focus': focus,
};
