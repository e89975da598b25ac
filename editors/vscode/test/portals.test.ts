// Issue #21 items 4, 5 and 20: the first Log In's portal pick (the sidecar's presets, GoPay
// preselected, Other URL), the title naming the portal, the setting sent as the default of
// unbound projects only, and the browser login's URL with Open URL / Copy URL.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { withCommon } from '../src/pure/args';
import { buildSidebar } from '../src/pure/model';
import {
  browserLoginView,
  checkPortalUrl,
  COPY_URL,
  loginTitle,
  mustChoosePortal,
  OPEN_URL,
  OTHER_URL,
  portalItems,
  portalName,
  PRESETS,
} from '../src/pure/portals';
import type { StatusSnapshot } from '../src/pure/snapshot';

const noPortal: StatusSnapshot = {
  capabilities: { steps: [], listSpaces: false, listApps: false, listTargetApps: false, login: [], accessTokens: false, audit: false, reviews: false },
  project: '/p',
  loggedIn: false,
  versions: [],
  targetApps: [],
  runningJobs: [],
} as unknown as StatusSnapshot;

test('the presets come from the sidecar: GoPay (preselected), GoPay Staging, the local portal', () => {
  assert.deepEqual(
    PRESETS.map((p) => [p.name, p.url]),
    [
      ['GoPay', 'https://miniapp.midtrans.com'],
      ['GoPay Staging', 'https://miniapp.stg.midtrans.com'],
      ['Local portal', 'http://127.0.0.1:8780'],
    ],
  );
  const { items, active } = portalItems();
  assert.equal(active, 'https://miniapp.midtrans.com', 'GoPay production is preselected');
  assert.deepEqual(items.map((i) => i.label), ['GoPay', 'GoPay Staging', 'Local portal', 'Other URL…']);
  assert.equal(items[3].value, OTHER_URL);
  assert.equal(PRESETS.find((p) => p.id === 'gopay')?.backend, 'superapp');
});

test('a new user (no portal in the snapshot, no setting) is asked; a setting or a portal is not', () => {
  assert.equal(mustChoosePortal(noPortal, ''), true);
  assert.equal(mustChoosePortal(noPortal, 'https://miniapp.stg.midtrans.com'), false);
  assert.equal(mustChoosePortal({ ...noPortal, portal: 'http://127.0.0.1:8780' }, ''), false);
  assert.equal(mustChoosePortal(undefined, ''), false, 'before the first snapshot the sidecar decides');
});

test('the login title names the portal; another URL by its host', () => {
  assert.equal(loginTitle('https://miniapp.midtrans.com'), 'Log In to GoPay (miniapp.midtrans.com)');
  assert.equal(loginTitle('https://miniapp.stg.midtrans.com/'), 'Log In to GoPay Staging (miniapp.stg.midtrans.com)');
  assert.equal(portalName('http://127.0.0.1:41234'), '127.0.0.1:41234');
});

test('Other URL: only http(s) addresses, without a password', () => {
  assert.equal(checkPortalUrl('https://portal.example.com'), undefined);
  assert.equal(checkPortalUrl('gopay-staging'), undefined, 'a preset id');
  assert.match(checkPortalUrl('') ?? '', /address/);
  assert.match(checkPortalUrl('file:///etc/passwd') ?? '', /https:\/\//);
  assert.match(checkPortalUrl('portal.example.com') ?? '', /full address/);
  assert.match(checkPortalUrl('https://me:secret@portal.example.com') ?? '', /password/);
});

test('the setting is the default of unbound projects (defaultPortal); a pick is this command’s portal', () => {
  const args = withCommon('miniapp.status', {}, { defaultPortal: 'https://miniapp.stg.midtrans.com', project: '/p' });
  assert.deepEqual(args, { defaultPortal: 'https://miniapp.stg.midtrans.com', project: '/p' });
  assert.equal('portal' in args, false, 'the setting never overrides a binding');
  const login = withCommon('miniapp.login', { username: 'u', password: 'p' }, { portal: 'http://127.0.0.1:9', defaultPortal: 'x' });
  assert.equal(login.portal, 'http://127.0.0.1:9');
});

test('no portal chosen: the sidebar says so, never a made-up address', () => {
  const m = buildSidebar(noPortal);
  assert.equal(m.view, 'loggedOut');
  assert.equal(m.description, 'no portal chosen');
  assert.doesNotMatch(m.statusBar.tooltip, /undefined|127\.0\.0\.1/);
});

test('the browser login shows the URL with Open URL and Copy URL (item 20)', () => {
  const v = browserLoginView({ url: 'http://127.0.0.1:8780/device?user_code=ABCD-EFGH', userCode: 'ABCD-EFGH', browserStarted: false });
  assert.match(v.text, /http:\/\/127\.0\.0\.1:8780\/device\?user_code=ABCD-EFGH/);
  assert.match(v.text, /ABCD-EFGH/);
  assert.deepEqual(v.buttons, [OPEN_URL, COPY_URL]);
  assert.deepEqual(browserLoginView({ url: 'javascript:alert(1)', browserStarted: false }).buttons, [COPY_URL]);
});
