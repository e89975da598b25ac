import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import {
  applyReleaseArgs,
  bindArgs,
  browserLoginArgs,
  grayscaleArgs,
  loginArgs,
  parseRatio,
  parseUserIds,
  publishArgs,
  redact,
  refArgs,
  releaseArgs,
  rollbackArgs,
  temporaryCodeArgs,
  validateRatio,
  validateUserIds,
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
  assert.deepEqual(bindArgs('spc-1', 'app-1', true), { space: 'spc-1', app: 'app-1', yes: true });
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

test('whitelist: ids split on commas, spaces and lines, without repeats', () => {
  // The sidecar's rules (core `parse_user_ids`): commas, spaces, tabs and lines; `#` comments; repeats once.
  assert.deepEqual(parseUserIds('u1, u2\nu3\tu1  u4, # the rest\n# u9'), ['u1', 'u2', 'u3', 'u4']);
  assert.deepEqual(parseUserIds('a;b'), ['a;b'], 'a semicolon is not a separator (the sidecar would not split there)');
  assert.deepEqual(whitelistArgs(ref, 'a,b'), { version: '1.0.1', targetApp: 'tgt-staging', users: ['a', 'b'] });
  assert.deepEqual(whitelistArgs(undefined, 'a'), { users: ['a'] });
  assert.deepEqual(validateUserIds(' , '), { message: 'Type at least one user ID (separate several with commas).', severity: 3 });
  assert.deepEqual(validateUserIds('u1'), { message: '1 user ID: u1.', severity: 1 });
  // "u1, u1, bad id!" is three IDs, one listed twice and one unusual: said before it is sent.
  assert.deepEqual(validateUserIds('u1, u1, bad id!'), {
    message: '3 user IDs: u1, bad, id!. u1 is listed more than once (counted once); check “id!”: user IDs rarely have such characters.',
    severity: 2,
  });
  assert.equal(validateUserIds('x'.repeat(129))?.severity, 3);
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
