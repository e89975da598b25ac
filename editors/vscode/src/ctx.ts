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
import { Args, Common, redact, withCommon } from './pure/args';
import { checkCapabilities } from './pure/discovery';
import { describeError, Failure, failureText, ProgressTracker } from './pure/messages';
import { buildSidebar, SidebarModel, TreeNode, ViewState } from './pure/model';
import type { StatusSnapshot } from './pure/snapshot';

export const STATUS_NOTIFICATION = 'miniapp/didChangeStatus';
const OPEN_LOG = 'Open Log';
const OPEN_SETTINGS = 'Open Settings';

export interface RunOptions {
  /** Pass the project the sidebar shows (commands on a version or a release). */
  project?: boolean;
  /** Run in a cancellable notification with the sidecar's `$/progress`. */
  progress?: string;
}

let nextProgressToken = 1;

export class Ctx implements vscode.Disposable {
  client: LanguageClient | undefined;
  server: ServerInfo | undefined;
  snapshot: StatusSnapshot | undefined;
  model: SidebarModel = buildSidebar(undefined);
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
    this.disposables.push(this.log, this.treeView, this.statusBar, this.qr);
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

  /** The portal the user deals with, for prompts. */
  get portalLabel(): string {
    return this.portalSetting || this.snapshot?.portal || 'the GoPay MiniApp Portal';
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
    const extraEnv = this.config.get<Record<string, string>>('server.extraEnv') ?? {};
    const serverOptions: ServerOptions = {
      command: found.server.path,
      args: ['lsp'],
      transport: TransportKind.stdio,
      options: { env: { ...process.env, ...extraEnv } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: {},
      connectionOptions: { maxRestartCount: 3 },
    };
    const client = new LanguageClient('gopayMiniapp', 'GoPay MiniApp', serverOptions, clientOptions);
    // The sidecar's questions: Yes/No as modals, choices as quick picks.
    this.clientDisposables.push(client.onRequest(ShowMessageRequest.type, (params) => answerQuestion(params)));
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
    this.clientDisposables.push(
      client.onDidChangeState((e) => {
        if (e.newState === State.Stopped && this.client === client && !this.stopping) {
          this.fail('the sidecar stopped (see the log)');
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

  private fail(problem: string): void {
    this.failedProblem = problem;
    this.log.error(`cannot start the sidecar: ${problem}`);
    this.setView('failed');
    // Not awaited: activation must not wait for the user to read it.
    void vscode.window
      .showErrorMessage(`GoPay MiniApp cannot start its sidecar: ${problem}.`, OPEN_SETTINGS, OPEN_LOG)
      .then((choice) => {
        if (choice === OPEN_SETTINGS) void vscode.commands.executeCommand('gopayMiniapp.openSettings');
        if (choice === OPEN_LOG) this.log.show(true);
      });
  }

  private requireClient(): LanguageClient {
    if (this.client?.isRunning()) return this.client;
    throw new Error(
      this.failedProblem
        ? `the sidecar is not running: ${this.failedProblem}`
        : 'the sidecar is not running yet (see the GoPay MiniApp log)',
    );
  }

  private common(options: RunOptions): Common {
    return { portal: this.portalSetting, project: options.project ? this.snapshot?.project : undefined };
  }

  /** Runs one sidecar command (`workspace/executeCommand`) with the portal setting added. */
  async run<T>(command: string, args: Args = {}, options: RunOptions = {}): Promise<T> {
    const client = this.requireClient();
    const full = withCommon(command, args, this.common(options));
    this.log.info(`→ ${command} ${redact(full)}`);
    if (!options.progress) {
      return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [full] })) as T;
    }
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: options.progress, cancellable: true },
      async (progress, cancel) => {
        const workDoneToken = `gopay-miniapp-vscode/${nextProgressToken++}`;
        const tracker = new ProgressTracker();
        const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
          if (value.kind === 'end') return;
          progress.report({ message: value.message, increment: tracker.step(value.percentage) });
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
    this.snapshot = snapshot;
    this.lastRefresh = Date.now();
    this.render();
  }

  private setView(view: ViewState | undefined): void {
    if (view === 'failed') {
      this.model = {
        view: 'failed',
        nodes: [],
        statusBar: { text: '$(error) GoPay MiniApp', tooltip: `The sidecar is not running: ${this.failedProblem ?? ''}` },
      };
    } else {
      this.model = buildSidebar(this.snapshot);
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
    if (m.problem && m.problem !== this.toldProblem) {
      void vscode.window.showWarningMessage(`GoPay MiniApp: ${m.problem}`, OPEN_LOG).then((pick) => pick && this.log.show(true));
    }
    this.toldProblem = m.problem;
    this.statusBar.text = m.statusBar.text;
    this.statusBar.tooltip = m.statusBar.tooltip;
  }

  // --- talking to the user -----------------------------------------------------------------

  /** A failed command: the sidecar's words, with Open Log (and Retry when it may help). */
  async showFailure(what: string, error: unknown, retry?: () => unknown): Promise<void> {
    const failure: Failure = describeError(error);
    this.log.warn(`${what}: ${failureText(failure)}${failure.code ? ` [${failure.code}]` : ''}`);
    if (failure.cancelled) {
      const pick = await vscode.window.showInformationMessage(`${what} cancelled: ${failureText(failure)}`, OPEN_LOG);
      if (pick === OPEN_LOG) this.log.show(true);
      return;
    }
    const actions = retry ? [OPEN_LOG, 'Retry'] : [OPEN_LOG];
    const pick = await vscode.window.showErrorMessage(`${what} failed: ${failureText(failure)}`, ...actions);
    if (pick === OPEN_LOG) this.log.show(true);
    if (pick === 'Retry' && retry) await retry();
  }
}
