// The one context object: it owns the language client (the sidecar), the sidebar tree, the
// status bar item, the log output channel and the temporary-code panel. Commands are small
// functions of it (commands.ts).

import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  LogMessageNotification,
  MessageType,
  RevealOutputChannelOn,
  ServerOptions,
  ShowMessageRequest,
  State,
  TransportKind,
  WorkDoneProgress,
} from 'vscode-languageclient/node';

import { findServer, ServerInfo } from './bootstrap';
import { answerQuestion } from './prompts';
import { QrPanel } from './qrPanel';
import { Sidebar } from './sidebar';
import { followUpActions } from './pure/actions';
import { ShownToasts, shownRelease, stillOffered } from './pure/follow';
import { Args, Common, redact, withCommon } from './pure/args';
import { ClientLog, LogLine } from './pure/clientLog';
import { checkCapabilities } from './pure/discovery';
import {
  confirmWording,
  ConfirmWording,
  describeError,
  ErrorButton,
  Failure,
  failureText,
  failureView,
  hostOf,
  phaseOf,
  problemOf,
  progressPercent,
  progressMessage,
  ProgressTracker,
  reviewChanges,
  reviewText,
} from './pure/messages';
import { buildSidebar, isUnreachable, ProjectFacts, SidebarModel, TreeNode, ViewState } from './pure/model';
import { BrowserLogin, browserLoginView, COPY_URL, OPEN_URL } from './pure/portals';
import type { ReleaseView, StatusSnapshot } from './pure/snapshot';

export const STATUS_NOTIFICATION = 'miniapp/didChangeStatus';
export const BROWSER_LOGIN_NOTIFICATION = 'miniapp/browserLogin';
const OPEN_LOG = 'Open Log';
/** The view's name (package.json `views`). */
const VIEW_NAME = 'Releases';
const OPEN_SETTINGS = 'Open Settings';

export interface RunOptions {
  /** Pass the project the sidebar shows (commands on a version or a release). */
  project?: boolean;
  /** Run in a cancellable notification with the sidecar's `$/progress`. */
  progress?: string;
  /** Told every progress message. */
  onMessage?: (message: string) => void;
  /** Not logged (a check run on every keystroke). */
  quiet?: boolean;
  /** A portal chosen for this command only (it wins over the binding's). */
  portal?: string;
}

let nextProgressToken = 1;

export class Ctx implements vscode.Disposable {
  client: LanguageClient | undefined;
  server: ServerInfo | undefined;
  snapshot: StatusSnapshot | undefined;
  /** The last snapshot that could ask the portal (shown, marked stale, while it cannot be reached). */
  private lastGood: StatusSnapshot | undefined;
  /** Releases whose review a running Wait for Review reports itself (no second notification). */
  readonly waitingFor = new Set<string>();
  /** Toasts on screen about releases (they follow the snapshot). */
  private readonly toasts = new ShownToasts();
  /** The publish running from this window (its progress notification), if any. */
  publishing: string | undefined;
  model: SidebarModel = buildSidebar(undefined);
  /** What the editor saw of the snapshot's project folder (a package.json or not). */
  private facts: ProjectFacts = {};
  private factsOf: string | undefined;
  private failedProblem: string | undefined;
  private lastRefresh = 0;
  /** The problem last told in a notification (told once, until it changes). */
  private toldProblem: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private clientDisposables: vscode.Disposable[] = [];

  readonly log: vscode.LogOutputChannel;
  readonly sidebar: Sidebar;
  readonly treeView: vscode.TreeView<TreeNode>;
  readonly statusBar: vscode.StatusBarItem;
  readonly qr: QrPanel;
  /** A failed build's first error naming a project file (the sidecar's typed `buildError`). */
  readonly buildProblems = vscode.languages.createDiagnosticCollection('gopay-miniapp-build');

