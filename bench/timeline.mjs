// When the callback's steps happen (issue 15): our release build (dist/) signs in N times in headless Chromium, as
// bench/run.mjs does, and for each callback navigation notes, on the page's clock and counted from the moment the
// browser sent GET /callback, when each boot phase ended and each request started and ended. Prints the medians.
// Figures only, never a verdict. (bench/trace.mjs says where the main thread's time goes, from Chromium traces.)
//
//   node bench/timeline.mjs [--runs N] [--warmup N] [--modes loopback,rtt,cpu] [--rtt-ms 50] [--cdn-rtt-ms 50]
//                           [--cpu-rate 4]
//   (build first: CSP_LOOPBACK=1 scripts/release-build; --inline-config as in bench/run.mjs)
//
// The phases come from the page itself: Resource and Navigation Timing for every download and request (startTime
// and responseEnd need no Timing-Allow-Origin), WebAssembly.instantiateStreaming wrapped before any page script
// runs (its promise settles once the module is compiled and instantiated; the app's main() runs right after), the
// TrunkApplicationStarted event (main() has returned), and a MutationObserver for the first view (`auth-loading`,
// "Completing sign-in…") and the signed-in view (`user-name`). Servers, ports and modes are bench/run.mjs's.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from '@playwright/test';

import { CHROMIUM, CHROMIUM_ARGS, USER } from '../tests/shared/constants.mjs';
import { requireLoopbackBuild } from '../tests/shared/loopback-build.mjs';
import {
  APP, OUR_DIST, PROVIDER, fmtMs, loadNow, machine, median, modesOf, MODE_NAMES, parseArgs, snapshot, startApp,
  seenBy, startProvider, stopChild, table, visible,
} from './run.mjs';

// Installed in every document before its scripts.
const TRACE_PROBE = `(() => {
  const at = {};
  const note = (key) => { if (at[key] === undefined) at[key] = performance.now(); };
  for (const name of ['instantiateStreaming', 'instantiate']) {
    const original = WebAssembly[name];
    if (typeof original !== 'function') continue;
    WebAssembly[name] = function (...args) {
      note(name + ' called');
      const result = original.apply(this, args);
      Promise.resolve(result).then(() => note(name + ' settled'), () => {});
      return result;
    };
  }
  addEventListener('TrunkApplicationStarted', () => note('main() returned'));
  const ids = ['auth-loading', 'user-name', 'auth-error', 'config-error'];
  new MutationObserver(() => {
    for (const id of ids) {
      const el = document.querySelector('[data-testid="' + id + '"]');
      if (!el || el.getClientRects().length === 0 || at[id] !== undefined) continue;
      note(id);
      if (typeof window.__benchSeen === 'function') window.__benchSeen(id);
    }
  }).observe(document, { childList: true, subtree: true });
  Object.defineProperty(window, '__trace', { value: at });
})();`;

// What the page reports once signed in: its notes and every download, relative to GET /callback.
const COLLECT = (provider) => {
  const nav = performance.getEntriesByType('navigation')[0];
  const zero = nav.requestStart || nav.fetchStart;
  const out = { 'GET /callback sent': 0, 'HTML received': nav.responseEnd - zero };
  for (const [key, value] of Object.entries(window.__trace)) out[key] = value - zero;
  for (const entry of performance.getEntriesByType('resource')) {
    const url = new URL(entry.name);
    let name = url.pathname.replace(/-[0-9a-f]{16}(_bg)?\./, '-…$1.');
    if (url.origin === provider) name = `provider ${name}`;
    else if (name.endsWith('.js')) name = name.startsWith('/boot') ? 'boot script' : 'glue JS';
    else if (name.endsWith('.wasm')) name = 'wasm';
    // A request made twice (a preload and its fetch, a retry) keeps both, numbered.
    let key = name;
    for (let i = 2; `${key} start` in out; i += 1) key = `${name} #${i}`;
    out[`${key} start`] = entry.startTime - zero;
    out[`${key} end`] = entry.responseEnd - zero;
  }
  return out;
};

const SPANS = [
  ['HTML received to wasm instantiated', 'HTML received', 'instantiateStreaming settled'],
  ['wasm instantiated to first view', 'instantiateStreaming settled', 'auth-loading'],
  ['wasm instantiated to token request', 'instantiateStreaming settled', 'provider /token start'],
  ['config.json received to token request', '/config.json end', 'provider /token start'],
  ['token request to its response', 'provider /token start', 'provider /token end'],
  ['token response to signed-in view', 'provider /token end', 'user-name'],
  ['GET /callback to signed-in view', 'GET /callback sent', 'user-name'],
];

async function callbackTrace(browser, mode) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(TRACE_PROBE);
    const seen = await seenBy(context);
    const page = await context.newPage();
    if (mode.cpuRate > 1) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: mode.cpuRate });
    }
    await page.goto(`${APP}/`);
    await visible(page, 'sign-in', 'boot');
    await page.getByTestId('sign-in').click();
    await visible(page, 'login-username', 'sign-in');
    await page.getByTestId('login-username').fill(USER.username);
    await page.getByTestId('login-password').fill(USER.password);
    seen.clear();
    await page.getByTestId('login-submit').click();
    await seen.appeared(page, 'user-name', 'callback');
    return await page.evaluate(COLLECT, PROVIDER);
  } finally {
    await context.close();
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(join(OUR_DIST, 'index.html'))) throw new Error(`${OUR_DIST}/index.html is missing: build the app first`);
  requireLoopbackBuild(OUR_DIST);
  const names = MODE_NAMES(options);
  console.log(`timeline ${new Date().toISOString()}: ${machine()}, load average ${loadNow()}`);
  const work = await mkdtemp(join(tmpdir(), 'yew-oidc-timeline-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const dir = await snapshot(OUR_DIST, join(work, 'ours'), { inline: options.inlineConfig });
    for (const mode of modesOf(options)) {
      const provider = await startProvider(mode);
      const server = await startApp(dir, mode);
      const runs = [];
      try {
        for (let run = 0; run < options.warmup + options.runs; run += 1) {
          const trace = await callbackTrace(browser, mode);
          if (run >= options.warmup) runs.push(trace);
        }
      } finally {
        await stopChild(server);
        await stopChild(provider);
      }
      const keys = [...new Set(runs.flatMap(Object.keys))];
      const rows = keys
        .map((key) => [key, median(runs.map((r) => r[key])), runs.filter((r) => key in r).length])
        .sort((a, b) => a[1] - b[1])
        .map(([key, ms, n]) => [key, fmtMs(ms), n === runs.length ? '' : `${n}/${runs.length} runs`]);
      console.log(`\n== ${names[mode.key]} (${mode.title}): medians over ${runs.length} callback(s), ms after GET /callback was sent`);
      console.log(table(['phase', 'ms', ''], rows, ['l', 'r', 'l']));
      // The spans between phases, median of each run's own span (not a difference of medians).
      const spans = SPANS.map(([label, from, to]) => {
        const ms = median(runs.map((r) => r[to] - r[from]));
        return [label, fmtMs(ms)];
      });
      console.log(table(['span (median of each run\'s)', 'ms'], spans, ['l', 'r']));
    }
  } finally {
    await browser.close();
    await rm(work, { recursive: true, force: true });
  }
  console.log(`\nload average now ${loadNow()}`);
}

main().catch((err) => {
  console.error(`timeline: ${err.stack || err}`);
  process.exit(1);
});
