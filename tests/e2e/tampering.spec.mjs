// Tampered storage cannot move where tokens go (issue 13). A one-time script injection can rewrite the app's
// sessionStorage; if the app read provider endpoints back from it, every later refresh token of the tab would go
// wherever the injected copy says. Renewals, revocations and UserInfo use metadata fetched during the page load.
//
// Since issue 24, the callback reads the published document (from the HTTP cache where it may) before it sends the
// code, and the saved copy only tells tampering apart: a difference stops the sign-in before anything is sent.
//
// The "attacker" is https://evil.example: every request to it is recorded and refused, so a test fails on the
// first token sent there. Against the short-lived provider (TEST_HOOKS=1), which reports its revocations.

import { expect, test } from '@playwright/test';

import {
  NAMESPACE, SHORT_PROVIDER, USER,
  discover, expectNoTokens, fingerprint, logInAtProvider, recordIssuedTokens, recordTokenRequests, revocationsAt,
  revocationsSince, sessionEntries, sessionOf, signInAt, storedSession, useConfig,
} from './support.mjs';

const ISSUER = SHORT_PROVIDER;
const EVIL = 'https://evil.example';
const METADATA_KEY = `${NAMESPACE}metadata`;

/** Every request to the attacker's origin, refused and recorded (method and path only). */
async function recordEvil(context) {
  const log = [];
  await context.route(`${EVIL}/**`, async (route) => {
    log.push(`${route.request().method()} ${new URL(route.request().url()).pathname}`);
    await route.abort('connectionrefused');
  });
  return log;
}

/** The provider's metadata with every endpoint that receives a token pointed at the attacker. */
const TAMPERED = (published) => ({
  ...published,
  token_endpoint: `${EVIL}/token`,
  revocation_endpoint: `${EVIL}/revoke`,
  userinfo_endpoint: `${EVIL}/userinfo`,
});

test('metadata written into storage moves no refresh, revocation or userinfo request', async ({ page, context }) => {
  await useConfig(context, { issuer: ISSUER, renew_margin_seconds: 0 });
  const published = await discover(ISSUER);
  const evil = await recordEvil(context);
  const tokenRequests = recordTokenRequests(context, published.token_endpoint);
  await signInAt(page, ISSUER);
  const session = await sessionOf(page);

  // The injection writes its copy once; the next page load is where a cached copy would have been trusted.
  await page.evaluate(([key, value]) => window.sessionStorage.setItem(key, value),
    [METADATA_KEY, JSON.stringify(TAMPERED(published))]);
  await page.reload();
  await expect(page.getByTestId('user-name')).toHaveText(USER.name);

  await page.getByTestId('refresh').click();
  await expect.poll(() => tokenRequests.refreshes().map((r) => r.status), {
    message: 'the renewal reached the provider\'s own token endpoint',
  }).toEqual([200]);
  await expect(page.getByTestId('user-name')).toHaveText(USER.name);

  const renewed = await sessionOf(page);
  const mark = (await revocationsAt(ISSUER)).length;
  await page.getByTestId('sign-out-local').click();
  await expect(page.getByTestId('signed-out-notice')).toHaveAttribute('data-kind', 'local');
  const seen = await revocationsSince(ISSUER, mark, 2);
  expect(seen.map((r) => [r.token, r.status]), 'revoked at the provider\'s own revocation endpoint').toEqual([
    [fingerprint(renewed.refresh_token), 200], [fingerprint(renewed.access_token), 200],
  ]);
  expect(fingerprint(renewed.refresh_token)).not.toBe(fingerprint(session.refresh_token));
  expect(evil, 'requests that reached the attacker').toEqual([]);
});

/** How many DPoP keys the page's IndexedDB holds (the app's "yew-oidc:<instance>:dpop" database, "dpop-keys" store). */
async function dpopKeyCount(page) {
  return page.evaluate(async (database) => {
    if (!(await indexedDB.databases()).some((d) => d.name === database)) return 0;
    const done = (request) => new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const db = await done(indexedDB.open(database));
    try {
      if (!db.objectStoreNames.contains('dpop-keys')) return 0;
      return await done(db.transaction('dpop-keys', 'readonly').objectStore('dpop-keys').count());
    } finally {
      db.close();
    }
  }, `${NAMESPACE}dpop`);
}

