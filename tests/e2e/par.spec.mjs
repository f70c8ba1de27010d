// Pushed authorization requests (RFC 9126). The app pushes the authorization request's parameters to the provider's
// `pushed_authorization_request_endpoint` and sends the browser there with `client_id` and `request_uri` only, under
// `"par": "auto"` (the default) wherever the provider publishes the endpoint, and always under `"always"`; never under
// `"never"`. Against PAR_PROVIDER, a bundled provider that requires it (PAR=required: a plain request is refused at the
// authorization endpoint), and the main one (PAR=on: it takes both). A mismatch between the configuration and the
// provider is a configuration error found before anything leaves; a push the provider fails or refuses is shown,
// nothing is stored, and the next click works.

import { expect, test } from '@playwright/test';

import {
  APP, CLIENT_ID, PAR_PROVIDER, PROVIDER, authorizationRequest, clearFaults, discover, expectSignedIn,
  expectSignedOut, logInAtProvider, sessionEntries, setFaults, useConfig, withoutQuery,
} from './support.mjs';

/** The requests of `page` to `origin`, as "METHOD path", in order; preflights left out. */
function recordProviderRequests(page, origin) {
  const seen = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.origin === origin && req.method() !== 'OPTIONS') seen.push(`${req.method()} ${url.pathname}`);
  });
  return seen;
}

/** The sign-in's own records in sessionStorage: a pending sign-in or a session (not the cached provider documents). */
async function signInRecords(page) {
  return (await sessionEntries(page)).map(([key]) => key)
    .filter((key) => key.includes(':pending:') || key.endsWith(':session'));
}

test.afterEach(async () => {
  await clearFaults(PAR_PROVIDER);
});

test('a provider that requires PAR: the parameters are pushed, the browser carries only client_id and '
  + 'request_uri, and the seed scenario works', async ({ page, context }) => {
  const { pushed_authorization_request_endpoint: par, require_pushed_authorization_requests: required } = (
    await discover(PAR_PROVIDER));
  expect(required, 'the provider requires pushed requests').toBe(true);
  await useConfig(context, { issuer: PAR_PROVIDER });

  await page.goto('/');
  const { query, pushed } = await authorizationRequest(page, () => page.getByTestId('sign-in').click(), PAR_PROVIDER);
  expect([...query.keys()].sort(), 'the navigation\'s parameters').toEqual(['client_id', 'request_uri']);
  expect(query.get('client_id')).toBe(CLIENT_ID);
  expect(query.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  expect(pushed, `a push to ${par}`).not.toBeNull();
  expect(Object.fromEntries(['response_type', 'client_id', 'redirect_uri', 'code_challenge_method']
    .map((name) => [name, pushed.get(name)]))).toEqual({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: `${APP}/callback`, code_challenge_method: 'S256',
  });
  for (const name of ['state', 'nonce', 'code_challenge']) expect(pushed.get(name), name).toMatch(/^[\w-]{16,}$/);

  await logInAtProvider(page, { provider: PAR_PROVIDER });
  await expectSignedIn(page);
  await page.reload();
  await expectSignedIn(page);

  // Local sign-out, then a sign-in that the provider's session answers at once (pushed again).
  await page.getByTestId('sign-out-local').click();
  await expectSignedOut(page);
  await page.getByTestId('sign-in').click();
  await expectSignedIn(page);

  // Provider sign-out: the next sign-in asks for the password again.
  await page.getByTestId('sign-out-provider').click();
  await expect(page.getByTestId('logout-confirm')).toBeVisible();
  await page.getByTestId('logout-confirm').click();
  await expect(page.getByTestId('signed-out-notice')).toHaveAttribute('data-kind', 'provider');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page, { provider: PAR_PROVIDER });
  await expectSignedIn(page);
});

test('"par": "never" at a provider that requires PAR: a configuration error, and nothing leaves for the provider', async ({
  page, context,
}) => {
  await useConfig(context, { issuer: PAR_PROVIDER, par: 'never' });
  const seen = recordProviderRequests(page, PAR_PROVIDER);
  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await expect(page.getByTestId('config-error')).toContainText('require_pushed_authorization_requests');
  expect(new URL(page.url()).origin, 'still in the app').toBe(APP);
  expect(seen, 'only the discovery document was asked for').toEqual(['GET /.well-known/openid-configuration']);
});

