// Toasts and the temporary-code panel follow the snapshot (#21 item 10).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { ShownToasts, shownRelease, stillOffered, temporaryCodePanel } from '../src/pure/follow';
import { temporaryCodeHtml } from '../src/pure/qrHtml';
import type { ReleaseView, StatusSnapshot } from '../src/pure/snapshot';
import { bound, release } from './fixtures';

/** The bound snapshot with 1.0.2's release to GoPay Staging replaced. */
function withRelease(changes: Partial<ReleaseView>): StatusSnapshot {
  const snap = bound();
  snap.versions[0].releases = [release({ releaseId: 'rel-2', ...changes })];
  return snap;
}

const testing = withRelease({ state: 'version_creation', stateLabel: 'Not submitted', allowedSteps: ['temporary_code', 'apply', 'cancel'] });
const inReview = withRelease({ state: 'in_review', stateLabel: 'In review', allowedSteps: ['withdraw'], nextStep: undefined });
const approved = withRelease({ state: 'pilot_test', stateLabel: 'Approved', allowedSteps: ['whitelist', 'grayscale', 'official'], nextStep: 'official' });
const shown = shownRelease('1.0.2', testing.versions[0].releases[0]);

test('the panel offers Apply while the release allows it, then says where the release is', () => {
  assert.deepEqual(temporaryCodePanel(testing, shown), { next: { title: 'Apply Release…' } });
  const later = temporaryCodePanel(approved, shown);
  assert.equal(later.next, undefined, 'no Apply once approved');
  assert.match(later.now ?? '', /1\.0\.2 on "GoPay Staging" is Approved now/);
  const gone = bound();
  gone.versions[0].releases = [];
  assert.match(temporaryCodePanel(gone, shown).now ?? '', /no longer in the release list/);
});

test('the panel’s HTML follows: the Apply button goes, the note comes', () => {
  const code = { appId: 'app-1', version: '1.0.2', targetApp: 'GoPay Staging', publishId: 'pub-1', deeplink: 'gopay://mini-app/windvane?app_id=app-1&publish_id=pub-1', expiresAt: '2024-05-01T10:10:00Z' };
  const before = temporaryCodeHtml(code, 'n', new Date(), temporaryCodePanel(testing, shown));
  const after = temporaryCodeHtml(code, 'n', new Date(), temporaryCodePanel(approved, shown));
  assert.match(before, /id="next"/);
  assert.doesNotMatch(after, /id="next"|Tested it\?/);
  assert.match(after, /id="now">1\.0\.2 on &quot;GoPay Staging&quot; is Approved now/);
});

test('a toast goes stale when its release moves on, once; not when the portal cannot be seen', () => {
  const toasts = new ShownToasts();
  toasts.add(shownRelease('1.0.2', inReview.versions[0].releases[0]));
  assert.deepEqual(toasts.staleIn(inReview), [], 'same state: still current');
  const unreachable: StatusSnapshot = { ...approved, problem: { code: 'network', message: 'down', retryable: true } as StatusSnapshot['problem'] };
  assert.deepEqual(toasts.staleIn(unreachable), [], 'a snapshot without the portal says nothing');
  assert.equal(toasts.staleIn(approved).length, 1);
  assert.equal(toasts.size, 0, 'forgotten once put away');
  assert.deepEqual(toasts.staleIn(testing), []);
});

test('an answered toast is forgotten', () => {
  const toasts = new ShownToasts();
  const id = toasts.add(shown);
  toasts.forget(id);
  assert.deepEqual(toasts.staleIn(approved), []);
});

test('a button picked on a stale toast is checked against the release now, in our words', () => {
  const fromReview = shownRelease('1.0.2', inReview.versions[0].releases[0]);
  assert.deepEqual(stillOffered(inReview, fromReview, 'gopayMiniapp.withdrawRelease'), { ok: true });
  assert.deepEqual(stillOffered(inReview, fromReview, 'gopayMiniapp.waitForReview'), { ok: true });
  const late = stillOffered(approved, fromReview, 'gopayMiniapp.waitForReview');
  assert.equal(late.ok, false);
  assert.match(!late.ok ? late.text : '', /^1\.0\.2 on "GoPay Staging" is Approved now; nothing was done\.$/);
  const apply = stillOffered(approved, shown, 'gopayMiniapp.applyRelease');
  assert.equal(apply.ok, false, 'Apply after approval is not sent');
  assert.doesNotMatch(!apply.ok ? apply.text : '', /apply|_/, 'no internal step ids');
  assert.deepEqual(stillOffered(approved, shown, 'gopayMiniapp.officialRelease'), { ok: true });
});

test('a state no table places is shown with the portal’s own word, and offers nothing (#22)', async () => {
  const { releaseStateText } = await import('../src/pure/messages');
  const { releaseActions } = await import('../src/pure/actions');
  const unknown = release({ state: 'unknown', stateLabel: 'Unknown state', statusText: 'GRAY_RUNNING', allowedSteps: [], nextStep: undefined });
  assert.equal(releaseStateText(unknown), 'Unknown state (the portal says “GRAY_RUNNING”)');
  assert.deepEqual(releaseActions(unknown), []);
});
