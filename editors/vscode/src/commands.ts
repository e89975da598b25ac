// Every VS Code command is a small function of the context: it asks what the sidecar needs
// with VS Code's own pickers, forwards it as one `workspace/executeCommand`, and shows what
// came back. No decision about the lifecycle is taken here.

import * as vscode from 'vscode';

import type { Ctx } from './ctx';
import { followUpActions, releasesAllowing, stepForCommand } from './pure/actions';
import {
  applyReleaseArgs,
  bindArgs,
  browserLoginArgs,
  grayscaleArgs,
  listAppsArgs,
  loginArgs,
  parseRatio,
  publishArgs,
  refArgs,
  ReleaseRef,
  releaseArgs,
  rollbackArgs,
  temporaryCodeArgs,
  validateRatio,
  validateUserIds,
  waitForReviewArgs,
  whitelistArgs,
} from './pure/args';
import { bindText, loginText, publishText, stepText, waitText } from './pure/messages';
import type { TreeNode } from './pure/model';
import type {
  App,
  BindResult,
  LoginResult,
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
  const step = command === 'gopayMiniapp.waitForReview' ? 'wait' : stepForCommand(command);
  let choices = step ? releasesAllowing(ctx.snapshot, step) : [];
  if (given.version) choices = choices.filter((c) => c.version.version === given.version);
  if (choices.length === 0) return undefined; // the sidecar asks, or says why not
  const toPicked = (c: (typeof choices)[number]): PickedRelease => ({
    version: c.version.version,
    targetAppId: c.release.targetAppId,
    targetApp: c.release.targetApp,
    release: c.release,
    versionView: c.version,
  });
  if (choices.length === 1) return toPicked(choices[0]);
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({ label: `${c.version.version} → ${c.release.targetApp}`, description: c.release.stateLabel, choice: c })),
    { title, placeHolder: 'Which release?' },
  );
  return picked ? toPicked(picked.choice) : null;
}

async function info(message: string, ...actions: string[]): Promise<string | undefined> {
  return vscode.window.showInformationMessage(message, ...actions);
}

/** The step's result, with the next actions the release offers as buttons. */
async function afterStep(command: string, result: StepResult): Promise<void> {
  const ref = { version: result.version, targetAppId: result.release.targetAppId, targetApp: result.release.targetApp };
  const next = followUpActions(result.release);
  const pick = await info(stepText(command, result), ...next.map((a) => a.title));
  const action = next.find((a) => a.title === pick);
  if (action) await vscode.commands.executeCommand(action.command, ref);
}

// --- account and binding ---------------------------------------------------------------------

export function login(ctx: Ctx): Cmd {
  return guarded(ctx, 'Login', async () => {
    const portal = ctx.portalLabel;
    const username = await vscode.window.showInputBox({
      title: 'GoPay MiniApp: Login (1/2)',
      prompt: `Username on ${portal}`,
      placeHolder: 'username',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Type your username.'),
    });
    if (username === undefined) return;
    const password = await vscode.window.showInputBox({
      title: 'GoPay MiniApp: Login (2/2)',
      prompt: `Password of ${username.trim()} on ${portal} (sent to the portal once, never saved)`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v ? undefined : 'Type your password.'),
    });
    if (password === undefined) return;
    const result = await ctx.run<LoginResult>('miniapp.login', loginArgs(username, password), { progress: 'Logging in' });
    void info(loginText(result));
  });
}

export function loginWithBrowser(ctx: Ctx): Cmd {
  return guarded(ctx, 'Login', async () => {
    const result = await ctx.run<LoginResult>('miniapp.login', browserLoginArgs(), {
      progress: 'Logging in with the browser',
    });
    void info(loginText(result));
  });
}

export function logout(ctx: Ctx): Cmd {
  return guarded(ctx, 'Log out', async () => {
    const result = await ctx.run<{ portal: string }>('miniapp.logout');
    void info(`Logged out of ${result.portal}.`);
  });
}

export function bind(ctx: Ctx): Cmd {
  return guarded(ctx, 'Select Space & Bind MiniApp', async () => {
    const current = ctx.snapshot?.binding;
    let rebind = false;
    if (current) {
      const yes: vscode.MessageItem = { title: 'Yes' };
      const no: vscode.MessageItem = { title: 'No', isCloseAffordance: true };
      const answer = await vscode.window.showInformationMessage(
        `This project is bound to "${current.app.name}" in "${current.space.name}". Rebind it to another MiniApp?`,
        { modal: true, detail: 'Yes: choose a different MiniApp. No: keep the current one.' },
        yes,
        no,
      );
      if (answer !== yes) {
        void info(`Kept the binding to "${current.app.name}" in "${current.space.name}".`);
        return;
      }
      rebind = true;
    }
    const { spaces } = await ctx.run<{ spaces: Space[] }>('miniapp.listSpaces');
    const space = await vscode.window.showQuickPick(
      spaces.map((s) => ({ label: s.name, description: s.id, space: s })),
      { title: 'Select Space & Bind MiniApp (1/2)', placeHolder: 'Select a space', ignoreFocusOut: true },
    );
    if (!space) return;
    const { apps } = await ctx.run<{ apps: App[] }>('miniapp.listApps', listAppsArgs(space.space.id));
    const app = await vscode.window.showQuickPick(
      apps.map((a) => ({ label: a.name, description: a.id, app: a })),
      {
        title: 'Select Space & Bind MiniApp (2/2)',
        placeHolder: `Select the MiniApp in "${space.space.name}" to bind`,
        ignoreFocusOut: true,
      },
    );
    if (!app) return;
    const result = await ctx.run<BindResult>('miniapp.bind', bindArgs(space.space.id, app.app.id, rebind));
    const pick = await info(bindText(result), ...(result.changed ? ['Publish MiniApp'] : []));
    if (pick === 'Publish MiniApp') await vscode.commands.executeCommand('gopayMiniapp.publish');
  });
}

