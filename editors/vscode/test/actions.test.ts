import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { actionForStep, followUpActions, releaseActions, releaseContextValue, releasesAllowing, stepForCommand } from '../src/pure/actions';
import { bound, release } from './fixtures';

const extensionRoot = path.resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(extensionRoot, 'package.json'), 'utf8'));

test('actions come from allowedSteps only; admin steps are not offered', () => {
  const r = release({ state: 'in_review', stateLabel: 'Submit for Review', allowedSteps: ['temporary_code', 'approve', 'reject', 'withdraw'], nextStep: undefined });
  assert.deepEqual(
    releaseActions(r).map((a) => a.title),
    ['Show Temporary Code', 'Withdraw from Review', 'Wait for Review'],
  );
  assert.equal(releaseContextValue(r), 'release state:in_review step:temporary_code step:approve step:reject step:withdraw action:wait');
});

test('Version Creation: temporary code, apply (next), cancel', () => {
  const r = release();
  assert.deepEqual(
    releaseActions(r).map((a) => [a.command, a.sidecarCommand]),
    [
      ['gopayMiniapp.showTemporaryCode', 'miniapp.temporaryCode'],
      ['gopayMiniapp.applyRelease', 'miniapp.applyRelease'],
      ['gopayMiniapp.cancelRelease', 'miniapp.cancelRelease'],
    ],
  );
  assert.match(releaseContextValue(r), /\bnext:apply\b/);
});

test('grayscale reads Start, or Raise while in grayscale', () => {
  const pilot = release({ state: 'pilot_test', stateLabel: 'Pilot test', firstRelease: false, allowedSteps: ['whitelist', 'grayscale', 'official', 'cancel'] });
  assert.ok(releaseActions(pilot).some((a) => a.title === 'Start Grayscale…'));
  const gray = release({ state: 'grayscale', stateLabel: 'Grayscale', ratio: 5, allowedSteps: ['grayscale', 'official'] });
  assert.ok(releaseActions(gray).some((a) => a.title === 'Raise Grayscale…'));
});

test('a next step that is not allowed is not offered inline', () => {
  const r = release({ allowedSteps: ['temporary_code'], nextStep: 'apply' });
  assert.doesNotMatch(releaseContextValue(r), /next:/);
});

test('releases allowing a step, newest version first', () => {
  const snap = bound();
  assert.deepEqual(
    releasesAllowing(snap, 'temporary_code').map((c) => c.version.version),
    ['1.0.2'],
  );
  assert.deepEqual(
    releasesAllowing(snap, 'rollback').map((c) => [c.version.version, c.release.targetApp]),
    [['1.0.1', 'GoPay Staging']],
  );
  assert.deepEqual(releasesAllowing(undefined, 'apply'), []);
  assert.equal(stepForCommand('gopayMiniapp.officialRelease'), 'official');
  assert.equal(actionForStep('approve'), undefined);
});

test('every action command is contributed, and every menu step is a step the extension offers', () => {
  const contributed = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
  const steps = ['temporary_code', 'apply', 'withdraw', 'whitelist', 'grayscale', 'official', 'cancel', 'rollback'] as const;
  for (const step of steps) {
    const action = actionForStep(step)!;
    assert.ok(contributed.has(action.command), action.command);
  }
  for (const item of manifest.contributes.menus['view/item/context']) {
    for (const [, kind, step] of String(item.when).matchAll(/\\b(step|next):(\w+)/g)) {
      assert.ok(actionForStep(step as never), `${kind}:${step} in a menu is not an action`);
    }
  }
});

test('after a step, the notification offers what comes next on the main road', () => {
  assert.deepEqual(followUpActions(release()).map((a) => a.title), ['Show Temporary Code', 'Apply Release…']);
  const inReview = release({ state: 'in_review', stateLabel: 'Submit for Review', allowedSteps: ['temporary_code', 'withdraw'] });
  assert.deepEqual(followUpActions(inReview).map((a) => a.title), ['Show Temporary Code', 'Wait for Review']);
  assert.deepEqual(followUpActions(release({ state: 'released', stateLabel: 'Released', allowedSteps: ['rollback'] })), []);
});
