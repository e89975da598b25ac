#!/usr/bin/env node
// End-to-end test of the VS Code extension in a real VS Code (code-server 4.100.3, driven by
// Debian's Chromium through playwright-core), against the local portal — the seed's flow:
// Log In (a wrong password first: the box stays open) → Select Space & Bind MiniApp → a failed
// build (one line, Show Build Output) → Publish MiniApp → Release to "GoPay Staging" → Show
// Temporary Code (the QR decodes to the deeplink) → its Apply Release… → Wait for Review, the
// admin approves with the CLI → Release to Everyone; then a publish cancelled mid-build (Publish
// is replaced by its progress while it runs; package.json restored), 1.0.2 approved elsewhere
// (told without waiting), whitelist and grayscale inline, Roll Back from the Target Apps row (the
// status bar says what is live), a portal that goes away (the tree stays, marked stale), and a
// sidecar that cannot start (said clearly). Covers issue 13's items 1–4, 6–8, 10–12 and 14.
//
//   node tests/vscode/e2e.mjs [--binary PATH] [--vsix FILE [--portal-binary PATH]] [--keep]
//
// Without --vsix it packages the extension (`npm run package`: the `dist` build of the sidecar);
// --binary bundles that binary instead of building. The local portal is the bundled binary's,
// or --portal-binary's (a .vsix's dist sidecar has none). Installs code-server into ~/.cache if
// missing. Screenshots go to tests/artifacts/vscode/; the sidebar's is copied to
// docs/images/vscode-sidebar.png. Every process it starts is stopped at the end, also on failure.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assert, assertMatch, cli, decodeQr, findFile, launch, log, readJson, repo, run, runTest, startPortal, step, stop, writeSettings } from './lib.mjs';

const artifacts = path.join(repo, 'tests/artifacts/vscode');
const sidebarImage = path.join(repo, 'docs/images/vscode-sidebar.png');

