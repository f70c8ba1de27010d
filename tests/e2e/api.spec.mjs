// Calling an API with the user's access token (issue 11), against the demo API of tests/resource (API, port 9200):
// a resource server of the bundled providers that checks each token by introspection and reports what reached it
// (apiCalls: tokens as fingerprints). config.json is swapped per test: the API's origin in `api_origins`, its
// resource identifier in `resource` (RFC 8707), so the access token is issued for it, and `api_url` for the
// demo's /api page, which calls it with GET when `api-call` is clicked and shows `api-result` (the body) or
// `api-error`.
//
// What the app promises (README, "Calling APIs"): the token goes in the Authorization header (RFC 6750 2.1), only
// to origins in api_origins; an access token the app knows has expired is renewed before it is sent; a 401 with
// `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 3.1) makes it renew once and retry once; a refused
// renewal ends the session as any refused renewal does (renewal-refused).
//
// Failure messages show URLs without query strings and tokens as SHA-256 fingerprints, never a token.

import { expect, test } from '@playwright/test';

import {
  API, API_RESOURCE, API_SCOPE, APP, CLIENT_ID, PROVIDER, SHORT_ACCESS_TOKEN_TTL, SHORT_PROVIDER, apiCalls,
  apiRequestsSince, discover, expectOtherToken, fingerprint, recordTokenRequests, revokeAtProvider, sessionOf,
  signInAt, storedSession, useConfig, withoutQuery,
} from './support.mjs';

const ME = `${API}/me`;
const notice = (page) => page.getByTestId('signed-out-notice');
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** config.json for calling the demo API with tokens from `issuer`. */
function apiConfig(issuer, extra = {}) {
  return {
    issuer,
    scope: `openid profile email ${API_SCOPE}`,
    api_origins: [API],
    resource: API_RESOURCE,
    api_url: ME,
    ...extra,
  };
}

/**
 * Every request of the context that carries an Authorization header: where it went (no query) and, for a Bearer
 * credential, the token's fingerprint; with the time it left (ms), for ordering against token requests.
 */
function recordAuthorizations(context) {
  const log = [];
  context.on('request', (req) => {
    const value = req.headers().authorization;
    if (value === undefined) return;
    const bearer = /^Bearer (.+)$/i.exec(value);
    log.push({ url: withoutQuery(req.url()), token: bearer ? fingerprint(bearer[1]) : '(not Bearer)', at: Date.now() });
  });
  return { all: () => [...log], to: (url) => log.filter((r) => r.url === url) };
}

/** Signed in at `issuer`, on the /api page with the call button shown. */
async function onApiPage(page, issuer) {
  await signInAt(page, issuer);
  await page.goto('/api');
  await expect(page.getByTestId('api-call')).toBeVisible();
}

/** The API's answer as the page shows it, parsed (the page shows the body the API returned). */
async function shownResult(page) {
  const result = page.getByTestId('api-result');
  await expect(result).toBeVisible();
  await expect(page.getByTestId('api-error')).toHaveCount(0);
  const text = await result.textContent();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  expect(body, 'api-result shows the JSON body the API returned').toBeDefined();
  return body;
}

/** The API's GETs as [path, token fingerprint, status, challenge error] rows. */
const rows = (calls) => calls.map((c) => [c.path, c.token, c.status, c.error]);

test('a signed-in user calls the API: the token goes to the API only, and the API answers for alice', async ({
  page, context,
}) => {
  await useConfig(context, apiConfig(PROVIDER));
  const authorizations = recordAuthorizations(context);
  await onApiPage(page, PROVIDER);
  const session = await sessionOf(page);
  const mark = (await apiCalls()).length;

  await page.getByTestId('api-call').click();
  expect(await shownResult(page)).toMatchObject({
    sub: 'alice', client_id: CLIENT_ID, scope: API_SCOPE, aud: API_RESOURCE, iss: PROVIDER, api: 'demo',
  });

  const calls = await apiRequestsSince(mark);
  expect(calls.map((c) => [c.method, c.origin, c.bearer, c.tokenInQuery]), 'one GET from the app, token in the header')
    .toEqual([['GET', APP, true, false]]);
  expect(rows(calls), 'the API got the stored access token and accepted it')
    .toEqual([['/me', fingerprint(session.access_token), 200, null]]);
  expect(authorizations.all().map(({ url, token }) => [url, token]),
    'every request with an Authorization header since the sign-in started: only the API call')
    .toEqual([[ME, fingerprint(session.access_token)]]);
});

// Expiry. The short-lived provider's access tokens live SHORT_ACCESS_TOKEN_TTL (20) seconds, and
// renew_margin_seconds 0 keeps the app's automatic renewal until expiry. Playwright's clock (installed before the
// app loads) then separates the app's time from the provider's: setFixedTime makes the app's Date.now stand
// where the test says while real time goes on for the provider and the API. Timers keep running (a paused clock
// would stop the renewal itself, which yields to a zero-delay setTimeout), but the app's renewal timer, when it
// fires, reads the fixed time and goes back to sleep.

