import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { buildSidebar, flatten, latestState, liveSummary, viewState } from '../src/pure/model';
import { bound, loggedOut, release, unbound } from './fixtures';

test('no snapshot yet: starting, empty tree', () => {
  const m = buildSidebar(undefined);
  assert.equal(m.view, 'starting');
  assert.deepEqual(m.nodes, []);
  assert.match(m.statusBar.text, /GoPay MiniApp/);
});

test('logged out: empty tree (the welcome content has Login), problem above it', () => {
  const snap = loggedOut();
  assert.equal(viewState(snap), 'loggedOut');
  let m = buildSidebar(snap);
  assert.equal(m.view, 'loggedOut');
  assert.deepEqual(m.nodes, []);
  assert.equal(m.problem, undefined);
  assert.equal(m.description, '127.0.0.1:8780');
  assert.match(m.statusBar.text, /log in/);
  m = buildSidebar({ ...snap, problem: { code: 'portal_unreachable', message: 'the portal does not answer', hint: { kind: 'checkNetwork', text: 'Start it.' }, retryable: true } });
  assert.equal(m.problem, 'The portal does not answer. Start it.');
  assert.deepEqual(m.nodes, [], 'the welcome content (with Login) still shows');
});

test('logged in, not bound: empty tree (the welcome content has Select Space & Bind MiniApp)', () => {
  const m = buildSidebar(unbound());
  assert.equal(m.view, 'unbound');
  assert.deepEqual(m.nodes, []);
  assert.equal(m.description, 'Demo Developer (demo) · 127.0.0.1:8780', 'who is logged in');
  assert.equal(m.title, 'Demo Developer (demo)', 'the title too (VS Code hides the description of a lone view)');
  assert.match(m.statusBar.text, /not bound/);
});

test('bound: account, binding, versions newest first with each target app state, target apps', () => {
  const m = buildSidebar(bound());
  assert.equal(m.view, 'bound');
  assert.deepEqual(
    m.nodes.map((n) => n.kind),
    ['account', 'binding', 'versions', 'targets'],
  );
  const [account, binding, versions, targets] = m.nodes;
  assert.equal(account.label, 'Demo Developer');
  assert.equal(account.description, 'demo · 127.0.0.1:8780');
  assert.equal(account.contextValue, 'account');
  assert.equal(binding.label, 'Hello MiniApp');
  assert.equal(binding.description, 'Demo Space');
  assert.equal(binding.contextValue, 'binding');
  assert.equal(versions.description, 'latest 1.0.2');
  assert.deepEqual(
    versions.children.map((v) => v.label),
    ['1.0.2', '1.0.1', '1.0.0'],
  );
  const [latest, older, unreleased] = versions.children;
  assert.equal(latest.description, 'latest · GoPay Staging: Grayscale 10%');
  assert.equal(latest.collapsible, 'expanded');
  assert.equal(latest.contextValue, 'version latest');
  assert.equal(older.collapsible, 'collapsed');
  assert.equal(older.contextValue, 'version');
  assert.equal(unreleased.description, 'not released');
  assert.equal(unreleased.collapsible, 'none');

  const gray = latest.children[0];
  assert.equal(gray.kind, 'release');
  assert.equal(gray.label, 'GoPay Staging');
  assert.equal(gray.description, 'Grayscale 10%');
  assert.equal(gray.id, 'release:rel-2');
  assert.deepEqual(gray.release, {
    version: '1.0.2',
    targetAppId: 'tgt-staging',
    targetApp: 'GoPay Staging',
    state: 'grayscale',
    stateLabel: 'Grayscale',
    ratio: 10,
    whitelist: undefined,
    description: 'second',
  });
  assert.equal(
    gray.contextValue,
    'release state:grayscale step:temporary_code step:grayscale step:official step:cancel next:official inline:official inline:grayscale',
  );
  assert.match(gray.tooltip!, /Raise Grayscale/);

  const live = older.children[0];
  assert.equal(live.description, 'Live');
  assert.equal(live.contextValue, 'release state:released step:rollback');
  // Issue 21 item 16: a click toggles the row; Release… is its inline button and menu item.
  assert.equal(latest.command, undefined, 'clicking a version only toggles it');

  assert.deepEqual(
    targets.children.map((t) => [t.label, t.description]),
    [
      ['GoPay', 'nothing live'],
      ['GoPay Staging', 'live 1.0.1 · 1.0.2 grayscale 10%'],
    ],
  );
  // Roll Back is on the target app whose live release allows it.
  assert.deepEqual(targets.children.map((t) => t.contextValue), ['target', 'target step:rollback']);
  // The status bar says what is live, not the latest version's state.
  assert.equal(m.statusBar.text, '$(rocket) Hello MiniApp · 1.0.1 live on GoPay Staging');
  assert.match(m.statusBar.tooltip, /GoPay Staging: 1\.0\.1 live; 1\.0\.2 grayscale 10%/);
  assert.equal(m.description, '127.0.0.1:8780');
});