// --- publish ------------------------------------------------------------------------------------

export function publish(ctx: Ctx): Cmd {
  const run = async (): Promise<void> => {
    const app = ctx.snapshot?.binding?.app.name ?? 'MiniApp';
    let result: PublishResult;
    try {
      result = await ctx.run<PublishResult>('miniapp.publish', publishArgs(), {
        project: true,
        progress: `Publishing ${app}`,
      });
    } catch (e) {
      await ctx.showFailure('Publish', e, run);
      return;
    }
    // Show Temporary Code needs a release: it releases first (target-app picker), then shows the code.
    const pick = await info(publishText(result), 'Release…', 'Show Temporary Code', OPEN_LOG);
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
    if (!version) {
      const versions = ctx.snapshot?.versions ?? [];
      if (versions.length === 0) {
        void vscode.window.showWarningMessage('There is no version to release yet: Publish MiniApp first.', 'Publish MiniApp').then(
          (p) => p && vscode.commands.executeCommand('gopayMiniapp.publish'),
        );
        return;
      }
      const picked = await vscode.window.showQuickPick(
        versions.map((v, i) => ({ label: v.version, description: i === 0 ? 'latest' : undefined, detail: v.description || undefined })),
        { title: 'Release', placeHolder: 'Which version?' },
      );
      if (!picked) return;
      version = picked.label;
    }
    const { targetApps } = await ctx.run<{ targetApps: TargetApp[] }>('miniapp.listTargetApps');
    const versionView = ctx.snapshot?.versions.find((v) => v.version === version);
    const status = (t: TargetApp): string | undefined => {
      const own = versionView?.releases.find((r) => r.targetAppId === t.id);
      const target = ctx.snapshot?.targetApps.find((s) => s.targetAppId === t.id);
      const parts = [
        own ? `${version}: ${own.stateLabel}` : undefined,
        target?.liveVersion ? `live ${target.liveVersion}` : undefined,
        target?.inFlight && target.inFlight.version !== version ? `${target.inFlight.version} in flight` : undefined,
      ].filter(Boolean);
      return parts.length ? parts.join(' · ') : undefined;
    };
    const target = await vscode.window.showQuickPick(
      targetApps.map((t) => ({ label: t.name, description: status(t), detail: t.scheme ? `${t.scheme}://` : undefined, target: t })),
      { title: `Release ${version}`, placeHolder: 'Choose the target app for release', ignoreFocusOut: true },
    );
    if (!target) return;
    const result = await ctx.run<StepResult>('miniapp.release', releaseArgs(version, target.target.id), { project: true });
    if (arg && 'showCode' in arg && arg.showCode) {
      const code = await ctx.run<TemporaryCode>('miniapp.temporaryCode', temporaryCodeArgs({ version, targetAppId: target.target.id }), { project: true });
      ctx.qr.show(code);
      void info(stepText('miniapp.release', result));
      return;
    }
    await afterStep('miniapp.release', result);
  });
}

export function showTemporaryCode(ctx: Ctx): Cmd {
  return guarded(ctx, 'Show Temporary Code', async (arg?: ReleaseArg) => {
    const ref = await pickRelease(ctx, arg, 'gopayMiniapp.showTemporaryCode', 'Show Temporary Code');
    if (ref === null) return;
    const code = await ctx.run<TemporaryCode>('miniapp.temporaryCode', temporaryCodeArgs(ref), { project: true });
    ctx.qr.show(code);
  });
}

export function applyRelease(ctx: Ctx): Cmd {
  return guarded(ctx, 'Apply Release', async (arg?: ReleaseArg) => {
    const ref = await pickRelease(ctx, arg, 'gopayMiniapp.applyRelease', 'Apply Release');
    if (ref === null) return;
    let notes: string | undefined;
    if (ref) {
      const description = ref.versionView?.description ?? (arg && 'kind' in arg ? arg.release?.description : undefined) ?? '';
      notes = await vscode.window.showInputBox({
        title: `Apply Release: ${ref.version} on "${ref.targetApp}"`,
        prompt: 'Release notes for the reviewer (the release information to confirm comes next)',
        value: description,
        ignoreFocusOut: true,
      });
      if (notes === undefined) return;
    }
    const result = await ctx.run<StepResult>('miniapp.applyRelease', applyReleaseArgs(ref, notes), { project: true });
    await afterStep('miniapp.applyRelease', result);
  });
}

