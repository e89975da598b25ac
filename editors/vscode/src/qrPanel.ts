// The temporary-code panel: one webview showing the QR (inline data: URI), the deeplink with a
// Copy button and the expiry. Its HTML is built in pure/qrHtml.ts under a strict CSP.

import { randomBytes } from 'crypto';
import * as vscode from 'vscode';

import type { Ctx } from './ctx';
import { temporaryCodeHtml } from './pure/qrHtml';
import type { ReleaseView, TemporaryCode } from './pure/snapshot';

export class QrPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private code: TemporaryCode | undefined;

  constructor(private readonly ctx: Ctx) {}

  show(code: TemporaryCode): void {
    this.code = code;
    const title = `Temporary Code ${code.version} · ${code.targetApp}`;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        'gopayMiniapp.temporaryCode',
        title,
        { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
        { enableScripts: true, localResourceRoots: [], enableCommandUris: false, retainContextWhenHidden: false },
      );
      this.panel.onDidDispose(() => (this.panel = undefined));
      this.panel.webview.onDidReceiveMessage(async (message: { type?: string }) => {
        if (message?.type === 'next' && this.code) {
          const release = this.release(this.code);
          if (release) await vscode.commands.executeCommand('gopayMiniapp.applyRelease', { version: this.code.version, targetAppId: release.targetAppId, targetApp: release.targetApp });
          return;
        }
        if (message?.type === 'copy' && this.code) {
          // The deeplink the sidecar sent, never text from the webview.
          await vscode.env.clipboard.writeText(this.code.deeplink);
          this.ctx.log.info(`copied the deeplink ${this.code.deeplink}`);
          void this.panel?.webview.postMessage({ type: 'copied' });
          void vscode.window.setStatusBarMessage('$(check) Deeplink copied', 3000);
        }
      });
    }
    this.panel.title = title;
    const canApply = this.release(code)?.allowedSteps.includes('apply') ?? false;
    this.panel.webview.html = temporaryCodeHtml(code, randomBytes(16).toString('base64'), new Date(), canApply ? { title: 'Apply Release…' } : undefined);
    this.panel.reveal(vscode.ViewColumn.Active);
  }

  /** The release the code belongs to, from the sidebar's snapshot. */
  private release(code: TemporaryCode): ReleaseView | undefined {
    return this.ctx.snapshot?.versions.find((v) => v.version === code.version)?.releases.find((r) => r.targetApp === code.targetApp);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
