// The release build's page hardening: a strict Content-Security-Policy with no inline script, no Referer, and
// a full sign-in that trips no policy and loads nothing from a third party (RFC 9700 4.2.4). The same policy,
// with frame-ancestors, comes as headers from dist/_headers (the static server sends them as Netlify or
// Cloudflare Pages would), so no other site can frame the app and clickjack "Sign out everywhere".

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect, test } from '@playwright/test';

import { APP, PROVIDER, USER, logInAtProvider } from './support.mjs';

test('index.html carries a strict CSP and no inline script', async ({ request }) => {
  const html = await (await request.get(`${APP}/`)).text();
  const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  expect(csp, 'a CSP meta tag').toBeTruthy();
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp, 'browsers ignore frame-ancestors in a <meta>, and warn').not.toContain('frame-ancestors');
  expect(html).toContain('<meta name="referrer" content="no-referrer" />');
  expect(html, "no nonce placeholder left from Trunk's create_nonce").not.toContain('nonce=');
  for (const [, attrs, body] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    expect(attrs, 'every script is loaded from a file').toContain('src=');
    expect(body.trim(), 'no inline script body').toBe('');
  }
});

test('a full sign-in violates no policy and talks only to the app and the provider', async ({ page }) => {
  const violations = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  const origins = new Set();
  page.on('request', (req) => origins.add(new URL(req.url()).origin));
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));

  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page);
  await expect(page.getByTestId('user-name')).toHaveText(USER.name);

  expect(violations).toEqual([]);
  expect(pageErrors).toEqual([]);
  expect([...origins].sort()).toEqual([APP, PROVIDER].sort());
});

const metaPolicy = (html) => html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];

test('every response carries the security headers: the CSP with frame-ancestors, no Referer, nosniff', async ({
  request,
}) => {
  const html = await (await request.get(`${APP}/`)).text();
  const assets = [...html.matchAll(/<(?:link|script)\b[^>]*?\b(?:href|src)="\/?([^"]+)"/g)].map(([, file]) => file)
    .filter((file) => !file.startsWith('data:'));
  expect(assets.some((file) => /-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/.test(file)), 'a hashed asset').toBe(true);
  for (const path of ['/', '/callback', '/profile', ...assets.map((file) => `/${file}`), '/config.json']) {
    const res = await request.get(`${APP}${path}`);
    expect(res.status(), path).toBe(200);
    const headers = res.headers();
    expect(headers['content-security-policy'], path).toBe(`${metaPolicy(html)}; frame-ancestors 'none'`);
    expect(headers['referrer-policy'], path).toBe('no-referrer');
    expect(headers['x-content-type-options'], path).toBe('nosniff');
    expect(headers['x-frame-options'], path).toBe('DENY');
  }
});

test('another page cannot show the app in a frame', async ({ page }) => {
  // The framing page is the tab's own about:blank document. A page fulfilled by page.route would not do: in
  // Chromium its frame onto 127.0.0.1 shows an error page even when the app sends no header at all, which would
  // hide a missing header. From about:blank, without frame-ancestors, the frame shows the app's sign-in button.
  const refused = page.waitForEvent('console', {
    predicate: (msg) => msg.text().includes(`Framing '${APP}/' violates`) && msg.text().includes("frame-ancestors 'none'"),
    timeout: 15_000,
  });
  await page.setContent(`<!doctype html><iframe src="${APP}/" width="800" height="600"></iframe>`);
  await refused;
  const frame = page.frames().find((f) => f !== page.mainFrame());
  expect(frame.url(), 'the frame holds an error page, not the app').not.toContain(APP);
  await expect(page.frameLocator('iframe').getByTestId('sign-in')).toHaveCount(0);
});

test('caching as a CDN should do it: hashed files forever, the rest revalidated', async ({ request }) => {
  const html = await (await request.get(`${APP}/`)).text();
  const hashed = [...html.matchAll(/(?:src|href)="\/?([^"]+-[0-9a-f]{16}(?:_bg)?\.(?:js|wasm|css))"/g)]
    .map(([, file]) => file);
  expect(hashed.length, 'index.html names its hashed files').toBeGreaterThanOrEqual(2);
  for (const file of hashed) {
    const res = await request.get(`${APP}/${file}`);
    expect(res.headers()['cache-control'], file).toBe('public, max-age=31536000, immutable');
  }
  for (const path of ['/', '/callback', '/profile', '/config.json']) {
    const res = await request.get(`${APP}${path}`);
    expect(res.headers()['cache-control'], path).toBe('no-cache');
    const etag = res.headers().etag;
    expect(etag, `${path} has an ETag`).toBeTruthy();
    const again = await request.get(`${APP}${path}`, { headers: { 'if-none-match': etag } });
    expect(again.status(), `${path} revalidates`).toBe(304);
  }
});

test('static hosts find their SPA fallback: 404.html for GitHub Pages, _redirects for Netlify', async () => {
  const builds = [
    [process.env.DIST_DIR || fileURLToPath(new URL('../../dist', import.meta.url)), '/'],
    [process.env.DIST_SUBPATH_DIR || fileURLToPath(new URL('../../dist-subpath', import.meta.url)), '/some/app/'],
  ];
  for (const [dist, base] of builds) {
    const index = readFileSync(join(dist, 'index.html'), 'utf8');
    expect(index, `${dist}: <base href> is the public URL`).toContain(`<base href="${base}" />`);
    expect(readFileSync(join(dist, '404.html'), 'utf8'), `${dist}: 404.html is index.html`).toBe(index);
    expect(readFileSync(join(dist, '_redirects'), 'utf8').split('\n').filter(Boolean), `${dist}: one rewrite, 200`)
      .toEqual([`${base}*    ${base}index.html    200`]);
  }
});

// A panic compiles to a wasm trap (`unreachable`) under both panic strategies, so the boot script's handler
// (scripts/fatal.js) is what the user sees. The trap here is a real one, from a one-instruction module, thrown
// where the app's own code runs: in a task (an event listener, a timer) and in a promise job (spawn_local's futures).
const TRAP_MODULE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 5, 1, 3, 0, 0, 11];

for (const where of ['task', 'promise job']) {
  test(`a wasm trap in a ${where} replaces the page with the fatal-error message`, async ({ page }) => {
    await page.goto('/');
    await expect(page.getByTestId('sign-in')).toBeVisible();
    // An error that is not a trap leaves the app alone.
    // Timers run in order: by the second one, the first one's error has been dispatched.
    await page.evaluate(() => new Promise((resolve) => {
      setTimeout(() => { throw new Error('not a trap'); });
      setTimeout(resolve);
    }));
    await expect(page.getByTestId('sign-in')).toBeVisible();
    await expect(page.getByTestId('fatal-error')).toHaveCount(0);

    await page.evaluate(([bytes, inPromise]) => {
      const trap = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes))).exports.f;
      if (inPromise) Promise.resolve().then(trap);
      else setTimeout(trap);
    }, [TRAP_MODULE, where === 'promise job']);
    const fatal = page.getByTestId('fatal-error');
    await expect(fatal).toHaveText('Something went wrong and the app stopped. Reload the page to start again.');
    await expect(fatal).toHaveAttribute('role', 'alert');
    await expect(page.getByTestId('sign-in')).toHaveCount(0);
  });
}
