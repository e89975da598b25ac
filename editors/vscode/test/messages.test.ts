import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import {
  confirmWording,
  failureView,
  progressMessage,
  reviewChanges,
  reviewText,
  stateName,
  classifyQuestion,
  describeError,
  expiryText,
  failureText,
  ProgressTracker,
  publishText,
  splitMessage,
  stepText,
} from '../src/pure/messages';
import { bound, release } from './fixtures';

const PORTAL = 'http://127.0.0.1:8780';
/** A sidecar error; `hint` is `[kind, text]` (the wire's `{kind, text}`). */
const rpc = ({ hint, ...data }: Record<string, unknown> & { hint?: [string, string] }, code = -32803) => ({
  code,
  message: String(data.message),
  data: { hint: { kind: hint?.[0] ?? 'none', text: hint?.[1] ?? '' }, retryable: false, ...data },
});

test('a sidecar error shows its message and hint, never [object Object]', () => {
  const f = describeError({
    code: -32803,
    message: 'build failed',
    data: { code: 'build_failed', message: 'npm run build exited with 1', hint: { kind: 'fixBuild', text: 'see the log' }, retryable: false, buildExitCode: 1 },
  });
  assert.deepEqual(f, { message: 'npm run build exited with 1', hint: 'see the log', hintKind: 'fixBuild', code: 'build_failed', cancelled: false, retryable: false, buildExitCode: 1 });
  assert.equal(failureText(f), 'npm run build exited with 1 — see the log');
  const cancelled = describeError({ code: -32800, message: 'x', data: { code: 'cancelled', message: 'cancelled (package.json was restored to 1.0.0)', hint: { kind: 'none', text: '' }, retryable: false } });
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
  // The sidecar offers its own verb and No: the verb is the modal's button.
  assert.deepEqual(classifyQuestion('Roll back "GoPay"?', [{ title: 'Roll Back' }, { title: 'No' }]), {
    kind: 'confirm',
    message: 'Roll back "GoPay"?',
    yes: 'Roll Back',
    no: 'No',
  });
  assert.deepEqual(splitMessage('one line'), { message: 'one line' });
});

test('results in the portal’s words', () => {
  assert.equal(
    publishText({ version: '1.0.1', appId: 'a', app: 'Hello MiniApp', dryRun: false, packageJsonVersion: '1.0.1', bumpedFiles: ['package.json'], built: true, description: 'x', descriptionSource: 'given', size: 2048, sha256: 'x', files: 3, identicalToPrevious: false, elapsedMs: 1234 }),
    'Published Hello MiniApp 1.0.1 (3 files, 2.0 KiB, 1.2 s); package.json is now 1.0.1. Not live yet: release it to a target app.',
  );
  const result = { appId: 'a', version: '1.0.2', versionId: 'v', release: release({ state: 'released', stateLabel: 'Released' }), archivedVersion: '1.0.1' };
  assert.equal(stepText('miniapp.officialRelease', result), '1.0.2 is live for everyone on "GoPay Staging". 1.0.1 was archived.');
  // Creating a release does not make it live, and says so.
  assert.equal(
    stepText('miniapp.release', { ...result, release: release() }),
    'Created the release of 1.0.2 on "GoPay Staging": not submitted and not live yet. Test it with the temporary code, then apply for review.',
  );
  assert.doesNotMatch(stepText('miniapp.release', { ...result, release: release() }), /released to/);
  const whitelisted = { ...result, release: release({ state: 'whitelist_testing', whitelist: ['u1', 'bad', 'id!'] }) };
  assert.equal(stepText('miniapp.setWhitelist', whitelisted), '1.0.2 is live on "GoPay Staging" for 3 whitelisted users.');
  assert.equal(stepText('miniapp.setWhitelist', { ...result, release: release({ state: 'whitelist_testing', whitelist: ['u1'] }) }), '1.0.2 is live on "GoPay Staging" for 1 whitelisted user.');
});

