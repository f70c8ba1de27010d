// Several providers in one app (issue 22): config.json's `providers` lists more providers beside the main one, each
// an AuthProvider of its own with its own session and storage names; the page /providers shows one panel per
// provider (`data-provider="main"` and each entry's name) with the usual controls. Every sign-in comes back to the one
// /callback, where the instance whose `state` it carries completes it and checks the response's `iss` against its
// own issuer (RFC 9700 4.4: a mix-up across instances is refused); a provider that sends no `iss` needs a redirect
// URI of its own (RFC 9700 4.4.2), else its responses are refused. Here the main provider is the bundled one and the
// second the django-oauth-toolkit provider (tests/provider2, no `iss`) on /callback/second, or a second bundled
// provider (PAR_PROVIDER) on the shared /callback.

import { expect, test } from '@playwright/test';

import {
  APP, CLIENT_ID, PAR_PROVIDER, PROVIDER, PROVIDER2, PROVIDER2_LOGIN, STORAGE_PREFIX, USER, authorizationRequest,
  logInAtProvider, recordRequests, sessionEntries, setOpenerPolicy, useConfig,
} from './support.mjs';

/** django-oauth-toolkit, which sends no `iss`: on a redirect URI of its own. */
const SECOND = {
  name: 'second',
  issuer: PROVIDER2,
  client_id: CLIENT_ID,
  redirect_uri: `${APP}/callback/second`,
  revocation_endpoint: `${PROVIDER2}/revoke_token/`,
};

/** The panel of provider `name` on /providers. */
const panel = (page, name) => page.locator(`[data-provider="${name}"]`);

/** The sessions stored in the tab, by storage key. */
async function sessions(page) {
  return Object.fromEntries((await sessionEntries(page))
    .filter(([key]) => key.startsWith(STORAGE_PREFIX) && key.endsWith(':session'))
    .map(([key, value]) => [key, JSON.parse(value)]));
}

test.beforeEach(async ({ context }) => {
  await useConfig(context, { issuer: PROVIDER, providers: [SECOND] });
});

test('two providers at once: each panel signs in to its own, both sessions kept apart and on reload, and each '
  + 'signs out alone', async ({ page }) => {
  await page.goto('/providers');
  const [main, second] = [panel(page, 'main'), panel(page, 'second')];
  await expect(main.getByTestId('sign-in')).toBeVisible();
  await expect(second.getByTestId('sign-in')).toBeVisible();

  await main.getByTestId('sign-in').click();
  await logInAtProvider(page);
  await expect(main.getByTestId('user-name')).toHaveText(USER.name);
  expect(new URL(page.url()).pathname, 'back where the sign-in started').toBe('/providers');
  await expect(second.getByTestId('sign-in')).toBeVisible();

  await second.getByTestId('sign-in').click();
  await logInAtProvider(page, PROVIDER2_LOGIN);
  await expect(second.getByTestId('user-name')).toHaveText(USER.name);
  await expect(main.getByTestId('user-name')).toHaveText(USER.name);
  const stored = await sessions(page);
  expect(Object.keys(stored).sort(), 'one session per provider, each under its own name').toEqual([
    `${STORAGE_PREFIX}${CLIENT_ID}@/callback/second#second:session`,
    `${STORAGE_PREFIX}${CLIENT_ID}@/callback:session`,
  ]);
  expect(stored[`${STORAGE_PREFIX}${CLIENT_ID}@/callback:session`].issuer).toBe(PROVIDER);
  expect(stored[`${STORAGE_PREFIX}${CLIENT_ID}@/callback/second#second:session`].issuer).toBe(PROVIDER2);

  await page.reload();
  await expect(main.getByTestId('user-name')).toHaveText(USER.name);
  await expect(second.getByTestId('user-name')).toHaveText(USER.name);

  // Local sign-out of the second: the main one stays.
  await second.getByTestId('sign-out-local').click();
  await expect(second.getByTestId('sign-in')).toBeVisible();
  await expect(main.getByTestId('user-name')).toHaveText(USER.name);
  expect(Object.keys(await sessions(page))).toEqual([`${STORAGE_PREFIX}${CLIENT_ID}@/callback:session`]);

  // The second signs in again at once (its provider's session is alive); then a provider sign-out of the main one
  // leaves the second's session alone, and the return is the main one's.
  await second.getByTestId('sign-in').click();
  await expect(second.getByTestId('user-name')).toHaveText(USER.name);
  await main.getByTestId('sign-out-provider').click();
  await page.getByTestId('logout-confirm').click();
  await expect(page.getByTestId('signed-out-notice')).toHaveAttribute('data-kind', 'provider');
  await page.goto('/providers');
  await expect(main.getByTestId('sign-in')).toBeVisible();
  await expect(second.getByTestId('user-name')).toHaveText(USER.name);
  await expect(page.getByTestId('auth-error')).toHaveCount(0);
});

