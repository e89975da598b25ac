// The extension against the sidecar's exported command table
// (src/generated/commands.json, generated from the handlers' declarations in crates/lsp and
// kept fresh by crates/lsp/tests/generated.rs): every argument object the extension builds
// fits a command's arguments, and every wire type in src/pure/snapshot.ts has exactly the
// fields of its Rust type's schema.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

import { releaseActions, WAIT_ACTION } from '../src/pure/actions';
import * as A from '../src/pure/args';
import { COMMAND_TABLE } from '../src/pure/protocol';
import { release } from './fixtures';

const extension = path.resolve(__dirname, '../..');

/** command name → its argument fields and types. */
const TABLE = new Map(COMMAND_TABLE.commands.map((c) => [c.name, new Map(c.args.map((a) => [a.name, a.type]))]));

function check(command: string, args: A.Args): void {
  const fields = TABLE.get(command);
  assert.ok(fields, `${command} is not in the sidecar's command table`);
  for (const [key, value] of Object.entries(args)) {
    const ty = fields.get(key);
    assert.ok(ty, `${command} takes no \`${key}\` (it takes ${[...fields.keys()].join(', ')})`);
    const ok =
      ty === 'string' ? typeof value === 'string'
      : ty === 'boolean' ? typeof value === 'boolean'
      : ty === 'integer' ? Number.isInteger(value)
      : ty === 'string[]' ? Array.isArray(value) || typeof value === 'string'
      : false;
    assert.ok(ok, `${command}.${key} must be ${ty}, not ${JSON.stringify(value)}`);
  }
}

test('the table was read', () => {
  assert.ok(TABLE.size >= 20, `only ${TABLE.size} commands parsed`);
  assert.equal(TABLE.get('miniapp.startGrayscale')?.get('ratio'), 'integer');
});

test('every argument object the extension builds fits the table', () => {
  const common = { portal: 'http://127.0.0.1:8780', defaultPortal: 'gopay-staging', project: '/p' };
  const ref = { version: '1.0.1', targetAppId: 'tgt' };
  const cases: Array<[string, A.Args]> = [
    ['miniapp.status', {}],
    ['miniapp.checkPortal', {}],
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

/** `interface X { a: T; b?: U }` of src/pure/snapshot.ts → X → field → optional. */
function interfaces(): Map<string, Map<string, boolean>> {
  const file = path.join(extension, 'src/pure/snapshot.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out = new Map<string, Map<string, boolean>>();
  source.forEachChild((node) => {
    // An interface with an index signature (HintReport: one shape per kind) is checked by kind elsewhere.
    if (!ts.isInterfaceDeclaration(node) || node.members.some(ts.isIndexSignatureDeclaration)) return;
    const fields = new Map<string, boolean>();
    for (const member of node.members) {
      if (ts.isPropertySignature(member) && member.name && ts.isIdentifier(member.name)) {
        fields.set(member.name.text, member.questionToken !== undefined);
      }
    }
    out.set(node.name.text, fields);
  });
  return out;
}

type Schema = { properties?: Record<string, unknown>; required?: string[] };

test('every wire type of snapshot.ts has exactly the fields of its Rust type (same name in $defs)', () => {
  const defs = COMMAND_TABLE.$defs as Record<string, Schema>;
  const mirrored = [...interfaces()].filter(([name]) => name in defs && defs[name].properties);
  assert.ok(mirrored.length >= 15, `only ${mirrored.map(([n]) => n).join(', ')} mirror a Rust type`);
  const problems: string[] = [];
  for (const [name, fields] of mirrored) {
    const schema = defs[name];
    const required = new Set(schema.required ?? []);
    for (const field of Object.keys(schema.properties ?? {})) {
      if (!fields.has(field)) problems.push(`${name}.${field} is missing from snapshot.ts`);
      else if (fields.get(field) !== !required.has(field)) problems.push(`${name}.${field} is ${required.has(field) ? 'always sent' : 'optional'} on the wire`);
    }
    for (const field of fields.keys()) {
      if (!(field in (schema.properties ?? {}))) problems.push(`${name}.${field} is not sent by the sidecar`);
    }
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('every command result the extension reads is a named type it mirrors', () => {
  const mirrored = interfaces();
  for (const command of ['miniapp.status', 'miniapp.publish', 'miniapp.release', 'miniapp.login', 'miniapp.bind', 'miniapp.waitForReview', 'miniapp.temporaryCode']) {
    const result = COMMAND_TABLE.commands.find((c) => c.name === command)?.result;
    assert.ok(result && mirrored.has(result), `${command}'s result ${result} has no interface in snapshot.ts`);
  }
});