  constructor(readonly ext: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('GoPay MiniApp', { log: true });
    this.sidebar = new Sidebar();
    this.treeView = vscode.window.createTreeView('gopayMiniapp.sidebar', {
      treeDataProvider: this.sidebar,
      showCollapseAll: true,
    });
    this.statusBar = vscode.window.createStatusBarItem('gopayMiniapp.status', vscode.StatusBarAlignment.Left, 10);
    this.statusBar.name = 'GoPay MiniApp';
    this.statusBar.command = 'gopayMiniapp.focus';
    this.qr = new QrPanel(this);
    this.disposables.push(this.log, this.treeView, this.statusBar, this.qr, this.buildProblems);
    this.render();
    this.statusBar.show();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  get config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('gopayMiniapp');
  }

  /** The setting `gopayMiniapp.portal.url` (empty: the sidecar's default). */
  get portalSetting(): string {
    return (this.config.get<string>('portal.url') ?? '').trim();
  }

  /** The portal the user deals with, for prompts: the snapshot's (the sidecar's one rule). */
  get portalLabel(): string {
    return this.snapshot?.portal || this.portalSetting || 'the GoPay MiniApp Portal';
  }

  // --- the sidecar -------------------------------------------------------------------------

  /** Finds the binary, checks `--version`, starts the client; says clearly what is wrong when it cannot. */
  async start(): Promise<boolean> {
    this.failedProblem = undefined;
    this.setView(undefined);
    const found = await findServer(this);
    if (!found.ok) {
      this.fail(found.problem);
      return false;
    }
    this.server = found.server;
    this.log.info(`sidecar: ${found.server.path} (${found.server.source}), version ${found.server.version}`);
    if (found.server.notice) {
      this.log.warn(found.server.notice);
      void vscode.window.showWarningMessage(found.server.notice);
    }
    const extraEnv = this.config.get<Record<string, string>>('server.extraEnv') ?? {};
    const serverOptions: ServerOptions = {
      command: found.server.path,
      args: ['lsp'],
      transport: TransportKind.stdio,
      options: { env: { ...process.env, ...extraEnv } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      outputChannel: clientChannel(this.log),
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: {},
      connectionOptions: { maxRestartCount: 3 },
    };
    const client = new LanguageClient('gopayMiniapp', 'GoPay MiniApp', serverOptions, clientOptions);
    // The sidecar's questions: Yes/No as modals, choices as quick picks.
    this.clientDisposables.push(client.onRequest(ShowMessageRequest.type, (params) => answerQuestion(params, this.confirming)));
    // The sidecar's narration and the build's output, into the log channel (its own timestamps).
    this.clientDisposables.push(
      client.onNotification(LogMessageNotification.type, ({ type, message }) => {
        if (type === MessageType.Error) this.log.error(message);
        else if (type === MessageType.Warning) this.log.warn(message);
        else if (type === MessageType.Debug) this.log.debug(message);
        else this.log.info(message);
      }),
    );
    this.clientDisposables.push(
      client.onNotification(STATUS_NOTIFICATION, (snapshot: StatusSnapshot) => this.setSnapshot(snapshot)),
    );
    // Where the browser login happens: the code and the URL, with Open URL and Copy URL.
    this.clientDisposables.push(
      client.onNotification(BROWSER_LOGIN_NOTIFICATION, (params: BrowserLogin) => void this.showBrowserLogin(params)),
    );
    this.clientDisposables.push(
      client.onDidChangeState((e) => {
        if (this.client !== client) return;
        if (e.newState === State.Stopped && !this.stopping) this.stopped(client);
        // The client restarts a sidecar that crashed (up to `maxRestartCount` times): once it
        // runs again the failure is over, and the sidebar shows a fresh status (#21 item 11).
        if (e.newState === State.Running && e.oldState !== State.Running && this.snapshot) {
          this.log.info('the sidecar runs again');
          this.failedProblem = undefined;
          this.render();
          void this.refresh();
        }
      }),
    );
    this.client = client;
    try {
      await client.start();
    } catch (e) {
      this.client = undefined;
      this.fail(`${found.server.path} lsp did not start: ${failureText(describeError(e))}`);
      return false;
    }
    const problem = checkCapabilities(client.initializeResult?.capabilities.experimental);
    if (problem) {
      await this.stop();
      this.fail(`${found.server.path}: ${problem}`);
      return false;
    }
    await this.refresh();
    return true;
  }

  private stopping = false;

  /** The browser login's page, with Open URL and Copy URL (the sidecar only sends openable ones). */
  private async showBrowserLogin(params: BrowserLogin): Promise<void> {
    const view = browserLoginView(params);
    this.log.info(view.text);
    const choice = await vscode.window.showInformationMessage(view.text, ...view.buttons);
    if (choice === OPEN_URL) await vscode.env.openExternal(vscode.Uri.parse(params.url, true));
    if (choice === COPY_URL) {
      await vscode.env.clipboard.writeText(params.url);
      void vscode.window.showInformationMessage('Copied the login page’s URL.');
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientDisposables.splice(0)) d.dispose();
    if (!client) return;
    this.stopping = true;
    try {
      if (client.isRunning()) await client.stop(30_000);
    } catch (e) {
      this.log.warn(`stopping the sidecar: ${failureText(describeError(e))}`);
    } finally {
      this.stopping = false;
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    this.snapshot = undefined;
    await this.start();
  }

  /**
   * The sidecar stopped by itself. The client restarts it (up to `maxRestartCount` times, then
   * it says it gave up): the tree stays as it was (a restart does not collapse it) and the
   * failure is shown only if it is not running again a few seconds later.
   */
  private stopped(client: LanguageClient): void {
    this.log.error('the sidecar stopped; the client restarts it if it can');
    setTimeout(() => {
      if (this.client === client && !client.isRunning()) this.fail('the sidecar stopped (see the log)');
    }, 10_000);
  }

  private fail(problem: string): void {
    this.failedProblem = problem;
    this.log.error(`cannot start the sidecar: ${problem}`);
    this.setView('failed');
    // Not awaited: activation must not wait for the user to read it.
    void vscode.window
      .showErrorMessage(`GoPay MiniApp can’t start its helper program: ${problem}.`, OPEN_SETTINGS, OPEN_LOG)
      .then((choice) => {
        if (choice === OPEN_SETTINGS) void vscode.commands.executeCommand('gopayMiniapp.openSettings');
        if (choice === OPEN_LOG) this.log.show(true);
      });
  }

  private requireClient(): LanguageClient {
    if (this.client?.isRunning()) return this.client;
    throw new Error(
      this.failedProblem
        ? `GoPay MiniApp is not running: ${this.failedProblem}`
        : 'GoPay MiniApp is still starting (see its log)',
    );
  }

  private common(options: RunOptions): Common {
    // The setting is the portal of unbound projects only: a binding's portal wins over it
    // (the sidecar's rule). A portal chosen for this command (Log In's pick) is `portal`.
    return { portal: options.portal, defaultPortal: this.portalSetting, project: options.project ? this.snapshot?.project : undefined };
  }

  /** How the sidecar's Yes/No question of the running command is shown (verb buttons). */
  private confirming: ConfirmWording | undefined;

  /** Runs one sidecar command (`workspace/executeCommand`) with the portal setting added. */
  async run<T>(command: string, args: Args = {}, options: RunOptions = {}): Promise<T> {
    const client = this.requireClient();
    const full = withCommon(command, args, this.common(options));
    if (!options.quiet) this.log.info(`→ ${command} ${redact(full)}`);
    const wording = confirmWording(command);
    if (wording) this.confirming = wording;
    try {
      if (!options.progress) {
        return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [full] })) as T;
      }
      return await this.withProgress<T>(client, command, full, options, options.progress);
    } finally {
      if (wording && this.confirming === wording) this.confirming = undefined;
    }
  }

  private withProgress<T>(client: LanguageClient, command: string, full: Args, options: RunOptions, title: string): Thenable<T> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, cancel) => {
        const workDoneToken = `gopay-miniapp-vscode/${nextProgressToken++}`;
        const tracker = new ProgressTracker();
        const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
          if (value.kind === 'end') return;
          if (value.message) options.onMessage?.(value.message);
          // The bar moves only by the typed phase's real fraction (the upload's bytes).
          const increment = tracker.step(progressPercent(phaseOf(value)));
          progress.report({ message: progressMessage(title, value.message), increment });
        });
        cancel.onCancellationRequested(() => this.log.info(`✕ ${command}: cancel requested`));
        try {
          return (await client.sendRequest(
            ExecuteCommandRequest.type,
            { command, arguments: [full], workDoneToken },
            cancel,
          )) as T;
        } finally {
          sub.dispose();
        }
      },
    );
  }

  /**
   * Runs a long command (Wait for Review) that the caller tells the user about once, with its
   * own way to stop it (`cancel`). It shows in the sidebar's running row and the status bar
   * item (from the snapshot's `runningJobs`) and nowhere else: the request carries a progress
   * token of ours, so the sidecar does not open a progress notification of its own (with a
   * second title and a Cancel button beside the caller's toast), and no window spinner repeats
   * the status bar item.
   */
  async runInBackground<T>(command: string, args: Args, options: RunOptions, cancel: vscode.CancellationToken): Promise<T> {
    const client = this.requireClient();
    const full = withCommon(command, args, this.common(options));
    this.log.info(`→ ${command} ${redact(full)}`);
    const workDoneToken = `gopay-miniapp-vscode/${nextProgressToken++}`;
    const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, () => undefined);
    try {
      return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [full], workDoneToken }, cancel)) as T;
    } finally {
      sub.dispose();
    }
  }

  /** Asks the sidecar for the status and shows it. */
  async refresh(): Promise<void> {
    if (!this.client?.isRunning()) return;
    this.lastRefresh = Date.now();
    try {
      const snapshot = await this.run<StatusSnapshot>('miniapp.status');
      this.setSnapshot(snapshot);
    } catch (e) {
      this.log.warn(`miniapp.status failed: ${failureText(describeError(e))}`);
    }
  }

  /** A refresh unless one happened in the last few seconds (window focus). */
  async refreshIfStale(ms = 5000): Promise<void> {
    if (Date.now() - this.lastRefresh > ms) await this.refresh();
  }

  setSnapshot(snapshot: StatusSnapshot): void {
    const before = this.snapshot && !isUnreachable(this.snapshot) ? this.snapshot : this.lastGood;
    this.snapshot = snapshot;
    if (!isUnreachable(snapshot)) this.lastGood = snapshot.loggedIn ? snapshot : undefined;
    this.lastRefresh = Date.now();
    this.render();
    void this.lookAtProject(snapshot.project);
    // Toasts about releases that moved on are put away (the notification centre keeps them;
    // a button picked there is checked first), before the news that replaces them.
    const putAway = this.toasts.staleIn(snapshot).length ? vscode.commands.executeCommand('notifications.hideToasts') : Promise.resolve();
    this.qr.follow();
    const changes = reviewChanges(before, snapshot).filter((c) => !this.waitingFor.has(`${c.version}@${c.targetAppId}`));
    // Told once the stale toasts are away, so the news is not put away with them.
    void Promise.resolve(putAway).then(() => {
      for (const c of changes) void this.tellReview(c.version, c.targetApp, c.approved, c.rejectReason, c.release);
    });
  }

  /**
   * Whether the project folder has a package.json (a folder without one and without a binding
   * is not a MiniApp project: no status item, no Bind). Looked at on every snapshot, so a
   * package.json created since is seen on the next refresh.
   */
  private async lookAtProject(project: string): Promise<void> {
    let packageJson: boolean;
    try {
      const stat = await vscode.workspace.fs.stat(vscode.Uri.joinPath(vscode.Uri.file(project), 'package.json'));
      packageJson = (stat.type & vscode.FileType.File) !== 0;
    } catch {
      packageJson = false;
    }
    if (this.snapshot?.project !== project) return;
    if (this.factsOf === project && this.facts.packageJson === packageJson) return;
    this.factsOf = project;
    this.facts = { packageJson };
    this.render();
  }

  /** An approval or rejection, with the next steps as buttons. */
  async tellReview(version: string, targetApp: string, approved: boolean, rejectReason: string | undefined, release?: ReleaseView): Promise<void> {
    const text = reviewText(version, targetApp, approved, rejectReason, release);
    if (!release) {
      void (approved ? vscode.window.showInformationMessage(text) : vscode.window.showWarningMessage(text));
      return;
    }
    await this.releaseToast(approved ? 'info' : 'warning', text, version, release);
  }

  /**
   * A toast about a release with its next steps as buttons, that follows the snapshot: hidden
   * when a snapshot shows the release moved on, and a button picked later is checked against
   * the release as it is then (pure/follow.ts).
   */
  async releaseToast(severity: 'info' | 'warning', text: string, version: string, release: ReleaseView): Promise<void> {
    const shown = shownRelease(version, release);
    const next = followUpActions(release);
    const id = this.toasts.add(shown);
    const show = severity === 'info' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
    let pick: string | undefined;
    try {
      pick = await show(text, ...next.map((a) => a.title));
    } finally {
      this.toasts.forget(id);
    }
    const action = next.find((a) => a.title === pick);
    if (!action) return;
    const offered = stillOffered(this.snapshot, shown, action.command);
    if (!offered.ok) {
      void vscode.window.showInformationMessage(offered.text);
      return;
    }
    await vscode.commands.executeCommand(action.command, { version, targetAppId: release.targetAppId, targetApp: release.targetApp });
  }

  private setView(view: ViewState | undefined): void {
    if (view === 'failed') {
      this.model = {
        view: 'failed',
        nodes: [],
        statusBar: { text: '$(error) GoPay MiniApp', tooltip: `The sidecar is not running: ${this.failedProblem ?? ''}` },
      };
    } else {
      const facts = this.snapshot && this.factsOf === this.snapshot.project ? this.facts : {};
      this.model = buildSidebar(this.snapshot, this.lastGood, new Date(), facts);
    }
    this.apply();
  }

  private render(): void {
    this.setView(this.failedProblem ? 'failed' : undefined);
  }

  private apply(): void {
    const m = this.model;
    void vscode.commands.executeCommand('setContext', 'gopayMiniapp.view', m.view);
    this.sidebar.set(m.nodes);
    this.treeView.description = m.description;
    this.treeView.title = m.title ?? VIEW_NAME;
    if (m.problem && m.problem !== this.toldProblem) void this.tellProblem(m.problem, m.problemCode);
    this.toldProblem = m.problem;
    this.statusBar.text = m.statusBar.text;
    this.statusBar.tooltip = m.statusBar.tooltip;
    if (m.statusBar.hidden) this.statusBar.hide();
    else this.statusBar.show();
    this.setPublishing(this.publishing);
  }

  /** A problem of the status (told once until it changes), with the buttons that help. */
  private async tellProblem(problem: string, code: string | undefined): Promise<void> {
    const unreachable = code === 'network' || code === 'protocol';
    const buttons = unreachable
      ? ['Retry', OPEN_SETTINGS]
      : code === 'session_expired' || code === 'not_logged_in'
        ? ['Log In']
        : code === 'browser_check'
          ? ['Log In with Browser', OPEN_LOG]
          : [OPEN_LOG];
    const pick = await vscode.window.showWarningMessage(problem, ...buttons);
    if (pick === 'Retry') await this.refresh();
    if (pick === OPEN_SETTINGS) await vscode.commands.executeCommand('gopayMiniapp.openSettings');
    if (pick === 'Log In') await vscode.commands.executeCommand('gopayMiniapp.login');
    if (pick === 'Log In with Browser') await vscode.commands.executeCommand('gopayMiniapp.loginWithBrowser');
    if (pick === OPEN_LOG) this.log.show(true);
  }

  /**
   * A failed build's error in the Problems panel, at its file, line and column (from the
   * typed `buildError`; a path leaving the project is not shown). Cleared by the next build.
   */
  showBuildProblem(failure: Failure | undefined): void {
    this.buildProblems.clear();
    const project = this.snapshot?.project;
    if (!failure?.buildError || !project) return;
    const problem = problemOf(project, failure.buildError);
    if (!problem) return;
    const at = new vscode.Position(problem.line, problem.column);
    const diagnostic = new vscode.Diagnostic(new vscode.Range(at, at), problem.message, vscode.DiagnosticSeverity.Error);
    diagnostic.source = failure.buildCommand ?? 'build';
    this.buildProblems.set(vscode.Uri.file(problem.path), [diagnostic]);
  }

  /** While a publish runs, the title bar shows it instead of Publish MiniApp (a second one would fail). */
  setPublishing(what: string | undefined): void {
    this.publishing = what;
    const running = what !== undefined || (this.snapshot?.runningJobs ?? []).some((j) => j.command === 'miniapp.publish');
    void vscode.commands.executeCommand('setContext', 'gopayMiniapp.publishing', running);
  }

  // --- talking to the user -----------------------------------------------------------------

  /**
   * A failed command in one line, with the buttons for its kind of error (the main one first):
   * Show Build Output for a build, Retry only where the sidecar says retrying is safe, nothing
   * at all when the user stopped it (Escape in a picker, a cancelled login).
   */
  async showFailure(what: string, error: unknown, retry?: () => unknown): Promise<void> {
    const failure: Failure = describeError(error);
    this.log.warn(`${what}: ${failureText(failure)}${failure.code ? ` [${failure.code}]` : ''}`);
    this.showBuildProblem(failure);
    const view = failureView(what, failure, this.snapshot?.portal ?? (this.portalSetting || 'the portal'));
    if (view.silent) return;
    this.log.info(`✘ ${view.text}`);
    const buttons = view.buttons.filter((b) => b !== 'Retry' || retry);
    const show = view.severity === 'info' ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
    const pick = (await show(view.text, ...buttons)) as ErrorButton | undefined;
    switch (pick) {
      case 'Show Build Output':
      case 'Open Log':
      case 'Show Progress':
        this.log.show(true);
        break;
      case 'Retry':
        await retry?.();
        break;
      case 'Open Settings':
        await vscode.commands.executeCommand('gopayMiniapp.openSettings');
        break;
      case 'Log In':
        await vscode.commands.executeCommand('gopayMiniapp.login');
        break;
      case 'Log In with Browser':
        await vscode.commands.executeCommand('gopayMiniapp.loginWithBrowser');
        break;
      case 'Bind MiniApp':
        await vscode.commands.executeCommand('gopayMiniapp.bind');
        break;
      case 'Refresh':
        await this.refresh();
        break;
    }
  }

  /** The portal's host, for messages. */
  get portalHost(): string {
    const portal = this.snapshot?.portal ?? this.portalSetting;
    return portal ? hostOf(portal) : 'the portal';
  }
}

/**
 * The output channel the language client writes to: its text, as whole lines at their level, into
 * our log channel (pure/clientLog.ts says what it cleans up and why).
 */
function clientChannel(log: vscode.LogOutputChannel): vscode.OutputChannel {
  const lines = new ClientLog();
  const write = (out: LogLine[]) => {
    for (const line of out) log[line.level](line.text);
  };
  return {
    name: log.name,
    append: (text) => write(lines.append(text)),
    appendLine: (text) => write(lines.appendLine(text)),
    replace: (text) => write(lines.append(text)),
    clear: () => log.clear(),
    show: (columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean) =>
      log.show(typeof columnOrPreserveFocus === 'boolean' ? columnOrPreserveFocus : preserveFocus),
    hide: () => log.hide(),
    // The log channel is ours (disposed with the context); only a cut line is left to write.
    dispose: () => write(lines.flush()),
  };
}
