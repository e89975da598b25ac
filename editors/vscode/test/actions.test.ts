import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { actionForStep, followUpActions, INLINE_MAX, inlineActions, releaseActions, releaseContextValue, releasesAllowing, stepForCommand } from '../src/pure/actions';
import type { ReleaseView } from '../src/pure/snapshot';
import { bound, release } from './fixtures';

const extensionRoot = path.resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(extensionRoot, 'package.json'), 'utf8'));

test('actions come from allowedSteps only; admin steps are not offered', () => {
  const r = release({ state: 'in_review', stateLabel: 'Submit for Review', allowedSteps: ['temporary_code', 'approve', 'reject', 'withdraw'], nextStep: undefined });
  assert.deepEqual(
    releaseActions(r).map((a) => a.title),
    ['Show Temporary Code', 'Withdraw from Review', 'Wait for Review'],
  );
  assert.equal(releaseContextValue(r), 'release state:in_review step:temporary_code step:approve step:reject step:withdraw action:wait inline:temporary_code inline:wait');
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
  assert.deepEqual(followUpActions(release()).map((a) => a.title), ['Apply Release…', 'Show Temporary Code']);
  const inReview = release({ state: 'in_review', stateLabel: 'Submit for Review', allowedSteps: ['temporary_code', 'withdraw'] });
  assert.deepEqual(followUpActions(inReview).map((a) => a.title), ['Show Temporary Code', 'Wait for Review']);
  assert.deepEqual(followUpActions(release({ state: 'released', stateLabel: 'Released', allowedSteps: ['rollback'] })), []);
  // An approval offers the ways forward, the main road first (not only the temporary code).
  const approved = release({ state: 'pilot_test', stateLabel: 'Pilot test', firstRelease: false, allowedSteps: ['temporary_code', 'whitelist', 'grayscale', 'official', 'cancel'], nextStep: 'official' });
  assert.deepEqual(followUpActions(approved).map((a) => a.title), ['Officially Release', 'Set Whitelist…', 'Start Grayscale…']);
  // After the whitelist test, grayscale is offered (#21 item 21), not the temporary code.
  const whitelisted = release({ state: 'whitelist_testing', stateLabel: 'Whitelist test', firstRelease: false, allowedSteps: ['temporary_code', 'whitelist', 'grayscale', 'official', 'cancel'], nextStep: 'official' });
  assert.ok(followUpActions(whitelisted).some((a) => a.title === 'Start Grayscale…'));
  assert.ok(!followUpActions(whitelisted).some((a) => a.title === 'Show Temporary Code'));
  const firstApproved = release({ state: 'pilot_test', stateLabel: 'Pilot test', allowedSteps: ['official', 'cancel'], nextStep: 'official' });
  assert.deepEqual(followUpActions(firstApproved).map((a) => a.title), ['Officially Release']);
});

test('inline actions: a release row\'s hover icons are its inlineActions; rollback is inline on target rows only', () => {
  const menus = manifest.contributes.menus['view/item/context'] as Array<{ command: string; when: string; group: string }>;
  const inline = (command: string) => menus.filter((m) => m.command === command && m.group.startsWith('inline')).map((m) => m.when);
  for (const [command, token] of [
    ['gopayMiniapp.showTemporaryCode', 'temporary_code'],
    ['gopayMiniapp.applyRelease', 'apply'],
    ['gopayMiniapp.waitForReview', 'wait'],
    ['gopayMiniapp.setWhitelist', 'whitelist'],
    ['gopayMiniapp.startGrayscale', 'grayscale'],
    ['gopayMiniapp.officialRelease', 'official'],
  ]) {
    const whens = inline(command);
    assert.equal(whens.length, 1, `${command} inline once`);
    assert.match(whens[0], new RegExp(`inline:${token}\\b`), `${command} is inline by the row's inline: token only`);
    assert.doesNotMatch(whens[0], /step:|next:|action:/, `${command}: a step being allowed does not make it inline`);
  }
  const rollback = inline('gopayMiniapp.rollback');
  assert.deepEqual(rollback.length, 1);
  assert.match(rollback[0], /\^target/);
});

test('#21 item 21: at most two hover icons, so the state is not cut off; the ones that move the release on first', () => {
  const icons = (r: ReleaseView) => inlineActions(r).map((a) => a.title);
  const notSubmitted = release();
  assert.deepEqual(icons(notSubmitted), ['Apply Release…', 'Show Temporary Code']);
  const inReview = release({ state: 'in_review', allowedSteps: ['temporary_code', 'withdraw'], nextStep: undefined });
  assert.deepEqual(icons(inReview), ['Show Temporary Code', 'Wait for Review']);
  const approved = release({ state: 'pilot_test', firstRelease: false, allowedSteps: ['temporary_code', 'whitelist', 'grayscale', 'official', 'cancel'], nextStep: 'official' });
  assert.deepEqual(icons(approved), ['Officially Release', 'Set Whitelist…']);
  // After the whitelist test, grayscale moves the release on; setting the whitelist again does not.
  const whitelisted = release({ state: 'whitelist_testing', firstRelease: false, allowedSteps: ['temporary_code', 'whitelist', 'grayscale', 'official', 'cancel'], nextStep: 'official' });
  assert.deepEqual(icons(whitelisted), ['Officially Release', 'Start Grayscale…']);
  assert.deepEqual(followUpActions(whitelisted).map((a) => a.title), ['Officially Release', 'Start Grayscale…', 'Set Whitelist…']);
  const gray = release({ state: 'grayscale', firstRelease: false, ratio: 10, allowedSteps: ['temporary_code', 'grayscale', 'official', 'cancel'], nextStep: 'official' });
  assert.deepEqual(icons(gray), ['Officially Release', 'Raise Grayscale…']);
  // Nothing forward once live: Roll Back and Cancel stay in the menu (and Roll Back on the target row).
  assert.deepEqual(icons(release({ state: 'released', allowedSteps: ['rollback'], nextStep: undefined })), []);
  for (const r of [notSubmitted, inReview, approved, whitelisted, gray]) {
    const tokens = releaseContextValue(r).split(' ').filter((t) => t.startsWith('inline:'));
    assert.ok(tokens.length <= INLINE_MAX, `${r.state}: ${tokens}`);
    assert.deepEqual(tokens, inlineActions(r).map((a) => `inline:${a.step ?? 'wait'}`));
  }
});
