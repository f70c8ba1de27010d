// What the WebDriver end-to-end suites (tests/firefox/, tests/webkit/) stand on: their own servers and their own
// browser. A suite starts the bundled provider and the static server on ports of its own (Firefox: PROVIDER 9010,
// APP 8091; WebKit: 9020 and 8092, and 9021 and 8093 for its renewal), so it neither collides with nor reuses the
// Playwright suite's servers (9000-9004, 8081-8083) or the other engine's; the app is a copy of the release build
// whose config.json names that provider. The browsers are Debian's, driven through selenium-webdriver (classic
// WebDriver): firefox-esr by geckodriver (over Marionette), WebKitGTK's MiniBrowser by WebKitWebDriver. Every path
// is given explicitly and the WebKit driver is started here on a port of its own, so Selenium Manager never runs
// and nothing is downloaded.
//
// Waits poll the page with driver.wait and a timeout, never a fixed sleep. Failure messages name keys, test ids and
// paths, never a token: the tokens the suite learns stay in test memory.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Builder, By, Capabilities, WebDriver } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import http from 'selenium-webdriver/http/index.js';
import { findFreePort } from 'selenium-webdriver/net/portprober.js';
import remote from 'selenium-webdriver/remote/index.js';

import { USER } from '../shared/constants.mjs';
import { requireLoopbackBuild } from '../shared/loopback-build.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const DIST_DIR = resolve(process.env.DIST_DIR || join(REPO, 'dist'));
/** How long any one thing the user waits for may take before the test fails. */
export const WAIT_MS = 20_000;
const START_MS = 30_000;

const origin = (port) => `http://127.0.0.1:${Number(port)}`;

// ---------------------------------------------------------------------------------------------------------------
// Servers

const children = new Set();

/**
 * Starts `command args` with `env` added and resolves once its output matches `ready`; rejects with its output if
 * it exits first (a busy port, say: it is never taken over or reused) or stays silent for START_MS. Its output
 * keeps being collected in `log` (lines), which the tests read for what the provider served.
 */
