// Support for the VS Code end-to-end test: processes that are always cleaned up, a local
// portal, code-server with the packaged extension, and helpers that drive VS Code's UI the way
// a user does (clicks, quick inputs, modals, notifications) with Playwright.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const CODE_SERVER_VERSION = '4.100.3';
export const codeServerDir = process.env.CODE_SERVER_DIR ?? path.join(os.homedir(), '.cache', `code-server-${CODE_SERVER_VERSION}`);

// --- processes -----------------------------------------------------------------------------

const children = new Set();
const cleanups = [];

/** Registers something to undo when the test ends, however it ends (last in, first out). */
export function onCleanup(fn) {
  cleanups.push(fn);
}

/** Starts a long-running process in its own process group; it is killed at the end. */
/** The environment with `changes` applied (an undefined value removes the variable). */
export function environment(changes = {}) {
  const env = { ...process.env, ...changes };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return env;
}

export function start(name, cmd, args, { env, cwd, logFile } = {}) {
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(cmd, args, { cwd, env: environment(env), stdio: ['ignore', out, out], detached: true });
  child.name = name;
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* gone already */
  }
}

export async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (e) {
      console.error(`cleanup: ${e.message}`);
    }
  }
  for (const child of children) killGroup(child, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (children.size && Date.now() < deadline) await sleep(100);
  for (const child of children) killGroup(child, 'SIGKILL');
}

// Whatever ends the test, nothing it started survives it.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, async (error) => {
    console.error(`\n✘ ${event}: ${error?.stack ?? error}`);
    await cleanup();
    process.exit(1);
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    console.error(`\n${signal}: cleaning up`);
    await cleanup();
    process.exit(130);
  });
}

