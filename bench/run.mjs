// The benchmark (issues 6 and 15): our release build (dist/) against a reference app built on oidc-client-ts
// (bench/reference/), on the same machine in the same run. Prints figures, never a verdict.
//
//   node bench/run.mjs [--runs N] [--warmup N] [--modes loopback,rtt,cpu] [--rtt-ms 50] [--cdn-rtt-ms 50]
//                      [--cpu-rate 4] [--against DIR]
//   (bench/run first runs scripts/setup and `CSP_LOOPBACK=1 scripts/release-build`)
//
// 1. Bytes each app's browser downloads on first load (HTML, JS, wasm, CSS, config.json): raw, gzip -9 and
//    brotli quality 11, per file and in total, and the ratio ours / reference.
// 2. In each mode, N runs per app (default 5, after one warm-up run that is not counted) of the sign-in scenario
//    in headless Chromium against the bundled provider, a fresh browser context each run: boot, sign in at the
//    provider, back through /callback, reload. Medians of the timings, and of the requests made and the bytes
//    received in each step. The modes:
//    - loopback: provider and static server answer at once on 127.0.0.1;
//    - rtt: every response of the provider waits --rtt-ms (default 50) and every response of the static server
//      --cdn-rtt-ms (default: the same), a round trip on a real network, made by the servers themselves
//      (RESPONSE_DELAY_MS of tests/provider/server.mjs and tests/e2e/static-server.mjs);
//    - cpu: loopback, with the page's CPU slowed down --cpu-rate times (default 4; Chrome DevTools Protocol
//      Emulation.setCPUThrottlingRate, which holds across the page's navigations and reloads), as on a phone.
//    In every mode the provider puts the profile claims in the ID token (ID_TOKEN_CLAIMS=profile), as Keycloak,
//    Auth0, Okta, Entra ID and Google do by default, so neither app needs UserInfo for the name.
//    --against DIR puts another build of ours (a copy of an earlier dist/, built with CSP_LOOPBACK=1) in the
//    reference's place: "ours / reference" is then this build against that one, one change measured in one run.
//    --floor DIR puts issue 21's floor (bench/floor/, built by bench/floor/build) in ours' place: a Yew app that
//    reads config.json and shows the same views with no sign-in code. Its runs boot, then put a name in
//    sessionStorage and reload (no sign-in, no callback): what Yew and WebAssembly cost on those two steps.
// 3. A summary of every mode: callback to signed in, boot to interactive, requests and bytes, ours / reference.
//
// The boot navigation waits BOOT_SETTLE_MS after the page is created: navigating at once raced the new renderer's
// own start-up, which landed in both apps' boot (at 4x CPU, 8 untraced boots each way: ours 489 ms at once against
// 257 ms after a 500 ms wait, the reference 267 against 153). A user's tab is not being created as they navigate;
// bench/trace.mjs waits as long before each step.
//
// Timings are taken inside the page, on the browser's clock: a MutationObserver installed before any page script
// notes performance.now() when an element with the data-testid first is in the DOM with a layout box (before
// paint). Requests are every request the browser context makes (context.on('request')), redirects included.
//
// Each app is served in turn by tests/e2e/static-server.mjs from a snapshot of its build, never both at once.
// The benchmark starts its own provider (tests/provider/server.mjs) with APP_PORTS set to its own app port, on
// ports of its own (BENCH_PROVIDER_PORT, default 9400; BENCH_APP_PORT, default 8481) so that it neither collides
// with nor gets reused by the end-to-end tests' servers on 9000/8081; the snapshots' config.json names that
// provider. A busy port is waited for, never taken over.
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium), DIST_DIR (default dist), BENCH_PROVIDER_PORT,
// BENCH_APP_PORT.

import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

import { chromium } from '@playwright/test';

