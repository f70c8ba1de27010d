// The seed scenario (issue 4) and a renewal against a second, independent OpenID provider (issue 12):
// django-oauth-toolkit, a Django app on oauthlib, in tests/provider2 on 127.0.0.1:9300. The bundled provider is
// oidc-provider (node); nothing is shared between the two but the client id and the test user, so what passes here
// is not an artefact of one implementation. config.json is swapped to point at it.
//
// Legal variants this provider shows and the app must take (README, "The second provider"): an issuer with a path
// (/o); no RFC 9207 `iss` in the authorization response; no `revocation_endpoint` in its OpenID discovery document
// (OIDC Discovery does not define one), so the config names it; a logout confirmation page on its own origin.

import { expect, test } from '@playwright/test';

import {
  APP, PROVIDER2, PROVIDER2_LOGIN, PROVIDER2_ORIGIN, USER, discover, expectNamespacedSession, expectNoTokens,
  expectQuietReload, expectOtherToken, expectSameToken, expectSignedIn, expectSignedOut, fingerprint,
  logInAtProvider, recordIssuedTokens, recordNavigations, recordRequests, recordTokenRequests, refreshAtProvider,
  sessionEntries, sessionOf, signInAt, useConfig, withoutQuery,
} from './support.mjs';

/** Where django-oauth-toolkit mounts RFC 7009 revocation, under the issuer's path. */
const REVOCATION_ENDPOINT = `${PROVIDER2}/revoke_token/`;
const CONFIG = { issuer: PROVIDER2, revocation_endpoint: REVOCATION_ENDPOINT };
/** The fixture's second client, whose ID tokens carry `sub` but no profile or email claims. */
const USERINFO_ONLY_CLIENT_ID = 'yew-oidc-spa-userinfo';

const signedOutNotice = (page) => page.getByTestId('signed-out-notice');

/** The names (never the values) of the parameters each redirect to the app's /callback carried, in order. */
function recordCallbackParameters(context) {
  const log = [];
  context.on('request', (req) => {
    if (req.isNavigationRequest() && withoutQuery(req.url()) === `${APP}/callback`) {
      log.push([...new URL(req.url()).searchParams.keys()].sort());
    }
  });
  return log;
}

/** The HTTP status of every answer from `endpoint` to a `method` request (preflights apart), in order. */
function recordStatuses(context, method, endpoint) {
  const log = [];
  context.on('response', (res) => {
    if (res.request().method() === method && withoutQuery(res.url()) === endpoint) log.push(res.status());
  });
  return log;
}

test('seed scenario: sign in, reload, sign out locally, sign in silently, sign out at the provider, sign in again', async ({
  page, context,
}) => {
  await useConfig(context, CONFIG);
  const metadata = await discover(PROVIDER2);
  expect(metadata.issuer, 'discovery states the issuer with its path').toBe(PROVIDER2);
  expect(metadata.revocation_endpoint, 'OpenID discovery names no revocation endpoint here').toBeUndefined();
  const { token_endpoint: tokenEndpoint, end_session_endpoint: endSessionEndpoint } = metadata;
  expect(endSessionEndpoint, 'RP-Initiated Logout is enabled').toBeTruthy();
  const requests = recordRequests(context);
  const navigations = recordNavigations(page);
  const issued = recordIssuedTokens(context, tokenEndpoint);
  const callbacks = recordCallbackParameters(context);
  const revocations = recordStatuses(context, 'POST', REVOCATION_ENDPOINT);
  const loginPages = (mark) => navigations.since(mark).filter((u) => u.startsWith(PROVIDER2_LOGIN.loginPage));

  await test.step('1. first sign-in: the provider shows its login page, the user lands back signed in', async () => {
    await page.goto('/');
    await page.getByTestId('sign-in').click();
    await logInAtProvider(page, PROVIDER2_LOGIN);
    await expectSignedIn(page);
    expect(issued.count(), 'the app exchanged the code at the token endpoint').toBe(1);
    expect(callbacks, 'the authorization response: code and state, no RFC 9207 iss').toEqual([['code', 'state']]);
    expectNamespacedSession(await sessionEntries(page));
    expect((await sessionOf(page)).claims.iss, 'the ID token is from the issuer with a path').toBe(PROVIDER2);
  });

  await test.step('2. the profile shows the user; a reload keeps the session and asks the provider nothing', async () => {
    await page.goto('/profile');
    const profile = page.getByTestId('profile');
    for (const shown of [USER.name, USER.username, 'alice@example.com', PROVIDER2]) {
      await expect(profile).toContainText(shown);
    }
    await page.goto('/');
    await expectSignedIn(page);
    await expectQuietReload(page, requests, PROVIDER2_ORIGIN);
  });

  await test.step('3. local sign-out: tokens gone from sessionStorage, nothing sent but the revocations', async () => {
    const mark = requests.mark();
    await page.getByTestId('sign-out-local').click();
    await expect(signedOutNotice(page)).toHaveAttribute('data-kind', 'local');
    await expectSignedOut(page);
    // The page reached networkidle before (step 2), so waitForLoadState would not wait: wait for both answers.
    await expect.poll(() => revocations, { message: 'the provider accepted both revocations' }).toEqual([200, 200]);
    // The reload of step 2 left no provider metadata in memory, and tokens go only to endpoints fetched during
    // the page load (README, "Where tokens go"): discovery may be read again first. Nothing else may be sent.
    const readsMetadata = (r) => r.method === 'GET' && [`${PROVIDER2}/.well-known/openid-configuration`,
      metadata.jwks_uri].includes(r.url);
    const sent = requests.toProvider(mark, PROVIDER2_ORIGIN).filter((r) => !readsMetadata(r));
    expect(sent, 'the refresh token and the access token are revoked, nothing else is sent').toEqual([
      { method: 'POST', url: REVOCATION_ENDPOINT },
      { method: 'POST', url: REVOCATION_ENDPOINT },
    ]);
    expectNoTokens(await sessionEntries(page), await issued.all(), 'after local sign-out');
  });

  await test.step('4. sign in again: the provider session is alive, so no login page', async () => {
    const mark = navigations.mark();
    await page.getByTestId('sign-in').click();
    await expectSignedIn(page);
    expect(loginPages(mark), 'login pages shown').toEqual([]);
    expect(issued.count(), 'a second code exchange happened').toBe(2);
  });

  await test.step('5. provider sign-out: the provider asks to confirm, ends its session, returns with state', async () => {
    const mark = navigations.mark();
    await page.getByTestId('sign-out-provider').click();
    // django-oauth-toolkit asks by default (OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT; RP-Initiated Logout 1.0
    // section 2: the OP SHOULD ask), on a page of its own with a Logout and a Cancel button.
    const confirm = page.getByRole('button', { name: 'Logout' });
    await expect(confirm).toBeVisible();
    expect(withoutQuery(page.url())).toBe(endSessionEndpoint);
    expectNoTokens(await sessionEntries(page), await issued.all(), 'on the confirmation page');
    await confirm.click();
    await expect(signedOutNotice(page)).toHaveAttribute('data-kind', 'provider');
    expect(new URL(page.url()).origin).toBe(APP);
    expect(navigations.since(mark).filter((u) => u.startsWith(`${APP}/`)).length, 'back in the app').toBeGreaterThan(0);
    await expectSignedOut(page, issued, 'after provider sign-out');
  });

  await test.step('6. sign in again: the provider asks for credentials again', async () => {
    const mark = navigations.mark();
    await page.getByTestId('sign-in').click();
    await logInAtProvider(page, PROVIDER2_LOGIN);
    await expectSignedIn(page);
    expect(loginPages(mark).length, 'login pages shown').toBeGreaterThan(0);
  });
});

