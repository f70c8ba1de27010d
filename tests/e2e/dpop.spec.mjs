// DPoP (RFC 9449, issue 14): with `"dpop": true` in config.json and a provider whose discovery lists ES256 in
// `dpop_signing_alg_values_supported`, the app makes a non-extractable ES256 key per sign-in, keeps it in IndexedDB
// (the app's "yew-oidc:<instance>:dpop" database, store "dpop-keys", under the session's `dpop_key_id`), sends its thumbprint as `dpop_jkt` with the
// authorization request (RFC 9449 10) and a fresh proof with every request to the token endpoint, the revocation
// endpoint, UserInfo and the API (`Authorization: DPoP <token>`, with `ath`); it retries once on a nonce challenge
// (RFC 9449 8, 9) and remembers the latest nonce per origin; it refuses a token response whose token_type is not
// DPoP; it deletes the key at both sign-outs and when the session ends. Without ES256 in the discovery document,
// `"dpop": true` refuses to sign in with a configuration error before anything is sent (issue 24, 4: it used to fall
// back to Bearer tokens quietly), and `"dpop": "if-supported"` signs in with Bearer tokens and shows `dpop-note`.
//
// Against the bundled provider (PROVIDER, oidc-provider with DPoP on), the same provider requiring nonces
// (DPOP_NONCE_PROVIDER), and the demo API (API) and its twin requiring nonces (API_WITH_NONCES), which accept a
// DPoP-bound token only with a valid proof of its key (tests/resource/selfcheck.test.mjs checks each refusal).
//
// Failure messages show URLs without query strings and tokens as SHA-256 fingerprints; tokens and proofs stay in
// test memory.

import {
  createHash, createPublicKey, generateKeyPairSync, randomUUID, sign, verify,
} from 'node:crypto';

import { expect, test } from '@playwright/test';

import {
  API, API_CLIENT_ID, API_CLIENT_SECRET, API_RESOURCE, API_SCOPE, API_WITH_NONCES, API_WITH_NONCES_RESOURCE, APP,
  DPOP_NONCE_PROVIDER, NAMESPACE, PROVIDER,
  discover, duplicateTab, expectOtherToken, expectSignedIn, fingerprint, logInAtProvider, recordTraffic,
  refreshAtProvider, revokeAtProvider, sessionOf, signInAt, storedSession, useConfig, withoutQuery,
} from './support.mjs';

const notice = (page) => page.getByTestId('signed-out-notice');
const sha256 = (text) => createHash('sha256').update(text).digest('base64url');
/** How far the proofs' `iat` may stand from the test's clock: the app and the test share one clock. */
const IAT_SLACK_SECONDS = 60;

/** config.json with DPoP asked for, tokens from `issuer`, for the demo API at `api`. */
function dpopConfig(issuer, api = API, extra = {}) {
  return {
    issuer,
    scope: `openid profile email ${API_SCOPE}`,
    api_origins: [api],
    resource: api === API ? API_RESOURCE : API_WITH_NONCES_RESOURCE,
    api_url: `${api}/me`,
    dpop: true,
    ...extra,
  };
}

/** RFC 7638 3.2: the thumbprint of an EC key hashes {"crv","kty","x","y"}, in that order. */
const thumbprint = ({ crv, kty, x, y }) => sha256(JSON.stringify({ crv, kty, x, y }));

/**
 * A proof as the server sees it: its JOSE header and claims, and whether its ES256 signature verifies with the
 * header's jwk. Null when it is no JWS.
 */
