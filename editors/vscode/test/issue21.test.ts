// Issue 21 ("a developer's first week in VS Code"): the items that live in the extension's
// pure model and words. Each test names its item.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { releaseActions, releaseChoices } from '../src/pure/actions';
import { namedIdText, notesAt, notesPrefill, releaseArgs, targetAppsText } from '../src/pure/args';
import {
  bindText,
  classifyQuestion,
  COMMAND_WHAT,
  confirmWording,
  failureView,
  describeError,
  nextStepsText,
  notAvailableText,
  orderTargetApps,
  plain,
  reviewText,
  stateMeaning,
  stateName,
  stepText,
  targetAppMark,
} from '../src/pure/messages';
import { buildSidebar, flatten, latestReleases, viewState } from '../src/pure/model';
import { COMMAND_TABLE } from '../src/pure/protocol';
import type { ReleaseState, StatusSnapshot, StepResult, TargetApp } from '../src/pure/snapshot';
import { bound, loggedOut as loggedOutSnapshot, PORTAL, release, unbound } from './fixtures';

const extension = path.resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(extension, 'package.json'), 'utf8'));

/** The SuperApp console as the sidecar describes it: apply and official only, no lists. */
function consoleSnapshot(): StatusSnapshot {
  const snap = bound();
  snap.backend = 'superapp';
  snap.capabilities = { ...snap.capabilities, steps: ['apply', 'official'], listSpaces: false, listApps: false, listTargetApps: false };
  snap.versions[0].releases = [release({ state: 'version_creation', allowedSteps: ['apply'], nextStep: 'apply' })];
  return snap;
}

function stepResult(r = release()): StepResult {
  return { appId: 'app-1', version: '1.0.2', versionId: 'ver-2', release: r };
}

// --- item 6: production is the portal's fact -------------------------------------------------

test('item 6: a target app is marked production or testing only when the portal said so', () => {
  // The console's "GoPay" has the production scheme but the portal said nothing: unmarked.
  assert.deepEqual(targetAppMark({ production: undefined }), { icon: 'device-mobile' });
  assert.equal(targetAppMark({ production: true }).text, 'production');
  assert.equal(targetAppMark({ production: false }).text, 'testing');
  const gopay: TargetApp = { id: '1', name: 'GoPay', scheme: 'gopay' };
  assert.equal(targetAppMark(gopay).text, undefined, 'never inferred from the deeplink scheme');
  const ordered = orderTargetApps([
    { id: 'p', name: 'GoPay', scheme: 'gopay', production: true },
    { id: 'u', name: 'Other', scheme: '' },
    { id: 't', name: 'GoPay Staging', scheme: 'gopaystaging', production: false },
  ]);
  assert.deepEqual(ordered.map((t) => t.id), ['t', 'u', 'p']);
});

test('item 6: on a portal that cannot say it, production is what the user said when binding by ids', () => {
  // The bind box is prefilled with what the binding holds, marks included, so a rebind keeps them.
  assert.equal(
    targetAppsText([{ id: '1611', name: 'GoPay', production: true }, { id: '1612', name: 'GoPay Staging', production: false }, { id: '1613', name: 'Other' }]),
    'GoPay=1611 (production), GoPay Staging=1612 (testing), Other=1613',
  );
  const given = COMMAND_TABLE.$defs.GivenTargetApp as { properties: Record<string, unknown> };
  assert.ok(given.properties.production, 'the binding’s target apps carry it');
});

test('item 6: the exported TargetApp schema has the portal’s production fact', () => {
  const schema = COMMAND_TABLE.$defs.TargetApp as { properties: Record<string, unknown>; required?: string[] };
  assert.ok(schema.properties.production, 'TargetApp.production is in the table');
  assert.ok(!(schema.required ?? []).includes('production'), 'absent means unknown');
});

// --- item 7: steps the API lacks, and toasts that suggest only what is possible ----------------

