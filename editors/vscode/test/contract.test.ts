// The arguments we build against THE command table of the sidecar
// (crates/lsp/src/commands.rs): every field we send is one the command takes, with its type.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { releaseActions, WAIT_ACTION } from '../src/pure/actions';
import * as A from '../src/pure/args';
import { release } from './fixtures';

const repo = path.resolve(__dirname, '../../../..');
const table = readFileSync(path.join(repo, 'crates/lsp/src/commands.rs'), 'utf8');

/** `const NAME: ArgSpec = ArgSpec { name: "x", ty: ArgType::T` → NAME → {name, ty}. */
function argConsts(): Map<string, { name: string; ty: string }> {
  const out = new Map<string, { name: string; ty: string }>();
  for (const m of table.matchAll(/const (\w+): ArgSpec = ArgSpec \{\s*name: "(\w+)",\s*ty: ArgType::(\w+)/g)) {
    out.set(m[1], { name: m[2], ty: m[3] });
  }
  return out;
}

/** command name → its argument fields and types. */
function commands(): Map<string, Map<string, string>> {
  const consts = argConsts();
  const out = new Map<string, Map<string, string>>();
  for (const m of table.matchAll(/name: "(miniapp\.\w+)",[\s\S]*?args: &\[([\s\S]*?)\]/g)) {
    const fields = new Map<string, string>();
    for (const c of m[2].split(',').map((s) => s.trim()).filter(Boolean)) {
      const spec = consts.get(c);
      assert.ok(spec, `unknown ArgSpec ${c}`);
      fields.set(spec.name, spec.ty);
    }
    out.set(m[1], fields);
  }
  return out;
}

const TABLE = commands();

function check(command: string, args: A.Args): void {
  const fields = TABLE.get(command);
  assert.ok(fields, `${command} is not in the sidecar's command table`);
  for (const [key, value] of Object.entries(args)) {
    const ty = fields.get(key);
    assert.ok(ty, `${command} takes no \`${key}\` (it takes ${[...fields.keys()].join(', ')})`);
    const ok =
      ty === 'String' ? typeof value === 'string'
      : ty === 'Boolean' ? typeof value === 'boolean'
      : ty === 'Integer' ? Number.isInteger(value)
      : ty === 'StringList' ? Array.isArray(value) || typeof value === 'string'
      : false;
    assert.ok(ok, `${command}.${key} must be ${ty}, not ${JSON.stringify(value)}`);
  }
}

test('the table was read', () => {
  assert.ok(TABLE.size >= 20, `only ${TABLE.size} commands parsed`);
  assert.equal(TABLE.get('miniapp.startGrayscale')?.get('ratio'), 'Integer');
});

test('every argument object the extension builds fits the table', () => {
  const common = { portal: 'http://127.0.0.1:8780', project: '/p' };
  const ref = { version: '1.0.1', targetAppId: 'tgt' };
  const cases: Array<[string, A.Args]> = [
    ['miniapp.status', {}],
    ['miniapp.login', A.loginArgs('demo', 'demo')],
    ['miniapp.login', A.browserLoginArgs()],
    ['miniapp.logout', {}],
    ['miniapp.listSpaces', {}],
    ['miniapp.listApps', A.listAppsArgs('spc')],
    ['miniapp.listTargetApps', {}],
    ['miniapp.bind', A.bindArgs('spc', 'app', true)],
    ['miniapp.bind', A.bindByIdsArgs('1532', '1512', 'GoPay=1611', true)],
    ['miniapp.checkUserIds', { users: 'u1; u2' }],
    ['miniapp.publish', A.publishArgs({ bump: 'patch', description: 'd', dryRun: true })],
    ['miniapp.release', A.releaseArgs('1.0.1', 'tgt')],
    ['miniapp.temporaryCode', A.temporaryCodeArgs(ref)],
    ['miniapp.applyRelease', A.applyReleaseArgs(ref, 'notes')],
    ['miniapp.waitForReview', A.waitForReviewArgs(ref, 60)],
    ['miniapp.withdrawRelease', A.refArgs(ref)],
    ['miniapp.setWhitelist', A.whitelistArgs(ref, 'u1,u2')],
    ['miniapp.startGrayscale', A.grayscaleArgs(ref, 10)],
    ['miniapp.officialRelease', A.refArgs(ref)],
    ['miniapp.cancelRelease', A.refArgs(ref)],
    ['miniapp.rollback', A.rollbackArgs('tgt')],
    ['miniapp.pack', {}],
  ];
  for (const [command, args] of cases) check(command, A.withCommon(command, args, common));
});

test('every action a release offers forwards to a command of the table', () => {
  const all = release({ allowedSteps: ['temporary_code', 'apply', 'withdraw', 'whitelist', 'grayscale', 'official', 'cancel', 'rollback'] });
  for (const action of [...releaseActions(all), WAIT_ACTION]) {
    assert.ok(TABLE.has(action.sidecarCommand), action.sidecarCommand);
  }
});
