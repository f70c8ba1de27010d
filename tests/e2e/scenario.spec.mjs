// The scenario the project exists for (issue 4), in one browser context, step by step; then the session's other
// promises: reload, the protected page's round trip, a denied sign-in, and serving from localhost. The scenario and
// the protected page's round trip run twice: with the app at the root of its origin (dist/), and under a path
// (dist-subpath/, built with `trunk build --public-url /some/app/`), where every return stays under the path.

import { expect, test } from '@playwright/test';

import {
  APP, APP_LOCALHOST, APP_SUBPATH, CLIENT_ID, authorizationRequest, PROVIDER, USER, expectNamespacedSession, expectNoTokens,
  expectQuietReload, expectSignedIn, expectSignedOut, logInAtProvider, providerMetadata, recordIssuedTokens,
  recordNavigations, recordRequests, sessionEntries, useConfig, withoutQuery,
} from './support.mjs';

const signedOutNotice = (page) => page.getByTestId('signed-out-notice');

const SITES = [
  { where: 'at the root', home: `${APP}/` },
  { where: 'under a path', home: APP_SUBPATH },
];

for (const { where, home } of SITES) {
  const origin = new URL(home).origin;

  test(`${where}: sign in, sign out locally, sign in silently, sign out at the provider, sign in with credentials`, async ({
    page, context,
  }) => {
    const {
      token_endpoint: tokenEndpoint,
      end_session_endpoint: endSessionEndpoint,
      revocation_endpoint: revocationEndpoint,
    } = await providerMetadata();
    expect(endSessionEndpoint, 'the provider advertises end_session_endpoint').toBeTruthy();
    const requests = recordRequests(context);
    const navigations = recordNavigations(page);
    const issued = recordIssuedTokens(context, tokenEndpoint);
    const loginPageNavigations = (mark) => navigations.since(mark).filter((u) => u.startsWith(`${PROVIDER}/interaction/`));

    await test.step('1. first sign-in: the provider shows its login page, the user lands back signed in', async () => {
      await page.goto(home);
      await page.getByTestId('sign-in').click();
      await logInAtProvider(page);
      await expectSignedIn(page, origin);
      expect(page.url(), 'the sign-in came back to the page it started on').toBe(home);
      expect(issued.count(), 'the app exchanged the code at the token endpoint').toBe(1);
      expect(await issued.of('access_token')).toHaveLength(1);
      expectNamespacedSession(await sessionEntries(page));
    });

    await test.step('2. local sign-out: tokens gone from sessionStorage, nothing sent but the revocations', async () => {
      const mark = requests.mark();
      await page.getByTestId('sign-out-local').click();
      await expect(signedOutNotice(page)).toHaveAttribute('data-kind', 'local');
      await expectSignedOut(page);
      // Gives a fire-and-forget call (a revocation, say) the chance to show itself before the check below.
      await page.waitForLoadState('networkidle');
      // RFC 7009: the refresh and access tokens are revoked; nothing else reaches the provider, whose own
      // session (what step 3 relies on) is untouched.
      const sent = requests.toProvider(mark);
      const revocations = sent.filter((r) => r.method === 'POST' && r.url === revocationEndpoint);
      expect(sent.filter((r) => !revocations.includes(r)), 'requests to the provider besides revocation').toEqual([]);
      expect(revocations, 'the refresh token and the access token are revoked').toHaveLength(2);
      expectNoTokens(await sessionEntries(page), await issued.all(), 'after local sign-out');
    });

    await test.step('3. sign in again: the provider session is alive, so no login page', async () => {
      const mark = navigations.mark();
      await page.getByTestId('sign-in').click();
      await expectSignedIn(page, origin);
      expect(loginPageNavigations(mark), 'provider interaction pages shown').toEqual([]);
      await expect(page.getByTestId('login-page')).toHaveCount(0);
      expect(issued.count(), 'a second code exchange happened').toBe(2);
    });

    await test.step('4. provider sign-out: local session cleared first, then end_session with the right parameters', async () => {
      const issuedIdTokens = await issued.of('id_token');
      // The end-session navigation is stopped once (ERR_ABORTED leaves the app's document in place, where DevTools
      // can read it; while a navigation is in flight it cannot), inspected, then replayed as the same GET.
      let endSession;
      await page.route((url) => withoutQuery(url.href) === endSessionEndpoint, async (route) => {
        endSession = { method: route.request().method(), url: route.request().url() };
        await route.abort('aborted');
      }, { times: 1 });
      await page.getByTestId('sign-out-provider').click();
      await expect.poll(() => endSession, { message: 'the app navigates to end_session_endpoint' }).toBeTruthy();
      expect(page.url().startsWith(home), 'the app document is still current').toBe(true);
      expectNoTokens(await sessionEntries(page), await issued.all(), 'when the end-session request left');

      expect(endSession.method, 'end-session request method').toBe('GET');
      const params = new URL(endSession.url).searchParams;
      expect(issuedIdTokens.includes(params.get('id_token_hint')), 'id_token_hint is an ID token issued to this browser')
        .toBe(true);
      expect(params.get('client_id')).toBe(CLIENT_ID);
      expect(params.get('post_logout_redirect_uri')).toBe(home);
      expect(params.get('state')).toMatch(/^\S{16,}$/);

      await page.goto(endSession.url);
      await expect(page.getByTestId('logout-confirm')).toBeVisible();
      await page.getByTestId('logout-confirm').click();
      await expect(signedOutNotice(page)).toHaveAttribute('data-kind', 'provider');
      expect(page.url().startsWith(home), 'back in the app, under its path').toBe(true);
      await expectSignedOut(page, issued, 'after provider sign-out');
    });

    await test.step('5. sign in again: the provider asks for credentials again', async () => {
      const mark = navigations.mark();
      await page.getByTestId('sign-in').click();
      await logInAtProvider(page);
      await expectSignedIn(page, origin);
      expect(loginPageNavigations(mark).length).toBeGreaterThan(0);
    });
  });
}