test('item 7: a step this portal’s API lacks is "not available on this portal", not "no release allows it"', () => {
  const snap = consoleSnapshot();
  assert.deepEqual(releaseChoices(snap, 'gopayMiniapp.setWhitelist'), { kind: 'notAvailable', step: 'whitelist' });
  assert.deepEqual(releaseChoices(snap, 'gopayMiniapp.showTemporaryCode'), { kind: 'notAvailable', step: 'temporary_code' });
  assert.equal(releaseChoices(snap, 'gopayMiniapp.officialRelease').kind, 'none', 'a step it has, allowed nowhere now');
  assert.equal(releaseChoices(snap, 'gopayMiniapp.applyRelease').kind, 'choices');
  const text = notAvailableText('Set Whitelist…', 'https://console.example.com/x');
  assert.equal(text, '“Set Whitelist” is not available on this portal (console.example.com) through its API: do it on the portal’s own pages.');
  assert.doesNotMatch(text, /No release allows/);
});

test('item 7: toasts never suggest a step the release does not offer (the console has no temporary code)', () => {
  const created = stepText('miniapp.release', stepResult(release({ allowedSteps: ['apply'], nextStep: 'apply' })));
  assert.doesNotMatch(created, /temporary code/i);
  assert.match(created, /Apply for review next\./);
  const native = stepText('miniapp.release', stepResult(release({ allowedSteps: ['temporary_code', 'apply', 'cancel'] })));
  assert.match(native, /Test it with the temporary code, then apply for review\./);
});

// --- item 8: a first release ------------------------------------------------------------------

test('item 8: an approved first release is not told to test with a whitelist or grayscale', () => {
  const first = release({ state: 'pilot_test', firstRelease: true, allowedSteps: ['temporary_code', 'official', 'cancel'], nextStep: 'official' });
  const text = reviewText('0.0.3', 'GoPay', true, undefined, first);
  assert.doesNotMatch(text, /whitelist|grayscale/i);
  assert.match(text, /release it to everyone/);
  assert.match(text, /A first release to a target app may only go straight to official\./);
  assert.doesNotMatch(nextStepsText(first), /whitelist/);
  // The tooltip says the rule, and the actions it lists are only those offered.
  const snap = bound();
  snap.versions[0].releases = [first];
  const row = buildSidebar(snap).nodes.find((n) => n.kind === 'versions')!.children[0].children[0];
  assert.match(row.tooltip!, /it may only go straight to official/);
  assert.doesNotMatch(row.tooltip!, /whitelist or grayscale/i);
});

test('item 8: Roll Back is not offered on a target app whose live release has nothing to go back to', () => {
  // The sidecar drops rollback from allowedSteps when nothing is archived there
  // (crates/core status::version_views); the tree follows allowedSteps.
  const snap = bound();
  snap.versions[1].releases = [release({ releaseId: 'rel-1', state: 'released', firstRelease: false, allowedSteps: [], nextStep: undefined })];
  const targets = buildSidebar(snap).nodes.find((n) => n.kind === 'targets')!;
  const staging = targets.children.find((t) => t.label === 'GoPay Staging')!;
  assert.equal(staging.contextValue, 'target');
  assert.doesNotMatch(staging.tooltip!, /Roll Back/);
});

// --- item 9: after a rejection ----------------------------------------------------------------

test('item 9: a rejection says to publish a fixed version, or re-apply if nothing in the package changes', () => {
  const text = reviewText('1.0.2', 'GoPay Staging', false, 'the icon is blurry');
  assert.equal(text, '1.0.2 was rejected on "GoPay Staging": the icon is blurry. Publish a fixed version, or re-apply if nothing in the package changes.');
  assert.doesNotMatch(text, /Fix it and apply again/);
});

// --- item 13: one vocabulary, from one table ----------------------------------------------------

test('item 13: state words come from the sidecar’s one table, by state id', () => {
  const states: ReleaseState[] = ['version_creation', 'in_review', 'rejected', 'pilot_test', 'whitelist_testing', 'grayscale', 'released', 'archived', 'cancelled', 'unknown'];
  assert.deepEqual(COMMAND_TABLE.releaseStates.map((w) => w.state), states);
  for (const w of COMMAND_TABLE.releaseStates) assert.equal(stateName(w.state as ReleaseState), w.name);
  assert.equal(stateName('version_creation'), 'Not submitted');
  assert.equal(stateName('in_review'), 'In review');
  assert.equal(stateName('released'), 'Live');
  assert.match(stateMeaning('version_creation'), /the portal calls it Version Creation/);
});

