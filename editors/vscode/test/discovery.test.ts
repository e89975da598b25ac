import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { checkCapabilities, discover, parseVersion } from '../src/pure/discovery';

const base = { extensionPath: '/ext', platform: 'linux' as const, home: '/home/me', pathEnv: '/usr/local/bin:/usr/bin' };
const only = (...files: string[]) => (f: string) => (files.includes(f) ? ('executable' as const) : ('missing' as const));

test('the setting wins, with ~ expanded', () => {
  const d = discover({ ...base, settingPath: '~/bin/gopay-miniapp', fileState: only('/home/me/bin/gopay-miniapp', '/ext/server/gopay-miniapp') });
  assert.deepEqual(d, { ok: true, found: { path: '/home/me/bin/gopay-miniapp', source: 'setting' } });
});

test('a setting that points nowhere is an error, not a silent fallback', () => {
  const d = discover({ ...base, settingPath: '/nope', fileState: only('/ext/server/gopay-miniapp') });
  assert.equal(d.ok, false);
  assert.match(!d.ok ? d.problem : '', /gopayMiniapp\.server\.path is "\/nope"/);
});

test('then the bundled binary, then PATH', () => {
  assert.deepEqual(discover({ ...base, fileState: only('/ext/server/gopay-miniapp', '/usr/bin/gopay-miniapp') }), {
    ok: true,
    found: { path: '/ext/server/gopay-miniapp', source: 'bundled' },
  });
  assert.deepEqual(discover({ ...base, settingPath: '  ', fileState: only('/usr/bin/gopay-miniapp') }), {
    ok: true,
    found: { path: '/usr/bin/gopay-miniapp', source: 'PATH' },
  });
  const none = discover({ ...base, fileState: only() });
  assert.equal(none.ok, false);
  assert.match(!none.ok ? none.problem : '', /no gopay-miniapp was found/);
});

test('--version output', () => {
  assert.equal(parseVersion('gopay-miniapp 0.1.0\n'), '0.1.0');
  assert.equal(parseVersion('gopay-miniapp 1.2.3-beta.1'), '1.2.3-beta.1');
  assert.equal(parseVersion('rust-analyzer 1.0.0'), undefined);
  assert.equal(parseVersion(''), undefined);
});

test('initialize capabilities: the gopayMiniapp protocol version', () => {
  assert.equal(checkCapabilities({ gopayMiniapp: { protocolVersion: 1, statusNotification: 'miniapp/didChangeStatus' } }), undefined);
  assert.match(checkCapabilities(undefined)!, /not the GoPay MiniApp sidecar/);
  assert.match(checkCapabilities({ gopayMiniapp: { protocolVersion: 2 } })!, /protocol version 2/);
});

test('a relative setting is taken from the workspace folder', () => {
  const d = discover({ ...base, baseDir: '/work/repo', settingPath: 'target/debug/gopay-miniapp', fileState: only('/work/repo/target/debug/gopay-miniapp') });
  assert.deepEqual(d, { ok: true, found: { path: '/work/repo/target/debug/gopay-miniapp', source: 'setting' } });
});