/**
 * Signed in at the short-lived provider, on the API page, with Playwright's clock installed and automatic renewal
 * only at expiry; token requests and Authorization headers recorded from the start.
 */
async function onApiPageWithClock(page, context) {
  const { token_endpoint: tokenEndpoint } = await discover(SHORT_PROVIDER);
  await useConfig(context, apiConfig(SHORT_PROVIDER, { renew_margin_seconds: 0 }));
  const tokenRequests = recordTokenRequests(context, tokenEndpoint);
  const authorizations = recordAuthorizations(context);
  await page.clock.install();
  await onApiPage(page, SHORT_PROVIDER);
  return { tokenRequests, authorizations, before: await sessionOf(page) };
}

test('an access token the app knows has expired is renewed before the call, and only the new one is sent', async ({
  page, context,
}) => {
  const { tokenRequests, authorizations, before } = await onApiPageWithClock(page, context);

  // The app's clock jumps past the token's expiry, without firing the renewal timer (due ~20 s after sign-in in
  // real time, long after this test's call). For the provider the token is still good: only the app can tell.
  await page.clock.setFixedTime(before.expires_at * 1000 + 5000);
  const mark = (await apiCalls()).length;
  const refreshMark = tokenRequests.refreshes().length;

  await page.getByTestId('api-call').click();
  expect(await shownResult(page)).toMatchObject({ sub: 'alice', aud: API_RESOURCE, iss: SHORT_PROVIDER });

  const after = await sessionOf(page);
  expectOtherToken(after.access_token, before.access_token, 'the stored access token is a new one');
  await tokenRequests.settled();
  const refreshes = tokenRequests.refreshes().slice(refreshMark);
  expect(refreshes.map((r) => [r.refreshToken, r.status]), 'one refresh with the stored refresh token, granted')
    .toEqual([[fingerprint(before.refresh_token), 200]]);
  expect(rows(await apiRequestsSince(mark)), 'one call, with the new access token: the expired one was never sent')
    .toEqual([['/me', fingerprint(after.access_token), 200, null]]);
  const [sent] = authorizations.to(ME);
  expect(refreshes[0].at, 'the refresh left before the API call').toBeLessThanOrEqual(sent.at);
});

test('a 401 invalid_token makes the app renew once and retry once, with the new token', async ({
  page, context,
}) => {
  test.setTimeout(90_000); // waits out the provider's 20 s access token
  const { tokenRequests, authorizations, before } = await onApiPageWithClock(page, context);
  await tokenRequests.settled();
  const codeExchange = tokenRequests.all().find((r) => r.grantType === 'authorization_code');
  expect(codeExchange?.status, 'the sign-in\'s code exchange was seen').toBe(200);

  // The app's clock stops 6 s on (past any pacing floor between renewals, far from the token's expiry), and
  // stays there while the provider's clock runs past the token's expiry: the app believes its token is fresh.
  const pageNow = await page.evaluate(() => Date.now());
  await page.clock.setFixedTime(pageNow + 6000);
  await sleep(Math.max(0, codeExchange.at + (SHORT_ACCESS_TOKEN_TTL + 2) * 1000 - Date.now()));
  expect(tokenRequests.refreshes().length, 'no renewal while the app\'s clock stood still').toBe(0);
  const mark = (await apiCalls()).length;

  await page.getByTestId('api-call').click();
  expect(await shownResult(page)).toMatchObject({ sub: 'alice', aud: API_RESOURCE, iss: SHORT_PROVIDER });

  const after = await sessionOf(page);
  expectOtherToken(after.access_token, before.access_token, 'the stored access token is a new one');
  await tokenRequests.settled();
  const refreshes = tokenRequests.refreshes();
  expect(refreshes.map((r) => [r.refreshToken, r.status]), 'one refresh, after the 401, granted')
    .toEqual([[fingerprint(before.refresh_token), 200]]);
  expect(rows(await apiRequestsSince(mark)), 'the old token refused as invalid_token, then one retry with the new one')
    .toEqual([
      ['/me', fingerprint(before.access_token), 401, 'invalid_token'],
      ['/me', fingerprint(after.access_token), 200, null],
    ]);
  const [first, retry] = authorizations.to(ME);
  expect(first.at, 'the refresh left after the first call').toBeLessThanOrEqual(refreshes[0].at);
  expect(refreshes[0].at, 'and before the retry').toBeLessThanOrEqual(retry.at);
});

