import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import {
  applyReleaseArgs,
  bindArgs,
  bindByIdsArgs,
  browserLoginArgs,
  grayscaleArgs,
  loginArgs,
  parseRatio,
  publishArgs,
  redact,
  targetAppsText,
  refArgs,
  releaseArgs,
  rollbackArgs,
  temporaryCodeArgs,
  unlessEmpty,
  validateRatio,
  userIdsValidation,
  waitForReviewArgs,
  whitelistArgs,
  withCommon,
} from '../src/pure/args';

const ref = { version: '1.0.1', targetAppId: 'tgt-staging' };

test('the portal setting and the project go with every command; empty fields do not', () => {
  assert.deepEqual(withCommon('miniapp.status', {}, { portal: ' http://127.0.0.1:9999 ', project: '' }), {
    portal: 'http://127.0.0.1:9999',
  });
  assert.deepEqual(withCommon('miniapp.release', releaseArgs('1.0.1', 'tgt'), { portal: '', project: '/p' }), {
    project: '/p',
    version: '1.0.1',
    targetApp: 'tgt',
  });
  assert.deepEqual(withCommon('miniapp.publish', { description: '  ', bump: 'patch' }, {}), { bump: 'patch' });
  // miniapp.pack takes no portal.
  assert.deepEqual(withCommon('miniapp.pack', {}, { portal: 'http://x', project: '/p' }), { project: '/p' });
});

test('login: password login with both, browser login with neither', () => {
  assert.deepEqual(loginArgs(' demo ', ' secret '), { username: 'demo', password: ' secret ' });
  assert.deepEqual(browserLoginArgs(), {});
});

test('bind: the picked ids; yes only when the user said Yes to rebinding', () => {
  assert.deepEqual(bindArgs('spc-1', 'app-1', false), { space: 'spc-1', app: 'app-1' });
  assert.deepEqual(bindArgs('spc-1', 'app-1', true), { space: 'spc-1', app: 'app-1', rebind: true });
  // Portals without lists: ids and target apps as typed, the sidecar checks their shape.
  assert.deepEqual(bindByIdsArgs(' 1532 ', '1512', ' Staging=1611, GoPay=1610 ', false), {
    space: '1532',
    app: '1512',
    targetApps: 'Staging=1611, GoPay=1610',
  });
  assert.equal(bindByIdsArgs('1', '2', 'a=3', true).rebind, true);
  assert.equal(targetAppsText([{ id: '1611', name: 'GoPay Staging' }, { id: '1610', name: 'GoPay' }]), 'GoPay Staging=1611, GoPay=1610');
  assert.equal(targetAppsText(undefined), '');
});

test('publish: nothing by default (the binding decides the bump)', () => {
  assert.deepEqual(publishArgs(), {});
  assert.deepEqual(publishArgs({ bump: 'minor', description: 'd', dryRun: true }), { bump: 'minor', description: 'd', dryRun: true });
});

test('release steps: version and target app id; nothing when nothing was picked', () => {
  assert.deepEqual(refArgs(ref), { version: '1.0.1', targetApp: 'tgt-staging' });
  assert.deepEqual(refArgs(undefined), {});
  assert.deepEqual(temporaryCodeArgs(ref), { version: '1.0.1', targetApp: 'tgt-staging' });
  assert.deepEqual(applyReleaseArgs(ref, '  fixes  '), { version: '1.0.1', targetApp: 'tgt-staging', notes: 'fixes' });
  assert.deepEqual(applyReleaseArgs(ref, ''), { version: '1.0.1', targetApp: 'tgt-staging' });
  assert.deepEqual(rollbackArgs('tgt-gopay'), { targetApp: 'tgt-gopay' });
  assert.deepEqual(waitForReviewArgs(ref, 90.4), { version: '1.0.1', targetApp: 'tgt-staging', timeout: 90 });
  assert.deepEqual(waitForReviewArgs(undefined), {});
});

test('whitelist: the text goes to the sidecar, whose parse the input box shows', () => {
  // The text goes as typed: the sidecar's one parser splits it (`a;b` is two IDs there).
  assert.deepEqual(whitelistArgs(ref, 'a;b'), { version: '1.0.1', targetApp: 'tgt-staging', users: 'a;b' });
  assert.deepEqual(whitelistArgs(undefined, 'a'), { users: 'a' });
  assert.deepEqual(userIdsValidation({ ids: ['u1'], duplicates: 0 }), { message: '1 user ID: u1.', severity: 1 });
  assert.deepEqual(userIdsValidation({ ids: ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'], duplicates: 2 }), {
    message: '6 user IDs: u1, u2, u3, u4, u5, …; 2 repeats counted once.',
    severity: 2,
  });
  assert.deepEqual(userIdsValidation({ refusal: 'not a user ID: "id!" (IDs are letters, digits and . _ - @ + :, at most 64 characters)' }), {
    message: 'Not a user ID: "id!" (IDs are letters, digits and . _ - @ + :, at most 64 characters).',
    severity: 3,
  });
  assert.deepEqual(userIdsValidation({ refusal: 'the whitelist is empty' }), { message: 'The whitelist is empty.', severity: 3 });
});

test('grayscale ratio: a whole percentage 1-100 above the current one', () => {
  assert.equal(validateRatio('10'), undefined);
  assert.equal(validateRatio('10%'), undefined);
  assert.equal(parseRatio(' 25 % '), 25);
  assert.match(validateRatio('abc')!, /whole percentage/);
  assert.match(validateRatio('1.5')!, /whole percentage/);
  assert.match(validateRatio('0')!, /1 to 100/);
  assert.match(validateRatio('101')!, /1 to 100/);
  assert.match(validateRatio('10', 10)!, /only goes up: it is 10% now/);
  assert.equal(validateRatio('50', 10), undefined);
  assert.deepEqual(grayscaleArgs(ref, 50), { version: '1.0.1', targetApp: 'tgt-staging', ratio: 50 });
});

test('the log never shows a password or a token', () => {
  const shown = redact({ username: 'demo', password: 'hunter2', token: 'gpm_x' });
  assert.equal(shown, '{"username":"demo","password":"***","token":"***"}');
});

test('#21 item 25: an input box never opens red; a typed value is checked as before', () => {
  const ratio = unlessEmpty((v) => validateRatio(v, 10));
  assert.equal(ratio(''), undefined);
  assert.equal(ratio('   '), undefined);
  assert.match(ratio('5') ?? '', /only goes up/);
  assert.equal(ratio('20'), undefined);
});
