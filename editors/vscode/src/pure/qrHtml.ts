// The temporary-code panel's HTML: the QR inline (a data: URI — nothing remote), the deeplink
// with a Copy button, the expiry. A strict content security policy: only data: images and the
// panel's own nonce'd style and script. No `vscode` here.

import type { TemporaryCode } from './snapshot';
import { expiryText } from './messages';

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    'img-src data:',
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "font-src 'none'",
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The QR as a data: URI: the PNG when the sidecar sent one, else the SVG. */
export function qrDataUri(code: TemporaryCode): string | undefined {
  if (code.pngBase64 && /^[A-Za-z0-9+/]+=*$/.test(code.pngBase64)) {
    return `data:image/png;base64,${code.pngBase64}`;
  }
  if (code.svg && code.svg.includes('<svg')) {
    return `data:image/svg+xml;base64,${Buffer.from(code.svg, 'utf8').toString('base64')}`;
  }
  return undefined;
}

/** The deeplink, breakable only between its parts (after `?` and each `&`), never inside a number. */
export function deeplinkHtml(deeplink: string): string {
  return deeplink
    .split(/(?<=[?&])/)
    .map(escapeHtml)
    .join('<wbr>');
}

/** The next step the panel offers (Apply Release… while the release allows it). */
export interface NextStep {
  title: string;
}

/** What the panel says of its release now (pure/follow.ts): the next step, or where it is now. */
export interface PanelState {
  next?: NextStep;
  now?: string;
}

export function temporaryCodeHtml(code: TemporaryCode, nonce: string, now: Date, state: PanelState = {}): string {
  const next = state.next;
  const qr = qrDataUri(code);
  const title = `Temporary code: ${code.version} on "${code.targetApp}"`;
  const image = qr
    ? `<img id="qr" class="qr" src="${qr}" alt="QR code of the deeplink" width="264" height="264">`
    : `<p id="qr-missing">The sidecar sent no QR image; use the deeplink below.</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 16px 24px; }
  h1 { font-size: 1.3em; font-weight: 600; margin: 0 0 12px; }
  .qr-box { background: #fff; display: inline-block; padding: 16px; border-radius: 6px; }
  .qr { display: block; image-rendering: pixelated; width: 264px; height: 264px; }
  .row { display: flex; gap: 8px; align-items: center; margin-top: 16px; max-width: 720px; }
  code#deeplink { flex: 1; word-break: keep-all; overflow-wrap: normal; overflow-x: auto; padding: 6px 8px; background: var(--vscode-textCodeBlock-background); border-radius: 4px; user-select: all; }
  button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 6px 14px; border-radius: 2px; cursor: pointer; }
  button:hover { background: var(--vscode-button-hoverBackground); }
  .meta { color: var(--vscode-descriptionForeground); margin-top: 12px; }
  .note { color: var(--vscode-descriptionForeground); margin-top: 8px; font-size: 0.9em; max-width: 720px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div class="qr-box">${image}</div>
<div class="row">
  <code id="deeplink">${deeplinkHtml(code.deeplink)}</code>
  <button id="copy" type="button">Copy</button>
</div>
${next ? `<div class="row"><span class="note">Tested it? Next:</span><button id="next" type="button">${escapeHtml(next.title)}</button></div>` : ''}
${state.now ? `<div class="row"><span class="note" id="now">${escapeHtml(state.now)}</span></div>` : ''}
<div class="meta" id="expiry">${escapeHtml(expiryText(code.expiresAt, now))}</div>
<div class="meta">App ${escapeHtml(code.appId)} · publish ${escapeHtml(code.publishId)}</div>
<p class="note">Scan it with the target app (or open the deeplink on a test device) to open this unreleased version.</p>
<p class="note" id="portal-qr">This QR encodes the deeplink itself. The QR that GoPay's portal shows for Show Temporary Code does not open the MiniApp (GoPay's docs say so: “Preview and test your MiniApp”, docs.midtrans.com); the deeplink is the way to test.</p>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const button = document.getElementById('copy');
  button.addEventListener('click', () => vscode.postMessage({ type: 'copy' }));
  const next = document.getElementById('next');
  if (next) next.addEventListener('click', () => vscode.postMessage({ type: 'next' }));
  window.addEventListener('message', (event) => {
    if (event.data && event.data.type === 'copied') {
      button.textContent = 'Copied';
      setTimeout(() => { button.textContent = 'Copy'; }, 2000);
    }
  });
</script>
</body>
</html>`;
}
