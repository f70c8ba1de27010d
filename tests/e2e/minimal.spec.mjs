// examples/minimal, the smallest app on the library (yew and yew-oidc-spa, no router), as a dependent builds it:
// its release build (examples/minimal/dist, `trunk build --release`) served on 127.0.0.1:8085 by static-server.mjs,
// against the bundled provider on 127.0.0.1:9000, with the example's own config.json. The seed scenario of
// scenario.spec.mjs, step by step, as far as this app's UI goes: its whole page sits in one AuthProvider, and its
// guarded section (RequireAuth around the API call) sends a first visit to the provider at once, so the first
// sign-in starts without a click. After a sign-out two `sign-in` buttons show: the greeting's ("Sign in", back to
// `/`) and RequireAuth's ("Sign in and come back here"); the steps click one each. Then the API call, with a
// config.json that names the demo API (127.0.0.1:9200).

import { expect, test } from '@playwright/test';

import {
  API, API_RESOURCE, API_SCOPE, APP_MINIMAL, CLIENT_ID, PROVIDER, apiCalls, apiRequestsSince, expectNamespacedSession,
  expectNoTokens, expectSignedIn, fingerprint, logInAtProvider, providerMetadata, recordIssuedTokens,
  recordNavigations, recordRequests, sessionEntries, sessionOf, useConfig, withoutQuery,
} from './support.mjs';

const HOME = `${APP_MINIMAL}/`;
const ME = `${API}/me`;

const greetingSignIn = (page) => page.getByRole('button', { name: 'Sign in', exact: true });
const guardSignIn = (page) => page.getByRole('button', { name: 'Sign in and come back here' });
const signedOutNotice = (page) => page.getByTestId('signed-out-notice');

/** Signed in, with the guarded section (the API call) shown. */
async function expectMinimalSignedIn(page) {
  await expectSignedIn(page, APP_MINIMAL);
  expect(page.url(), 'the sign-in came back to the home page').toBe(HOME);
  await expect(page.getByTestId('api-call'), 'the guarded section shows').toBeVisible();
}

/** Signed out for `kind` (signed-out-notice's data-kind): no name, no guarded section, both sign-in buttons. */
async function expectMinimalSignedOut(page, kind) {
  await expect(signedOutNotice(page)).toHaveAttribute('data-kind', kind);
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  await expect(page.getByTestId('api-call'), 'the guarded section is gone').toHaveCount(0);
  await expect(greetingSignIn(page)).toBeVisible();
  await expect(guardSignIn(page)).toBeVisible();
  await expect(page.getByTestId('sign-in')).toHaveCount(2);
}