/** Runs a command to completion; throws with its output when it fails. */
/** Decodes the QR in a PNG with a real decoder (zbar). */
export function decodeQr(file) {
  const r = run('zbarimg', ['--raw', '-q', file], { allowFail: true });
  if (r.status !== 0) throw new Error(`zbarimg found no QR code in ${file} (exit ${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

export function run(cmd, args, { env, cwd, input, allowFail } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: environment(env), input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitForHttp(url, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e.message;
    }
    await sleep(250);
  }
  throw new Error(`${what} did not answer at ${url} within ${timeoutMs / 1000} s (${last})`);
}

// --- the product -----------------------------------------------------------------------------

/** The local portal with the demo data, on `port` (default: a free one); returns its URL and process. */
export async function startPortal(binary, dataDir, logFile, port) {
  port ??= await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = start('portal', binary, ['portal', 'serve', '--seed-demo', '--addr', `127.0.0.1:${port}`, '--data', dataDir], { logFile });
  await waitForHttp(`${url}/api/v1/health`, 30_000, 'the local portal');
  return { url, child };
}

/** Stops a process started with `start` and waits until it is gone. */
export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

/** `gopay-miniapp --json …` as a user in a terminal would run it. */
export function cli(binary, args, { home, portal, project, input, expectFail } = {}) {
  const global = ['--json'];
  if (portal) global.push('--portal', portal);
  if (project) global.push('--project', project);
  const r = run(binary, [...global, ...args], {
    env: { GOPAY_MINIAPP_HOME: home, GOPAY_MINIAPP_PORTAL: undefined, GOPAY_MINIAPP_TOKEN: undefined, NO_COLOR: '1' },
    input,
    allowFail: expectFail,
  });
  if (expectFail && r.status === 0) throw new Error(`${args.join(' ')} succeeded; expected it to fail`);
  // A failure's `{"error": …}` document (on stdout or stderr).
  return JSON.parse(r.stdout.trim() || r.stderr.trim());
}

// --- code-server -----------------------------------------------------------------------------

export function ensureCodeServer() {
  const bin = path.join(codeServerDir, 'bin', 'code-server');
  if (fs.existsSync(bin)) return bin;
  // install-code-server.sh is ../shared/tools/code-server/install.sh, kept in the repository.
  const installer = path.join(here, 'install-code-server.sh');
  console.error(`installing code-server ${CODE_SERVER_VERSION} into ${codeServerDir}`);
  const r = spawnSync('bash', [installer, codeServerDir], { stdio: 'inherit' });
  if (r.status !== 0 || !fs.existsSync(bin)) throw new Error(`installing code-server failed (${installer})`);
  return bin;
}

/** Installs the .vsix into a fresh extensions folder; returns the installed extension's folder. */
export function installExtension({ bin, userData, extensions, vsix, env }) {
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  const r = run(bin, ['--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', vsix], { env });
  if (!/successfully installed/i.test(r.stdout + r.stderr)) throw new Error(`installing ${vsix} said:\n${r.stdout}${r.stderr}`);
  const installed = fs.readdirSync(extensions).filter((d) => d.startsWith('gopay-miniapp.gopay-miniapp-'));
  if (installed.length !== 1) throw new Error(`expected one installed extension in ${extensions}, found ${installed.join(', ')}`);
  return path.join(extensions, installed[0]);
}

export function writeSettings(userData, settings) {
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** code-server on a free port, opening `folder`; returns the URL to open in the browser. */
export async function startCodeServer({ bin, userData, extensions, folder, env, logFile }) {
  const port = await freePort();
  start(
    'code-server',
    bin,
    [
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--user-data-dir', userData,
      '--extensions-dir', extensions,
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--disable-proxy', // open localhost URLs as they are (not through code-server's port proxy)
      folder,
    ],
    { env, logFile },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, 60_000, 'code-server');
  return `${url}/?folder=${encodeURIComponent(folder)}`;
}

// --- driving VS Code -------------------------------------------------------------------------

export class Workbench {
  constructor(page, artifacts) {
    this.page = page;
    this.artifacts = artifacts;
    this.shots = 0;
  }

  async shot(name, locator) {
    const file = path.join(this.artifacts, `${String(++this.shots).padStart(2, '0')}-${name}.png`);
    await (locator ?? this.page).screenshot({ path: file });
    return file;
  }

  /** The sidebar down to its last row (for the README). */
  async shotSidebar(name) {
    const box = await this.sidebar.boundingBox();
    const rows = await this.sidebar.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().bottom));
    const bottom = Math.min(box.y + box.height, Math.max(...rows, box.y + 100) + 24);
    const file = path.join(this.artifacts, `${String(++this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file, clip: { x: box.x, y: box.y, width: box.width, height: bottom - box.y } });
    return file;
  }

  get sidebar() {
    return this.page.locator('.part.sidebar');
  }

  /** Clicks a welcome-view button (or any button) by its name. */
  async clickButton(name, scope = this.sidebar) {
    const button = scope.getByRole('button', { name, exact: true }).first();
    await button.waitFor({ state: 'visible', timeout: 30_000 });
    await button.click();
  }

  /** Clicks an action (title bar or inline) by its label. */
  async clickAction(label, scope = this.sidebar) {
    const action = scope.locator(`.action-label[aria-label^="${label}"]`).first();
    await action.waitFor({ state: 'visible', timeout: 15_000 });
    await action.click();
  }

  get quickInput() {
    return this.page.locator('.quick-input-widget');
  }

  /** Types into the open input box and presses Enter; returns its title and input type. */
  async fillInput(text, { expectTitle } = {}) {
    await this.quickInput.waitFor({ state: 'visible', timeout: 15_000 });
    const title = this.quickInput.locator('.quick-input-title');
    if (expectTitle) await title.filter({ hasText: expectTitle }).waitFor({ timeout: 10_000 });
    const input = this.quickInput.locator('.quick-input-box input');
    await input.fill(text);
    await this.page.waitForTimeout(150);
    const seen = { title: (await title.textContent())?.trim(), type: await input.getAttribute('type') };
    await input.press('Enter');
    await this.whenInputMovesOn(title, seen.title);
    return seen;
  }

  /** Types into the open input box without submitting; returns its validation message. */
  async typeInput(text) {
    await this.quickInput.waitFor({ state: 'visible', timeout: 15_000 });
    await this.quickInput.locator('.quick-input-box input').fill(text);
    await this.page.waitForTimeout(400);
    return ((await this.quickInput.locator('.quick-input-message').textContent()) ?? '').trim();
  }

  /** Picks the row of the open quick pick whose label is `label`; returns every row's label. */
  async pick(label, { expectTitle } = {}) {
    await this.quickInput.waitFor({ state: 'visible', timeout: 15_000 });
    if (expectTitle) await this.page.locator('.quick-input-title', { hasText: expectTitle }).waitFor({ timeout: 10_000 });
    const rows = this.quickInput.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
    const labels = await rows.locator('.label-name').allTextContents();
    const title = this.quickInput.locator('.quick-input-title');
    const before = (await title.textContent())?.trim();
    const row = rows.filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) }).first();
    await row.click();
    await this.whenInputMovesOn(title, before);
    return labels.map((l) => l.trim());
  }

  /** Waits until the quick input closes or shows another title (the next step). */
  async whenInputMovesOn(title, before) {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (!(await this.quickInput.isVisible())) return;
      if ((await title.textContent())?.trim() !== before) return;
      await this.page.waitForTimeout(100);
    }
  }

  /** Types into the open input box and presses Enter, without waiting for it to move on. */
  async submitInput(text) {
    await this.quickInput.waitFor({ state: 'visible', timeout: 15_000 });
    const input = this.quickInput.locator('.quick-input-box input');
    await input.fill(text);
    await input.press('Enter');
  }

  /** The open quick input's title and message (validation or prompt). */
  async inputState() {
    return {
      title: ((await this.quickInput.locator('.quick-input-title').textContent()) ?? '').trim(),
      message: ((await this.quickInput.locator('.quick-input-message').textContent()) ?? '').trim(),
      visible: await this.quickInput.isVisible(),
    };
  }

  /** Waits until the open input box shows a message matching `pattern`. */
  async waitForInputMessage(pattern, timeout = 20_000) {
    const deadline = Date.now() + timeout;
    let state;
    while (Date.now() < deadline) {
      state = await this.inputState();
      if (state.visible && pattern.test(state.message)) return state;
      await this.page.waitForTimeout(150);
    }
    throw new Error(`the input box does not say ${pattern}; it says ${JSON.stringify(state)}`);
  }

  /** The texts of the visible notification toasts. */
  async toastTexts() {
    return (await this.page.locator('.notifications-toasts .notification-toast').allInnerTexts()).map((t) => t.trim());
  }

  /** The buttons of the open modal dialog and whether it is a warning. */
  async dialogInfo() {
    const dialog = this.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 20_000 });
    const buttons = (await dialog.locator('.dialog-buttons').getByRole('button').allInnerTexts()).map((b) => b.trim()).filter(Boolean);
    const warning = (await dialog.locator('[class*="codicon-dialog-warning"]').count()) > 0;
    return { buttons, warning, text: (await dialog.innerText()).trim() };
  }

  /** Waits for a modal dialog, returns its text, clicks `button`. */
  async answerDialog(button, { expect } = {}) {
    const dialog = this.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 20_000 });
    const text = (await dialog.innerText()).trim();
    if (expect && !expect.test(text)) throw new Error(`the dialog says ${JSON.stringify(text)}, expected ${expect}`);
    await this.shot(`dialog-${button.toLowerCase().replace(/\W+/g, '-')}`);
    await dialog.getByRole('button', { name: button, exact: true }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    return text;
  }

  /** The notification toast whose text matches. */
  async notification(pattern, timeout = 60_000) {
    const toast = this.page.locator('.notifications-toasts .notification-toast').filter({ hasText: pattern }).first();
    await toast.waitFor({ state: 'visible', timeout });
    await this.page.waitForTimeout(300); // let it finish fading in (for the screenshots)
    return toast;
  }

  /** Clicks a button of a notification. */
  async notificationButton(toast, name) {
    await toast.getByRole('button', { name, exact: true }).click();
  }

  /**
   * A notification whose text matches, on screen or, once VS Code has put it away (it hides
   * toasts while another window has the focus), in the notification centre.
   */
  async notificationAnywhere(pattern, timeout = 15_000) {
    try {
      return await this.notification(pattern, timeout);
    } catch {
      await this.palette('Notifications: Show Notifications');
      const item = this.page.locator('.notifications-center .notification-list-item').filter({ hasText: pattern }).first();
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      return item;
    }
  }

  async closeNotifications() {
    const toasts = this.page.locator('.notifications-toasts .notification-toast');
    for (let i = await toasts.count(); i > 0; i--) {
      const toast = toasts.first();
      await toast.hover({ timeout: 2_000 }).catch(() => {});
      await toast.locator('.codicon-notifications-clear').first().click({ timeout: 2_000 }).catch(() => {});
      await this.page.waitForTimeout(100);
    }
  }

  /** Drags the sash between the sidebar and the editor so the sidebar is `width` pixels wide. */
  async sidebarWidth(width) {
    const box = await this.sidebar.boundingBox();
    if (!box) return;
    const x = box.x + box.width;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 8 });
    await this.page.mouse.up();
  }

  /** The aria labels of the sidebar's tree rows (label, description). */
  async rows() {
    return (await this.sidebar.locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''))).map((s) => s.trim());
  }

  /** Waits until the sidebar shows a row matching each pattern. */
  async waitForRows(patterns, timeout = 30_000) {
    const deadline = Date.now() + timeout;
    let rows = [];
    while (Date.now() < deadline) {
      rows = await this.rows();
      if (patterns.every((p) => rows.some((r) => p.test(r)))) return rows;
      await this.page.waitForTimeout(250);
    }
    throw new Error(`the sidebar does not show ${patterns.filter((p) => !rows.some((r) => p.test(r))).join(', ')}; it shows:\n  ${rows.join('\n  ')}`);
  }

  /** Hovers a row and clicks one of its inline actions. */
  async rowAction(rowPattern, action) {
    const row = await this.findRow(rowPattern);
    await row.hover();
    const button = row.locator(`.actions .action-label[aria-label^="${action}"]`).first();
    await button.waitFor({ state: 'visible', timeout: 10_000 });
    await button.click();
  }

  /** The labels of a row's inline actions (hovered). */
  async rowActions(rowPattern) {
    const row = await this.findRow(rowPattern);
    await row.hover();
    await this.page.waitForTimeout(300);
    return (await row.locator('.actions .action-label').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))).map((s) => s.trim());
  }

  /** The items of a row's context menu (closed again with Escape). */
  async rowMenuItems(rowPattern) {
    const row = await this.findRow(rowPattern);
    await row.click({ button: 'right' });
    const menu = this.page.locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'visible', timeout: 10_000 });
    const items = (await menu.locator('.action-item .action-label').allTextContents()).map((s) => s.trim()).filter(Boolean);
    await this.page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden', timeout: 5_000 });
    return items;
  }

  /** Right-clicks a row and picks a context-menu item. */
  async rowMenu(rowPattern, item) {
    const row = await this.findRow(rowPattern);
    await row.click({ button: 'right' });
    const entry = this.page.locator('.context-view .monaco-menu .action-item').filter({ hasText: new RegExp(`^\\s*${escapeRegExp(item)}\\s*$`) }).first();
    await entry.waitFor({ state: 'visible', timeout: 10_000 });
    const items = (await this.page.locator('.context-view .monaco-menu .action-item .action-label').allTextContents()).map((s) => s.trim()).filter(Boolean);
    // Menus ignore a mouse-up that comes right after they opened (the right click's own).
    await this.page.waitForTimeout(400);
    await entry.hover();
    await entry.click();
    await entry.waitFor({ state: 'hidden', timeout: 5_000 });
    return items;
  }

  /** The first sidebar row whose aria label matches. */
  async findRow(pattern) {
    const rows = this.sidebar.locator('.monaco-list-row');
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const labels = await rows.evaluateAll((els) => els.map((r) => r.getAttribute('aria-label') ?? ''));
      const i = labels.findIndex((l) => pattern.test(l.trim()));
      if (i >= 0) return rows.nth(i);
      await this.page.waitForTimeout(250);
    }
    throw new Error(`no sidebar row matches ${pattern}; rows: ${(await this.rows()).join(' | ')}`);
  }

  /** Runs a command from the command palette. */
  async palette(title) {
    await this.page.keyboard.press('F1');
    await this.quickInput.waitFor({ state: 'visible', timeout: 10_000 });
    await this.quickInput.locator('.quick-input-box input').fill(`>${title}`);
    await this.page.waitForTimeout(300);
    await this.quickInput.locator('.quick-input-box input').press('Enter');
  }

  /** The frame of a webview whose document has `selector`. */
  async webviewFrame(selector, timeout = 20_000) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      for (const frame of this.page.frames()) {
        try {
          if (await frame.locator(selector).count()) return frame;
        } catch {
          /* detached */
        }
      }
      await this.page.waitForTimeout(250);
    }
    throw new Error(`no webview shows ${selector}`);
  }
}