test('item 13: the tree never shows the portal’s labels as states, whatever stateLabel says', () => {
  const snap = bound();
  snap.versions[0].releases = [release({ state: 'in_review', stateLabel: 'Submit for Review', allowedSteps: ['withdraw'] })];
  const nodes = flatten(buildSidebar(snap).nodes);
  for (const n of nodes) assert.doesNotMatch(`${n.label} ${n.description ?? ''}`, /Submit for Review|Version Creation|Pilot test/);
  assert.equal(nodes.find((n) => n.kind === 'release')!.description, 'In review');
});

// --- item 16: a click toggles ---------------------------------------------------------------------

test('item 16: a version row has no click command (Release… is its button and menu item)', () => {
  const versions = buildSidebar(bound()).nodes.find((n) => n.kind === 'versions')!.children;
  for (const v of versions) assert.equal(v.command, undefined, v.label);
  const menus = manifest.contributes.menus['view/item/context'] as Array<{ command: string; when: string; group: string }>;
  assert.ok(menus.some((m) => m.command === 'gopayMiniapp.release' && /version/.test(m.when) && m.group === 'inline'));
  assert.ok(menus.some((m) => m.command === 'gopayMiniapp.release' && /version/.test(m.when) && m.group.startsWith('1_actions')));
});

// --- item 19: only in MiniApp projects --------------------------------------------------------

test('item 19: activation only where a package.json or a binding is', () => {
  assert.deepEqual(manifest.activationEvents, ['workspaceContains:package.json', 'workspaceContains:gopay-miniapp.json']);
});

test('item 19: a folder without package.json or binding: no status item, no Bind', () => {
  assert.equal(viewState(unbound(), { packageJson: false }), 'noProject');
  assert.equal(viewState(unbound(), { packageJson: true }), 'unbound');
  assert.equal(viewState(unbound()), 'unbound', 'not looked yet: as before');
  const m = buildSidebar(unbound(), undefined, new Date(), { packageJson: false });
  assert.equal(m.view, 'noProject');
  assert.equal(m.statusBar.hidden, true);
  // A bound project keeps its view even if package.json went away (publish then says why).
  assert.equal(viewState(bound(), { packageJson: false }), 'bound');
  // Bind is offered only in the unbound and bound views, never in noProject.
  const palette = manifest.contributes.menus.commandPalette as Array<{ command: string; when: string }>;
  assert.doesNotMatch(palette.find((p) => p.command === 'gopayMiniapp.bind')!.when, /noProject/);
  const welcome = (manifest.contributes.viewsWelcome as Array<{ contents: string; when: string }>).find((w) => /noProject/.test(w.when))!;
  assert.match(welcome.contents, /no package\.json/);
  assert.doesNotMatch(welcome.contents, /gopayMiniapp\.bind/);
});

// --- item 25: polish ----------------------------------------------------------------------------

test('item 25: one wording per action (Log in, Roll Back)', () => {
  assert.equal(COMMAND_WHAT['gopayMiniapp.login'], COMMAND_WHAT['gopayMiniapp.loginWithBrowser']);
  const titles = [
    ...Object.values(COMMAND_WHAT),
    ...releaseActions(release({ state: 'released', allowedSteps: ['rollback'] })).map((a) => a.title),
    ...(manifest.contributes.commands as Array<{ title: string }>).map((c) => c.title),
  ];
  for (const t of titles) assert.doesNotMatch(t, /\bLogin\b|\bRollback\b/, t);
  const view = failureView(COMMAND_WHAT['gopayMiniapp.loginWithBrowser'], describeError({ message: 'the browser closed' }), PORTAL);
  assert.match(view.text, /^Log in failed/);
});