test('the seed scenario: sign in, local sign-out, silent sign-in, provider sign-out, sign-in with credentials, reload', async ({
  page, context,
}) => {
  const {
    token_endpoint: tokenEndpoint,
    end_session_endpoint: endSessionEndpoint,
    revocation_endpoint: revocationEndpoint,
  } = await providerMetadata();
  const requests = recordRequests(context);
  const navigations = recordNavigations(page);
  const issued = recordIssuedTokens(context, tokenEndpoint);
  const loginPageNavigations = (mark) => navigations.since(mark)
    .filter((u) => u.startsWith(`${PROVIDER}/interaction/`));
  const endSessions = [];
  context.on('request', (req) => {
    if (withoutQuery(req.url()) === endSessionEndpoint) {
      endSessions.push({ method: req.method(), params: new URL(req.url()).searchParams });
    }
  });

  await test.step('1. first visit: RequireAuth sends it to the provider; logged in there, back signed in', async () => {
    await page.goto(HOME);
    await logInAtProvider(page);
    await expectMinimalSignedIn(page);
    expect(issued.count(), 'the app exchanged the code at the token endpoint').toBe(1);
    expectNamespacedSession(await sessionEntries(page));
  });

  await test.step('the guarded section calls nothing without api_url in config.json', async () => {
    await page.getByTestId('api-call').click();
    await expect(page.getByTestId('api-result')).toHaveText('no api_url in config.json');
  });

  await test.step('2. local sign-out: tokens gone from sessionStorage, nothing sent but the revocations', async () => {
    const mark = requests.mark();
    await page.getByTestId('sign-out-local').click();
    await expectMinimalSignedOut(page, 'local');
    await page.waitForLoadState('networkidle');
    const sent = requests.toProvider(mark);
    const revocations = sent.filter((r) => r.method === 'POST' && r.url === revocationEndpoint);
    expect(sent.filter((r) => !revocations.includes(r)), 'requests to the provider besides revocation').toEqual([]);
    expect(revocations, 'the refresh token and the access token are revoked').toHaveLength(2);
    expectNoTokens(await sessionEntries(page), await issued.all(), 'after local sign-out');
  });

  await test.step('3. sign in again (the greeting\'s button): the provider session lives, no login page', async () => {
    const mark = navigations.mark();
    await greetingSignIn(page).click();
    await expectMinimalSignedIn(page);
    expect(loginPageNavigations(mark), 'provider interaction pages shown').toEqual([]);
    expect(issued.count(), 'a second code exchange happened').toBe(2);
  });

  await test.step('4. provider sign-out: end_session with the right parameters, confirmed, signed out', async () => {
    const issuedIdTokens = await issued.of('id_token');
    await page.getByTestId('sign-out-provider').click();
    await expect(page.getByTestId('logout-confirm')).toBeVisible();
    expect(endSessions.map((r) => r.method), 'one end-session request').toEqual(['GET']);
    const { params } = endSessions[0];
    expect(issuedIdTokens.includes(params.get('id_token_hint')), 'id_token_hint is an ID token issued to this browser')
      .toBe(true);
    expect(params.get('client_id')).toBe(CLIENT_ID);
    expect(params.get('post_logout_redirect_uri')).toBe(HOME);
    expect(params.get('state')).toMatch(/^\S{16,}$/);
    await page.getByTestId('logout-confirm').click();
    await expectMinimalSignedOut(page, 'provider');
    expect(page.url().startsWith(HOME), 'back in the app').toBe(true);
    expectNoTokens(await sessionEntries(page), await issued.all(), 'after provider sign-out');
  });

  await test.step('5. sign in again (RequireAuth\'s button): the provider asks for credentials again', async () => {
    const mark = navigations.mark();
    await guardSignIn(page).click();
    await logInAtProvider(page);
    await expectMinimalSignedIn(page);
    expect(loginPageNavigations(mark).length).toBeGreaterThan(0);
  });

  // Last, as scenario.spec.mjs checks it apart: a new page load keeps no provider metadata in memory, so a sign-out
  // after it fetches the discovery document again before revoking (by design), which step 2 counts as extra.
  await test.step('a reload keeps the session and asks the provider nothing', async () => {
    await page.waitForLoadState('networkidle');
    const mark = requests.mark();
    await page.reload();
    await expectMinimalSignedIn(page);
    await page.waitForLoadState('networkidle');
    expect(requests.toProvider(mark), 'requests to the provider on reload').toEqual([]);
  });
});

test('the guarded section calls the demo API with the access token', async ({ page, context }) => {
  await useConfig(context, {
    issuer: PROVIDER,
    scope: `openid profile email ${API_SCOPE}`,
    api_origins: [API],
    resource: API_RESOURCE,
    api_url: ME,
  });
  await page.goto(HOME);
  await logInAtProvider(page);
  await expectMinimalSignedIn(page);
  const session = await sessionOf(page);
  const mark = (await apiCalls()).length;

  await page.getByTestId('api-call').click();
  await expect(page.getByTestId('api-result')).toContainText('"api"');
  expect(JSON.parse(await page.getByTestId('api-result').textContent())).toMatchObject({
    sub: 'alice', client_id: CLIENT_ID, scope: API_SCOPE, aud: API_RESOURCE, iss: PROVIDER, api: 'demo',
  });
  const calls = await apiRequestsSince(mark);
  expect(calls.map((c) => [c.method, c.path, c.origin, c.bearer, c.token, c.status]),
    'one GET from the app with the stored access token, accepted').toEqual([
    ['GET', '/me', APP_MINIMAL, true, fingerprint(session.access_token), 200],
  ]);
});
