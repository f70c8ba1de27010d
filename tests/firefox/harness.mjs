// What the Firefox end-to-end suite stands on: its own servers and its own browser. It starts the bundled provider
// and the static server on ports of its own (PROVIDER 9010, APP 8091), so it neither collides with nor reuses the
// Playwright suite's servers (9000-9002, 8081); the app is a copy of the release build whose config.json names that
// provider. Firefox is Debian's firefox-esr, driven by geckodriver through selenium-webdriver (classic WebDriver
// over Marionette); both paths are given explicitly, so Selenium Manager never runs and nothing is downloaded.
//
// Waits poll the page with driver.wait and a timeout, never a fixed sleep. Failure messages name keys, test ids and
// paths, never a token: the tokens the suite learns stay in test memory.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Builder, By } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';

import { USER, requireLoopbackBuild } from '../e2e/support.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const DIST_DIR = resolve(process.env.DIST_DIR || join(REPO, 'dist'));
export const APP = `http://127.0.0.1:${Number(process.env.FIREFOX_APP_PORT || 8091)}`;
export const PROVIDER = `http://127.0.0.1:${Number(process.env.FIREFOX_PROVIDER_PORT || 9010)}`;
export const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
export const GECKODRIVER = process.env.GECKODRIVER || join(homedir(), '.cargo', 'bin', 'geckodriver');
/** How long any one thing the user waits for may take before the test fails. */
export const WAIT_MS = 20_000;
const START_MS = 30_000;

// ---------------------------------------------------------------------------------------------------------------
// Servers

const children = new Set();

/**
 * Starts `node <script>` with `env` and resolves once its output matches `ready`; rejects with its output if it
 * exits first (a busy port, say: it is never taken over or reused) or stays silent for START_MS. Its output keeps
 * being collected in `log` (lines), which the tests read for what the provider served.
 */
function startChild(name, script, env, ready) {
  const child = spawn(process.execPath, [script], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const log = [];
  let partial = '';
  const collect = (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    log.push(...lines);
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => fail('did not start in time'), START_MS);
    const onData = () => {
      if (log.some((line) => ready.test(line))) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolvePromise({ child, log });
      }
    };
    function fail(why) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      reject(new Error(`${name} ${why}:\n${[...log, partial].join('\n')}`));
    }
    const onExit = (code, signal) => fail(`exited (${signal ?? code}) before it was ready`);
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

// A test run that dies (an uncaught error, Ctrl-C) must not leave servers holding the ports.
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});

/**
 * The provider on PROVIDER with APP's port registered (its redirect and post-logout URIs), and the release build
 * on APP, from a copy whose config.json names that provider (everything else as built). `stop()` ends both and
 * removes the copy; `providerLog()` is what the provider logged so far (method, path and status per request).
 */
