// The temporary-code panel: one webview showing the QR (inline data: URI), the deeplink with a
// Copy button and the expiry. Its HTML is built in pure/qrHtml.ts under a strict CSP.

import { randomBytes } from 'crypto';
import * as vscode from 'vscode';

import type { Ctx } from './ctx';
import { releaseNow, ShownRelease, shownRelease, stillOffered, temporaryCodePanel } from './pure/follow';
import { temporaryCodeHtml } from './pure/qrHtml';
import type { ReleaseView, TemporaryCode } from './pure/snapshot';

export class QrPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private code: TemporaryCode | undefined;
  /** The release the code is for, as it was when shown: the panel follows it (pure/follow.ts). */
  private shown: ShownRelease | undefined;
  /** What the panel shows of the release now, to re-render only when it changes. */
  private state = '';

  constructor(private readonly ctx: Ctx) {}

  /** Shows a code; `release` is the release it is for, when the caller has it (else the snapshot's). */
  show(code: TemporaryCode, release?: ReleaseView): void {
    this.code = code;
    const found = release ?? this.ctx.snapshot?.versions.find((v) => v.version === code.version)?.releases.find((r) => r.targetApp === code.targetApp);
    this.shown = found && shownRelease(code.version, found);
    const title = `Temporary Code ${code.version} · ${code.targetApp}`;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        'gopayMiniapp.temporaryCode',
        title,
        { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
        { enableScripts: true, localResourceRoots: [], enableCommandUris: false, retainContextWhenHidden: false },
      );
      this.panel.onDidDispose(() => (this.panel = undefined));
      this.panel.webview.onDidReceiveMessage((message: { type?: string }) => this.onMessage(message));
    }
    this.panel.title = title;
    this.render();
    this.panel.reveal(vscode.ViewColumn.Active);
  }

  /** A new snapshot: the panel's next step or its note follows the release. */
  follow(): void {
    if (!this.panel || !this.code) return;
    const state = JSON.stringify(temporaryCodePanel(this.ctx.snapshot, this.shown));
    if (state !== this.state) this.render();
  }

  private render(): void {
    if (!this.panel || !this.code) return;
    const state = temporaryCodePanel(this.ctx.snapshot, this.shown);
    this.state = JSON.stringify(state);
    this.panel.webview.html = temporaryCodeHtml(this.code, randomBytes(16).toString('base64'), new Date(), state);
  }

  private async onMessage(message: { type?: string }): Promise<void> {
    const code = this.code;
    if (!code) return;
    if (message?.type === 'next' && this.shown) {
      // The button was drawn from an earlier snapshot: check the release still allows Apply.
      const offered = stillOffered(this.ctx.snapshot, this.shown, 'gopayMiniapp.applyRelease');
      if (!offered.ok) {
        void vscode.window.showInformationMessage(offered.text);
        this.render();
        return;
      }
      const shown = this.shown;
      const targetAppId = releaseNow(this.ctx.snapshot, shown)?.targetAppId;
      if (targetAppId) await vscode.commands.executeCommand('gopayMiniapp.applyRelease', { version: code.version, targetAppId, targetApp: shown.targetApp });
      return;
    }
    if (message?.type === 'copy') {
      // The deeplink the sidecar sent, never text from the webview.
      await vscode.env.clipboard.writeText(code.deeplink);
      this.ctx.log.info(`copied the deeplink ${code.deeplink}`);
      void this.panel?.webview.postMessage({ type: 'copied' });
      void vscode.window.setStatusBarMessage('$(check) Deeplink copied', 3000);
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
