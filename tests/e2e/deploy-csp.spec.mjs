// A deployment whose policy the deploy step narrowed: playwright.config.mjs copies dist/ (a CSP_LOOPBACK=1 build,
// whose policy allows any https origin and every loopback port), gives the copy a config.json that signs out by
// POST, runs `node scripts/deploy-csp.mjs <copy>` against the bundled provider, then serves the copy on
// APP_DEPLOYED. The policy must name config.json's origins and nothing wider, in the pages and in the header, and
// the app must still do everything that needs the network under it: discovery, sign-in, JWKS, the token
// exchange, UserInfo, the API call (api_origins, which the README's old recipe left out) and the provider
// sign-out as a form POST (form-action). On a copy the step did not narrow, the first test fails.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect, test } from '@playwright/test';

import {
  API, APP_DEPLOYED, DIST_DEPLOYED_DIR, PROVIDER, SHORT_PROVIDER, expectSignedIn, logInAtProvider, providerMetadata,
  withoutQuery,
} from './support.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DIST_DIR = process.env.DIST_DIR || join(REPO, 'dist');

const metaPolicy = (html) => html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
/** A policy as a map from directive name to its source list. */
const directives = (policy) => new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...s]) => [name, s]));

test('the deploy step narrows the build\'s policy to config.json\'s origins, in the pages and in the header', async ({
  request,
}) => {
  const built = directives(metaPolicy(readFileSync(join(DIST_DIR, 'index.html'), 'utf8')));
  expect(built.get('connect-src'), 'the build, before the step: any https origin').toContain('https:');
  expect(built.get('form-action'), 'the build, before the step: any https origin').toContain('https:');

  const html = await (await request.get(`${APP_DEPLOYED}/`)).text();
  const policy = metaPolicy(html);
  const deployed = directives(policy);
  // The bundled provider has all its endpoints, the end-session one too, on its issuer's origin.
  expect(deployed.get('connect-src'), 'connect-src: the provider and the API of config.json')
    .toEqual(["'self'", PROVIDER, API]);
  expect(deployed.get('form-action'), 'form-action: the provider\'s sign-out').toEqual(["'self'", PROVIDER]);
  for (const name of ['connect-src', 'form-action']) {
    expect(deployed.get(name), `${name}: no https: wildcard`).not.toContain('https:');
    expect(deployed.get(name).filter((source) => source.includes('*')), `${name}: no wildcard port or host`)
      .toEqual([]);
  }
  // Only those two directives change.
  expect([...deployed].filter(([name]) => !['connect-src', 'form-action'].includes(name)))
    .toEqual([...built].filter(([name]) => !['connect-src', 'form-action'].includes(name)));
  for (const path of ['/', '/callback', '/api', '/config.json']) {
    const res = await request.get(`${APP_DEPLOYED}${path}`);
    expect(res.headers()['content-security-policy'], `${path}: the header is the same policy`)
      .toBe(`${policy}; frame-ancestors 'none'`);
  }
  expect(readFileSync(join(DIST_DEPLOYED_DIR, '404.html'), 'utf8'), '404.html is index.html').toBe(html);

  // Run again, as after an edit of config.json that changed no origin: not one byte changes.
  const files = ['index.html', 'index.html.gz', 'index.html.br', '404.html', '404.html.br', '_headers'];
  const before = files.map((file) => readFileSync(join(DIST_DEPLOYED_DIR, file)));
  execFileSync(process.execPath, [join(REPO, 'scripts/deploy-csp.mjs'), DIST_DEPLOYED_DIR], { stdio: 'ignore' });
  expect(files.map((file) => readFileSync(join(DIST_DEPLOYED_DIR, file))), 'a second run').toEqual(before);
});

test('under the narrowed policy: sign in, call the API, sign out at the provider by POST, and nothing is refused', async ({
  page, context,
}) => {
  const violations = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  const { end_session_endpoint: endSessionEndpoint } = await providerMetadata();
  const endSessions = [];
  context.on('request', (req) => {
    if (withoutQuery(req.url()) === endSessionEndpoint) endSessions.push(req.method());
  });

  await page.goto(`${APP_DEPLOYED}/`);
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page);
  await expectSignedIn(page, APP_DEPLOYED);

  await page.goto(`${APP_DEPLOYED}/api`);
  await page.getByTestId('api-call').click();
  await expect(page.getByTestId('api-result')).toBeVisible();
  await expect(page.getByTestId('api-error')).toHaveCount(0);
  expect(JSON.parse(await page.getByTestId('api-result').textContent())).toMatchObject({ sub: 'alice', api: 'demo' });

  await page.getByRole('link', { name: 'Home' }).click();
  await page.getByTestId('sign-out-provider').click();
  await expect(page.getByTestId('logout-confirm')).toBeVisible();
  expect(endSessions, 'the sign-out left as a form POST').toEqual(['POST']);
  await page.getByTestId('logout-confirm').click();
  await expect(page.getByTestId('signed-out-notice')).toHaveAttribute('data-kind', 'provider');
  expect(new URL(page.url()).origin).toBe(APP_DEPLOYED);
  expect(violations, 'no CSP violation').toEqual([]);

  // And the policy is in force: another provider on this machine, which the build's loopback wildcard allowed, is
  // refused by connect-src before any request leaves.
  const refused = await page.evaluate(async (url) => {
    const seen = new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve([e.effectiveDirective, e.blockedURI]));
      setTimeout(() => resolve(null), 5_000);
    });
    await fetch(url).catch(() => {});
    return seen;
  }, `${SHORT_PROVIDER}/.well-known/openid-configuration`);
  expect(refused, 'a violation of connect-src').not.toBeNull();
  expect([refused[0], new URL(refused[1]).origin]).toEqual(['connect-src', SHORT_PROVIDER]);
});