test('"par": "always" at a provider that publishes no push endpoint: a configuration error before anything leaves', async ({
  page, context,
}) => {
  await useConfig(context, { issuer: PROVIDER, par: 'always' });
  // The main provider's document without its push endpoint, as Google's and Entra ID's are.
  await context.route(`${PROVIDER}/.well-known/openid-configuration`, async (route) => {
    const response = await route.fetch();
    const { pushed_authorization_request_endpoint: _dropped, ...metadata } = await response.json();
    await route.fulfill({ response, json: metadata });
  });
  const seen = recordProviderRequests(page, PROVIDER);
  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await expect(page.getByTestId('config-error')).toContainText('pushed_authorization_request_endpoint');
  expect(new URL(page.url()).origin, 'still in the app').toBe(APP);
  expect(seen.filter((r) => !r.endsWith('/.well-known/openid-configuration')), 'requests besides discovery')
    .toEqual([]);
});

test('"par": "never" at a provider that takes both: every parameter in the URL, no push', async ({
  page, context,
}) => {
  const { pushed_authorization_request_endpoint: par } = await discover(PROVIDER);
  expect(par, 'the main provider publishes a push endpoint').toBeTruthy();
  await useConfig(context, { issuer: PROVIDER, par: 'never' });
  const seen = recordProviderRequests(page, PROVIDER);
  await page.goto('/');
  const { query, pushed } = await authorizationRequest(page, () => page.getByTestId('sign-in').click());
  expect(pushed, 'no push').toBeNull();
  expect(query.get('request_uri')).toBeNull();
  expect([query.get('response_type'), query.get('client_id'), query.get('code_challenge_method')])
    .toEqual(['code', CLIENT_ID, 'S256']);
  for (const name of ['state', 'nonce', 'code_challenge']) expect(query.get(name), name).toMatch(/^[\w-]{16,}$/);
  expect(seen.filter((r) => r === `POST ${new URL(par).pathname}`), 'pushes').toEqual([]);
  await logInAtProvider(page);
  await expectSignedIn(page);
});

test('a push the provider fails or refuses: the error is shown, nothing is stored, and the next click signs in', async ({
  page, context,
}) => {
  const { authorization_endpoint: authorize } = await discover(PAR_PROVIDER);
  await useConfig(context, { issuer: PAR_PROVIDER });
  const navigations = [];
  page.on('request', (req) => {
    if (req.isNavigationRequest() && withoutQuery(req.url()) === authorize) navigations.push(req.url());
  });
  await page.goto('/');

  await setFaults(PAR_PROVIDER, [{ route: 'pushed_authorization_request', mode: 'status', status: 503, times: 1 }]);
  await page.getByTestId('sign-in').click();
  await expect(page.getByTestId('auth-error')).toContainText('HTTP status 503');
  expect(new URL(page.url()).origin, 'still in the app').toBe(APP);
  expect(await signInRecords(page), 'nothing stored by the failed attempt').toEqual([]);
  await page.getByTestId('dismiss-error').click();

  await setFaults(PAR_PROVIDER, [{
    route: 'pushed_authorization_request', mode: 'status', status: 400, times: 1,
    body: { error: 'invalid_request', error_description: 'the request was refused by policy' },
  }]);
  await page.getByTestId('sign-in').click();
  await expect(page.getByTestId('auth-error')).toContainText('invalid_request');
  await expect(page.getByTestId('provider-description')).toHaveText('the request was refused by policy');
  expect(await signInRecords(page), 'nothing stored by the refused attempt').toEqual([]);
  expect(navigations, 'no navigation to the authorization endpoint').toEqual([]);
  await page.getByTestId('dismiss-error').click();

  await page.getByTestId('sign-in').click();
  await logInAtProvider(page, { provider: PAR_PROVIDER });
  await expectSignedIn(page);
});