test('item 25: Markdown backticks are not shown literally in toasts', () => {
  assert.equal(plain('Leave the files out, or allow secrets (`allowSecrets`).'), 'Leave the files out, or allow secrets (“allowSecrets”).');
  const view = failureView(
    'Publish',
    describeError({ code: -32803, message: 'x', data: { code: 'secrets_found', message: 'secrets in `dist/.env`', hint: { kind: 'leaveOutSecrets', text: 'allow secrets (`allowSecrets`)' }, retryable: false } }),
    PORTAL,
  );
  assert.doesNotMatch(view.text, /`/);
});

test('item 25: the sidecar’s questions and messages show no Markdown backticks either', () => {
  const q = classifyQuestion('Overwrite `dist.zip`?\n  It is not a file of `pack`', [{ title: 'Overwrite' }, { title: 'No' }]);
  assert.equal(q.message, 'Overwrite “dist.zip”?');
  assert.equal(q.detail, 'It is not a file of “pack”');
  assert.deepEqual(classifyQuestion('Pick `one`', [{ title: '`a`' }, { title: 'b' }]), { kind: 'choice', message: 'Pick “one”', options: ['`a`', 'b'] }, 'answers are sent back as they came');
});

test('item 25: Cancel Release’s dialog has no plain "Cancel" beside it', () => {
  const wording = confirmWording('miniapp.cancelRelease')!;
  assert.equal(wording.verb, 'Cancel Release');
  assert.ok(wording.keep && !/^Cancel\b/.test(wording.keep), `the No button: ${wording.keep}`);
});

test('item 25: two releases of one version to one target app show one row, the newer', () => {
  const snap = bound();
  snap.versions[0].releases = [
    release({ releaseId: 'new', state: 'in_review', allowedSteps: ['withdraw'] }),
    release({ releaseId: 'old', state: 'cancelled', allowedSteps: [] }),
  ];
  assert.equal(latestReleases(snap.versions[0]).length, 1);
  const version = buildSidebar(snap).nodes.find((n) => n.kind === 'versions')!.children[0];
  assert.deepEqual(version.children.map((r) => r.id), ['release:new']);
  assert.match(version.children[0].tooltip!, /before: Cancelled/);
  assert.doesNotMatch(version.description!, /Cancelled/);
});

// --- console: items 2, 3, 12, 18, 23 (the capabilities the front end reads) ---------------------

test('item 2: notes are asked where the portal takes them (a typed capability), never at the other step', () => {
  const snap = consoleSnapshot();
  snap.capabilities.releaseNotes = 'release';
  assert.equal(notesAt(snap.capabilities), 'release');
  assert.equal(notesAt(bound().capabilities), 'apply');
  const schema = COMMAND_TABLE.$defs.Capabilities as { properties: Record<string, { enum?: string[]; $ref?: string }> };
  assert.ok(schema.properties.releaseNotes, 'the exported capabilities say where notes go');
  // Release carries them on the console; nothing empty is sent.
  assert.deepEqual(releaseArgs('1.0.1', '1611', { notes: '  fixes  ' }), { version: '1.0.1', targetApp: '1611', notes: 'fixes' });
  assert.deepEqual(releaseArgs('1.0.1', '1611', { notes: ' ' }), { version: '1.0.1', targetApp: '1611' });
  assert.equal(notesPrefill({ description: 'Published with gopay-miniapp 0.1.0', descriptionIsDefault: true }), '');
  assert.equal(notesPrefill({ description: 'Fix the button', descriptionIsDefault: false }), 'Fix the button');
  const release = COMMAND_TABLE.commands.find((c: { name: string }) => c.name === 'miniapp.release') as { args: { name: string }[] };
  assert.ok(release.args.some((a) => a.name === 'notes'), 'miniapp.release takes notes');
});

test('item 3: "Show Temporary Code" releases with `then`, so the sidecar checks the step before making anything', () => {
  assert.deepEqual(releaseArgs('1.0.1', '1611', { then: 'temporary_code' }), { version: '1.0.1', targetApp: '1611', then: 'temporary_code' });
  const release = COMMAND_TABLE.commands.find((c: { name: string }) => c.name === 'miniapp.release') as { args: { name: string }[] };
  assert.ok(release.args.some((a) => a.name === 'then'), 'miniapp.release takes then');
});

test('item 12: the bind result says plainly what could not be checked', () => {
  const snap = consoleSnapshot();
  const text = bindText({ binding: snap.binding!, changed: true, file: '/p/gopay-miniapp.json', unchecked: ['targetAppCode'] });
  assert.match(text, /channel codes could not be/);
  assert.doesNotMatch(bindText({ binding: snap.binding!, changed: true, file: '/p/gopay-miniapp.json' }), /could not be/);
});

test('item 18: the bind box shows a space or MiniApp as NAME=ID when it has a name of its own', () => {
  assert.equal(namedIdText({ id: '1512000000000000000001', name: 'Hello MiniApp' }), 'Hello MiniApp=1512000000000000000001');
  assert.equal(namedIdText({ id: '1512000000000000000001', name: '1512000000000000000001' }), '1512000000000000000001');
  assert.equal(namedIdText(undefined), '');
});

test('item 23: the firewall’s browser check offers Log In with Browser', () => {
  const view = failureView(
    'Publish',
    describeError({ message: 'x', data: { code: 'browser_check', message: 'the firewall answered', hint: { kind: 'passBrowserCheck', text: 'Log In with Browser again.' }, retryable: false } }),
    PORTAL,
  );
  assert.ok(view.buttons.includes('Log In with Browser'), `${view.buttons}`);
});

test('item 21: one space is not a choice; a rebind marks and preselects the bound space and MiniApp', async () => {
  const { appPicks, onlySpace, spacePicks } = await import('../src/pure/bindPicks');
  const demo = { id: 'spc-1', name: 'Demo Space' };
  const other = { id: 'spc-2', name: 'Other Space' };
  assert.equal(onlySpace([demo]), demo);
  assert.equal(onlySpace([demo, other]), undefined);
  assert.equal(onlySpace([]), undefined);
  const binding = bound().binding;
  const spaces = spacePicks([other, demo], binding);
  assert.equal(spaces.active, demo);
  assert.deepEqual(spaces.items.map((i) => i.description), ['spc-2', 'bound now · spc-1']);
  const apps = [{ id: 'app-9', name: 'Wallet Tools' }, { id: 'app-1', name: 'Hello MiniApp' }];
  const inBound = appPicks(apps, demo, binding);
  assert.equal(inBound.active, apps[1]);
  assert.deepEqual(inBound.items.map((i) => i.description), ['app-9', 'bound now · app-1']);
  // The same id in another space is not the bound MiniApp.
  const elsewhere = appPicks(apps, other, binding);
  assert.equal(elsewhere.active, undefined);
  assert.ok(!elsewhere.items.some((i) => /bound/.test(i.description ?? '')));
  // A new binding marks nothing.
  assert.equal(spacePicks([demo], undefined).active, undefined);
});

test('item 21: one word per meaning for "again": Retry (what failed), Refresh (read the state), Restart Helper (the sidecar)', () => {
  const text = JSON.stringify(manifest);
  assert.ok(!/Try Again|Reconnect/.test(text), 'no Try Again or Reconnect in the manifest');
  const restart = manifest.contributes.commands.find((c: { command: string }) => c.command === 'gopayMiniapp.restartServer');
  assert.equal(restart.title, 'Restart Helper');
});

test('item 21: Open on Portal opens the version’s page, else the MiniApp’s, else the portal — on the portal’s origin only', async () => {
  const { portalPageOf } = await import('../src/pure/portalPage');
  const snap = bound();
  snap.versions[0].page = `${PORTAL}/web/apps/app-1/versions/ver-2`;
  snap.appPage = `${PORTAL}/web/apps/app-1/versions`;
  assert.equal(portalPageOf(snap, '1.0.2'), `${PORTAL}/web/apps/app-1/versions/ver-2`);
  assert.equal(portalPageOf(snap, '1.0.1'), `${PORTAL}/web/apps/app-1/versions`, 'a version without a page: the MiniApp’s');
  assert.equal(portalPageOf(snap), `${PORTAL}/web/apps/app-1/versions`);
  // A backend that knows no pages (the console): the portal itself.
  const console = bound();
  assert.equal(portalPageOf(console, '1.0.2'), PORTAL);
  // Never another origin, another scheme or a URL with credentials, whatever the snapshot says.
  for (const bad of ['https://evil.example/x', 'file:///etc/passwd', 'javascript:alert(1)', 'http://u:p@127.0.0.1:8780/x']) {
    const hostile = bound();
    hostile.versions[0].page = bad;
    hostile.appPage = bad;
    assert.equal(portalPageOf(hostile, '1.0.2'), PORTAL, bad);
  }
  assert.equal(portalPageOf({ ...loggedOutSnapshot(), portal: undefined }), undefined, 'no portal named yet: nothing to open');
  // On every row that is about the portal's things, in the context menu (not one more hover icon).
  const menus = manifest.contributes.menus['view/item/context'] as Array<{ command: string; when: string; group: string }>;
  const open = menus.find((m) => m.command === 'gopayMiniapp.openOnPortal');
  assert.ok(open && !open.group.startsWith('inline'), 'in the context menu');
  for (const row of ['version latest', 'release state:in_review', 'binding', 'target step:rollback']) {
    const [, regex] = /viewItem =~ \/(.*)\/$/.exec(open!.when)!;
    assert.match(row, new RegExp(regex.replace(/\\\\/g, '\\')), row);
  }
});