import { CHROMIUM, CHROMIUM_ARGS, USER } from '../tests/shared/constants.mjs';
import { requireLoopbackBuild } from '../tests/shared/loopback-build.mjs';
import { inlineConfigInto } from '../scripts/inline-config.mjs';
import { buildReference } from './reference/build.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
export const OUR_DIST = resolve(process.env.DIST_DIR || join(REPO, 'dist'));
const PROVIDER_PORT = Number(process.env.BENCH_PROVIDER_PORT || 9400);
const APP_PORT = Number(process.env.BENCH_APP_PORT || 8481);
const HOST = '127.0.0.1';
export const PROVIDER = `http://${HOST}:${PROVIDER_PORT}`;
export const APP = `http://${HOST}:${APP_PORT}`;
// A step is over once no request has been in flight for this long after its last visible change.
const QUIET_MS = 500;
// Waited between creating the page (and throttling its CPU) and navigating for the boot: see the header.
const BOOT_SETTLE_MS = 500;
const STEP_TIMEOUT_MS = 30_000;
const PORT_WAIT_MS = 10 * 60_000;

// ---------------------------------------------------------------------------------------------------------------
// Arguments

const MODE_KEYS = ['loopback', 'rtt', 'cpu'];
const USAGE = 'usage: node bench/run.mjs [--runs N (default 5)] [--warmup N (default 1)] '
  + `[--modes ${MODE_KEYS.join(',')} (default: all)] [--rtt-ms N (default 50)] [--cdn-rtt-ms N (default: --rtt-ms)] `
  + '[--cpu-rate N (default 4)] [--inline-config (ours with scripts/inline-config.mjs applied)] '
  + '[--against DIR (another build of ours in the reference\'s place)] '
  + '[--floor DIR (bench/floor/\'s build in ours\' place: boot and reload only)]';

export function parseArgs(argv) {
  const options = {
    runs: 5, warmup: 1, modes: MODE_KEYS, rttMs: 50, cdnRttMs: undefined, cpuRate: 4, inlineConfig: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split('=', 2);
    const text = () => inline ?? argv[(i += 1)];
    const value = () => {
      const raw = text();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number, got ${JSON.stringify(raw)}`);
      return n;
    };
    if (flag === '--inline-config') options.inlineConfig = true;
    else if (flag === '--against') options.against = resolve(text());
    else if (flag === '--floor') options.floor = resolve(text());
    else if (flag === '--runs') options.runs = value();
    else if (flag === '--warmup') options.warmup = value();
    else if (flag === '--rtt-ms') options.rttMs = value();
    else if (flag === '--cdn-rtt-ms') options.cdnRttMs = value();
    else if (flag === '--cpu-rate') options.cpuRate = value();
    else if (flag === '--modes') {
      const modes = String(text() ?? '').split(',').map((m) => m.trim()).filter(Boolean);
      const unknown = modes.filter((m) => !MODE_KEYS.includes(m));
      if (modes.length === 0 || unknown.length) {
        throw new Error(`--modes takes some of ${MODE_KEYS.join(',')}, got ${JSON.stringify(modes.join(','))}`);
      }
      options.modes = MODE_KEYS.filter((m) => modes.includes(m));
    } else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]} (try --help)`);
  }
  if (options.runs < 1) throw new Error('--runs must be at least 1');
  if (options.cpuRate < 1) throw new Error('--cpu-rate must be at least 1');
  options.cdnRttMs ??= options.rttMs;
  return options;
}

// What each mode changes: the provider's and the static server's delay before every response, and the page's CPU
// slowdown. Everything else (apps, provider, scenario) is the same in every mode.
export function modesOf(options) {
  const all = {
    loopback: { key: 'loopback', title: 'loopback', providerDelayMs: 0, cdnDelayMs: 0, cpuRate: 1 },
    rtt: {
      key: 'rtt',
      title: `${options.rttMs} ms round trip to the provider, ${options.cdnRttMs} ms to the static server`,
      providerDelayMs: options.rttMs,
      cdnDelayMs: options.cdnRttMs,
      cpuRate: 1,
    },
    cpu: { key: 'cpu', title: `CPU ${options.cpuRate}x slower (loopback)`, providerDelayMs: 0, cdnDelayMs: 0, cpuRate: options.cpuRate },
  };
  return options.modes.map((key) => all[key]);
}

export const MODE_NAMES = (options) => ({ loopback: 'loopback', rtt: `${options.rttMs} ms RTT`, cpu: `${options.cpuRate}x CPU` });

// ---------------------------------------------------------------------------------------------------------------
// Formatting

