import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { contentSecurityPolicy, escapeHtml, qrDataUri, temporaryCodeHtml } from '../src/pure/qrHtml';
import type { TemporaryCode } from '../src/pure/snapshot';

const code: TemporaryCode = {
  appId: 'app-1',
  version: '1.0.1',
  targetApp: 'GoPay Staging',
  publishId: 'pub-1',
  deeplink: 'gopaystaging://mini-app/windvane?app_id=app-1&publish_id=pub-1',
  expiresAt: '2024-05-01T10:10:00Z',
  pngBase64: 'iVBORw0KGgo=',
  svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
};

test('the QR is inline: PNG first, else the SVG, never a URL', () => {
  assert.equal(qrDataUri(code), 'data:image/png;base64,iVBORw0KGgo=');
  assert.match(qrDataUri({ ...code, pngBase64: undefined })!, /^data:image\/svg\+xml;base64,/);
  assert.equal(qrDataUri({ ...code, pngBase64: 'not base64!"><script>', svg: undefined }), undefined);
});

test('strict CSP: nothing remote, only data: images and nonce’d style and script', () => {
  const csp = contentSecurityPolicy('abc');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /img-src data:(;|$)/);
  assert.match(csp, /script-src 'nonce-abc'/);
  assert.doesNotMatch(csp, /https?:|\*/);
  const html = temporaryCodeHtml(code, 'abc', new Date('2024-05-01T10:00:00Z'));
  assert.match(html, /<meta http-equiv="Content-Security-Policy"/);
  assert.doesNotMatch(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, ''), /(src|href)="https?:/);
  for (const tag of html.match(/<(script|style)[^>]*>/g) ?? []) assert.match(tag, /nonce="abc"/);
});

test('the deeplink (escaped), a Copy button and the expiry', () => {
  const html = temporaryCodeHtml(code, 'n', new Date('2024-05-01T10:00:00Z'));
  // Breakable only after `?` and `&` (never inside the ids), escaped.
  assert.match(html, /<code id="deeplink">gopaystaging:\/\/mini-app\/windvane\?<wbr>app_id=app-1&amp;<wbr>publish_id=pub-1<\/code>/);
  assert.match(html, /word-break: keep-all/);
  assert.doesNotMatch(html, /break-all/);
  assert.doesNotMatch(html, /id="next"/, 'no next step unless the release allows one');
  assert.match(temporaryCodeHtml(code, 'n', new Date(), { next: { title: 'Apply Release…' } }), /<button id="next" type="button">Apply Release…<\/button>/);
  assert.match(html, /<button id="copy" type="button">Copy<\/button>/);
  assert.match(html, /expires in 10 min/);
  assert.match(html, /<img id="qr"/);
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('#21 item 25: the panel says the portal\'s own temporary QR does not open the MiniApp and the deeplink is the way to test', () => {
  const html = temporaryCodeHtml(code, 'n', new Date());
  assert.match(html, /id="portal-qr"[^>]*>[^<]*does not open the MiniApp[^<]*the deeplink is the way to test/);
});