test('renewal: the refresh token buys a new access token, the refresh token rotates, the session goes on', async ({
  page, context,
}) => {
  await useConfig(context, CONFIG);
  const { token_endpoint: tokenEndpoint } = await discover(PROVIDER2);
  const tokenRequests = recordTokenRequests(context, tokenEndpoint);
  const issued = recordIssuedTokens(context, tokenEndpoint);
  await signInAt(page, PROVIDER2, PROVIDER2_LOGIN);
  const before = await sessionOf(page);
  await expect(page.getByTestId('last-renewal')).toHaveText('never');

  await page.getByTestId('refresh').click();
  await expect(page.getByTestId('last-renewal'), 'the renewal is shown').toHaveText(/^\d+ s ago$/);
  await tokenRequests.settled();
  const [renewal, ...more] = tokenRequests.refreshes();
  expect(renewal, 'a refresh-token grant reached the token endpoint').toBeTruthy();
  expect(more.length, 'more renewals').toBe(0);
  expect(renewal.refreshToken, 'the renewal sent the stored refresh token').toBe(fingerprint(before.refresh_token));
  expect(renewal.status, 'the provider granted the renewal').toBe(200);

  const after = await sessionOf(page);
  expectOtherToken(after.access_token, before.access_token, 'the stored access token is a new one');
  expectSameToken(after.access_token, (await issued.of('access_token')).at(-1), 'the newest access token is stored');
  expectOtherToken(after.refresh_token, before.refresh_token, 'django-oauth-toolkit rotated the refresh token');
  expectSameToken(after.refresh_token, (await issued.of('refresh_token')).at(-1), 'the newest refresh token is kept');
  expect(after.claims.sub, 'the same user').toBe(before.claims.sub);
  expect(after.expires_at, 'the expiry moved forward').toBeGreaterThanOrEqual(before.expires_at);

  await expect(page.getByTestId('user-name')).toHaveText(USER.name);
  await expect(signedOutNotice(page)).toHaveCount(0);
  await page.reload();
  await expectSignedIn(page);
  expectSameToken((await sessionOf(page)).access_token, after.access_token, 'the renewed session survives a reload');

  // Last, because with REFRESH_TOKEN_REUSE_PROTECTION a replay revokes the whole token family (RFC 9700 4.14.2).
  expect(await refreshAtProvider(PROVIDER2, before.refresh_token), 'the rotated-out refresh token is refused')
    .toEqual({ status: 400, error: 'invalid_grant' });
});

test('a client whose ID tokens carry no profile claims: the app reads them from UserInfo, across origins', async ({
  page, context,
}) => {
  await useConfig(context, { ...CONFIG, client_id: USERINFO_ONLY_CLIENT_ID });
  const { token_endpoint: tokenEndpoint, userinfo_endpoint: userinfoEndpoint } = await discover(PROVIDER2);
  const issued = recordIssuedTokens(context, tokenEndpoint);
  const userinfo = recordStatuses(context, 'GET', userinfoEndpoint);
  await signInAt(page, PROVIDER2, PROVIDER2_LOGIN);

  const [idToken] = await issued.of('id_token');
  const claims = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString());
  expect(claims.aud, 'the ID token is for the second client').toBe(USERINFO_ONLY_CLIENT_ID);
  expect(['name', 'email', 'preferred_username'].filter((c) => c in claims), 'profile claims in the ID token')
    .toEqual([]);
  // The access token goes in the Authorization header, which the browser sends across origins only with CORS.
  expect(userinfo, 'the app asked UserInfo once, and the provider answered').toEqual([200]);
  // expectSignedIn (in signInAt) saw the name, which only UserInfo had; the profile page shows it too.
  await page.goto('/profile');
  await expect(page.getByTestId('profile')).toContainText(USER.name);
});