const fmtInt = (n) => (n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const fmtKB = (n) => (n === undefined ? 'n/a' : (n / 1000).toFixed(1));
export const fmtMs = (n) => (n === undefined ? 'n/a' : n.toFixed(1));
const fmtRatio = (a, b) => {
  if (a === undefined || b === undefined) return 'n/a';
  if (b === 0) return a === 0 ? '1.00' : 'inf';
  return (a / b).toFixed(2);
};

export function table(headers, rows, align) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const cell = (v, i) => (align[i] === 'l' ? String(v).padEnd(widths[i]) : String(v).padStart(widths[i]));
  const line = (r) => `| ${r.map(cell).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (align[i] === 'l' ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

export function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Bytes on first load

const KIND = { '.html': 'HTML', '.js': 'JS', '.mjs': 'JS', '.wasm': 'wasm', '.css': 'CSS', '.json': 'JSON' };

// Every file of a build except precompressed siblings (.gz, .br), source maps and the host's _headers file: all of
// it loads on first visit.
async function loadedFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if (/\.(gz|br|map)$/i.test(entry.name) || entry.name === '_headers') continue;
    out.push(path);
  }
  return out.sort();
}

async function measureSizes(dir) {
  const files = [];
  for (const path of await loadedFiles(dir)) {
    const bytes = await readFile(path);
    files.push({
      name: relative(dir, path),
      kind: KIND[extname(path).toLowerCase()] || extname(path) || '?',
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, {
        params: {
          [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
          [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      }).length,
    });
  }
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const f of files) for (const k of Object.keys(total)) total[k] += f[k];
  return { files, total };
}

function printSizes(label, sizes) {
  console.log(`\n${label}`);
  const rows = sizes.files.map((f) => [f.name, f.kind, fmtInt(f.raw), fmtInt(f.gzip), fmtInt(f.brotli)]);
  rows.push(['total', '', fmtInt(sizes.total.raw), fmtInt(sizes.total.gzip), fmtInt(sizes.total.brotli)]);
  console.log(table(['file', 'kind', 'raw', 'gzip -9', 'brotli 11'], rows, ['l', 'l', 'r', 'r', 'r']));
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes: the provider and the static server, ours alone, stopped by PID

const children = new Set();

function portInUse(port) {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts `node script` and resolves once its stdout shows `ready`; if it exits first (the port was taken between
// the check and the listen, say), waits for the port and tries again.
async function startChild(name, script, env, port, ready) {
  const deadline = Date.now() + PORT_WAIT_MS;
  let told = false;
  for (;;) {
    if (await portInUse(port)) {
      if (Date.now() > deadline) throw new Error(`${name}: port ${port} stayed busy; set another port (see the top of bench/run.mjs)`);
      if (!told) console.log(`   (${name}: port ${port} is in use by another process; waiting for it to free up)`);
      told = true;
      await sleep(2000);
      continue;
    }
    const child = spawn(process.execPath, [script], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    const started = await new Promise((resolvePromise) => {
      const onData = (chunk) => {
        output = (output + chunk).slice(-4000);
        if (ready.test(output)) resolvePromise(true);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', () => resolvePromise(false));
    });
    if (started) {
      // Keep draining the pipes so a chatty child never blocks on a full buffer.
      child.stdout.removeAllListeners('data').resume();
      child.stderr.removeAllListeners('data').resume();
      return child;
    }
    children.delete(child);
    if (Date.now() > deadline) throw new Error(`${name} did not start:\n${output}`);
    await sleep(1000);
  }
}

export function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

function stopAllChildrenNow() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}
process.once('exit', stopAllChildrenNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopAllChildrenNow();
    process.exit(130);
  });
}

// The profile claims go in the ID token in every mode, stated rather than left to the fixture's default.
export const startProvider = (mode) => startChild('provider', 'tests/provider/server.mjs', {
  PROVIDER_PORT: String(PROVIDER_PORT),
  APP_PORTS: String(APP_PORT),
  ID_TOKEN_CLAIMS: 'profile',
  RESPONSE_DELAY_MS: String(mode.providerDelayMs),
}, PROVIDER_PORT, /oidc-provider listening/);

export const startApp = (dir, mode) => startChild('static server', 'tests/e2e/static-server.mjs', {
  DIST_DIR: dir, APP_PORT: String(APP_PORT), APP_HOST: HOST, RESPONSE_DELAY_MS: String(mode.cdnDelayMs),
}, APP_PORT, /static-server: serving/);

// ---------------------------------------------------------------------------------------------------------------
// 2. The sign-in scenario

// Runs in every document before its own scripts: notes when each watched element first exists with a layout box,
// and when the page starts to leave after a click (the sign-in redirect).
const PAGE_PROBE = `(() => {
  const ids = ['sign-in', 'user-name', 'auth-error', 'config-error'];
  const at = {};
  const check = () => {
    for (const id of ids) {
      if (at[id] !== undefined) continue;
      const el = document.querySelector('[data-testid="' + id + '"]');
      if (!el || el.getClientRects().length === 0) continue;
      at[id] = performance.now();
      if (typeof window.__benchSeen === 'function') window.__benchSeen(id);
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  addEventListener('click', () => { if (at.click === undefined) at.click = performance.now(); }, true);
  addEventListener('beforeunload', () => {
    if (at.click !== undefined && typeof window.__benchLeaving === 'function') {
      window.__benchLeaving(performance.now() - at.click);
    }
  });
  Object.defineProperty(window, '__bench', { value: at });
})();`;

const STEPS = ['boot', 'sign-in', 'callback', 'reload'];
// What each step's timing measures, and the window in which its requests are counted (which runs on until
// QUIET_MS without a request in flight).
const TIME_LABELS = {
  boot: 'boot-to-interactive: navigation start to sign-in visible',
  'sign-in': 'sign-in click to the app leaving for the provider',
  callback: 'callback-to-signed-in: GET /callback sent to user-name visible',
  reload: 'reload-restore: navigation start to user-name visible',
};
const REQUEST_LABELS = {
  boot: 'boot: first visit to sign-in visible',
  'sign-in': 'sign-in: click to the provider login page',
  callback: 'callback-to-signed-in: GET /callback to user-name',
  reload: 'reload-restore: reload to user-name',
};

// Tracks requests of a browser context: every one in order, how many are still in flight, and the bytes each
// response brought (headers and body as received, uncompressed since the static server does not compress; 0 for one
// the browser answered from its cache).
function watchRequests(context) {
  const log = [];
  const entries = new Map();
  const sizes = [];
  let inFlight = 0;
  let lastChange = performance.now();
  const touch = () => {
    lastChange = performance.now();
  };
  context.on('request', (req) => {
    const url = new URL(req.url());
    const entry = { method: req.method(), origin: url.origin, path: url.pathname, bytes: 0 };
    entries.set(req, entry);
    log.push(entry);
    inFlight += 1;
    touch();
  });
  const done = (req) => {
    inFlight = Math.max(0, inFlight - 1);
    touch();
    const entry = entries.get(req);
    entries.delete(req);
    if (!entry) return;
    // A redirect's own response is counted here too: it has headers and travels like any other.
    sizes.push(req.sizes().then((s) => {
      entry.bytes = Math.max(0, s.responseHeadersSize) + Math.max(0, s.responseBodySize);
    }, () => {}));
  };
  context.on('requestfinished', done);
  context.on('requestfailed', done);
  return {
    log,
    mark: () => log.length,
    // Resolves once nothing has been in flight for QUIET_MS, so late requests count in the step that caused them.
    async quiet() {
      const deadline = performance.now() + STEP_TIMEOUT_MS;
      while (performance.now() < deadline) {
        if (inFlight === 0 && performance.now() - lastChange >= QUIET_MS) break;
        await sleep(50);
      }
      await Promise.all(sizes.splice(0));
    },
  };
}

async function elapsedInPage(page, id) {
  const value = await page.evaluate((key) => window.__bench && window.__bench[key], id);
  if (typeof value !== 'number') throw new Error(`the page probe saw no ${id}`);
  return value;
}

async function expectNoError(page, when) {
  const error = page.getByTestId('auth-error').or(page.getByTestId('config-error'));
  if (await error.count()) throw new Error(`${when}: the app shows an error: ${(await error.first().innerText()).slice(0, 300)}`);
}

// Waits for the page probe to report an element (or an error view) through the __benchSeen binding, without a
// Playwright locator: a locator's first use in a document evaluates Playwright's injected script there, about 11 ms
// of the page's main thread (80 ms at 4x CPU, seen in a Chromium trace), which landed between the callback
// document's parsing and the app's own script and was counted in the app's time.
export async function seenBy(context) {
  const seen = new Set();
  let wake = () => {};
  await context.exposeBinding('__benchSeen', (_source, id) => {
    seen.add(id);
    wake();
  });
  return {
    // Forget what earlier documents showed: call before the navigation whose view is waited for.
    clear: () => seen.clear(),
    async appeared(page, testId, when) {
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      while (!seen.has(testId)) {
        if (seen.has('auth-error') || seen.has('config-error') || Date.now() > deadline) {
          await expectNoError(page, when);
          throw new Error(`${when}: ${testId} did not show up`);
        }
        await new Promise((resolvePromise) => {
          wake = resolvePromise;
          setTimeout(resolvePromise, 250);
        });
      }
    },
  };
}

export async function visible(page, testId, when) {
  try {
    await page.getByTestId(testId).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  } catch (err) {
    await expectNoError(page, when);
    throw new Error(`${when}: ${testId} did not show up (${err.message.split('\n')[0]})`);
  }
}

// The floor's name in sessionStorage (bench/floor/ shows it as user-name), put there before its reload.
const FLOOR_USER_KEY = 'floor:user';

async function scenario(browser, mode, { floor = false } = {}) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(PAGE_PROBE);
    let leaving;
    await context.exposeBinding('__benchLeaving', (_source, ms) => {
      leaving ??= ms;
    });
    const seen = await seenBy(context);
    const requests = watchRequests(context);
    const page = await context.newPage();
    if (mode.cpuRate > 1) {
      // Set on the page's target, it stays through the cross-origin trip to the provider and back, and the reload
      // (checked once by timing a loop in each document: about 4x as long at rate 4).
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: mode.cpuRate });
    }
    const result = { ms: {}, requests: {}, bytes: {}, paths: {} };
    const step = (name, mark) => {
      const made = requests.log.slice(mark);
      result.requests[name] = made.length;
      result.bytes[name] = made.reduce((sum, r) => sum + r.bytes, 0);
      result.paths[name] = made;
    };

    // Boot: a first visit, signed out, once the new page's renderer has settled (see BOOT_SETTLE_MS).
    await sleep(BOOT_SETTLE_MS);
    let mark = requests.mark();
    seen.clear();
    await page.goto(`${APP}/`);
    await seen.appeared(page, 'sign-in', 'boot');
    result.ms.boot = await elapsedInPage(page, 'sign-in');
    await requests.quiet();
    step('boot', mark);

    if (floor) {
      // The floor has no sign-in: the name it shows after the reload is put where it reads it.
      await page.evaluate(([key, name]) => sessionStorage.setItem(key, name), [FLOOR_USER_KEY, USER.name]);
      return await reload(page, seen, requests, result, step);
    }

    // Sign in: the app sends the browser to the provider, which shows its login page.
    mark = requests.mark();
    await page.getByTestId('sign-in').click();
    await visible(page, 'login-username', 'sign-in');
    result.ms['sign-in'] = leaving;
    await requests.quiet();
    step('sign-in', mark);

    // Log in; the provider redirects to /callback, which completes the sign-in.
    await page.getByTestId('login-username').fill(USER.username);
    await page.getByTestId('login-password').fill(USER.password);
    mark = requests.mark();
    seen.clear();
    await page.getByTestId('login-submit').click();
    await seen.appeared(page, 'user-name', 'callback');
    const name = (await page.getByTestId('user-name').innerText()).trim();
    if (name !== USER.name) throw new Error(`callback: user-name shows ${JSON.stringify(name)}, not ${USER.name}`);
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        path: new URL(nav.name).pathname,
        requestStart: nav.requestStart,
        fetchStart: nav.fetchStart,
        userName: window.__bench['user-name'],
      };
    });
    if (timing.path !== '/callback') throw new Error(`callback: the document was loaded from ${timing.path}`);
    // requestStart: when the browser sent GET /callback, after the provider's redirects (Resource Timing).
    result.ms.callback = timing.userName - (timing.requestStart || timing.fetchStart);
    if (new URL(page.url()).search) throw new Error('callback: the address bar still has a query');
    await requests.quiet();
    const callbackAt = requests.log.findIndex((r, i) => i >= mark && r.origin === APP && r.path === '/callback');
    if (callbackAt < 0) throw new Error('callback: no request for /callback was seen');
    step('callback', callbackAt);
    return await reload(page, seen, requests, result, step);
  } finally {
    await context.close();
  }
}

// Reload: the session comes back from sessionStorage.
async function reload(page, seen, requests, result, step) {
  const mark = requests.mark();
  seen.clear();
  await page.reload();
  await seen.appeared(page, 'user-name', 'reload');
  result.ms.reload = await elapsedInPage(page, 'user-name');
  const name = (await page.getByTestId('user-name').innerText()).trim();
  if (name !== USER.name) throw new Error(`reload: user-name shows ${JSON.stringify(name)}, not ${USER.name}`);
  await requests.quiet();
  step('reload', mark);
  await expectNoError(page, 'after reload');
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Main

export async function snapshot(from, into, { inline = false } = {}) {
  await cp(from, into, { recursive: true });
  // The snapshot talks to the benchmark's own provider; everything else in config.json stays as built.
  const configPath = join(into, 'config.json');
  const config = JSON.parse(await readFile(configPath, 'utf8'));
  config.issuer = PROVIDER;
  await writeFile(configPath, JSON.stringify(config));
  // --inline-config: deployed as scripts/inline-config.mjs leaves it, the configuration in the page.
  if (inline) inlineConfigInto(into, JSON.stringify(config));
  return into;
}

function describePaths(entries) {
  const counts = new Map();
  for (const { method, origin, path } of entries) {
    const who = origin === APP ? 'app' : origin === PROVIDER ? 'provider' : origin;
    const shown = path.replace(/\/(interaction|auth)\/[^/]+/, '/$1/…').replace(/-[0-9a-f]{16}(_bg)?\./, '-…$1.');
    const key = `${method} ${who} ${shown}`;
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  return [...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(', ') || '(none)';
}

// The machine, as the README names it: how many CPUs this process may use (what `nproc` prints), and the CPU model
// from /proc/cpuinfo.
export function machine() {
  let model;
  try {
    model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1].trim();
  } catch {
    model = undefined;
  }
  return `nproc ${availableParallelism()}, ${cpus().length} CPUs, CPU model "${model || cpus()[0]?.model.trim() || 'unknown'}"`;
}

export const loadNow = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function stats(runs, pick) {
  const values = runs.map(pick).filter((v) => typeof v === 'number');
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : undefined,
    max: values.length ? Math.max(...values) : undefined,
    n: values.length,
  };
}

// One mode's medians, with min–max: the four timings, then requests and bytes received per step.
function modeTable(mode, ours, reference) {
  const rows = [];
  const range = (st, fmt) => (st.n ? `${fmt(st.min)}–${fmt(st.max)}` : 'n/a');
  const add = (label, pick, fmt) => {
    const o = stats(ours.runs[mode.key], pick);
    const ref = stats(reference.runs[mode.key], pick);
    rows.push([label, fmt(o.median), range(o, fmt), fmt(ref.median), range(ref, fmt), fmtRatio(o.median, ref.median)]);
  };
  for (const s of STEPS) add(`${TIME_LABELS[s]}, ms`, (r) => r.ms[s], fmtMs);
  for (const s of STEPS) add(`requests, ${REQUEST_LABELS[s]}`, (r) => r.requests[s], fmtInt);
  for (const s of STEPS) add(`kB received, ${REQUEST_LABELS[s]}`, (r) => r.bytes[s], fmtKB);
  return table(['metric', 'ours', 'ours min–max', 'reference', 'ref min–max', 'ours/ref'], rows,
    ['l', 'r', 'r', 'r', 'r', 'r']);
}

// Every mode in one table: what issue 15 asks to compare.
function summaryTable(modes, names, ours, reference) {
  const rows = [];
  const metrics = [
    ['callback to signed in, ms', (r) => r.ms.callback, fmtMs],
    ['boot to interactive, ms', (r) => r.ms.boot, fmtMs],
    ['reload to signed in, ms', (r) => r.ms.reload, fmtMs],
    ['requests, callback', (r) => r.requests.callback, fmtInt],
    ['requests, boot', (r) => r.requests.boot, fmtInt],
    ['kB received, callback', (r) => r.bytes.callback, fmtKB],
    ['kB received, boot', (r) => r.bytes.boot, fmtKB],
  ];
  for (const mode of modes) {
    for (const [label, pick, fmt] of metrics) {
      const o = stats(ours.runs[mode.key], pick).median;
      const ref = stats(reference.runs[mode.key], pick).median;
      rows.push([names[mode.key], label, fmt(o), fmt(ref), fmtRatio(o, ref)]);
    }
  }
  for (const [label, key] of [['first-load kB, gzip -9', 'gzip'], ['first-load kB, brotli 11', 'brotli']]) {
    rows.push(['any', label, fmtKB(ours.sizes.total[key]), fmtKB(reference.sizes.total[key]),
      fmtRatio(ours.sizes.total[key], reference.sizes.total[key])]);
  }
  return table(['mode', 'metric (medians)', 'ours', 'reference', 'ours/ref'], rows, ['l', 'l', 'r', 'r', 'r']);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const modes = modesOf(options);
  const names = MODE_NAMES(options);
  const oursDist = options.floor ?? OUR_DIST;
  if (!existsSync(join(oursDist, 'index.html'))) {
    throw new Error(`${oursDist}/index.html is missing: build it first (CSP_LOOPBACK=1 scripts/release-build, `
      + 'bench/floor/build), or use bench/run');
  }
  requireLoopbackBuild(oursDist);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: set CHROMIUM_PATH`);

  // --against: another build of ours (a copy of an earlier dist/) in the reference's place, so that one change is
  // measured against the build before it in one run, alternating as with the reference.
  if (options.against) requireLoopbackBuild(options.against);
  const referenceDist = options.against ?? await buildReference();
  console.log(`bench ${new Date().toISOString()}: ${machine()}, Node ${process.version}, load average ${loadNow()}`);
  const work = await mkdtemp(join(tmpdir(), 'yew-oidc-bench-'));
  try {
    // Snapshots, so a concurrent `trunk build` cannot change the app under measurement.
    const apps = [
      { key: 'ours', label: `${options.floor ? 'floor' : 'ours'} (${relative(REPO, oursDist) || '.'}/)`, dir: join(work, 'ours'), from: oursDist, floor: Boolean(options.floor) },
      { key: 'reference', label: options.against ? `reference: ours as in ${options.against}` : 'reference (bench/reference/dist/, oidc-client-ts)', dir: join(work, 'reference'), from: referenceDist },
    ];
    for (const app of apps) await cp(app.from, join(work, `${app.key}-as-built`), { recursive: true });

    console.log('== Bytes downloaded on first load (precompressed .gz/.br siblings and source maps excluded)');
    for (const app of apps) {
      app.sizes = await measureSizes(join(work, `${app.key}-as-built`));
      printSizes(app.label, app.sizes);
      await snapshot(join(work, `${app.key}-as-built`), app.dir, { inline: options.inlineConfig && app.key === 'ours' });
    }
    const [ours, reference] = apps;
    console.log('\ntotals');
    console.log(table(['', 'raw', 'gzip -9', 'brotli 11'], [
      ['ours', ...['raw', 'gzip', 'brotli'].map((k) => fmtInt(ours.sizes.total[k]))],
      ['reference', ...['raw', 'gzip', 'brotli'].map((k) => fmtInt(reference.sizes.total[k]))],
      ['ours / reference', ...['raw', 'gzip', 'brotli'].map((k) => fmtRatio(ours.sizes.total[k], reference.sizes.total[k]))],
    ], ['l', 'r', 'r', 'r']));

    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const chromiumVersion = browser.version();
    const failures = [];
    for (const app of apps) app.runs = Object.fromEntries(modes.map((m) => [m.key, []]));
    try {
      console.log(`\n== Sign-in scenario: Chromium ${chromiumVersion} (headless), provider ${PROVIDER}, apps on ${APP}`);
      console.log(`   per mode, ${options.warmup} warm-up run(s) then ${options.runs} measured run(s) per app, `
        + 'alternating apps, fresh browser context each run'
        + (options.inlineConfig ? '; ours with its configuration inlined in the page (--inline-config)' : ''));
      for (const mode of modes) {
        console.log(`-- mode ${names[mode.key]}: ${mode.title}`);
        // A provider per mode: its delay is set when it starts.
        const provider = await startProvider(mode);
        try {
          const total = options.warmup + options.runs;
          for (let run = 0; run < total; run += 1) {
            const warmup = run < options.warmup;
            // Alternate which app goes first, so neither always runs right after the other.
            const order = run % 2 === 0 ? apps : [...apps].reverse();
            for (const app of order) {
              const server = await startApp(app.dir, mode);
              try {
                const result = await scenario(browser, mode, { floor: app.floor });
                if (!warmup) app.runs[mode.key].push(result);
                const tag = warmup ? 'warm-up' : `run ${run - options.warmup + 1}/${options.runs}`;
                console.log(`   ${tag.padEnd(9)} ${app.key.padEnd(9)} ${STEPS.filter((s) => s in result.requests).map((s) => `${s} ${fmtMs(result.ms[s])} ms/${result.requests[s]} req`).join(', ')}`);
              } catch (err) {
                failures.push(`${mode.key}, ${app.key}, run ${run + 1}: ${err.message}`);
                console.log(`   ${app.key} run ${run + 1} FAILED: ${err.message}`);
              } finally {
                await stopChild(server);
              }
            }
          }
        } finally {
          await stopChild(provider);
        }
      }
    } finally {
      await browser.close();
    }

    for (const mode of modes) {
      console.log(`\n== Mode ${names[mode.key]} (${mode.title}): medians over ${options.runs} run(s) per app; `
        + 'ratio = ours / reference');
      console.log(modeTable(mode, ours, reference));
    }

    console.log(`\n== Requests per step in the last measured run of each mode (query strings dropped; "…" stands for `
      + 'ids and hashes)');
    for (const app of apps) {
      let previous;
      for (const mode of modes) {
        const last = app.runs[mode.key].at(-1);
        if (!last) continue;
        const lines = STEPS.filter((s) => s in last.paths).map((s) => `  ${s.padEnd(8)} ${describePaths(last.paths[s])}`).join('\n');
        if (lines === previous) {
          console.log(`${app.key}, ${names[mode.key]}: as above`);
        } else {
          console.log(`${app.key}, ${names[mode.key]}:\n${lines}`);
        }
        previous = lines;
      }
    }

    // What the byte count assumes, checked against what the browser fetched from the app's origin on boot.
    for (const app of apps) {
      const first = app.runs[modes[0].key][0];
      if (!first) continue;
      const fetched = new Set(first.paths.boot.filter((r) => r.origin === APP)
        .map((r) => (r.path.endsWith('/') ? `${r.path}index.html` : r.path).replace(/^\//, '')));
      const counted = new Set(app.sizes.files.map((f) => f.name));
      const notFetched = [...counted].filter((n) => !fetched.has(n));
      const notCounted = [...fetched].filter((n) => !counted.has(n));
      if (notFetched.length || notCounted.length) {
        console.log(`note (${app.key}): counted but not fetched on boot: ${notFetched.join(', ') || 'none'}; `
          + `fetched but not counted: ${notCounted.join(', ') || 'none'}`);
      }
    }

    console.log(`\n== Summary: medians over ${options.runs} run(s) per app and mode, ratio = ours / reference; `
      + `${machine()}, Chromium ${chromiumVersion}, load average now ${loadNow()}`);
    console.log(summaryTable(modes, names, ours, reference));

    if (failures.length) {
      console.log(`\n${failures.length} run(s) failed and are left out of the medians:\n  ${failures.join('\n  ')}`);
      process.exitCode = 1;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// Run as a command; bench/trace.mjs and bench/timeline.mjs import the servers and helpers above without running the
// benchmark.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`bench: ${err.stack || err}`);
    stopAllChildrenNow();
    process.exit(1);
  });
}