test('after a revocation the call fails once, the renewal is refused, and the session ends: no retry loop', async ({
  page, context,
}) => {
  const { token_endpoint: tokenEndpoint } = await discover(PROVIDER);
  await useConfig(context, apiConfig(PROVIDER));
  const tokenRequests = recordTokenRequests(context, tokenEndpoint);
  await onApiPage(page, PROVIDER);
  const session = await sessionOf(page);

  // Revoked behind the app's back; oidc-provider revokes the whole grant, the access token included (RFC 7009 2.1).
  await revokeAtProvider(PROVIDER, session.refresh_token, 'refresh_token');
  const mark = (await apiCalls()).length;
  await page.getByTestId('api-call').click();

  await expect(page.getByTestId('api-error')).toBeVisible();
  await expect(notice(page)).toHaveAttribute('data-kind', 'renewal-refused');
  await expect(page.getByTestId('api-result')).toHaveCount(0);
  expect(await storedSession(page) === null, 'the session left sessionStorage').toBe(true);

  const settle = 3_000;
  await page.waitForTimeout(settle); // counts what happens in the window; nothing to wait for
  await tokenRequests.settled();
  const calls = await apiRequestsSince(mark);
  expect(calls.length, `calls that reached the API within ${settle} ms after the session ended`)
    .toBeLessThanOrEqual(1);
  expect(rows(calls), 'the one call: the revoked token, refused as invalid_token')
    .toEqual(calls.map(() => ['/me', fingerprint(session.access_token), 401, 'invalid_token']));
  expect(tokenRequests.refreshes().map((r) => [r.refreshToken, r.status, r.error]), 'one renewal, refused')
    .toEqual([[fingerprint(session.refresh_token), 400, 'invalid_grant']]);
});

// api_url outside api_origins: the app refuses before any request, so the token cannot leak there. Requests to
// the refused origin are aborted by a route too, so even an app that sent one would not reach anything.
const REFUSED = [
  { name: 'another site', config: { api_url: 'https://evil.example/me' }, origin: 'https://evil.example' },
  {
    name: 'the API host on another port',
    config: { api_url: 'http://127.0.0.1:9201/me' },
    origin: 'http://127.0.0.1:9201',
  },
  // Without api_origins no origin is trusted, so even the real API is refused.
  { name: 'the API itself, api_origins left out', config: { api_origins: undefined }, origin: API },
];

for (const { name, config, origin } of REFUSED) {
  test(`api_url on ${name} (not in api_origins): refused, nothing sent there`, async ({ page, context }) => {
    await useConfig(context, apiConfig(PROVIDER, config));
    const toOrigin = [];
    context.on('request', (req) => {
      if (new URL(req.url()).origin === origin) toOrigin.push(`${req.method()} ${withoutQuery(req.url())}`);
    });
    await context.route((url) => url.origin === origin, (route) => route.abort('blockedbyclient'));
    const authorizations = recordAuthorizations(context);
    await onApiPage(page, PROVIDER);
    const mark = (await apiCalls()).length;

    await page.getByTestId('api-call').click();
    await expect(page.getByTestId('api-error')).toContainText(origin);
    await expect(page.getByTestId('api-result')).toHaveCount(0);
    expect(toOrigin, `requests to ${origin}`).toEqual([]);
    expect(await apiRequestsSince(mark), 'calls that reached the API').toEqual([]);
    expect(authorizations.all().map(({ url }) => url), 'requests with an Authorization header').toEqual([]);
    expect(await storedSession(page) !== null, 'the refusal leaves the session alone').toBe(true);
    await expect(notice(page)).toHaveCount(0);
  });
}

// Issue 24, 2: the app's own origin used to be the default of api_origins, and on a shared host (a GitHub Pages user
// site, an app under --public-url) every path of it got the token. Seen red on 1ccd227: the token went to the path.
test('without api_origins not even the app\'s own origin gets the token', async ({ page, context }) => {
  const sameHost = `${APP}/another-app-on-this-host/api`;
  await useConfig(context, apiConfig(PROVIDER, { api_origins: undefined, api_url: sameHost }));
  const authorizations = recordAuthorizations(context);
  await onApiPage(page, PROVIDER);

  await page.getByTestId('api-call').click();
  // Whatever the page shows once the call is over, the token went nowhere.
  await expect(page.getByTestId('api-error').or(page.getByTestId('api-result'))).toBeVisible();
  expect(authorizations.all().map(({ url }) => url), 'requests with an Authorization header').toEqual([]);
  await expect(page.getByTestId('api-error')).toContainText('lists no api_origins');
  expect(await storedSession(page) !== null, 'the refusal leaves the session alone').toBe(true);
});

// Not tested here: that the API's access token never reaches the provider's UserInfo endpoint. The app calls
// UserInfo only at sign-in and only when the ID token has no name, which the bundled providers always include;
// the first test above asserts that no request but the API call carried an Authorization header at all.
// (tests/resource/selfcheck.test.mjs shows that oidc-provider's UserInfo refuses a token issued for the API.)