test('on a shared redirect URI: a response carrying another provider\'s issuer is refused by the instance whose '
  + 'state it carries, and no code goes anywhere (mix-up, RFC 9700 4.4)', async ({ page, context }) => {
  await useConfig(context, { issuer: PROVIDER, providers: [{ name: 'second', issuer: PAR_PROVIDER, client_id: CLIENT_ID }] });
  const requests = recordRequests(context);
  await page.goto('/providers');
  const { params } = await authorizationRequest(
    page, () => panel(page, 'second').getByTestId('sign-in').click(), PAR_PROVIDER,
  );
  // At the provider's login page: the provider's own redirects are over before the forged response is visited.
  await expect(page.getByTestId('login-page')).toBeVisible();
  const state = params.get('state');
  expect(state).toMatch(/^[\w-]{16,}$/);
  const mark = requests.mark();
  // The second provider's state, the main provider's issuer: a response the main provider could have sent.
  await page.goto(`${APP}/callback?code=mixed-up&state=${state}&iss=${encodeURIComponent(PROVIDER)}`);
  const error = page.getByTestId('auth-error');
  await expect(error).toContainText('comes from another issuer than the one the request was sent to');
  const tokenRequests = requests.since(mark).filter((r) => r.method === 'POST' && /token/.test(r.url));
  expect(tokenRequests, 'no code exchange anywhere').toEqual([]);

  await page.goto('/providers');
  await expect(panel(page, 'main').getByTestId('sign-in')).toBeVisible();
  await expect(panel(page, 'second').getByTestId('sign-in')).toBeVisible();
});

test('on a shared redirect URI, a provider that sends no iss is refused: its response cannot be told from '
  + 'another\'s (RFC 9700 4.4.2)', async ({ page, context }) => {
  const { redirect_uri: _own, ...shared } = SECOND;
  await useConfig(context, { issuer: PROVIDER, providers: [shared] });
  const requests = recordRequests(context);
  await page.goto('/providers');
  await panel(page, 'second').getByTestId('sign-in').click();
  await logInAtProvider(page, PROVIDER2_LOGIN);
  await expect(page.getByTestId('auth-error')).toContainText('give this provider a redirect_uri of its own');
  const tokenRequests = requests.since(0).filter((r) => r.method === 'POST' && r.url.startsWith(PROVIDER2));
  expect(tokenRequests, 'the code was not sent').toEqual([]);
});

test('a named provider signs in in a window of its own, also when its pages cut the window\'s link (COOP)', async ({
  page, context,
}) => {
  await useConfig(context, { issuer: PROVIDER, providers: [{ name: 'second', issuer: PAR_PROVIDER, client_id: CLIENT_ID }] });
  await setOpenerPolicy(PAR_PROVIDER, 'same-origin');
  try {
    await page.goto('/providers');
    await page.evaluate(() => { window.stayed = 'the same document'; });
    const second = panel(page, 'second');
    const opened = page.waitForEvent('popup');
    await second.getByTestId('sign-in-popup').click();
    const signIn = await opened;
    await expect(signIn.getByTestId('login-page')).toBeVisible();
    expect(await signIn.evaluate(() => window.opener), 'the link is cut').toBeNull();
    await logInAtProvider(signIn, { provider: PAR_PROVIDER });
    await expect(second.getByTestId('user-name')).toHaveText(USER.name);
    await expect(panel(page, 'main').getByTestId('sign-in')).toBeVisible();
    expect(await page.evaluate(() => window.stayed), 'the page kept its document').toBe('the same document');
    expect(Object.keys(await sessions(page))).toEqual([`${STORAGE_PREFIX}${CLIENT_ID}@/callback#second:session`]);
  } finally {
    await setOpenerPolicy(PAR_PROVIDER, null);
  }
});

test('a providers entry with a bad member is a configuration error that names the entry', async ({ page, context }) => {
  await useConfig(context, { issuer: PROVIDER, providers: [{ ...SECOND, issuer: 'not a url' }] });
  await page.goto('/');
  await expect(page.getByTestId('config-error')).toContainText('in `providers` entry 0');
});