export async function startServers() {
  if (!existsSync(join(DIST_DIR, 'index.html'))) {
    throw new Error(`${join(DIST_DIR, 'index.html')} is missing: build the app first with `
      + '`CSP_LOOPBACK=1 scripts/release-build` (scripts/test does this before the end-to-end tests).');
  }
  requireLoopbackBuild(DIST_DIR);
  const work = await mkdtemp(join(tmpdir(), 'yew-oidc-firefox-'));
  const started = [];
  const stop = async () => {
    await Promise.all(started.map(({ child }) => stopChild(child)));
    await rm(work, { recursive: true, force: true });
  };
  try {
    const dist = join(work, 'dist');
    await cp(DIST_DIR, dist, { recursive: true });
    const configPath = join(dist, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    await writeFile(configPath, JSON.stringify({ ...config, issuer: PROVIDER }));

    const provider = await startChild('provider', 'tests/provider/server.mjs', {
      PROVIDER_PORT: new URL(PROVIDER).port,
      APP_PORTS: new URL(APP).port,
    }, /^oidc-provider listening/);
    started.push(provider);
    started.push(await startChild('static server', 'tests/e2e/static-server.mjs', {
      DIST_DIR: dist,
      APP_PORT: new URL(APP).port,
    }, /^static-server: serving/));
    return { stop, providerLog: () => [...provider.log] };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The browser

/** Headless Firefox ESR in a fresh profile (geckodriver makes one per session). */
export async function startFirefox() {
  for (const [what, path, how] of [
    ['Firefox ESR', FIREFOX, 'install Debian\'s package (apt-get install firefox-esr) or set FIREFOX_PATH'],
    ['geckodriver', GECKODRIVER, 'run scripts/setup (cargo install geckodriver) or set GECKODRIVER'],
  ]) {
    if (!existsSync(path)) throw new Error(`${what} is missing at ${path}: ${how}. This suite never downloads one.`);
  }
  const options = new firefox.Options()
    .setBinary(FIREFOX)
    .addArguments('-headless')
    // Keeps the browser's own traffic off the closed network: only the app and the provider are ever asked.
    .setPreference('network.captive-portal-service.enabled', false)
    .setPreference('network.connectivity-service.enabled', false)
    .setPreference('browser.safebrowsing.update.enabled', false)
    .setPreference('app.update.disabledForTesting', true);
  const service = new firefox.ServiceBuilder(GECKODRIVER);
  return new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
}

/**
 * Best effort: a PNG of the current tab in test-results/firefox/, named after `name`; its path, or null. Shows what
 * the user saw when a step failed (it may show a provider page's query-free content, never a token).
 */
export async function saveScreenshot(driver, name) {
  try {
    const dir = join(REPO, 'test-results', 'firefox');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${name.replace(/[^\w.-]+/g, '-').slice(0, 120)}.png`);
    await writeFile(path, Buffer.from(await driver.takeScreenshot(), 'base64'));
    return path;
  } catch {
    return null;
  }
}

export const byTestId = (id) => By.css(`[data-testid="${id}"]`);

/**
 * Polls `probe` until it returns something truthy, and returns that. An element that the page replaced while it was
 * being read (Yew re-renders) or that is not there yet counts as "not yet", not as a failure.
 */
export async function waitFor(driver, probe, message, timeout = WAIT_MS) {
  return driver.wait(async () => {
    try {
      return await probe();
    } catch (err) {
      if (err?.name === 'StaleElementReferenceError' || err?.name === 'NoSuchElementError') return false;
      throw err;
    }
  }, timeout, message);
}

/** The displayed element with this test id, once there is one. */
export function visible(driver, id) {
  return waitFor(driver, async () => {
    for (const el of await driver.findElements(byTestId(id))) if (await el.isDisplayed()) return el;
    return false;
  }, `"${id}" is shown`);
}

/** Clicks the displayed element with this test id, once there is one; a re-render in between is retried. */
export async function click(driver, id) {
  await waitFor(driver, async () => {
    await (await visible(driver, id)).click();
    return true;
  }, `"${id}" can be clicked`);
}

/** Waits until no element with this test id is in the page. */
export function gone(driver, id) {
  return waitFor(driver, async () => (await driver.findElements(byTestId(id))).length === 0, `"${id}" is gone`);
}

/** Waits until the element with this test id has `attribute` = `value`. */
export function hasAttribute(driver, id, attribute, value) {
  return waitFor(driver, async () => (await (await visible(driver, id)).getAttribute(attribute)) === value,
    `"${id}" has ${attribute}="${value}"`);
}

/** Waits until the element with this test id shows exactly `text`. */
export function hasText(driver, id, text) {
  return waitFor(driver, async () => (await (await visible(driver, id)).getText()) === text,
    `"${id}" shows "${text}"`);
}

/** The current origin's sessionStorage as [key, value] pairs. */
export function sessionEntries(driver) {
  return driver.executeScript('return Object.entries(window.sessionStorage);');
}

/** On the provider's login page: sign in as the test user. */
export async function logInAtProvider(driver) {
  await visible(driver, 'login-page');
  const url = new URL(await driver.getCurrentUrl());
  if (url.origin !== PROVIDER || !url.pathname.startsWith('/interaction/')) {
    throw new Error(`the login page is the provider's (${PROVIDER}/interaction/…), not ${url.origin}${url.pathname}`);
  }
  await (await visible(driver, 'login-username')).sendKeys(USER.username);
  await (await visible(driver, 'login-password')).sendKeys(USER.password);
  await click(driver, 'login-submit');
}

/** Back in the app, signed in as the test user, with code/state/iss already gone from the address bar. */
export async function expectSignedIn(driver) {
  await hasText(driver, 'user-name', USER.name);
  await visible(driver, 'sign-out-local');
  await visible(driver, 'sign-out-provider');
  const url = new URL(await driver.getCurrentUrl());
  if (url.origin !== APP) throw new Error(`signed in at ${url.origin}, expected ${APP}`);
  for (const name of ['code', 'state', 'iss', 'session_state']) {
    if (url.searchParams.has(name)) throw new Error(`the address bar still carries "${name}"`);
  }
}