export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// --- one test run: the packaged extension in code-server, in Chromium ------------------------

const argv = process.argv.slice(2);
/** `--name VALUE` of the test's command line. */
export const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const keep = argv.includes('--keep');
const started = Date.now();

export function log(message) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
}

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export function assertMatch(text, pattern, what) {
  if (!pattern.test(text ?? '')) throw new Error(`${what}: ${JSON.stringify(text)} does not match ${pattern}`);
}

export async function step(name, body) {
  log(`▶ ${name}`);
  await body();
}

export function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export function findFile(dir, name) {
  if (!fs.existsSync(dir)) return undefined;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(full, name);
      if (found) return found;
    } else if (entry.name === name) return full;
  }
  return undefined;
}

/** The packaged extension: --vsix, or `npm run package` (optionally bundling --binary). */
function packageExtension() {
  const given = option('--vsix');
  if (given) return path.resolve(given);
  const binary = option('--binary');
  const args = ['editors/vscode/scripts/package.mjs'];
  if (binary) args.push('--binary', path.resolve(binary));
  if (!fs.existsSync(path.join(repo, 'node_modules/vscode-languageclient'))) {
    log('npm ci (the extension’s packages)');
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: repo });
  }
  log(binary ? `packaging the extension with ${binary}` : 'packaging the extension (cargo build --profile dist)');
  const r = run(process.execPath, args, { cwd: repo });
  const vsix = r.stdout.trim().split('\n').pop();
  assert(vsix.endsWith('.vsix') && fs.existsSync(vsix), `package.mjs printed ${vsix}`);
  return vsix;
}