export function waitForReview(ctx: Ctx): Cmd {
  return guarded(ctx, 'Wait for Review', async (arg?: ReleaseArg) => {
    const ref = await pickRelease(ctx, arg, 'gopayMiniapp.waitForReview', 'Wait for Review');
    if (ref === null) return;
    const result = await ctx.run<WaitResult>('miniapp.waitForReview', waitForReviewArgs(ref), {
      project: true,
      progress: ref ? `Waiting for the review of ${ref.version} on "${ref.targetApp}"` : 'Waiting for the review',
    });
    if (result.approved) void info(waitText(result));
    else void vscode.window.showWarningMessage(waitText(result));
  });
}

/** A step that needs only the release; the sidecar asks its own confirmation (a modal). */
function simpleStep(ctx: Ctx, command: string, sidecarCommand: string, what: string): Cmd {
  return guarded(ctx, what, async (arg?: ReleaseArg) => {
    const ref = await pickRelease(ctx, arg, command, what);
    if (ref === null) return;
    const result = await ctx.run<StepResult>(sidecarCommand, refArgs(ref), { project: true });
    await afterStep(sidecarCommand, result);
  });
}

export const withdrawRelease = (ctx: Ctx): Cmd =>
  simpleStep(ctx, 'gopayMiniapp.withdrawRelease', 'miniapp.withdrawRelease', 'Withdraw from Review');
export const officialRelease = (ctx: Ctx): Cmd =>
  simpleStep(ctx, 'gopayMiniapp.officialRelease', 'miniapp.officialRelease', 'Officially Release');
export const cancelRelease = (ctx: Ctx): Cmd =>
  simpleStep(ctx, 'gopayMiniapp.cancelRelease', 'miniapp.cancelRelease', 'Cancel Release');

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
      validateInput: validateUserIds,
    });
    if (users === undefined) return;
    const result = await ctx.run<StepResult>('miniapp.setWhitelist', whitelistArgs(ref, users), { project: true });
    await afterStep('miniapp.setWhitelist', result);
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
      validateInput: (v) => validateRatio(v, current),
    });
    if (text === undefined) return;
    const result = await ctx.run<StepResult>('miniapp.startGrayscale', grayscaleArgs(ref, parseRatio(text)), { project: true });
    await afterStep('miniapp.startGrayscale', result);
  });
}

export function rollback(ctx: Ctx): Cmd {
  return guarded(ctx, 'Rollback', async (arg?: TreeNode | { targetAppId: string }) => {
    let targetAppId = arg && 'kind' in arg ? arg.release?.targetAppId ?? arg.targetAppId : arg?.targetAppId;
    if (!targetAppId) {
      const choices = releasesAllowing(ctx.snapshot, 'rollback');
      if (choices.length === 1) targetAppId = choices[0].release.targetAppId;
      else if (choices.length > 1) {
        const picked = await vscode.window.showQuickPick(
          choices.map((c) => ({ label: c.release.targetApp, description: `live ${c.version.version}`, id: c.release.targetAppId })),
          { title: 'Rollback', placeHolder: 'On which target app?' },
        );
        if (!picked) return;
        targetAppId = picked.id;
      }
    }
    const result = await ctx.run<StepResult>('miniapp.rollback', targetAppId ? rollbackArgs(targetAppId) : {}, { project: true });
    await afterStep('miniapp.rollback', result);
  });
}

// --- the rest --------------------------------------------------------------------------------

export const refresh = (ctx: Ctx): Cmd => () => ctx.refresh();
export const openLog = (ctx: Ctx): Cmd => () => ctx.log.show(true);
export const openSettings = (): Cmd => () => vscode.commands.executeCommand('workbench.action.openSettings', 'gopayMiniapp');
export const restartServer = (ctx: Ctx): Cmd => () => ctx.restart();
export const focus = (): Cmd => () => vscode.commands.executeCommand('gopayMiniapp.sidebar.focus');

/** Every contributed command (package.json) and its factory. */
export const COMMANDS: Record<string, (ctx: Ctx) => Cmd> = {
  'gopayMiniapp.login': login,
  'gopayMiniapp.loginWithBrowser': loginWithBrowser,
  'gopayMiniapp.logout': logout,
  'gopayMiniapp.bind': bind,
  'gopayMiniapp.rebind': bind,
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
  'gopayMiniapp.refresh': refresh,
  'gopayMiniapp.openLog': openLog,
  'gopayMiniapp.openSettings': openSettings,
  'gopayMiniapp.restartServer': restartServer,
  'gopayMiniapp.focus': focus,
};