function decodeProof(proof) {
  const segments = typeof proof === 'string' ? proof.split('.') : [];
  if (segments.length !== 3) return null;
  let header;
  let claims;
  try {
    [header, claims] = segments.slice(0, 2).map((s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')));
  } catch {
    return null;
  }
  let signed = false;
  try {
    const key = createPublicKey({ key: header.jwk, format: 'jwk' });
    signed = verify('sha256', Buffer.from(`${segments[0]}.${segments[1]}`), { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(segments[2], 'base64url'));
  } catch {
    signed = false;
  }
  return { header, claims, signed };
}

/**
 * Checks a proof the app sent for `method` `url` (RFC 9449 4.2): typ, alg, a public P-256 jwk, a verifying
 * signature, htm, htu, a recent iat, a jti, and `ath` of `token` when one was sent. Returns its key's thumbprint.
 */
function expectProof(proof, { method, url, token }, what) {
  const decoded = decodeProof(proof);
  expect(decoded, `${what}: the DPoP header is a JWS`).not.toBeNull();
  const { header, claims, signed } = decoded;
  expect([header.typ, header.alg, header.jwk?.kty, header.jwk?.crv], `${what}: typ, alg and key`)
    .toEqual(['dpop+jwt', 'ES256', 'EC', 'P-256']);
  expect(Object.keys(header.jwk).filter((m) => ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].includes(m)),
    `${what}: the jwk's private members`).toEqual([]);
  expect(signed, `${what}: the signature verifies with the jwk`).toBe(true);
  expect([claims.htm, claims.htu], `${what}: htm and htu`).toEqual([method, url]);
  expect(typeof claims.jti === 'string' && claims.jti.length >= 16, `${what}: a jti`).toBe(true);
  expect(Math.abs(claims.iat - Date.now() / 1000), `${what}: iat is now`).toBeLessThan(IAT_SLACK_SECONDS);
  expect(claims.ath, `${what}: ath`).toBe(token === undefined ? undefined : sha256(token));
  return thumbprint(header.jwk);
}

/** RFC 7662 at `issuer`, as the demo API's confidential client: what the provider says of `token`. */
async function introspect(issuer, token) {
  const { introspection_endpoint: endpoint } = await discover(issuer);
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${API_CLIENT_ID}:${API_CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
  expect(res.status, 'the provider answers the introspection').toBe(200);
  return res.json();
}

/**
 * What IndexedDB "yew-oidc:<instance>:dpop" / "dpop-keys" holds on the page's origin: each record's key (id) and the CryptoKeys in
 * it, described. An absent database is not created (opening one that does not exist would create it empty, and the
 * app's own open would then find no store).
 */
async function storedDpopKeys(page) {
  return page.evaluate(async ({ database, store }) => {
    if (!(await indexedDB.databases()).some((d) => d.name === database)) return [];
    const done = (request) => new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const db = await done(indexedDB.open(database));
    try {
      if (!db.objectStoreNames.contains(store)) return [];
      const objects = db.transaction(store, 'readonly').objectStore(store);
      const [ids, records] = await Promise.all([done(objects.getAllKeys()), done(objects.getAll())]);
      return ids.map((id, i) => {
        const record = records[i];
        const members = record instanceof CryptoKey ? [record] : Object.values(record ?? {});
        return {
          id: String(id),
          keys: members.filter((m) => m instanceof CryptoKey).map((k) => ({
            type: k.type, extractable: k.extractable, name: k.algorithm.name, curve: k.algorithm.namedCurve,
          })),
        };
      });
    } finally {
      db.close();
    }
  }, { database: `${NAMESPACE}dpop`, store: 'dpop-keys' });
}

/** Waits until the page's "dpop-keys" store holds exactly the records `ids`. */
async function expectStoredKeyIds(page, ids, message) {
  await expect.poll(async () => (await storedDpopKeys(page)).map((r) => r.id).sort(), { message })
    .toEqual([...ids].sort());
}

/** The signed-in session's key id, which must name the one key in IndexedDB: private, non-extractable, P-256. */
async function expectSessionKey(page) {
  const session = await sessionOf(page);
  expect(typeof session.dpop_key_id, 'the session names its DPoP key (dpop_key_id)').toBe('string');
  await expectStoredKeyIds(page, [session.dpop_key_id], 'IndexedDB holds the session\'s key, and only it');
  const [record] = await storedDpopKeys(page);
  const privateKeys = record.keys.filter((k) => k.type === 'private');
  expect(privateKeys, 'the stored private key: ECDSA P-256, not extractable').toEqual([
    { type: 'private', extractable: false, name: 'ECDSA', curve: 'P-256' },
  ]);
  return session;
}

/** An ES256 key made here, as an attacker who stole the token would have: a proof of it for GET `url`. */
function attackerProof(url, token) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const json = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${json({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })}.${json({
    jti: randomUUID(), htm: 'GET', htu: url, iat: Math.floor(Date.now() / 1000), ath: sha256(token),
  })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
    .toString('base64url')}`;
}

/** GET `url` from the test itself with these headers: the status and the challenge's scheme and error. */
async function replay(url, headers) {
  const res = await fetch(url, { headers });
  const challenge = res.headers.get('www-authenticate') ?? '';
  return [res.status, challenge.split(' ')[0], /error="([^"]*)"/.exec(challenge)?.[1] ?? null];
}

/** The API page's answer, parsed (the page shows the body the API returned). */
async function shownResult(page) {
  const result = page.getByTestId('api-result');
  await expect(result).toBeVisible();
  await expect(page.getByTestId('api-error')).toHaveCount(0);
  return JSON.parse(await result.textContent());
}

/** The API's calls since `mark` (preflights left out) as [scheme, proofs, proofNonce, status, error]. */
async function apiRowsSince(api, mark) {
  const res = await fetch(`${api}/__test/calls`);
  expect(res.ok, `${api} runs with TEST_HOOKS=1`).toBe(true);
  return (await res.json()).slice(mark).filter((c) => c.method !== 'OPTIONS')
    .map((c) => [c.scheme, c.proofs, c.proofNonce, c.status, c.error]);
}
const callsAt = async (api) => (await (await fetch(`${api}/__test/calls`)).json()).length;

test('"dpop": true: a proof on the code exchange, tokens bound to a non-extractable key in IndexedDB', async ({
  page, context,
}) => {
  const {
    authorization_endpoint: authorize, token_endpoint: tokenEndpoint,
    pushed_authorization_request_endpoint: par,
  } = await discover(PROVIDER);
  await useConfig(context, dpopConfig(PROVIDER));
  const traffic = recordTraffic(context);
  await signInAt(page, PROVIDER);
  const session = await expectSessionKey(page);
  await expect(page.getByTestId('dpop-note')).toHaveCount(0);
  await traffic.settled();

  // The bundled provider takes pushed requests (RFC 9126), so the binding travels in the push: dpop_jkt and a
  // proof by that key (RFC 9449 10.1), the navigation only the reference.
  const [authorization] = traffic.to(par);
  expect(authorization?.dpopJkt, 'the authorization request carries dpop_jkt (RFC 9449 10)').toMatch(/^[\w-]{43}$/);
  expect(expectProof(authorization.proof, { method: 'POST', url: par }, 'the push\'s proof'), 'the push\'s proof is by '
    + 'the key dpop_jkt names').toBe(authorization.dpopJkt);
  expect(traffic.to(authorize).map((e) => e.dpopJkt), 'the navigation carries no dpop_jkt').toEqual([null]);
  const exchanges = traffic.to(tokenEndpoint);
  expect(exchanges.map((e) => [e.grantType, e.status, e.proof !== null]), 'one code exchange, with a proof')
    .toEqual([['authorization_code', 200, true]]);
  const jkt = expectProof(exchanges[0].proof, { method: 'POST', url: tokenEndpoint }, 'the code exchange\'s proof');
  expect(jkt, 'the proof is by the key dpop_jkt named').toBe(authorization.dpopJkt);

  const claims = await introspect(PROVIDER, session.access_token);
  expect([claims.active, claims.token_type, claims.cnf?.jkt], 'the provider bound the access token to that key')
    .toEqual([true, 'DPoP', jkt]);
  // Last, as it may end the grant: the refresh token is bound too, so without the key it is worth nothing.
  expect(await refreshAtProvider(PROVIDER, session.refresh_token), 'the refresh token sent without a proof')
    .toEqual({ status: 400, error: 'invalid_grant' });
});

test('the API call sends Authorization: DPoP with a proof (ath); the token replayed from node is refused', async ({
  page, context,
}) => {
  const me = `${API}/me`;
  await useConfig(context, dpopConfig(PROVIDER));
  const traffic = recordTraffic(context);
  await signInAt(page, PROVIDER);
  await page.goto('/api');
  const session = await expectSessionKey(page);
  const { cnf } = await introspect(PROVIDER, session.access_token);
  const mark = await callsAt(API);

  await page.getByTestId('api-call').click();
  expect(await shownResult(page)).toMatchObject({ sub: 'alice', aud: API_RESOURCE, iss: PROVIDER, api: 'demo' });
  expect(await apiRowsSince(API, mark), 'one call, DPoP with one proof, accepted')
    .toEqual([['DPoP', 1, false, 200, null]]);
  await traffic.settled();
  const calls = traffic.to(me);
  expect(calls.map((c) => [c.scheme, c.token && fingerprint(c.token), c.status]), 'the app sent the stored token')
    .toEqual([['DPoP', fingerprint(session.access_token), 200]]);
  const jkt = expectProof(calls[0].proof, { method: 'GET', url: me, token: session.access_token }, 'the call\'s proof');
  expect(jkt, 'the proof is by the key the token is bound to').toBe(cnf.jkt);
  expect(traffic.all().filter((e) => e.scheme === 'Bearer').map((e) => e.url), 'requests sent with Bearer')
    .toEqual([]);

  // Stolen: the access token alone is worth nothing at the API (RFC 9449 7.1).
  const token = session.access_token;
  expect(await replay(me, { authorization: `Bearer ${token}` }), 'replayed as Bearer')
    .toEqual([401, 'DPoP', 'invalid_token']);
  expect(await replay(me, { authorization: `DPoP ${token}` }), 'replayed as DPoP without a proof')
    .toEqual([401, 'DPoP', 'invalid_dpop_proof']);
  expect(await replay(me, { authorization: `DPoP ${token}`, dpop: attackerProof(me, token) }),
    'replayed with a proof by another key').toEqual([401, 'DPoP', 'invalid_token']);
  expect(await replay(me, { authorization: `DPoP ${token}`, dpop: calls[0].proof }), 'replayed with the app\'s proof')
    .toEqual([401, 'DPoP', 'invalid_dpop_proof']);
});

test('a tab duplicated from a DPoP session reaches its key in IndexedDB: its API call is signed by that key', async ({
  page, context,
}) => {
  const me = `${API}/me`;
  await useConfig(context, dpopConfig(PROVIDER));
  await signInAt(page, PROVIDER);
  const session = await expectSessionKey(page);
  const { cnf } = await introspect(PROVIDER, session.access_token);
  const traffic = recordTraffic(context);

  // A copy of the tab's sessionStorage, as the browser's "Duplicate tab" makes: the key itself is not copied.
  const twin = await duplicateTab(page, '/api');
  await twin.getByTestId('api-call').click();
  expect(await shownResult(twin)).toMatchObject({ sub: 'alice', api: 'demo' });
  await traffic.settled();
  const calls = traffic.to(me);
  expect(calls.map((c) => [c.scheme, c.status]), 'one call from the twin, DPoP, accepted').toEqual([['DPoP', 200]]);
  const jkt = expectProof(calls[0].proof, { method: 'GET', url: me, token: session.access_token }, 'the twin\'s proof');
  expect(jkt, 'signed by the key the session was bound to at sign-in').toBe(cnf.jkt);
});

test('a renewal carries a proof of the same key, and the renewed tokens stay bound to it', async ({
  page, context,
}) => {
  const { token_endpoint: tokenEndpoint } = await discover(PROVIDER);
  await useConfig(context, dpopConfig(PROVIDER));
  const traffic = recordTraffic(context);
  await signInAt(page, PROVIDER);
  const before = await expectSessionKey(page);
  const { cnf } = await introspect(PROVIDER, before.access_token);

  await page.getByTestId('refresh').click();
  await expect(page.getByTestId('last-renewal')).toHaveText(/^\d+ s ago$/);
  await traffic.settled();
  const refreshes = traffic.to(tokenEndpoint).filter((e) => e.grantType === 'refresh_token');
  expect(refreshes.map((e) => [e.status, e.proof !== null]), 'one refresh, with a proof, granted')
    .toEqual([[200, true]]);
  expect(expectProof(refreshes[0].proof, { method: 'POST', url: tokenEndpoint }, 'the refresh\'s proof'),
    'the refresh is signed by the session\'s key').toBe(cnf.jkt);

  const after = await expectSessionKey(page);
  expect(after.dpop_key_id, 'the renewal keeps the key').toBe(before.dpop_key_id);
  expectOtherToken(after.access_token, before.access_token, 'a new access token');
  const renewed = await introspect(PROVIDER, after.access_token);
  expect([renewed.token_type, renewed.cnf?.jkt], 'bound to the same key').toEqual(['DPoP', cnf.jkt]);
});

test('a provider requiring DPoP nonces: one retry of the code exchange; UserInfo and renewal send the nonce', async ({
  page, context,
}) => {
  const { token_endpoint: tokenEndpoint, userinfo_endpoint: userinfo } = await discover(DPOP_NONCE_PROVIDER);
  // No API: this provider puts the name in UserInfo only (ID_TOKEN_CLAIMS=minimal), which takes tokens without an
  // audience. The name shows only if UserInfo accepted the app's DPoP request.
  await useConfig(context, {
    issuer: DPOP_NONCE_PROVIDER, scope: 'openid profile email', dpop: true,
  });
  const traffic = recordTraffic(context);
  await signInAt(page, DPOP_NONCE_PROVIDER);
  const session = await expectSessionKey(page);
  await traffic.settled();

  const exchanges = traffic.to(tokenEndpoint);
  expect(exchanges.map((e) => [e.grantType, e.status, e.error]), 'use_dpop_nonce, then one retry (RFC 9449 8)')
    .toEqual([['authorization_code', 400, 'use_dpop_nonce'], ['authorization_code', 200, null]]);
  const [challenged, retried] = exchanges.map((e) => decodeProof(e.proof)?.claims);
  expect(challenged?.nonce, 'the first proof had no nonce').toBeUndefined();
  expect(retried?.jti !== challenged?.jti, 'the retry is a new proof, with its own jti (RFC 9449 4.2, 11.1)').toBe(true);
  expect(exchanges[0].nonce, 'the provider handed out a nonce').toMatch(/^[\w-]{20,}$/);
  expect(retried?.nonce === exchanges[0].nonce, 'the retry\'s proof carries that nonce').toBe(true);
  const jkt = thumbprint(decodeProof(exchanges[1].proof).header.jwk);
  expect((await introspect(DPOP_NONCE_PROVIDER, session.access_token)).cnf?.jkt, 'the tokens are bound').toBe(jkt);

  // UserInfo is a protected resource (RFC 9449 7) at the provider: the DPoP scheme, a proof with ath, and a nonce
  // after one challenge. RFC 9449 9 asks clients not to confuse the nonces of the authorization server (the token
  // endpoint) with those of resources even on one origin, so the app keeps them apart and is challenged here once.
  const userinfoCalls = traffic.to(userinfo);
  expect(userinfoCalls.map((e) => [e.method, e.scheme, e.token && fingerprint(e.token)]),
    'UserInfo requests: Authorization: DPoP with the access token')
    .toEqual(userinfoCalls.map(() => ['GET', 'DPoP', fingerprint(session.access_token)]));
  expect(userinfoCalls.map((e) => [e.status, e.error]), 'UserInfo: accepted after one nonce challenge')
    .toEqual([[401, 'use_dpop_nonce'], [200, null]]);
  for (const call of userinfoCalls) {
    expect(expectProof(call.proof, { method: 'GET', url: userinfo, token: session.access_token },
      'a UserInfo proof'), 'signed by the session\'s key').toBe(jkt);
  }
  expect(decodeProof(userinfoCalls[1].proof).claims.nonce === userinfoCalls[0].nonce,
    'the UserInfo retry carries the nonce of its challenge').toBe(true);
  expect(decodeProof(userinfoCalls[1].proof).claims.jti !== decodeProof(userinfoCalls[0].proof).claims.jti,
    'the UserInfo retry is a new proof').toBe(true);

  // The renewal: the token endpoint's latest nonce is remembered, so no second try.
  const latest = exchanges.map((e) => e.nonce).filter(Boolean).at(-1);
  await page.getByTestId('refresh').click();
  await expect(page.getByTestId('last-renewal')).toHaveText(/^\d+ s ago$/);
  await traffic.settled();
  const refreshes = traffic.to(tokenEndpoint).filter((e) => e.grantType === 'refresh_token');
  expect(refreshes.map((e) => [e.status, e.error]), 'one refresh, granted at once').toEqual([[200, null]]);
  expect(decodeProof(refreshes[0].proof)?.claims.nonce === latest,
    'its proof carries the token endpoint\'s latest nonce').toBe(true);
  await expect(page.getByTestId('user-name')).toHaveText('Alice Liddell');
});

test('an API requiring DPoP nonces: one retry of the call, the next call sends the nonce at once', async ({
  page, context,
}) => {
  const me = `${API_WITH_NONCES}/me`;
  const { token_endpoint: tokenEndpoint } = await discover(PROVIDER);
  await useConfig(context, dpopConfig(PROVIDER, API_WITH_NONCES));
  const traffic = recordTraffic(context);
  await signInAt(page, PROVIDER);
  await page.goto('/api');
  await expectSessionKey(page);
  await traffic.settled();
  expect(traffic.to(tokenEndpoint).map((e) => [e.status, decodeProof(e.proof)?.claims.nonce]),
    'this provider asks for no nonce: one code exchange').toEqual([[200, undefined]]);
  const mark = await callsAt(API_WITH_NONCES);

  await page.getByTestId('api-call').click();
  expect(await shownResult(page)).toMatchObject({ sub: 'alice', aud: API_WITH_NONCES_RESOURCE, iss: PROVIDER });
  expect(await apiRowsSince(API_WITH_NONCES, mark), 'use_dpop_nonce, then one retry with a nonce (RFC 9449 9)')
    .toEqual([['DPoP', 1, false, 401, 'use_dpop_nonce'], ['DPoP', 1, true, 200, null]]);
  await traffic.settled();
  const [challenged, retried] = traffic.to(me);
  expect(challenged.nonce, 'the API handed out a nonce').toMatch(/^[\w-]{16,}$/);
  expect(decodeProof(retried.proof)?.claims.nonce === challenged.nonce, 'the retry\'s proof carries it').toBe(true);
  expect(decodeProof(retried.proof)?.claims.jti !== decodeProof(challenged.proof)?.claims.jti,
    'the retry is a new proof, with its own jti').toBe(true);

  // Remembered for the API's origin: the next call carries it from the start.
  await page.getByTestId('api-call').click();
  await expect.poll(async () => (await apiRowsSince(API_WITH_NONCES, mark)).length, {
    message: 'the second call reached the API',
  }).toBe(3);
  expect((await apiRowsSince(API_WITH_NONCES, mark)).slice(2), 'the second call: accepted at once')
    .toEqual([['DPoP', 1, true, 200, null]]);
  await expect(page.getByTestId('api-error')).toHaveCount(0);
});

test('local sign-out deletes the key, revokes with proofs; the next sign-in makes a new key', async ({
  page, context,
}) => {
  const {
    pushed_authorization_request_endpoint: par, revocation_endpoint: revocationEndpoint,
  } = await discover(PROVIDER);
  await useConfig(context, dpopConfig(PROVIDER));
  const traffic = recordTraffic(context);
  await signInAt(page, PROVIDER);
  const first = await expectSessionKey(page);
  const { cnf } = await introspect(PROVIDER, first.access_token);

  await page.getByTestId('sign-out-local').click();
  await expect(notice(page)).toHaveAttribute('data-kind', 'local');
  await expectStoredKeyIds(page, [], 'IndexedDB holds no key after the local sign-out');
  await expect.poll(() => traffic.to(revocationEndpoint).length, { message: 'the two revocations left' }).toBe(2);
  await traffic.settled();
  for (const revocation of traffic.to(revocationEndpoint)) {
    expect(expectProof(revocation.proof, { method: 'POST', url: revocationEndpoint }, 'a revocation\'s proof'),
      'signed by the session\'s key').toBe(cnf.jkt);
  }

  // The provider's session is alive: the next sign-in comes back at once, with a new key.
  await page.getByTestId('sign-in').click();
  await expectSignedIn(page);
  const second = await expectSessionKey(page);
  expect(second.dpop_key_id === first.dpop_key_id, 'a new key id').toBe(false);
  await traffic.settled();
  // The bundled provider takes pushed requests: dpop_jkt travels in the push (RFC 9126, RFC 9449 10.1).
  const jkts = traffic.to(par).map((e) => e.dpopJkt);
  expect(jkts.length, 'two authorization requests').toBe(2);
  expect(jkts[1] === jkts[0], 'the second names another key').toBe(false);
  expect((await introspect(PROVIDER, second.access_token)).cnf?.jkt, 'the new tokens are bound to it')
    .toBe(jkts[1]);
});

test('provider sign-out deletes the key from IndexedDB', async ({ page, context }) => {
  await useConfig(context, dpopConfig(PROVIDER));
  await signInAt(page, PROVIDER);
  await expectSessionKey(page);

  await page.getByTestId('sign-out-provider').click();
  await expect(page.getByTestId('logout-confirm')).toBeVisible();
  await page.getByTestId('logout-confirm').click();
  await expect(notice(page)).toHaveAttribute('data-kind', 'provider');
  await expectStoredKeyIds(page, [], 'IndexedDB holds no key after the provider sign-out');
});

test('a session that ends on a refused renewal takes its key with it', async ({ page, context }) => {
  await useConfig(context, dpopConfig(PROVIDER));
  await signInAt(page, PROVIDER);
  const session = await expectSessionKey(page);

  // Revoked behind the app's back (RFC 7009 needs no proof): the next renewal is refused and the session ends.
  await revokeAtProvider(PROVIDER, session.refresh_token, 'refresh_token');
  await page.getByTestId('refresh').click();
  await expect(notice(page)).toHaveAttribute('data-kind', 'renewal-refused');
  expect(await storedSession(page) === null, 'the session left sessionStorage').toBe(true);
  await expectStoredKeyIds(page, [], 'IndexedDB holds no key once the session ended');
});

test('start-up deletes keys left behind longer than a session can live, and keeps the others', async ({
  page, context,
}) => {
  await useConfig(context, dpopConfig(PROVIDER));
  await signInAt(page, PROVIDER);
  const session = await expectSessionKey(page);

  // What closed tabs leave (sessionStorage may come back with a restored tab, so keys are not deleted on close):
  // a key last used two days ago, one used an hour ago, and one of a release that recorded no time of use.
  const now = Math.floor(Date.now() / 1000);
  await page.evaluate(async ({ records, database }) => {
    const done = (request) => new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const db = await done(indexedDB.open(database));
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const writing = db.transaction('dpop-keys', 'readwrite');
    for (const [id, used] of records) {
      const record = { key: pair.privateKey, x: 'x', y: 'y', ...(used === null ? {} : { used }) };
      writing.objectStore('dpop-keys').put(record, id);
    }
    await new Promise((resolve, reject) => { writing.oncomplete = resolve; writing.onerror = reject; });
    db.close();
  }, { records: [['stale', now - 2 * 24 * 3600], ['recent', now - 3600], ['unmarked', null]], database: `${NAMESPACE}dpop` });
  await expectStoredKeyIds(page, [session.dpop_key_id, 'stale', 'recent', 'unmarked'], 'the records are in');

  await page.reload();
  await expectSignedIn(page);
  await expectStoredKeyIds(page, [session.dpop_key_id, 'recent', 'unmarked'],
    'the key unused for two days is deleted at start-up; the session\'s and the recent ones stay');
  await page.getByTestId('refresh').click();
  await expect.poll(async () => (await sessionOf(page)).access_token !== session.access_token,
    { message: 'the session renews with its key' }).toBe(true);
});

/** Serves the provider's discovery document as a provider without DPoP does: the field left out. */
async function withoutDpopInDiscovery(context) {
  await context.route(`${PROVIDER}/.well-known/openid-configuration`, async (route) => {
    const response = await route.fetch();
    const { dpop_signing_alg_values_supported: _dropped, ...metadata } = await response.json();
    await route.fulfill({ response, json: metadata });
  });
}

// Seen red on 1ccd227: it signed in with Bearer tokens.
test('"dpop": true at a provider without ES256: a configuration error, and nothing leaves for the provider', async ({
  page, context,
}) => {
  const {
    authorization_endpoint: authorize, token_endpoint: token, pushed_authorization_request_endpoint: par,
  } = await discover(PROVIDER);
  await useConfig(context, dpopConfig(PROVIDER));
  await withoutDpopInDiscovery(context);
  const traffic = recordTraffic(context);
  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await expect(page.getByTestId('config-error')).toContainText('requires DPoP');
  await expect(page.getByTestId('config-error')).toContainText('if-supported');
  expect(new URL(page.url()).origin, 'still in the app').toBe(APP);
  await traffic.settled();
  expect(traffic.to(authorize).length + traffic.to(par).length + traffic.to(token).length,
    'authorization, push or token requests').toBe(0);
  expect(await storedDpopKeys(page), 'IndexedDB holds no key').toEqual([]);
});

test('"dpop": "if-supported" at a provider without ES256: Bearer tokens and the dpop-note', async ({
  page, context,
}) => {
  const { authorization_endpoint: authorize, pushed_authorization_request_endpoint: par } = await discover(PROVIDER);
  const me = `${API}/me`;
  await useConfig(context, dpopConfig(PROVIDER, API, { dpop: 'if-supported' }));
  await withoutDpopInDiscovery(context);
  const traffic = recordTraffic(context);
  await signInAt(page, PROVIDER);
  await expect(page.getByTestId('dpop-note')).toBeVisible();
  await expect(page.getByTestId('dpop-note')).toContainText('DPoP');
  const session = await sessionOf(page);
  expect(session.dpop_key_id ?? null, 'the session names no DPoP key').toBeNull();
  expect(await storedDpopKeys(page), 'IndexedDB holds no key').toEqual([]);

  const claims = await introspect(PROVIDER, session.access_token);
  expect([claims.token_type, claims.cnf], 'a Bearer token, bound to nothing').toEqual(['Bearer', undefined]);
  await page.goto('/api');
  const mark = await callsAt(API);
  await page.getByTestId('api-call').click();
  expect(await shownResult(page)).toMatchObject({ sub: 'alice', aud: API_RESOURCE });
  expect(await apiRowsSince(API, mark), 'one Bearer call without a proof, accepted')
    .toEqual([['Bearer', 0, false, 200, null]]);
  await traffic.settled();
  expect(traffic.all().filter((e) => e.proof !== null).map((e) => e.url), 'requests with a DPoP header').toEqual([]);
  expect([...traffic.to(par), ...traffic.to(authorize)].map((e) => e.dpopJkt),
    'neither the push nor the navigation has dpop_jkt').toEqual([null, null]);
  expect(traffic.to(me).map((e) => e.scheme), 'the API call\'s scheme').toEqual(['Bearer']);
});

test('a token response whose token_type is not DPoP is refused (RFC 9449 5)', async ({ page, context }) => {
  const { token_endpoint: tokenEndpoint } = await discover(PROVIDER);
  await useConfig(context, dpopConfig(PROVIDER));
  // The provider bound the tokens, but the answer as a provider that ignored the proof would give it.
  await context.route((url) => withoutQuery(url.href) === tokenEndpoint, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    await route.fulfill({ response, json: { ...body, token_type: 'Bearer' } });
  });
  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page);

  await expect(page.getByTestId('auth-error')).toBeVisible();
  await expect(page.getByTestId('auth-error')).toContainText('DPoP');
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  expect(await storedSession(page) === null, 'no session was stored').toBe(true);
  expect(new URL(page.url()).origin, 'back in the app').toBe(APP);
});

// Issue 24, 3: a refresh answered with tokens refused for their type used to leave the refresh token it sent
// unmarked, so a late duplicate tab would present it again (RFC 9700 4.14.2). Seen red on 1ccd227.
test('a renewal answered with Bearer tokens is refused, and the refresh token it sent is marked used up', async ({
  page, context,
}) => {
  const { token_endpoint: tokenEndpoint } = await discover(PROVIDER);
  await useConfig(context, dpopConfig(PROVIDER));
  await signInAt(page, PROVIDER);
  const before = await expectSessionKey(page);
  // The renewal's answer as a provider that ignored the proof would give it.
  await context.route(tokenEndpoint, async (route) => {
    if (new URLSearchParams(route.request().postData() ?? '').get('grant_type') !== 'refresh_token') {
      await route.fallback();
      return;
    }
    const response = await route.fetch();
    const body = await response.json();
    await route.fulfill({ response, json: { ...body, token_type: 'Bearer' } });
  });
  await page.getByTestId('refresh').click();

  await expect(page.getByTestId('auth-error')).toContainText('token_type');
  const usedUp = await page.evaluate((key) => JSON.parse(window.localStorage.getItem(key) ?? '[]'), `${NAMESPACE}consumed`);
  expect(usedUp.includes(fingerprint(before.refresh_token)), 'the sent refresh token is marked used up').toBe(true);
  await expect(page.getByTestId('auth-error')).toHaveAttribute('data-kind', 'renewal');
  expect(await storedSession(page) === null, 'the session left sessionStorage').toBe(true);
});