/** playwright-core, installed from tests/vscode/package-lock.json when missing. */
async function playwright() {
  if (!fs.existsSync(path.join(here, 'node_modules/playwright-core'))) {
    log('npm ci (playwright-core)');
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: here });
  }
  return import('playwright-core');
}

/**
 * One VS Code for a test: a temporary folder (`paths(tmp)` adds the test's own paths; `project`
 * is required), the packaged extension installed into code-server, the portal the test starts
 * with the binary the .vsix bundles (`startPortal(binary, tmp)` returns its URL), the example
 * project copied to `paths.project`, code-server on it with the portal setting, and Chromium at
 * 1280×800 on the workbench. Logs and a failure screenshot land in `artifacts`; a watchdog
 * ends a test that hangs for 10 minutes.
 */
export async function launch({ artifacts, paths: testPaths, startPortal: startTestPortal, settings = {}, portalSetting = true }) {
  const { chromium } = await playwright();
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gopay-miniapp-vscode-e2e-'));
  onCleanup(() => {
    if (!keep) fs.rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  });
  const paths = { userData: path.join(tmp, 'user-data'), extensions: path.join(tmp, 'extensions'), ...testPaths(tmp) };
  // On failure: the logs of code-server, the extension host (the extension's output channel) and the portal.
  onCleanup(() => {
    const logs = path.join(paths.userData, 'logs');
    if (fs.existsSync(logs)) fs.cpSync(logs, path.join(artifacts, 'logs'), { recursive: true });
    for (const f of ['portal.log', 'code-server.log']) {
      if (fs.existsSync(path.join(tmp, f))) fs.copyFileSync(path.join(tmp, f), path.join(artifacts, f));
    }
  });

  const codeServer = ensureCodeServer();
  const vsix = packageExtension();
  log(`installing ${path.basename(vsix)} into code-server`);
  const installed = installExtension({ bin: codeServer, userData: paths.userData, extensions: paths.extensions, vsix });
  // The CLI is the very binary the .vsix bundles; so is the local portal, unless that binary
  // has none (the dist sidecar, `cargo dist-sidecar`): then --portal-binary serves it.
  const binary = path.join(installed, 'server', 'gopay-miniapp');
  assert(fs.statSync(binary).mode & 0o111, `${binary} is executable`);
  log(`sidecar in the .vsix: ${run(binary, ['--version']).stdout.trim()}`);
  const portalBinary = option('--portal-binary') ?? binary;
  const portal = await startTestPortal(portalBinary, tmp);

  fs.cpSync(path.join(repo, 'examples/hello-miniapp'), paths.project, {
    recursive: true,
    filter: (src) => !/(^|\/)(node_modules|dist|gopay-miniapp\.json)$/.test(src),
  });
  writeSettings(paths.userData, {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.view.alwaysShowHeaderActions': true,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    // Without it (a new user's fresh settings), the first Log In asks which portal.
    ...(portalSetting ? { 'gopayMiniapp.portal.url': portal } : {}),
    ...settings,
  });
  const url = await startCodeServer({
    bin: codeServer,
    userData: paths.userData,
    extensions: paths.extensions,
    folder: paths.project,
    env: { GOPAY_MINIAPP_HOME: paths.devHome, GOPAY_MINIAPP_PORTAL: undefined, GOPAY_MINIAPP_TOKEN: undefined },
    logFile: path.join(tmp, 'code-server.log'),
  });
  log(`code-server at ${url}`);
  let w;
  // The UI part takes a few minutes; whatever hangs, the test ends (and cleans up) in 10.
  const watchdog = setTimeout(() => {
    console.error('\n✘ the test took more than 10 minutes in VS Code: giving up');
    process.exitCode = 1;
    void w?.shot('timeout').catch(() => {}).finally(() => cleanup().then(() => process.exit(1)));
  }, 10 * 60_000);
  onCleanup(() => clearTimeout(watchdog));

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  onCleanup(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  w = new Workbench(page, artifacts);
  // The browser's errors (the webview's CSP reports among them), kept with the screenshots.
  const consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  onCleanup(() => fs.writeFileSync(path.join(artifacts, 'browser-console.txt'), consoleErrors.join('\n') + '\n'));
  onCleanup(async () => {
    if (process.exitCode) await w.shot('failure').catch(() => {});
  });
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  return { page, w, binary, portalBinary, tmp, paths, portal };
}

/** Runs a test's `main`; whatever happens, everything it started is stopped. */
export function runTest(main, artifacts) {
  main()
    .catch((e) => {
      console.error(`\n✘ ${e.stack ?? e}`);
      process.exitCode = 1;
    })
    .finally(async () => {
      await cleanup();
      log(process.exitCode ? `failed; screenshots and logs in ${path.relative(repo, artifacts)}/` : 'done');
      process.exit(process.exitCode ?? 0);
    });
}