function startChild(name, command, args, env, ready) {
  const child = spawn(command, args, {
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
      child.stderr.off('data', onData);
      reject(new Error(`${name} ${why}:\n${[...log, partial].join('\n')}`));
    }
    const onExit = (code, signal) => fail(`exited (${signal ?? code}) before it was ready`);
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
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
 * The bundled provider on port `provider` with port `app` registered (its redirect and post-logout URIs) and
 * `providerEnv` (ACCESS_TOKEN_TTL, say), and the release build on port `app`, from a copy whose config.json names
 * that provider and carries `config` (everything else as built). What a test needs of them:
 * - `app`, `provider`: their origins;
 * - `mark()`, `requestsSince(mark)`: what the provider logged since a mark, as "METHOD /path" (the provider logs
 *   method, path and status, never a query), and `loginPagesSince(mark)`, the login pages it rendered (a silent
 *   sign-in passes /interaction with a redirect);
 * - `discovery()`: its discovery document, fetched once;
 * - `stop()`: ends both and removes the copy.
 */
export async function startSite({ app, provider, providerEnv = {}, config = {} }) {
  if (!existsSync(join(DIST_DIR, 'index.html'))) {
    throw new Error(`${join(DIST_DIR, 'index.html')} is missing: build the app first with `
      + '`CSP_LOOPBACK=1 scripts/release-build` (scripts/test does this before the end-to-end tests).');
  }
  requireLoopbackBuild(DIST_DIR);
  const site = { app: origin(app), provider: origin(provider) };
  const work = await mkdtemp(join(tmpdir(), 'yew-oidc-webdriver-'));
  const started = [];
  const stop = async () => {
    await Promise.all(started.map(({ child }) => stopChild(child)));
    await rm(work, { recursive: true, force: true });
  };
  try {
    const dist = join(work, 'dist');
    await cp(DIST_DIR, dist, { recursive: true });
    const configPath = join(dist, 'config.json');
    const built = JSON.parse(await readFile(configPath, 'utf8'));
    await writeFile(configPath, JSON.stringify({ ...built, ...config, issuer: site.provider }));

    const node = (name, script, env, ready) => startChild(name, process.execPath, [script], env, ready);
    const providerChild = await node('provider', 'tests/provider/server.mjs', {
      ...providerEnv,
      PROVIDER_PORT: String(provider),
      APP_PORTS: String(app),
    }, /^oidc-provider listening/);
    started.push(providerChild);
    const { log } = providerChild;
    started.push(await node('static server', 'tests/e2e/static-server.mjs', {
      DIST_DIR: dist,
      APP_PORT: String(app),
    }, /^static-server: serving/));

    let metadata;
    const requestsSince = (mark) => log.slice(mark).filter((line) => /^[A-Z]+ \//.test(line))
      .map((line) => line.split(' ').slice(0, 2).join(' '));
    return Object.assign(site, {
      stop,
      mark: () => log.length,
      requestsSince,
      loginPagesSince: (mark) => log.slice(mark).filter((line) => /^GET \/interaction\/\S+ 200$/.test(line)),
      async discovery() {
        if (!metadata) {
          const res = await fetch(`${site.provider}/.well-known/openid-configuration`);
          if (!res.ok) throw new Error(`${site.provider} serves no discovery document (${res.status})`);
          metadata = await res.json();
        }
        return metadata;
      },
    });
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The browsers

function requireFiles(files) {
  for (const [what, path, how] of files) {
    if (!existsSync(path)) throw new Error(`${what} is missing at ${path}: ${how}. This suite never downloads one.`);
  }
}

/** Headless Firefox ESR in a fresh profile (geckodriver makes one per session). */
async function startFirefox() {
  const binary = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
  const driverPath = process.env.GECKODRIVER || join(homedir(), '.cargo', 'bin', 'geckodriver');
  requireFiles([
    ['Firefox ESR', binary, 'install Debian\'s package (apt-get install firefox-esr) or set FIREFOX_PATH'],
    ['geckodriver', driverPath, 'run scripts/setup (cargo install geckodriver) or set GECKODRIVER'],
  ]);
  const options = new firefox.Options()
    .setBinary(binary)
    .addArguments('-headless')
    // Keeps the browser's own traffic off the closed network: only the app and the provider are ever asked.
    .setPreference('network.captive-portal-service.enabled', false)
    .setPreference('network.connectivity-service.enabled', false)
    .setPreference('browser.safebrowsing.update.enabled', false)
    .setPreference('app.update.disabledForTesting', true);
  const service = new firefox.ServiceBuilder(driverPath);
  return new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
}

/**
 * WebKitGTK's MiniBrowser in automation mode, which keeps its cookies and storage in memory for this session
 * alone, driven by its own WebKitWebDriver on a free loopback port; quitting the session stops that driver too.
 * MiniBrowser needs a display: run the suite under `xvfb-run -a`.
 */
async function startWebKit() {
  const binary = process.env.WEBKIT_MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
  const driverPath = process.env.WEBKIT_WEBDRIVER || '/usr/bin/WebKitWebDriver';
  const how = 'install Debian\'s webkit2gtk-driver (scripts/setup does)';
  requireFiles([
    ['WebKitGTK\'s MiniBrowser', binary, `${how} or set WEBKIT_MINIBROWSER`],
    ['WebKitWebDriver', driverPath, `${how} or set WEBKIT_WEBDRIVER`],
  ]);
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    throw new Error('MiniBrowser needs a display: run the WebKit suite under `xvfb-run -a` (Debian\'s xvfb)');
  }
  const port = await findFreePort();
  const service = new remote.DriverService(driverPath, { port, args: [`--port=${port}`], loopback: true });
  const url = await service.start(START_MS);
  const capabilities = new Capabilities({
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': { binary, args: ['--automation'] },
  });
  const executor = new http.Executor(new http.HttpClient(url));
  return WebDriver.createSession(executor, capabilities, () => service.kill());
}

/**
 * The engines, each with the ports of its suite's site: `start()` opens a fresh browser session (a fresh profile,
 * no cookies or storage), which the caller quits. The ports move with <ENGINE>_PROVIDER_PORT and <ENGINE>_APP_PORT.
 */
export const ENGINES = {
  firefox: {
    name: 'firefox',
    title: 'Firefox ESR',
    site: { provider: process.env.FIREFOX_PROVIDER_PORT || 9010, app: process.env.FIREFOX_APP_PORT || 8091 },
    start: startFirefox,
  },
  webkit: {
    name: 'webkit',
    title: 'WebKitGTK',
    site: { provider: process.env.WEBKIT_PROVIDER_PORT || 9020, app: process.env.WEBKIT_APP_PORT || 8092 },
    start: startWebKit,
  },
};

/**
 * Best effort: a PNG of the current tab in test-results/<engine>/, named after `name`; its path, or null. Shows what
 * the user saw when a step failed (it may show a provider page's query-free content, never a token).
 */
export async function saveScreenshot(driver, engine, name) {
  try {
    const dir = join(REPO, 'test-results', engine.name);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${name.replace(/[^\w.-]+/g, '-').slice(0, 120)}.png`);
    await writeFile(path, Buffer.from(await driver.takeScreenshot(), 'base64'));
    return path;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The page

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

/** Waits until the element with this test id shows text that `expected` (a string or a RegExp) matches. */
export function hasText(driver, id, expected, timeout = WAIT_MS) {
  const matches = (text) => (expected instanceof RegExp ? expected.test(text) : text === expected);
  return waitFor(driver, async () => matches(await (await visible(driver, id)).getText()),
    `"${id}" shows ${expected instanceof RegExp ? expected : `"${expected}"`}`, timeout);
}

/** The current origin's sessionStorage as [key, value] pairs. */
export function sessionEntries(driver) {
  return driver.executeScript('return Object.entries(window.sessionStorage);');
}

/** On the login page of `site`'s provider: sign in as the test user. */
export async function logInAtProvider(driver, site) {
  await visible(driver, 'login-page');
  const url = new URL(await driver.getCurrentUrl());
  if (url.origin !== site.provider || !url.pathname.startsWith('/interaction/')) {
    throw new Error(`the login page is the provider's (${site.provider}/interaction/…), not ${url.origin}${url.pathname}`);
  }
  await (await visible(driver, 'login-username')).sendKeys(USER.username);
  await (await visible(driver, 'login-password')).sendKeys(USER.password);
  await click(driver, 'login-submit');
}

/** Back in `site`'s app, signed in as the test user, with code/state/iss already gone from the address bar. */
export async function expectSignedIn(driver, site) {
  await hasText(driver, 'user-name', USER.name);
  await visible(driver, 'sign-out-local');
  await visible(driver, 'sign-out-provider');
  const url = new URL(await driver.getCurrentUrl());
  if (url.origin !== site.app) throw new Error(`signed in at ${url.origin}, expected ${site.app}`);
  for (const name of ['code', 'state', 'iss', 'session_state']) {
    if (url.searchParams.has(name)) throw new Error(`the address bar still carries "${name}"`);
  }
}
