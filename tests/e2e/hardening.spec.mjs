// The release build's page hardening: a strict Content-Security-Policy with no inline script, no Referer, and
// a full sign-in that trips no policy and loads nothing from a third party (RFC 9700 4.2.4).

import { expect, test } from '@playwright/test';

import { APP, PROVIDER, USER, logInAtProvider } from './support.mjs';

test('index.html carries a strict CSP and no inline script', async ({ request }) => {
  const html = await (await request.get(`${APP}/`)).text();
  const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  expect(csp, 'a CSP meta tag').toBeTruthy();
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(html).toContain('<meta name="referrer" content="no-referrer" />');
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