test('a reload keeps the session and asks the provider nothing', async ({ page, context }) => {
  const requests = recordRequests(context);
  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page);
  await expectSignedIn(page);
  await expectQuietReload(page, requests);
});

for (const { where, home } of SITES) {
  test(`${where}: visiting profile signed out signs in and returns to it; the header's links stay under the path`, async ({
    page,
  }) => {
    await page.goto(`${home}profile?tab=2#top`);
    await logInAtProvider(page);
    await expect(page).toHaveURL(`${home}profile?tab=2#top`);
    await expect(page.getByTestId('profile')).toBeVisible();
    await expect(page.getByTestId('profile')).toContainText(USER.username);

    await page.getByRole('link', { name: 'Home' }).click();
    await expect(page).toHaveURL(home);
    await page.getByRole('link', { name: 'Profile' }).click();
    await expect(page).toHaveURL(`${home}profile`);
    await page.reload();
    await expect(page.getByTestId('profile')).toContainText(USER.username);
  });
}

test('a denied sign-in shows the provider error and creates no session', async ({ page, context }) => {
  const { token_endpoint: tokenEndpoint } = await providerMetadata();
  const requests = recordRequests(context);
  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await expect(page.getByTestId('login-page')).toBeVisible();
  await page.getByTestId('login-deny').click();

  await expect(page.getByTestId('auth-error')).toContainText('The user denied the request');
  expect(new URL(page.url()).origin).toBe(APP);
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  await page.waitForLoadState('networkidle');
  expect(requests.since(0).filter((r) => r.url === tokenEndpoint), 'token requests').toEqual([]);
  expectNoTokens(await sessionEntries(page), [], 'after a denied sign-in');
});

test('the app works when served from localhost', async ({ page }) => {
  await page.goto(`${APP_LOCALHOST}/`);
  const { params } = await authorizationRequest(page, () => page.getByTestId('sign-in').click());
  expect(params.get('redirect_uri')).toBe(`${APP_LOCALHOST}/callback`);
  await logInAtProvider(page);
  await expectSignedIn(page, APP_LOCALHOST);
});