test('expiry is relative to now', () => {
  const now = new Date('2024-05-01T10:00:00Z');
  assert.equal(expiryText('2024-05-01T10:10:00Z', now), 'expires in 10 min (1 May 2024, 10:10 UTC)');
  assert.equal(expiryText('2024-05-01T09:00:00Z', now), 'expired (1 May 2024, 09:00 UTC)');
  assert.equal(expiryText('2024-05-02T10:00:00Z', now), 'expires in 24 h (2 May 2024, 10:00 UTC)');
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

test('a failed build: one line with the command and its first error line, Show Build Output first', () => {
  const error = rpc({
    code: 'build_failed',
    message: "the build command `npm run build` failed (exit status: 1). Last lines of its output:\n> build\nError: Cannot find module 'x'\n    at foo (package.json was restored to 1.0.0)",
    hint: ['fixBuild', 'Fix the build (its output is in the log), or set buildCommand in gopay-miniapp.json.'],
    buildExitCode: 1,
    buildCommand: 'npm run build',
    firstErrorLine: "Error: Cannot find module 'x'",
    buildOutputAvailable: true,
    restoredVersion: '1.0.0',
  });
  const view = failureView('Publish', describeError(error), PORTAL);
  assert.equal(view.text, "Publish failed: “npm run build” exited 1: Error: Cannot find module 'x'. package.json is back at 1.0.0.");
  assert.deepEqual(view.buttons, ['Show Build Output']);
  assert.doesNotMatch(view.text, /\n/);
});

test('an unreachable portal: "can’t reach <host>", Retry and Open Settings, no jargon', () => {
  const error = rpc({
    code: 'network',
    message: 'error sending request for url (http://127.0.0.1:8780/api/v1/apps/x/versions): client error (Connect): tcp connect error: Connection refused (os error 111)',
    hint: ['checkNetwork', 'Check the network and the portal address; it is safe to retry.'],
    retryable: true,
  });
  const view = failureView('Publish', describeError(error), PORTAL);
  assert.equal(view.text, 'Publish failed: can’t reach 127.0.0.1:8780. Check the portal URL and your network.');
  assert.deepEqual(view.buttons, ['Retry', 'Open Settings', 'Open Log']);
});

test('error buttons by kind: Retry only where retrying is safe; busy and finished releases have none', () => {
  const busy = failureView('Publish', describeError(rpc({ code: 'busy', message: 'another publish is running in /p', hint: ['waitForOtherPublish', 'Wait for it to finish: one publish per project at a time.'], retryable: true })), PORTAL);
  assert.deepEqual(busy.buttons, ['Show Progress']);
  const finished = failureView('Officially Release', describeError(rpc({ code: 'illegal_step', message: 'the release of 1.0.1 to "GoPay" is Released; official is not allowed', hint: ['takeStep', 'Possible now: Roll Back.'] })), PORTAL);
  assert.ok(!finished.buttons.includes('Retry'), `${finished.buttons}`);
  assert.equal(finished.buttons[0], 'Refresh');
  assert.doesNotMatch(finished.text, /`/);
  const retryable = failureView('Publish', describeError(rpc({ code: 'upload_interrupted', message: 'the upload stopped', hint: ['none', ''], retryable: true })), PORTAL);
  assert.deepEqual(retryable.buttons, ['Retry', 'Open Log']);
  const notRetryable = failureView('Publish', describeError(rpc({ code: 'secrets_found', message: 'found files that look like secrets: .env', hint: ['leaveOutSecrets', 'Leave the files out with .miniappignore, or allow secrets (`allowSecrets`) if they are meant to ship.'] })), PORTAL);
  assert.deepEqual(notRetryable.buttons, ['Open Log']);
  assert.doesNotMatch(notRetryable.text, /--allow-secrets/);
  const expired = failureView('Release', describeError(rpc({ code: 'session_expired', message: 'the session expired', hint: ['logIn', 'Log in again.'] })), PORTAL);
  assert.deepEqual(expired.buttons, ['Log In']);
  assert.doesNotMatch(expired.text, /gopay-miniapp login/);
  const unbound = failureView('Publish', describeError(rpc({ code: 'not_bound', message: '/p is not bound to a MiniApp (no gopay-miniapp.json)', hint: ['bind', 'Bind the project to a MiniApp.'] })), PORTAL);
  assert.deepEqual(unbound.buttons, ['Bind MiniApp']);
});

test('Escape in a picker and a cancelled login are silent; a cancelled publish says what was put back', () => {
  const dismissed = rpc({ code: 'cancelled', message: 'Which version? — no choice was made, so nothing was done', hint: ['nothingChanged', 'Nothing was changed.'] });
  assert.equal(failureView('Officially Release', describeError(dismissed), PORTAL).silent, true);
  const login = rpc({ code: 'cancelled', message: 'cancelled', hint: ['nothingChanged', 'Nothing was changed.'] }, -32800);
  assert.equal(failureView('Log in', describeError(login), PORTAL).silent, true);
  const publish = rpc({ code: 'cancelled', message: 'the build command `x` was cancelled (package.json was restored to 1.0.1)', restoredVersion: '1.0.1' }, -32800);
  const view = failureView('Publish', describeError(publish), PORTAL);
  assert.equal(view.silent, false);
  assert.equal(view.text, 'Publish cancelled: nothing was uploaded. package.json is back at 1.0.1.');
});

test('confirmations: verb buttons, a warning for what reaches users', () => {
  assert.deepEqual(confirmWording('miniapp.officialRelease'), { verb: 'Release to Everyone', warning: true });
  assert.deepEqual(confirmWording('miniapp.rollback'), { verb: 'Roll Back', warning: true });
  assert.equal(confirmWording('miniapp.applyRelease')?.warning, false);
  assert.equal(confirmWording('miniapp.status'), undefined);
});

test('state names and review notifications', () => {
  assert.equal(stateName('in_review'), 'In review');
  assert.equal(stateName('pilot_test'), 'Approved');
  assert.equal(stateName('version_creation'), 'Not submitted');
  const before = bound();
  before.versions[0].releases[0] = release({ releaseId: 'rel-2', state: 'in_review', stateLabel: 'Submit for Review', allowedSteps: ['withdraw'] });
  const after = bound();
  after.versions[0].releases[0] = release({ releaseId: 'rel-2', state: 'pilot_test', stateLabel: 'Pilot test', allowedSteps: ['official'], nextStep: 'official' });
  const changes = reviewChanges(before, after);
  assert.equal(changes.length, 1);
  assert.equal(changes[0].approved, true);
  assert.equal(reviewText('1.0.2', 'GoPay Staging', true), '1.0.2 was approved on "GoPay Staging".');
  assert.equal(
    reviewText('1.0.2', 'GoPay Staging', true, undefined, release({ state: 'pilot_test', firstRelease: false, allowedSteps: ['temporary_code', 'whitelist', 'grayscale', 'official', 'cancel'] })),
    '1.0.2 was approved on "GoPay Staging". Test it with a whitelist, roll it out to a share of users (grayscale) or release it to everyone.',
  );
  assert.deepEqual(reviewChanges(after, after), [], 'nothing changed: nothing told');
  assert.deepEqual(reviewChanges(undefined, after), [], 'the first snapshot tells nothing');
  const rejected = bound();
  rejected.versions[0].releases[0] = release({ releaseId: 'rel-2', state: 'rejected', stateLabel: 'Rejected', rejectReason: 'icon missing' });
  assert.equal(reviewChanges(before, rejected)[0].approved, false);
});

test('a progress message does not repeat its title', () => {
  const title = 'Waiting for the review of 1.0.2 on "GoPay Staging"';
  assert.equal(progressMessage(title, 'Waiting for the review of 1.0.2 on "GoPay Staging"'), undefined);
  assert.equal(progressMessage('Publishing Hello MiniApp', 'Building 1.0.2: npm run build'), 'Building 1.0.2: npm run build');
  assert.equal(progressMessage('Waiting for the review…', 'Waiting for the review'), undefined);
});

test('a step the portal lacks: the sidecar offers to open the portal, so no second toast', () => {
  const error = {
    code: -32803,
    message: 'whitelist testing is not available on this portal',
    data: {
      code: 'not_available_on_portal',
      message: 'whitelist testing is not available on this portal',
      hint: 'do it on the portal',
      retryable: false,
      portalUrl: 'https://miniapp.midtrans.com',
      feature: { kind: 'step', value: 'whitelist' },
    },
  };
  const failure = describeError(error);
  assert.equal(failure.portalUrl, 'https://miniapp.midtrans.com');
  assert.equal(failureView('Set Whitelist', failure, 'https://miniapp.midtrans.com').silent, true);
  // Without the portal's address (an older sidecar), the error is said.
  const { portalUrl: _gone, ...bare } = error.data;
  assert.equal(failureView('Set Whitelist', describeError({ ...error, data: bare }), 'p').silent, false);
});