// Issue 24, 1: the copy saved at sign-in used to be where the callback sent the code and the PKCE verifier, and the
// comparison with the published document ran after they were sent. Seen red on 1ccd227: the code went to
// https://evil.example/token.
test('a callback whose saved token endpoint was rewritten sends the code nowhere and says why', async ({
  page, context,
}) => {
  await useConfig(context, { issuer: ISSUER, dpop: true });
  const published = await discover(ISSUER);
  const evil = await recordEvil(context);
  const issued = recordIssuedTokens(context, published.token_endpoint);
  const tokenRequests = recordTokenRequests(context, published.token_endpoint);
  // Rewrites the copy saved at sign-in just before the app reads it on /callback: every endpoint that would receive
  // the code, a token or the verifier points at the attacker.
  await page.addInitScript(([key, tampered]) => {
    if (window.location.pathname !== '/callback') return;
    if (!window.sessionStorage.getItem(key)) return;
    window.sessionStorage.setItem(key, tampered);
  }, [METADATA_KEY, JSON.stringify(TAMPERED(published))]);
  const mark = (await revocationsAt(ISSUER)).length;

  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page, { provider: ISSUER });

  await expect(page.getByTestId('auth-error')).toContainText('metadata saved at sign-in differs');
  await expect(page.getByTestId('auth-error')).toContainText('before the code was sent');
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  expect(evil, 'requests that reached the attacker').toEqual([]);
  await tokenRequests.settled();
  expect(tokenRequests.all().length, 'token requests at the provider: the code was not sent there either').toBe(0);
  expect(issued.count(), 'tokens issued').toBe(0);
  expect(await storedSession(page) === null, 'no session kept').toBe(true);
  expect(await revocationsAt(ISSUER), 'nothing to revoke').toHaveLength(mark);
  await expect.poll(() => dpopKeyCount(page), { message: 'the sign-in\'s DPoP key is deleted' }).toBe(0);
});

test('a callback whose saved metadata was rewritten elsewhere also stops before the code is sent', async ({
  page, context,
}) => {
  await useConfig(context, { issuer: ISSUER });
  const published = await discover(ISSUER);
  const evil = await recordEvil(context);
  const tokenRequests = recordTokenRequests(context, published.token_endpoint);
  // The token endpoint is left alone: the difference in the other endpoints alone stops the sign-in.
  await page.addInitScript(([key, evilOrigin]) => {
    if (window.location.pathname !== '/callback') return;
    const saved = JSON.parse(window.sessionStorage.getItem(key) ?? 'null');
    if (!saved) return;
    saved.revocation_endpoint = `${evilOrigin}/revoke`;
    saved.userinfo_endpoint = `${evilOrigin}/userinfo`;
    window.sessionStorage.setItem(key, JSON.stringify(saved));
  }, [METADATA_KEY, EVIL]);

  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page, { provider: ISSUER });

  await expect(page.getByTestId('auth-error')).toContainText('metadata saved at sign-in differs');
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  expect(await storedSession(page) === null, 'no session kept').toBe(true);
  await tokenRequests.settled();
  expect(tokenRequests.all().length, 'token requests: none').toBe(0);
  expectNoTokens(await sessionEntries(page), [], 'after the refused callback');
  expect(evil, 'requests that reached the attacker').toEqual([]);
});

// Issue 24, 3: tokens the callback received and then refused used to be dropped unrevoked, their refresh token left
// live at the provider with nobody holding it (RFC 9700 2.2.2). Seen red on 1ccd227: no revocation.
test('tokens received at the callback and then refused (a forged ID token signature) are revoked', async ({
  page, context,
}) => {
  await useConfig(context, { issuer: ISSUER });
  const published = await discover(ISSUER);
  const issued = recordIssuedTokens(context, published.token_endpoint);
  // The code exchange's answer with the ID token's signature broken: everything else is the provider's own.
  await context.route(published.token_endpoint, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    if (typeof body.id_token !== 'string') {
      await route.fulfill({ response });
      return;
    }
    const [header, claims, signature] = body.id_token.split('.');
    // One character in the middle of the signature changed: still base64url, no longer the provider's signature.
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await route.fulfill({ response, json: { ...body, id_token: `${header}.${claims}.${flipped}` } });
  });
  const mark = (await revocationsAt(ISSUER)).length;

  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page, { provider: ISSUER });

  await expect(page.getByTestId('auth-error')).toContainText('signature');
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  expect(await storedSession(page) === null, 'no session kept').toBe(true);
  const [refresh] = await issued.of('refresh_token');
  const [access] = await issued.of('access_token');
  const seen = await revocationsSince(ISSUER, mark, 2);
  expect(seen.map((r) => [r.token_type_hint, r.token, r.status]), 'both tokens revoked at the provider').toEqual([
    ['refresh_token', fingerprint(refresh), 200], ['access_token', fingerprint(access), 200],
  ]);
  expectNoTokens(await sessionEntries(page), await issued.all(), 'after the refused callback');
});