test('provider sign-out as a form POST: the ID token stays out of every URL, and the provider session ends', async ({
  page, context,
}) => {
  // RP-Initiated Logout 1.0 section 2: providers MUST accept POST. With `logout_method: "post"` the parameters go
  // in the body, so the ID token reaches neither the provider's access log nor the browser's history.
  await useConfig(context, { issuer: PROVIDER, logout_method: 'post' });
  const { end_session_endpoint: endSessionEndpoint, token_endpoint: tokenEndpoint } = await providerMetadata();
  const issued = recordIssuedTokens(context, tokenEndpoint);
  const urls = [];
  context.on('request', (req) => urls.push(req.url()));
  const endSessions = [];
  context.on('request', (req) => {
    if (withoutQuery(req.url()) === endSessionEndpoint) {
      endSessions.push({ method: req.method(), query: new URL(req.url()).search, body: req.postData() ?? '' });
    }
  });

  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page);
  await expectSignedIn(page);
  const idTokens = await issued.of('id_token');

  await page.getByTestId('sign-out-provider').click();
  await expect(page.getByTestId('logout-confirm')).toBeVisible();
  expect(endSessions.map((r) => [r.method, r.query]), 'the end-session request').toEqual([['POST', '']]);
  const form = new URLSearchParams(endSessions[0].body);
  expect(idTokens.includes(form.get('id_token_hint')), 'id_token_hint in the body is an ID token issued here')
    .toBe(true);
  expect(form.get('client_id')).toBe(CLIENT_ID);
  expect(form.get('post_logout_redirect_uri')).toBe(`${APP}/`);
  expect(form.get('state')).toMatch(/^\S{16,}$/);

  await page.getByTestId('logout-confirm').click();
  await expect(signedOutNotice(page)).toHaveAttribute('data-kind', 'provider');
  expect(urls.filter((url) => idTokens.some((token) => url.includes(token))).length,
    'requests whose URL carries an ID token').toBe(0);

  await page.getByTestId('sign-in').click();
  await logInAtProvider(page);
  await expectSignedIn(page);
});

test('a provider without usable discovery: endpoints from config.json, and no discovery request at all', async ({
  page, context,
}) => {
  const published = await providerMetadata();
  const pinned = Object.fromEntries([
    'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'revocation_endpoint',
    'end_session_endpoint', 'id_token_signing_alg_values_supported',
  ].map((field) => [field, published[field]]));
  await useConfig(context, { issuer: PROVIDER, ...pinned });
  const asked = [];
  await context.route(`${PROVIDER}/.well-known/openid-configuration`, async (route) => {
    asked.push(route.request().url());
    await route.fulfill({ status: 404, body: 'no discovery here' });
  });

  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page);
  await expectSignedIn(page);
  await page.reload();
  await expectSignedIn(page);
  await page.getByTestId('sign-out-provider').click();
  await expect(page.getByTestId('logout-confirm')).toBeVisible();
  await page.getByTestId('logout-confirm').click();
  await expect(signedOutNotice(page)).toHaveAttribute('data-kind', 'provider');
  expect(asked.length, 'discovery requests').toBe(0);
});

test('a provider sign-out described in config.json (no id_token_hint, no state) still ends the provider session', async ({
  page, context,
}) => {
  // The shape of Auth0's /v2/logout?client_id&returnTo or Cognito's /logout?client_id&logout_uri, played by the
  // bundled provider's end-session endpoint: only client_id and the return URI are sent.
  const { end_session_endpoint: endSessionEndpoint } = await providerMetadata();
  await useConfig(context, {
    issuer: PROVIDER,
    logout: { endpoint: endSessionEndpoint, return_param: 'post_logout_redirect_uri', params: ['client_id'] },
  });
  const endSessions = [];
  context.on('request', (req) => {
    if (withoutQuery(req.url()) === endSessionEndpoint) endSessions.push(new URL(req.url()).searchParams);
  });
  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page);
  await expectSignedIn(page);

  await page.getByTestId('sign-out-provider').click();
  await expect(page.getByTestId('logout-confirm')).toBeVisible();
  expect([...endSessions[0].keys()], 'the parameters the description asks for').toEqual([
    'post_logout_redirect_uri', 'client_id',
  ]);
  await page.getByTestId('logout-confirm').click();
  // No `state` came back, so nothing confirms the provider's sign-out: requested, not claimed (issue 24, 5).
  await expect(signedOutNotice(page)).toHaveAttribute('data-kind', 'provider-requested');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page);
  await expectSignedIn(page);
});
