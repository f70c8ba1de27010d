// Foundation: the release build loads, shows `sign-in`, and clicking it sends the browser to the provider with an
// authorization code request using PKCE S256, state and nonce (OIDC Core 3.1.2.1, RFC 7636 4.3). Also the
// runtime-configuration failure page and the not-found route from the UI contract, and config.json's preload.

import { expect, test } from '@playwright/test';

import {
  APP, CLIENT_ID, authorizationRequest, expectSignedOut, logInAtProvider,
} from './support.mjs';

test('the app loads signed out and sign-in sends an authorization code request with PKCE S256', async ({ page }) => {
  await page.goto('/');
  await expectSignedOut(page);

  // The bundled provider publishes a push endpoint (RFC 9126), so the request goes there first: whichever way, these
  // are its parameters (par.spec checks the two ways apart).
  const { request, params } = await authorizationRequest(page, () => page.getByTestId('sign-in').click());
  await expect(page.getByTestId('login-page')).toBeVisible();

  expect(request.method()).toBe('GET');
  expect(params.get('response_type')).toBe('code');
  expect(params.get('client_id')).toBe(CLIENT_ID);
  expect(params.get('redirect_uri')).toBe(`${APP}/callback`);
  expect(params.get('scope')?.split(' ')).toContain('openid');
  expect(params.get('code_challenge_method')).toBe('S256');
  // BASE64URL(SHA-256(verifier)) without padding is always 43 characters (RFC 7636 4.2).
  expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(params.get('state')).toMatch(/^\S{16,}$/);
  expect(params.get('nonce')).toMatch(/^\S{16,}$/);
  expect(params.get('nonce')).not.toBe(params.get('state'));
});

test('config.json downloads once per load, started by index.html\'s preload, and the app reads that download', async ({
  page,
}) => {
  // Issue 15: the app's own fetch of config.json starts only once the wasm runs; the preload starts the download
  // with the page's. A fetch the preload does not match (another credentials mode, another URL) would show up as
  // a second download, initiated by `fetch`; a preload gone, as one initiated by `fetch` alone.
  const requested = [];
  page.on('request', (req) => {
    if (new URL(req.url()).pathname === '/config.json') requested.push(req.method());
  });
  await page.goto('/');
  await expect(page.getByTestId('sign-in')).toBeVisible();
  const initiators = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((entry) => new URL(entry.name).pathname === '/config.json')
    .map((entry) => entry.initiatorType));
  expect(initiators).toEqual(['link']);
  expect(requested).toEqual(['GET']);
});

test('each sign-in attempt uses a fresh state, nonce and code challenge', async ({ page }) => {
  const attempt = async () => {
    await page.goto('/');
    const { params } = await authorizationRequest(page, () => page.getByTestId('sign-in').click());
    await expect(page.getByTestId('login-page')).toBeVisible();
    return ['state', 'nonce', 'code_challenge'].map((name) => params.get(name));
  };
  const first = await attempt();
  const second = await attempt();
  for (let i = 0; i < first.length; i += 1) expect(second[i]).not.toBe(first[i]);
});

test('a wrong password keeps the user on the provider login page with an error', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page, { password: 'not-the-password' });
  await expect(page.getByTestId('login-error')).toBeVisible();
  await expect(page.getByTestId('login-page')).toBeVisible();
});

test('an unknown route shows not-found', async ({ page }) => {
  await page.goto('/no-such-page');
  await expect(page.getByTestId('not-found')).toBeVisible();
});

test.describe('runtime configuration problems show config-error, never a blank page', () => {
  test('config.json missing', async ({ page }) => {
    await page.route('**/config.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
    await page.goto('/');
    await expect(page.getByTestId('config-error')).toBeVisible();
    await expect(page.getByTestId('sign-in')).toHaveCount(0);
  });

  test('config.json is not JSON', async ({ page }) => {
    await page.route('**/config.json', (route) => route.fulfill({ contentType: 'application/json', body: '{ nope' }));
    await page.goto('/');
    await expect(page.getByTestId('config-error')).toBeVisible();
  });

  test('config.json without client_id names the field', async ({ page }) => {
    await page.route('**/config.json', (route) => route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({ issuer: 'http://127.0.0.1:9000' }),
    }));
    await page.goto('/');
    await expect(page.getByTestId('config-error')).toContainText('client_id');
  });
});