async function main() {
  let portalProcess;
  const { page, w, binary, portalBinary, tmp, paths, portal } = await launch({
    artifacts,
    // A new user: a fresh user-data dir with no portal setting (issue #21 item 4).
    portalSetting: false,
    paths: (tmp) => ({
      devHome: path.join(tmp, 'home-developer'),
      adminHome: path.join(tmp, 'home-admin'),
      portalData: path.join(tmp, 'portal'),
      project: path.join(tmp, 'hello-miniapp'),
    }),
    startPortal: async (binary, tmp) => {
      let url;
      ({ url, child: portalProcess } = await startPortal(binary, path.join(tmp, 'portal'), path.join(tmp, 'portal.log')));
      log(`local portal at ${url}`);
      return url;
    },
  });
  const portalHost = new URL(portal).host;
  const packageJson = () => readJson(path.join(paths.project, 'package.json'));
  const initialVersion = packageJson().version;
  const statusBar = page.locator('.statusbar-item').filter({ hasText: /GoPay MiniApp|Hello MiniApp/ }).first();

  const statusBarText = async () => (await statusBar.innerText()).replace(/\s+/g, ' ').trim();
  /** Publish MiniApp asks for the description first: what the box was prefilled with; accepts it (or `text`). */
  const describePublish = async (text) => {
    await w.quickInput.waitFor({ state: 'visible', timeout: 15_000 });
    await w.quickInput.locator('.quick-input-title').filter({ hasText: 'Publish Hello MiniApp' }).waitFor({ timeout: 10_000 });
    const input = w.quickInput.locator('.quick-input-box input');
    const prefilled = await input.inputValue();
    if (text !== undefined) await input.fill(text);
    await input.press('Enter');
    await w.quickInput.waitFor({ state: 'hidden', timeout: 10_000 });
    return prefilled;
  };
  const git = (...args) => run('git', ['-C', paths.project, ...args]);

  await step('open the GoPay MiniApp sidebar (logged out: Log In)', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="GoPay MiniApp"], .activitybar .action-label[aria-label^="GoPay MiniApp"]').first().click();
    await w.sidebar.getByRole('button', { name: 'Log In', exact: true }).waitFor({ timeout: 60_000 });
    await w.sidebarWidth(460);
    assertMatch(await w.sidebar.innerText(), /Log in to a GoPay MiniApp portal/, 'the welcome content');
    assertMatch(await statusBarText(), /GoPay MiniApp: log in/, 'the status bar');
    await w.shot('logged-out');
  });

  await step('first Log In with no settings: the presets (GoPay preselected), Other URL; the title names the portal (#21 item 4)', async () => {
    await w.clickButton('Log In');
    await w.quickInput.locator('.quick-input-title', { hasText: 'Log In: Which Portal?' }).waitFor({ timeout: 15_000 });
    const active = (await w.quickInput.locator('.quick-input-list .monaco-list-row.focused .label-name').first().textContent())?.trim();
    assert(active === 'GoPay', `GoPay production is preselected, not ${active}`);
    await w.shot('login-portal-presets');
    const offered = await w.pick('Other URL…', { expectTitle: 'Log In: Which Portal?' });
    assert(
      ['GoPay', 'GoPay Staging', 'Local portal', 'Other URL…'].every((l) => offered.includes(l)),
      `the presets offered: ${offered}`,
    );
    await w.fillInput(portal, { expectTitle: 'Log In: Other URL' });
  });

  await step('Log In: a wrong password keeps the box open with the error and the username (item 6)', async () => {
    const user = await w.fillInput('demo', { expectTitle: `Log In to ${portalHost} (1/2)` });
    assert(user.type !== 'password', 'the username is not a password box');
    await w.quickInput.locator('.quick-input-title', { hasText: `Log In to ${portalHost} (2/2)` }).waitFor({ timeout: 10_000 });
    assert((await w.quickInput.locator('.quick-input-box input').getAttribute('type')) === 'password', 'the password box is a password input');
    await w.submitInput('not-the-password');
    const wrong = await w.waitForInputMessage(/Wrong username or password/);
    assertMatch(wrong.title, /Log In to .* \(2\/2\)/, 'the password step is still open');
    assertMatch(wrong.message, /for demo/, 'the username is kept');
    assert((await w.toastTexts()).every((t) => !/failed/i.test(t)), `no error toast: ${await w.toastTexts()}`);
    await w.shot('login-wrong-password');
    await w.submitInput('demo');
    await w.notification(new RegExp(`Logged in to ${portalHost.replace(/[.:]/g, '\\$&')} as Demo Developer`));
    await w.sidebar.getByRole('button', { name: 'Select Space & Bind MiniApp', exact: true }).waitFor({ timeout: 20_000 });
    const credentials = fs.readFileSync(path.join(paths.devHome, 'credentials.json'), 'utf8');
    assert(!/"password"/.test(credentials), 'the credentials file holds no password');
    assert(!fs.readFileSync(path.join(paths.userData, 'User', 'settings.json'), 'utf8').includes('"demo"'), 'the settings hold no credentials');
    assertMatch(await statusBarText(), /not bound/, 'the status bar');
    assertMatch(await w.sidebar.innerText(), /Demo Developer \(demo\)/i, 'the unbound view says who is logged in');
    await w.shot('logged-in-not-bound');
    await w.closeNotifications();
  });

  await step('Select Space & Bind MiniApp: the one space is taken (as the CLI does), the MiniApp picked', async () => {
    await w.clickButton('Select Space & Bind MiniApp');
    // demo belongs to "Demo Space" only: no space picker (#21 item 21), the MiniApp picker names it.
    await w.quickInput.waitFor({ state: 'visible', timeout: 15_000 });
    const placeholder = await w.quickInput.locator('input').first().getAttribute('placeholder');
    assertMatch(placeholder ?? '', /space "Demo Space", the only one/, 'the MiniApp picker names the space');
    const title = (await w.quickInput.locator('.quick-input-title').textContent()) ?? '';
    assert(!/\(\d\/\d\)/.test(title), `one step, not a space step first: ${title}`);
    const apps = await w.pick('Hello MiniApp', { expectTitle: 'Bind MiniApp' });
    assert(apps.includes('Hello MiniApp') && apps.includes('Wallet Tools') && !apps.includes('Other App'), `apps offered: ${apps}`);
    await w.notification(/Bound this project to "Hello MiniApp" in "Demo Space"/);
    await w.waitForRows([
      new RegExp(`^Demo Developer, demo · ${portalHost.replace(/[.:]/g, '\\$&')}$`),
      /^Hello MiniApp, Demo Space$/,
      /^Versions, none yet$/,
    ]);
    const binding = readJson(path.join(paths.project, 'gopay-miniapp.json'));
    assert(binding.app.name === 'Hello MiniApp' && binding.space.name === 'Demo Space', 'gopay-miniapp.json names the app');
    assertMatch(await statusBarText(), /Hello MiniApp · nothing live/, 'the status bar');
    await w.shot('bound');
    await w.closeNotifications();
  });

  await step('a bound project keeps its binding’s portal when the user setting points elsewhere (#21 item 5)', async () => {
    const settingsFile = path.join(paths.userData, 'User', 'settings.json');
    const before = fs.readFileSync(settingsFile, 'utf8');
    // A portal that is not there: were the setting to win, the sidebar would say it can't reach it.
    writeSettings(paths.userData, { ...JSON.parse(before), 'gopayMiniapp.portal.url': 'http://127.0.0.1:9' });
    await page.waitForTimeout(2_000);
    await w.palette('GoPay MiniApp: Refresh');
    await page.waitForTimeout(2_000);
    await w.waitForRows([
      new RegExp(`^Demo Developer, demo · ${portalHost.replace(/[.:]/g, '\\$&')}$`),
      /^Hello MiniApp, Demo Space$/,
    ]);
    assert(!(await w.rows()).some((r) => /Can’t reach/.test(r)), `the binding's portal is used: ${await w.rows()}`);
    fs.writeFileSync(settingsFile, before);
    await page.waitForTimeout(1_000);
  });

  await step('the status bar item shows the bound app and focuses the sidebar', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="Explorer"], .activitybar .action-label[aria-label^="Explorer"]').first().click();
    await w.sidebar.locator('.monaco-list-row').first().waitFor({ state: 'visible', timeout: 10_000 });
    assertMatch(await statusBarText(), /Hello MiniApp/, 'the status bar');
    await statusBar.click();
    await w.findRow(/^Hello MiniApp, Demo Space$/);
  });

  await step('Rebind goes straight to the pickers (no second question); Escape is silent (items 5, 14)', async () => {
    await w.rowAction(/^Hello MiniApp, Demo Space$/, 'Rebind');
    await w.quickInput.locator('.quick-input-title', { hasText: 'Bind MiniApp' }).waitFor({ timeout: 10_000 });
    assert(!(await page.locator('.monaco-dialog-box').isVisible()), 'no "Rebind?" dialog after Rebind was clicked');
    // The bound MiniApp is marked and preselected (#21 item 21).
    const bound = w.quickInput.locator('.quick-input-list .monaco-list-row', { hasText: 'Hello MiniApp' }).first();
    await bound.waitFor({ timeout: 10_000 });
    assertMatch(await bound.innerText(), /bound now/, 'the rebind picker marks the bound MiniApp');
    assertMatch((await bound.getAttribute('class')) ?? '', /focused/, 'the bound MiniApp is preselected');
    await page.keyboard.press('Escape');
    await w.quickInput.waitFor({ state: 'hidden', timeout: 5_000 });
    await page.waitForTimeout(1500);
    assert((await w.toastTexts()).length === 0, `Escape raised no toast: ${await w.toastTexts()}`);
    // Bind on a bound project asks once, with a verb button; Cancel keeps it.
    await w.palette('GoPay MiniApp: Select Space & Bind MiniApp');
    const dialog = await w.dialogInfo();
    assert(dialog.buttons.includes('Rebind') && !dialog.buttons.includes('Yes'), `the dialog's buttons: ${dialog.buttons}`);
    await w.answerDialog('Cancel', { expect: /bound to "Hello MiniApp" in "Demo Space"\. Rebind it to another MiniApp\?/ });
    await w.notification(/Kept the binding to "Hello MiniApp"/);
    await w.closeNotifications();
  });

  const bindingFile = path.join(paths.project, 'gopay-miniapp.json');
  const binding = readJson(bindingFile);
  const appId = binding.app.id;
  let firstDeeplink;

  await step('a failed build: its first error with file:line:col, in the Problems panel, its output logged once (issue 21 item 15)', async () => {
    // The project is in git from here on (issue 21 item 17: the description comes from it).
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'Faster home page');
    const original = fs.readFileSync(bindingFile, 'utf8');
    const script = path.join(paths.project, 'broken-build.mjs');
    // vite 7's shape: the message, then the location in a frame of its own.
    fs.writeFileSync(
      script,
      "console.log('> hello-miniapp build');\nfor (let i = 0; i < 40; i++) console.log(`  at frame ${i} (node:internal/stack:${i})`);\nconsole.error('error during build:');\nconsole.error('[PARSE_ERROR] Error: Expected `>` but found `<`');\nconsole.error('    ╭─[ src/index.html:3:5 ]');\nprocess.exit(1);\n",
    );
    fs.writeFileSync(bindingFile, JSON.stringify({ ...readJson(bindingFile), buildCommand: 'node broken-build.mjs' }, null, 2));
    await w.clickAction('Publish MiniApp');
    await describePublish();
    const toast = await w.notification(/Publish failed/, 120_000);
    const text = (await toast.locator('.notification-list-item-message').innerText()).trim();
    assert(
      text === 'Publish failed: “node broken-build.mjs” exited 1: src/index.html:3:5: [PARSE_ERROR] Error: Expected “>” but found “<”. package.json is back at 1.0.0.',
      `the toast says ${JSON.stringify(text)}`,
    );
    const buttons = (await toast.getByRole('button').allInnerTexts()).map((b) => b.trim()).filter(Boolean);
    assert(buttons[0] === 'Show Build Output', `the main button: ${buttons}`);
    assert(!buttons.includes('Retry'), `no Retry for a failed build: ${buttons}`);
    assert(packageJson().version === '1.0.0', `package.json is back at 1.0.0 (${packageJson().version})`);
    await w.shot('build-failed');
    // The Problems panel has the error at its file, line and column.
    await w.palette('View: Focus on Problems View');
    const problem = page.locator('.markers-panel .monaco-list-row').filter({ hasText: /PARSE_ERROR/ }).first();
    await problem.waitFor({ timeout: 15_000 });
    assertMatch(await problem.innerText(), /\[Ln 3, Col 5\]/, 'the problem’s place');
    assertMatch(await page.locator('.markers-panel').innerText(), /index\.html/, 'the problem’s file');
    await w.shot('build-problem');
    await w.notificationButton(toast, 'Show Build Output');
    await page.locator('.part.panel .view-lines').filter({ hasText: /frame\s39/ }).first().waitFor({ timeout: 15_000 });
    await w.shot('build-output');
    await page.keyboard.press('Control+J');
    fs.writeFileSync(bindingFile, original);
    fs.rmSync(script);
    await w.closeNotifications();
  });

  await step('Publish MiniApp: the description is prefilled from the last commit (issue 21 item 17); the toast names the new version (item 3)', async () => {
    await w.clickAction('Publish MiniApp');
    const prefilled = await describePublish();
    assert(prefilled === 'Faster home page', `the description box is prefilled with the last commit's subject: ${JSON.stringify(prefilled)}`);
    const progress = await w.notification(/Publishing Hello MiniApp/, 20_000).catch(() => undefined);
    if (progress) await w.shot('publish-progress');
    const done = await w.notification(/Published Hello MiniApp 1\.0\.1/, 120_000);
    assertMatch(await done.innerText(), /package\.json is now 1\.0\.1\b/, 'the publish toast');
    const buttons = await done.getByRole('button').allInnerTexts();
    assert(buttons.some((b) => /Release/.test(b)) && buttons.some((b) => /Open Log/.test(b)), `publish actions: ${buttons}`);
    assert(packageJson().version === '1.0.1', `package.json is ${packageJson().version}`);
    const versions = cli(binary, ['versions'], { home: paths.devHome, portal, project: paths.project });
    assert(JSON.stringify(versions).includes('"1.0.1"'), 'the portal has 1.0.1');
    assert(JSON.stringify(versions).includes('"Faster home page"'), `1.0.1 is described by the commit: ${JSON.stringify(versions)}`);
    await w.waitForRows([/^1\.0\.1, latest · not released$/, /^Versions, latest 1\.0\.1$/]);
    assertMatch(await statusBarText(), /Hello MiniApp · nothing live/, 'the status bar');
    await w.shot('published');
    await w.notificationButton(done, 'Open Log');
    const output = page.locator('.part.panel .view-lines');
    await output.filter({ hasText: /✔\sPublished\sHello\sMiniApp\s1\.0\.1/ }).first().waitFor({ timeout: 15_000 });
    await w.shot('output-log');
    await page.keyboard.press('Control+J');
    // The failed build's problem went with this successful build (issue 21 item 15).
    await w.palette('View: Focus on Problems View');
    await page.locator('.markers-panel').waitFor({ timeout: 15_000 });
    await page.locator('.markers-panel .monaco-list-row').filter({ hasText: /PARSE_ERROR/ }).first().waitFor({ state: 'detached', timeout: 15_000 });
    await page.keyboard.press('Control+J');
    await w.closeNotifications();
  });

  await step('the palette offers only what can work: nothing to officially release yet (item 8)', async () => {
    await w.palette('GoPay MiniApp: Officially Release');
    await w.notification(/No release allows “Officially Release” now/, 20_000);
    assert(!(await w.quickInput.isVisible()), 'no picker of versions that cannot be released');
    await w.closeNotifications();
  });

  await step('a click on a version toggles it only; its Release… button → the picker marks production (the portal says so); choose "GoPay Staging"', async () => {
    // Issue 21 item 16: the click toggles the row, the Release picker is the row's action.
    await (await w.findRow(/^1\.0\.1, latest/)).click();
    await page.waitForTimeout(1_000);
    assert(!(await w.quickInput.isVisible()), 'a click on a version opens no picker');
    await w.rowAction(/^1\.0\.1, latest/, 'Release');
    await w.quickInput.locator('.quick-input-title', { hasText: 'Release 1.0.1' }).waitFor({ timeout: 10_000 });
    const descriptions = (await w.quickInput.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    assert(descriptions.some((d) => /^GoPay\s*production/.test(d)), `the production target app is marked: ${descriptions}`);
    const targets = await w.pick('GoPay Staging', { expectTitle: 'Release 1.0.1' });
    assert(targets.includes('GoPay') && targets.includes('GoPay Staging'), `target apps offered: ${targets}`);
    const toast = await w.notification(/Created the release of 1\.0\.1 on "GoPay Staging": not submitted and not live yet/);
    const buttons = await toast.getByRole('button').allInnerTexts();
    assert(buttons.some((b) => /Show Temporary Code/.test(b)), `release actions: ${buttons}`);
    await w.waitForRows([/^1\.0\.1, latest · GoPay Staging: Not submitted$/, /^GoPay Staging, Not submitted$/]);
    assertMatch(await statusBarText(), /Hello MiniApp · nothing live/, 'the status bar');
    await w.shot('released-version-creation');
    await w.closeNotifications();
  });

  await step('Show Temporary Code: the QR decodes to its deeplink; the panel offers Apply Release…', async () => {
    await w.rowAction(/^GoPay Staging, Not submitted$/, 'Show Temporary Code');
    const frame = await w.webviewFrame('#qr');
    const deeplink = (await frame.locator('#deeplink').innerText()).trim();
    assertMatch(deeplink, new RegExp(`^gopaystaging://mini-app/windvane\\?app_id=${appId}&publish_id=[^&\\s]+$`), 'the deeplink');
    assertMatch(await frame.locator('#expiry').innerText(), /^expires in \d+/, 'the expiry');
    await page.waitForTimeout(500);
    const qrFile = await w.shot('temporary-code-qr', frame.locator('#qr'));
    const decoded = decodeQr(qrFile);
    assert(decoded === deeplink, `the QR decodes to ${decoded}, the panel says ${deeplink}`);
    const fromCli = cli(binary, ['qr', '1.0.1', '--target-app', 'GoPay Staging', '--format', 'url'], { home: paths.devHome, portal, project: paths.project });
    assert(JSON.stringify(fromCli).includes(JSON.stringify(deeplink)), `the CLI's temporary code names the same deeplink: ${JSON.stringify(fromCli)}`);
    await frame.locator('#copy').click();
    await frame.locator('#copy', { hasText: 'Copied' }).waitFor({ timeout: 5_000 });
    await w.shot('temporary-code');
    log(`  QR → ${decoded}`);
    firstDeeplink = deeplink;
    await frame.locator('#next', { hasText: 'Apply Release…' }).click();
  });

  await step('Apply Release (from the panel): notes, then a modal with a verb button', async () => {
    await w.fillInput('First release from VS Code', { expectTitle: 'Apply Release: 1.0.1 on "GoPay Staging"' });
    const dialog = await w.dialogInfo();
    assert(dialog.buttons.includes('Submit for Review') && !dialog.buttons.includes('Yes'), `the dialog's buttons: ${dialog.buttons}`);
    const text = await w.answerDialog('Submit for Review', { expect: /Submit Hello MiniApp 1\.0\.1 for review on "GoPay Staging"\?/ });
    assertMatch(text, /First release from VS Code/, 'the release information shows the notes');
    await w.notification(/1\.0\.1 is in review on "GoPay Staging"/);
    await w.waitForRows([/^GoPay Staging, In review$/]);
    await page.locator('.tabs-container .tab', { hasText: 'Temporary Code' }).locator('.action-label.codicon-close').click();
    await w.shot('in-review');
    await w.closeNotifications();
  });

  await step('Wait for Review: one line and "Stop Waiting" (item 4); the approval offers the next step (item 10)', async () => {
    await w.rowAction(/^GoPay Staging, In review$/, 'Wait for Review');
    const waiting = await w.notification(/Waiting for the review of 1\.0\.1/, 20_000);
    const text = await waiting.locator('.notification-list-item-message').innerText();
    assert((text.match(/Waiting for the review/g) ?? []).length === 1, `the waiting toast repeats itself: ${JSON.stringify(text)}`);
    const buttons = (await waiting.getByRole('button').allInnerTexts()).map((b) => b.trim()).filter(Boolean);
    assert(buttons.includes('Stop Waiting') && !buttons.includes('Cancel'), `the waiting toast's buttons: ${buttons}`);
    // #21 item 21: waiting is told once — no progress notification of the sidecar's beside the
    // toast, no Apply toast saying the same, no window spinner repeating the status bar item.
    await page.waitForTimeout(1500);
    const toasts = await w.toastTexts();
    assert(toasts.filter((t) => /review/i.test(t)).length === 1, `waiting for the review is told once: ${JSON.stringify(toasts)}`);
    const statusBar = await page.locator('.statusbar').innerText();
    assert(!/Waiting for the review of/.test(statusBar), `a window spinner repeats the status bar item: ${JSON.stringify(statusBar)}`);
    await w.shot('waiting-for-review');
    cli(binary, ['login', '--username', 'admin', '--password-stdin'], { home: paths.adminHome, portal, input: 'admin\n' });
    cli(binary, ['review', 'approve', '--app', appId, '--version', '1.0.1', '--target-app', 'GoPay Staging'], { home: paths.adminHome, portal, project: paths.project });
    const approved = await w.notification(/1\.0\.1 was approved on "GoPay Staging"/, 60_000);
    const next = (await approved.getByRole('button').allInnerTexts()).map((b) => b.trim()).filter(Boolean);
    assert(next.includes('Officially Release'), `the approval's next steps: ${next}`);
    // Issue 21 item 8: a first release may only go straight to official; nothing else is suggested.
    const approvedText = await approved.innerText();
    assert(!/whitelist|grayscale/i.test(approvedText), `the first approval suggests only what is possible: ${approvedText}`);
    await w.waitForRows([/^GoPay Staging, Approved$/]);
    assert((await w.toastTexts()).filter((t) => /was approved/.test(t)).length === 1, `one approval toast: ${await w.toastTexts()}`);
    await w.shot('approved');
    await w.notificationButton(approved, 'Officially Release');
  });

  await step('Release to Everyone: a modal warning with verb buttons (item 14)', async () => {
    const dialog = await w.dialogInfo();
    assert(dialog.warning, 'the confirmation is a warning');
    assert(dialog.buttons.includes('Release to Everyone') && !dialog.buttons.includes('Yes'), `the dialog's buttons: ${dialog.buttons}`);
    await w.answerDialog('Release to Everyone', { expect: /Officially release 1\.0\.1 to everyone on "GoPay Staging"/ });
    await w.notification(/1\.0\.1 is live for everyone on "GoPay Staging"/);
    await w.waitForRows([/^GoPay Staging, Live$/, /^1\.0\.1, latest · GoPay Staging: Live$/]);
    await (await w.findRow(/^Target Apps$/)).locator('.monaco-tl-twistie').click();
    await w.waitForRows([/^GoPay Staging, live 1\.0\.1$/, /^GoPay, nothing live$/]);
    const status = cli(binary, ['status'], { home: paths.devHome, portal, project: paths.project });
    const staging = status.targetApps.find((t) => t.targetApp === 'GoPay Staging');
    assert(staging?.liveVersion === '1.0.1', `the portal has 1.0.1 live on GoPay Staging: ${JSON.stringify(status.targetApps)}`);
    assertMatch(await statusBarText(), /Hello MiniApp · 1\.0\.1 live on GoPay Staging/, 'the status bar');
    await w.closeNotifications();
    await page.mouse.move(900, 400);
    await page.waitForTimeout(300);
    await w.shot('officially-released');
  });

  await step('Publish, cancelled mid-build: while it runs Publish is its progress (item 7); package.json is restored', async () => {
    const original = fs.readFileSync(bindingFile, 'utf8');
    fs.writeFileSync(bindingFile, JSON.stringify({ ...readJson(bindingFile), buildCommand: 'node build.mjs && sleep 120' }, null, 2));
    await w.clickAction('Publish MiniApp');
    await describePublish();
    const progress = await w.notification(/Publishing Hello MiniApp/, 20_000);
    await w.notification(/Building 1\.0\.2/, 30_000);
    assert(packageJson().version === '1.0.2', `package.json is bumped to 1.0.2 while building (it is ${packageJson().version})`);
    const titleActions = async () => (await w.sidebar.locator('.pane-header .actions .action-label').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? '')));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await titleActions()).some((a) => a.startsWith('Publish MiniApp'))) await page.waitForTimeout(200);
    const actions = await titleActions();
    assert(!actions.some((a) => a.startsWith('Publish MiniApp')), `no second Publish while one runs: ${actions}`);
    assert(actions.some((a) => a.startsWith('Publishing… Show Progress')), `the running publish is offered instead: ${actions}`);
    await w.shot('publish-building');
    await w.clickAction('Publishing… Show Progress');
    await w.notification(/A publish of Hello MiniApp is running: Building 1\.0\.2/, 10_000);
    await progress.getByRole('button', { name: 'Cancel' }).click();
    const toast = await w.notification(/Publish cancelled/, 60_000);
    assertMatch(await toast.innerText(), /package\.json is back at 1\.0\.1/, 'the cancel notification');
    assert(packageJson().version === '1.0.1', `package.json is back to 1.0.1 (it is ${packageJson().version})`);
    const versions = cli(binary, ['versions'], { home: paths.devHome, portal, project: paths.project });
    assert(!JSON.stringify(versions).includes('"1.0.2"'), 'the portal has no 1.0.2');
    await w.shot('publish-cancelled');
    fs.writeFileSync(bindingFile, original);
    await w.closeNotifications();
  });

  await step('Publish 1.0.2 → Show Temporary Code (release, then the QR) → Apply Release…', async () => {
    await w.findRow(/^1\.0\.1, /); // the tree is back
    await w.clickAction('Publish MiniApp');
    await describePublish('Second release from VS Code');
    // Nothing changed in the sources since 1.0.1: the same package is asked about first (#21
    // item 21), with a verb button, before anything is uploaded.
    const identical = await w.dialogInfo();
    assert(identical.buttons.includes('Publish Anyway') && !identical.buttons.includes('Yes'), `the identical-package buttons: ${identical.buttons}`);
    await w.answerDialog('Publish Anyway', { expect: /The package is identical to version 1\.0\.1 already on the portal\. Publish it again as 1\.0\.2\?/ });
    const published = await w.notification(/Published Hello MiniApp 1\.0\.2/, 120_000);
    await w.notificationButton(published, 'Show Temporary Code');
    await w.pick('GoPay Staging', { expectTitle: 'Release 1.0.2' });
    const frame = await w.webviewFrame('#qr');
    await frame.locator('h1', { hasText: '1.0.2' }).waitFor({ timeout: 15_000 });
    const deeplink = (await frame.locator('#deeplink').innerText()).trim();
    await page.waitForTimeout(500);
    const decoded = decodeQr(await w.shot('temporary-code-1.0.2-qr', frame.locator('#qr')));
    assert(decoded === deeplink, `the QR of 1.0.2 decodes to ${decoded}, the panel says ${deeplink}`);
    assert(deeplink !== firstDeeplink, 'each release has its own temporary code');
    await w.notification(/Created the release of 1\.0\.2 on "GoPay Staging"/);
    await w.closeNotifications();
    // The panel stays open: it follows the release (#21 item 10, next step).
    await w.rowAction(/^GoPay Staging, Not submitted$/, 'Apply Release…');
    await w.fillInput('Second release from VS Code', { expectTitle: 'Apply Release: 1.0.2 on "GoPay Staging"' });
    await w.answerDialog('Submit for Review', { expect: /Submit Hello MiniApp 1\.0\.2 for review/ });
    await w.notification(/1\.0\.2 is in review/);
    await w.waitForRows([/^1\.0\.2, latest · GoPay Staging: In review$/, /^1\.0\.1, GoPay Staging: Live$/]);
    // The "in review" toast stays up: the approval must put it away (#21 item 10).
  });

  await step('the admin approves 1.0.2 elsewhere: told without Wait for Review or Refresh (item 10)', async () => {
    cli(binary, ['review', 'approve', '--app', appId, '--version', '1.0.2', '--target-app', 'GoPay Staging'], { home: paths.adminHome, portal, project: paths.project });
    const toast = await w.notification(/1\.0\.2 was approved on "GoPay Staging"/, 30_000);
    const next = (await toast.getByRole('button').allInnerTexts()).map((b) => b.trim()).filter(Boolean);
    assert(next.includes('Officially Release') && next.includes('Set Whitelist…'), `the approval's next steps: ${next}`);
    await w.waitForRows([/^1\.0\.2, latest · GoPay Staging: Approved$/]);
    // Panels and toasts follow the snapshot (#21 item 10): the stale "in review" toast is put
    // away, and the temporary-code panel no longer offers Apply but says where the release is.
    const toasts = await w.toastTexts();
    assert(!toasts.some((t) => /is in review/.test(t)), `the "in review" toast is gone: ${toasts}`);
    const panel = await w.webviewFrame('#now', 20_000);
    assertMatch(await panel.locator('#now').innerText(), /^1\.0\.2 on "GoPay Staging" is Approved now\.$/, 'the panel follows the release');
    assert((await panel.locator('#next').count()) === 0, 'the panel no longer offers Apply');
    await w.shot('temporary-code-follows');
    await page.locator('.tabs-container .tab', { hasText: 'Temporary Code' }).locator('.action-label.codicon-close').click();
    await w.shot('approved-elsewhere');
    await w.closeNotifications();
  });

  await step('Set Whitelist inline (item 11): the sidecar\'s parse is said before sending (repeats, bad IDs)', async () => {
    await w.rowAction(/^GoPay Staging, Approved$/, 'Set Whitelist…');
    // The sidecar answers the box's check (a round trip): wait for its message.
    await w.typeInput('user-1001; user-1001, user-1002');
    await w.waitForInputMessage(/^2 user IDs: user-1001, user-1002; 1 repeat counted once\.$/);
    await w.typeInput('user-1001, bad id!');
    await w.waitForInputMessage(/^Not a user ID: "id!"/);
    await w.shot('whitelist-validation');
    await w.fillInput('user-1001, user-1002', { expectTitle: 'Set Whitelist: 1.0.2 on "GoPay Staging"' });
    await w.notification(/1\.0\.2 is live on "GoPay Staging" for 2 whitelisted users/);
    await w.waitForRows([/^GoPay Staging, Whitelist test \(2 users\)$/]);
    await w.closeNotifications();
  });

  await step('Start Grayscale inline: the ratio is validated', async () => {
    await w.rowAction(/^GoPay Staging, Whitelist test/, 'Start/Raise Grayscale…');
    assertMatch(await w.typeInput('0'), /1 to 100/, 'the validation of 0');
    assertMatch(await w.typeInput('ten'), /whole percentage/, 'the validation of "ten"');
    await w.shot('grayscale-validation');
    await w.fillInput('10', { expectTitle: 'Start Grayscale: 1.0.2 on "GoPay Staging"' });
    // It reaches real users and only goes up: confirmed, naming what stays live (#21 item 21).
    await w.answerDialog('Start Grayscale', { expect: /Start the grayscale of 1\.0\.2 on "GoPay Staging" for 10% of its users \(the others keep 1\.0\.1\)/ });
    await w.notification(/1\.0\.2 is live on "GoPay Staging" for 10% of users/);
    await w.waitForRows([/^GoPay Staging, Grayscale 10%$/, /^1\.0\.2, latest · GoPay Staging: Grayscale 10%$/]);
    await w.waitForRows([/^GoPay Staging, live 1\.0\.1 · 1\.0\.2 grayscale 10%$/]);
    assertMatch(await statusBarText(), /Hello MiniApp · 1\.0\.1 live on GoPay Staging/, 'the status bar says what is live');
    await w.closeNotifications();
    await page.locator('.part.editor').click({ position: { x: 400, y: 650 } }); // focus away from the tree
    await page.mouse.move(900, 600);
    await page.waitForTimeout(300);
    await w.shot('grayscale');
    const sidebarShot = await w.shotSidebar('sidebar');
    fs.mkdirSync(path.dirname(sidebarImage), { recursive: true });
    fs.copyFileSync(sidebarShot, sidebarImage);
    log(`  sidebar screenshot → ${path.relative(repo, sidebarImage)}`);
  });

  await step('Officially Release 1.0.2 (inline): the warning names 1.0.1, which gets archived', async () => {
    await w.rowAction(/^GoPay Staging, Grayscale 10%$/, 'Officially Release');
    await w.answerDialog('Release to Everyone', { expect: /Officially release 1\.0\.2 to everyone on "GoPay Staging"\? 1\.0\.1 \(live now\) will be archived/ });
    await w.notification(/1\.0\.2 is live for everyone on "GoPay Staging"\. 1\.0\.1 was archived/);
    await w.waitForRows([/^1\.0\.2, latest · GoPay Staging: Live$/, /^GoPay Staging, live 1\.0\.2$/]);
    assertMatch(await statusBarText(), /Hello MiniApp · 1\.0\.2 live on GoPay Staging/, 'the status bar');
    await w.closeNotifications();
  });

  await step('Roll Back from the Target Apps row (items 11, 14); the status bar says 1.0.1 is live (item 12)', async () => {
    await w.rowAction(/^GoPay Staging, live 1\.0\.2$/, 'Roll Back');
    const dialog = await w.dialogInfo();
    assert(dialog.warning, 'the rollback confirmation is a warning');
    assert(dialog.buttons.includes('Roll Back') && !dialog.buttons.includes('Yes'), `the dialog's buttons: ${dialog.buttons}`);
    await w.answerDialog('Roll Back', { expect: /1\.0\.1/ });
    await w.notification(/Rolled back on "GoPay Staging": 1\.0\.1 is live again/);
    await w.waitForRows([/^GoPay Staging, live 1\.0\.1$/, /^1\.0\.1, GoPay Staging: Live$/]);
    assertMatch(await statusBarText(), /Hello MiniApp · 1\.0\.1 live on GoPay Staging/, 'the status bar after the rollback');
    await w.shot('rolled-back');
    await w.closeNotifications();
  });

  await step('the sidecar crashes: the client restarts it and the sidebar comes back by itself (#21 item 11)', async () => {
    await w.closeNotifications();
    // The one sidecar of this code-server (the test's own CLI runs are never `lsp`).
    const found = spawnSync('pgrep', ['-f', '/gopay-miniapp lsp( |$)'], { encoding: 'utf8' });
    const pids = found.stdout.split(/\s+/).filter(Boolean).map(Number);
    assert(pids.length === 1, `one sidecar runs: ${pids}`);
    process.kill(pids[0], 'SIGKILL');
    // The client starts a new one (vscode-languageclient's restart after a crash).
    let again = [];
    for (let waited = 0; waited < 30_000 && !(again.length === 1 && again[0] !== pids[0]); waited += 250) {
      await page.waitForTimeout(250);
      again = spawnSync('pgrep', ['-f', '/gopay-miniapp lsp( |$)'], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean).map(Number);
    }
    assert(again.length === 1 && again[0] !== pids[0], `a new sidecar runs: ${again}`);
    await page.waitForTimeout(2_000); // the restarted sidecar's first status
    await w.waitForRows([/^1\.0\.2, /, /^Demo Developer, /], 60_000);
    assert(!(await w.sidebar.getByRole('button', { name: 'Restart Helper', exact: true }).isVisible()), 'no Restart Helper after the restart');
    const toasts = await w.toastTexts();
    assert(!toasts.some((t) => /can’t start its helper program/.test(t)), `no "can't start" toast for a restarted sidecar: ${toasts}`);
    await w.shot('sidecar-restarted');
  });

  await step('the portal goes away: "Can’t reach", Retry and Open Settings; the tree stays, marked stale (item 2)', async () => {
    const port = Number(new URL(portal).port);
    await stop(portalProcess);
    await w.clickAction('Refresh');
    const toast = await w.notification(new RegExp(`Can’t reach ${portalHost.replace(/[.:]/g, '\\$&')}`), 30_000);
    const buttons = (await toast.getByRole('button').allInnerTexts()).map((b) => b.trim()).filter(Boolean);
    assert(buttons[0] === 'Retry' && buttons.includes('Open Settings'), `the buttons: ${buttons}`);
    assert(!/os error|HTTPS_PROXY|\/api\//.test(await toast.innerText()), `no jargon: ${await toast.innerText()}`);
    const rows = await w.waitForRows([new RegExp(`^Can’t reach ${portalHost.replace(/[.:]/g, '\\$&')}, showing the last known state$`), /^1\.0\.2, /, /^GoPay Staging, live 1\.0\.1$/]);
    assert(!(await w.sidebar.getByRole('button', { name: 'Log In', exact: true }).isVisible()), `the sidebar does not ask to log in: ${rows}`);
    assert(!/log in/i.test(await statusBarText()), `the status bar does not say log in: ${await statusBarText()}`);
    await w.shot('portal-unreachable');
    ({ child: portalProcess } = await startPortal(portalBinary, paths.portalData, path.join(tmp, 'portal.log'), port));
    await w.notificationButton(toast, 'Retry');
    await w.waitForRows([/^1\.0\.2, /, /^Demo Developer, /]);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await w.rows()).some((r) => /^Can’t reach/.test(r))) await page.waitForTimeout(250);
    assert(!(await w.rows()).some((r) => /^Can’t reach/.test(r)), 'the stale mark is gone once the portal answers');
    await w.closeNotifications();
  });

  await step('Log Out, then log in with the browser (device login)', async () => {
    await w.rowMenu(/^Demo Developer, /, 'Log Out');
    await w.notification(/Logged out of/);
    await w.sidebar.getByRole('button', { name: 'Log In', exact: true }).waitFor({ timeout: 20_000 });
    await w.closeNotifications();
    const popup = page.context().waitForEvent('page', { timeout: 30_000 });
    popup.catch(() => {});
    await w.sidebar.locator('a', { hasText: 'log in with the browser' }).first().click();
    // VS Code may ask before it opens an external website.
    const dialog = page.locator('.monaco-dialog-box');
    const first = await Promise.race([popup, dialog.waitFor({ timeout: 30_000 }).then(() => 'dialog')]);
    if (first === 'dialog') await w.answerDialog('Open');
    const approval = await popup;
    await approval.waitForLoadState();
    const waiting = await w.notification(/Logging in to .* with the browser.*code [A-Z0-9-]+/, 15_000);
    const code = /code ([A-Z0-9-]+)/.exec(await waiting.innerText())[1];
    // The page's URL with the code, Open URL and Copy URL (#21 item 20).
    const shown = await w.notificationAnywhere(/Approve the login in the browser at http\S+\/device/, 15_000);
    assertMatch(await shown.innerText(), new RegExp(code), 'the URL toast shows the code');
    const urlButtons = await shown.getByRole('button').allInnerTexts();
    assert(urlButtons.some((b) => /Open URL/.test(b)) && urlButtons.some((b) => /Copy URL/.test(b)), `buttons: ${urlButtons}`);
    await page.keyboard.press('Escape'); // the notification centre, if it was opened
    await w.shot('device-login-waiting');
    // code-server sends localhost URLs through its port proxy (which drops the path); a desktop
    // VS Code opens the portal's page itself. Either way the approval page is this one:
    const page2 = `${portal}/device?user_code=${code}`;
    log(`  the extension opened ${approval.url()}; approving at ${page2}`);
    if (!approval.url().startsWith(page2)) await approval.goto(page2);
    await approval.fill('#username', 'demo');
    await approval.fill('#password', 'demo');
    await approval.screenshot({ path: path.join(artifacts, `${String(++w.shots).padStart(2, '0')}-device-login-page.png`) });
    await approval.getByRole('button', { name: 'Approve' }).click();
    await w.notification(/Logged in to .* as Demo Developer/, 30_000);
    await approval.close();
    await w.waitForRows([/^Demo Developer, /, /^Hello MiniApp, Demo Space$/]);
    await w.closeNotifications();
  });

  await step('a sidecar that cannot start is said clearly, with Open Settings', async () => {
    await w.palette('GoPay MiniApp: Open Settings');
    // The extension host runs on the code-server side: machine settings are the Remote tab's.
    await page.locator('.settings-editor .settings-tabs-widget .action-label', { hasText: /^Remote/ }).click();
    const setting = page.locator('.settings-editor .setting-item-contents').filter({ hasText: 'binary to run as the sidecar' }).first();
    await setting.waitFor({ timeout: 20_000 });
    const input = setting.locator('input').first();
    await input.fill('/nonexistent/gopay-miniapp');
    await input.press('Enter');
    const toast = await w.notification(/GoPay MiniApp can’t start its helper program/, 30_000);
    assertMatch(await toast.innerText(), /gopayMiniapp\.server\.path is "\/nonexistent\/gopay-miniapp"/, 'the notification');
    const buttons = await toast.getByRole('button').allInnerTexts();
    assert(buttons.includes('Open Settings') && buttons.includes('Open Log'), `actions: ${buttons}`);
    await w.sidebar.getByRole('button', { name: 'Restart Helper', exact: true }).waitFor({ timeout: 10_000 });
    await w.shot('sidecar-not-found');
  });

  assert(initialVersion === '1.0.0', `the example starts at 1.0.0 (${initialVersion})`);
  const logFile = findFile(path.join(paths.userData, 'logs'), 'GoPay MiniApp.log');
  assert(logFile, 'the extension wrote its output channel');
  const extLog = fs.readFileSync(logFile, 'utf8');
  assertMatch(extLog, /built dist\//, 'the log has the build output');
  const frames = extLog.split('\n').filter((l) => /at frame 39 \(/.test(l)).length;
  assert(frames === 1, `a failed build's output is logged once, not ${frames} times (issue 21 item 15)`);
  assertMatch(extLog, /✔ Published Hello MiniApp 1\.0\.2/, 'the log ends a publish with its result');
  assertMatch(extLog, /"password":"\*\*\*"/, 'the log hides the password');
  assert(!/"password":"demo"/.test(extLog), 'the log never shows the password');

  await step('a folder without package.json or binding: not activated, no status item, no Bind (issue 21 item 19)', async () => {
    // The sidecar path set wrong by the step before goes back to the bundled one.
    const machine = path.join(paths.userData, 'Machine', 'settings.json');
    if (fs.existsSync(machine)) {
      const settings = JSON.parse(fs.readFileSync(machine, 'utf8') || '{}');
      delete settings['gopayMiniapp.server.path'];
      fs.writeFileSync(machine, JSON.stringify(settings, null, 2));
    }
    const folder = path.join(tmp, 'not-a-project');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'no package.json here\n');
    const next = new URL(page.url());
    next.searchParams.set('folder', folder);
    await page.goto(next.toString());
    await page.locator('.part.activitybar').waitFor({ timeout: 60_000 });
    await page.locator('.part.statusbar').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(3_000); // activation would have happened by now (it does not)
    const ours = page.locator('.statusbar-item').filter({ hasText: /GoPay MiniApp|Hello MiniApp/ });
    assert((await ours.count()) === 0, 'no status item in a folder that is not a MiniApp project');
    // Opening the view starts it; it says why there is nothing to do and offers no Bind.
    if (!(await w.sidebar.getByText(/no package\.json/).isVisible().catch(() => false))) {
      await page.locator('.activitybar .action-item a[aria-label^="GoPay MiniApp"], .activitybar .action-label[aria-label^="GoPay MiniApp"]').first().click();
    }
    await w.sidebar.getByText(/This folder has no package\.json/).first().waitFor({ timeout: 60_000 });
    assert(!(await w.sidebar.getByRole('button', { name: 'Select Space & Bind MiniApp', exact: true }).isVisible().catch(() => false)), 'no Bind offered');
    assert((await ours.count()) === 0, 'still no status item once the view started the extension');
    await w.shot('not-a-project');
  });
  log(`✔ all steps passed; screenshots in ${path.relative(repo, artifacts)}/`);
}

runTest(main, artifacts);
