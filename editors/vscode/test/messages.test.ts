import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import {
  classifyQuestion,
  describeError,
  expiryText,
  failureText,
  ProgressTracker,
  publishText,
  splitMessage,
  stepText,
} from '../src/pure/messages';
import { release } from './fixtures';

test('a sidecar error shows its message and hint, never [object Object]', () => {
  const f = describeError({
    code: -32803,
    message: 'build failed',
    data: { code: 'build_failed', message: 'npm run build exited with 1', hint: 'see the log', retryable: false },
  });
  assert.deepEqual(f, { message: 'npm run build exited with 1', hint: 'see the log', code: 'build_failed', cancelled: false, retryable: false });
  assert.equal(failureText(f), 'npm run build exited with 1 — see the log');
  const cancelled = describeError({ code: -32800, message: 'x', data: { code: 'cancelled', message: 'cancelled (package.json was restored to 1.0.0)', hint: '', retryable: false } });
  assert.equal(cancelled.cancelled, true);
  assert.equal(failureText(cancelled), 'cancelled (package.json was restored to 1.0.0)');
  assert.equal(describeError(new Error('Client is not running')).message, 'Client is not running');
  assert.equal(describeError({}).message, 'the sidecar failed without saying why (see the log)');
  assert.equal(describeError('plain').message, 'plain');
});

test('Yes/No questions become modals with the details below; choices quick picks', () => {
  const q = classifyQuestion('Submit 1.0.1 for review on "GoPay Staging"?\n  App: Hello (app-1)\n  Notes: first', [{ title: 'Yes' }, { title: 'No' }]);
  assert.deepEqual(q, { kind: 'confirm', message: 'Submit 1.0.1 for review on "GoPay Staging"?', detail: 'App: Hello (app-1)\nNotes: first', yes: 'Yes', no: 'No' });
  assert.deepEqual(classifyQuestion('Select a space', [{ title: 'Demo Space' }, { title: 'Other' }]), {
    kind: 'choice',
    message: 'Select a space',
    options: ['Demo Space', 'Other'],
  });
  assert.deepEqual(classifyQuestion('hello', undefined), { kind: 'message', message: 'hello' });
  assert.deepEqual(splitMessage('one line'), { message: 'one line' });
});

test('results in the portal’s words', () => {
  assert.equal(
    publishText({ version: '1.0.1', appId: 'a', app: 'Hello MiniApp', dryRun: false, packageJsonVersion: '1.0.1', size: 2048, sha256: 'x', files: 3, identicalToPrevious: false, elapsedMs: 1234 }),
    'Published Hello MiniApp 1.0.1 (3 files, 2.0 KB, 1.2 s). package.json is now 1.0.1.',
  );
  const result = { appId: 'a', version: '1.0.2', versionId: 'v', release: release({ state: 'released', stateLabel: 'Released' }), archivedVersion: '1.0.1' };
  assert.equal(stepText('miniapp.officialRelease', result), '1.0.2 is officially released on "GoPay Staging". 1.0.1 was archived.');
  assert.equal(stepText('miniapp.release', { ...result, release: release() }), '1.0.2 is released to "GoPay Staging": Version Creation.');
});

test('expiry is relative to now', () => {
  const now = new Date('2024-05-01T10:00:00Z');
  assert.equal(expiryText('2024-05-01T10:10:00Z', now), 'expires in 10 min (2024-05-01 10:10 UTC)');
  assert.equal(expiryText('2024-05-01T09:00:00Z', now), 'expired (2024-05-01 09:00 UTC)');
  assert.equal(expiryText('2024-05-02T10:00:00Z', now), 'expires in 24 h (2024-05-02 10:00 UTC)');
  assert.equal(expiryText('soon', now), 'expires soon');
});

test('progress percentages become increments', () => {
  const t = new ProgressTracker();
  assert.equal(t.step(undefined), undefined);
  assert.equal(t.step(10), 10);
  assert.equal(t.step(10), undefined);
  assert.equal(t.step(45), 35);
  assert.equal(t.step(30), undefined);
  assert.equal(t.step(150), 55);
});