test('node ids are unique and stable across snapshots', () => {
  const ids = flatten(buildSidebar(bound()).nodes).map((n) => n.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(flatten(buildSidebar(bound()).nodes).map((n) => n.id), ids);
});

test('bound without versions: a Publish MiniApp item', () => {
  const snap = { ...bound(), versions: [], latestVersion: undefined, targetApps: [] };
  const m = buildSidebar(snap);
  const versions = m.nodes.find((n) => n.kind === 'versions')!;
  assert.equal(versions.description, 'none yet');
  assert.equal(versions.children[0].command?.command, 'gopayMiniapp.publish');
  assert.equal(m.nodes.find((n) => n.kind === 'targets'), undefined);
  assert.equal(m.statusBar.text, '$(rocket) Hello MiniApp · nothing live');
});

test('a problem and running jobs show at the top, and in the status bar', () => {
  const snap = {
    ...bound(),
    problem: { code: 'session_expired', message: 'the session expired', hint: { kind: 'logIn', text: 'Log in again.' }, retryable: false },
    runningJobs: [{ command: 'miniapp.publish', title: 'Publishing', percentage: 45, message: 'Uploading' }],
  };
  const m = buildSidebar(snap);
  assert.deepEqual(
    m.nodes.map((n) => n.kind),
    ['account', 'binding', 'problem', 'job', 'versions', 'targets'],
  );
  const job = m.nodes[3];
  assert.equal(job.icon, 'sync~spin');
  assert.equal(job.description, '45% Uploading');
  assert.match(m.statusBar.text, /Publishing 45%/);
});

test('release state text: whitelist size and reject reason', () => {
  const snap = bound();
  snap.versions[0].releases = [
    release({ state: 'whitelist_testing', stateLabel: 'Whitelist testing', whitelist: ['u1', 'u2'], allowedSteps: [] }),
    release({ releaseId: 'rel-9', targetApp: 'GoPay', targetAppId: 'tgt-gopay', state: 'rejected', stateLabel: 'Rejected', rejectReason: 'icon missing', allowedSteps: ['apply'] }),
  ];
  const latest = buildSidebar(snap).nodes.find((n) => n.kind === 'versions')!.children[0];
  assert.deepEqual(
    latest.children.map((r) => r.description),
    ['Whitelist test (2 users)', 'Rejected — icon missing'],
  );
  assert.equal(latestState(snap), '1.0.2 · GoPay Staging: Whitelist test (2 users), GoPay: Rejected — icon missing');
});

test('state names in the editor’s words, not the portal’s button-like labels', () => {
  const snap = bound();
  snap.versions[0].releases = [
    release({ state: 'version_creation', stateLabel: 'Version Creation' }),
    release({ releaseId: 'r2', targetAppId: 't2', state: 'in_review', stateLabel: 'Submit for Review', allowedSteps: ['withdraw'] }),
    release({ releaseId: 'r3', targetAppId: 't3', state: 'pilot_test', stateLabel: 'Pilot test', allowedSteps: ['official'] }),
    release({ releaseId: 'r4', targetAppId: 't4', state: 'archived', stateLabel: 'Archived', ratio: 50, allowedSteps: [] }),
  ];
  const rows = buildSidebar(snap).nodes.find((n) => n.kind === 'versions')!.children[0].children;
  assert.deepEqual(rows.map((r) => r.description), ['Not submitted', 'In review', 'Approved', 'Archived']);
  assert.match(rows[0].tooltip!, /not submitted for review and not live/);
  assert.match(rows[2].tooltip!, /approved by the target app's administrator; not live yet \(the portal calls it Pilot test\)/);
});

test('a portal that cannot be reached keeps the last tree, marked stale — not "Log in"', () => {
  const good = bound();
  const down = { ...loggedOut(), project: good.project, problem: { code: 'network', message: 'error sending request for url (http://127.0.0.1:8780/api/v1/me): tcp connect error: Connection refused (os error 111)', hint: { kind: 'checkNetwork', text: 'Check the network and the portal address; it is safe to retry.' }, retryable: true } };
  const stale = buildSidebar(down, good);
  assert.equal(stale.view, 'bound');
  assert.equal(stale.stale, true);
  assert.equal(stale.nodes[2].kind, 'problem');
  assert.equal(stale.nodes[2].label, 'Can’t reach 127.0.0.1:8780');
  assert.equal(stale.nodes[2].command?.command, 'gopayMiniapp.refresh');
  assert.ok(stale.nodes.some((n) => n.kind === 'versions'), 'the versions are still shown');
  assert.equal(stale.problem, 'Can’t reach 127.0.0.1:8780. Check the portal URL and your network.');
  assert.doesNotMatch(stale.statusBar.text, /log in/);
  assert.match(stale.statusBar.text, /can’t reach 127\.0\.0\.1:8780/);
  // Without an earlier tree: its own welcome (Retry, Open Settings), not the login one.
  const first = buildSidebar(down);
  assert.equal(first.view, 'unreachable');
  assert.equal(first.problem, 'Can’t reach 127.0.0.1:8780. Check the portal URL and your network, then Retry.');
  for (const text of [first.problem!, first.statusBar.text, first.statusBar.tooltip, stale.problem!]) {
    assert.doesNotMatch(text, /os error|HTTPS_PROXY|\/api\/v1|log in/);
  }
});

test('what is live: one target app, several, none', () => {
  const snap = bound();
  assert.equal(liveSummary(snap), '1.0.1 live on GoPay Staging');
  snap.targetApps[0].liveVersion = '1.0.0';
  assert.equal(liveSummary(snap), 'live: GoPay 1.0.0, GoPay Staging 1.0.1');
  assert.equal(liveSummary({ ...snap, targetApps: [] }), 'nothing live');
});
