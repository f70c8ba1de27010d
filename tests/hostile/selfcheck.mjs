// Checks the hostile provider itself, as a strict client would see it, so a green end-to-end run means the app
// rejected a case for the case's reason and not because the fixture was broken: the control issuer completes a
// whole code flow with PKCE and an ID token that WebCrypto verifies with the published JWK, codes are single-use,
// and each signature case is wrong (or right) in the way its name says.
//
//   node tests/hostile/server.mjs & node tests/hostile/selfcheck.mjs

import assert from 'node:assert/strict';
import { createHash, createHmac, createPublicKey, randomBytes, webcrypto } from 'node:crypto';

import { APP } from '../shared/constants.mjs';
import { CASES, CLIENT_ID, HOSTILE, HTML_DESCRIPTION, USER } from './cases.mjs';

const REDIRECT_URI = `${APP}/callback`;
const issuerOf = (id) => `${HOSTILE}/${id}`;
const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

async function getJson(url, init) {
  const res = await fetch(url, init);
  return { res, body: await res.json() };
}

/** One authorization request, answered without a login page: the redirect's parameters. */
async function authorize(id, { nonce = randomBytes(16).toString('base64url'), overrides = {} } = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL(`${issuerOf(id)}/authorize`);
  const params = {
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...overrides,
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  return { res, verifier, state, nonce, back: location && new URL(location).searchParams };
}

function redeem(id, code, verifier) {
  return fetch(`${issuerOf(id)}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: APP },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, code_verifier: verifier,
    }),
  });
}

const ALGORITHMS = {
  RS256: { importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verifyAs: { name: 'RSASSA-PKCS1-v1_5' } },
  ES256: { importAs: { name: 'ECDSA', namedCurve: 'P-256' }, verifyAs: { name: 'ECDSA', hash: 'SHA-256' } },
};

/** Verifies a compact JWS with a JWK the way the app will: WebCrypto importKey + verify. */
async function verifies(jws, jwk) {
  const [header, payload, signature] = jws.split('.');
  const { importAs, verifyAs } = ALGORITHMS[jwk.alg];
  const key = await webcrypto.subtle.importKey('jwk', jwk, importAs, false, ['verify']);
  const signingInput = Buffer.from(`${header}.${payload}`);
  return webcrypto.subtle.verify(verifyAs, key, Buffer.from(signature, 'base64url'), signingInput);
}

const jwksOf = async (id) => (await getJson(`${issuerOf(id)}/jwks`)).body.keys;
const logOf = async (id) => (await getJson(`${HOSTILE}/__log?case=${id}`)).body[id];

/** A full sign-in at `id` up to the token response. */
async function signIn(id) {
  const flow = await authorize(id);
  assert.equal(flow.res.status, 302, `${id}: authorize redirects`);
  const res = await redeem(id, flow.back.get('code'), flow.verifier);
  return { ...flow, res, body: res.headers.get('content-type') === 'application/json' ? await res.text() : undefined };
}

async function idTokenOf(id) {
  const { res, body, nonce } = await signIn(id);
  assert.equal(res.status, 200, `${id}: token endpoint answers 200`);
  const idToken = JSON.parse(body).id_token;
  const [header, claims] = idToken.split('.').slice(0, 2).map(decode);
  return { idToken, header, claims, nonce, tokens: JSON.parse(body) };
}

const checks = {
  async 'discovery: every issuer names itself, except discovery-issuer-mismatch'() {
    for (const id of Object.keys(CASES)) {
      const { body } = await getJson(`${issuerOf(id)}/.well-known/openid-configuration`);
      assert.equal(body.issuer === issuerOf(id), id !== 'discovery-issuer-mismatch', id);
      const promisesIss = id === 'iss-param-unsupported' ? undefined : true;
      assert.equal(body.authorization_response_iss_parameter_supported, promisesIss);
      assert.deepEqual(body.code_challenge_methods_supported, ['S256']);
    }
  },

  async 'good: a whole code flow, RS256 verified with the published JWK, UserInfo with Bearer'() {
    const { idToken, header, claims, nonce, tokens } = await idTokenOf('good');
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(header.alg, 'RS256');
    const jwk = (await jwksOf('good')).find((k) => k.kid === header.kid);
    assert.ok(jwk, 'the signing key is published');
    assert.equal(await verifies(idToken, jwk), true);
    assert.equal(claims.iss, issuerOf('good'));
    assert.equal(claims.aud, CLIENT_ID);
    assert.equal(claims.nonce, nonce);
    assert.equal(claims.name, USER.name);
    const bearer = { headers: { Authorization: `Bearer ${tokens.access_token}` } };
    const info = await getJson(`${issuerOf('good')}/userinfo`, bearer);
    assert.equal(info.res.status, 200);
    assert.equal(info.body.sub, claims.sub);
    const noBearer = await fetch(`${issuerOf('good')}/userinfo?access_token=${tokens.access_token}`);
    assert.equal(noBearer.status, 401, 'a token in the query is not accepted');
  },

  async 'good: the redirect carries code, state and the RFC 9207 iss'() {
    const { back, state } = await authorize('good');
    assert.ok(back.get('code'));
    assert.equal(back.get('state'), state);
    assert.equal(back.get('iss'), issuerOf('good'));
  },

  async 'codes are single-use, and the repeat is counted'() {
    const before = (await logOf('good')).repeatedCodes;
    const { back, verifier } = await authorize('good');
    assert.equal((await redeem('good', back.get('code'), verifier)).status, 200);
    const again = await redeem('good', back.get('code'), verifier);
    assert.equal(again.status, 400);
    assert.equal((await again.json()).error, 'invalid_grant');
    const log = await logOf('good');
    assert.equal(log.repeatedCodes, before + 1);
    assert.equal(log.requests.at(-1).repeatedCode, true);
    assert.equal(JSON.stringify(log).includes(back.get('code')), false, 'the log never holds a code');
  },

  async 'PKCE: a wrong verifier is refused'() {
    const { back } = await authorize('good');
    const res = await redeem('good', back.get('code'), randomBytes(32).toString('base64url'));
    assert.equal(res.status, 400);
    assert.equal((await logOf('good')).requests.at(-1).pkce, 'mismatch');
  },

  async 'authorize refuses an unregistered redirect_uri, plain PKCE and a missing nonce'() {
    for (const overrides of [
      { redirect_uri: 'http://evil.example/callback' }, { code_challenge_method: 'plain' }, { nonce: '' },
    ]) {
      const { res } = await authorize('good', { overrides });
      assert.equal(res.status, 400, JSON.stringify(overrides));
    }
  },

  async 'CORS: the app origins only, preflight included'() {
    const allowed = await fetch(`${issuerOf('good')}/jwks`, { headers: { Origin: 'http://localhost:8081' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://localhost:8081');
    const other = await fetch(`${issuerOf('good')}/jwks`, { headers: { Origin: 'http://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const preflight = await fetch(`${issuerOf('good')}/token`, {
      method: 'OPTIONS',
      headers: {
        Origin: APP, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers'), /Content-Type/);
  },

  async 'es256: verifies with the P-256 JWK (raw r||s signature)'() {
    const { idToken, header } = await idTokenOf('es256');
    assert.equal(header.alg, 'ES256');
    assert.equal(Buffer.from(idToken.split('.')[2], 'base64url').length, 64);
    const jwk = (await jwksOf('es256')).find((k) => k.kid === header.kid);
    assert.equal(await verifies(idToken, jwk), true);
  },

  async 'bad-signature: well-formed, verifies with nothing'() {
    const { idToken, header } = await idTokenOf('bad-signature');
    const jwk = (await jwksOf('bad-signature')).find((k) => k.kid === header.kid);
    assert.equal(await verifies(idToken, jwk), false);
  },

  async 'kid-unknown: the kid is missing from the JWKS, on every fetch'() {
    const { header } = await idTokenOf('kid-unknown');
    for (let i = 0; i < 3; i += 1) assert.equal((await jwksOf('kid-unknown')).some((k) => k.kid === header.kid), false);
  },

  async 'key-rotation: the first JWKS lacks the key, the refetch has it and it verifies'() {
    await fetch(`${HOSTILE}/__reset?case=key-rotation`, { method: 'POST' });
    const { idToken, header } = await idTokenOf('key-rotation');
    assert.equal((await jwksOf('key-rotation')).some((k) => k.kid === header.kid), false);
    const jwk = (await jwksOf('key-rotation')).find((k) => k.kid === header.kid);
    assert.equal(await verifies(idToken, jwk), true);
  },

  async 'no-kid-single-key: no kid, one key, and it verifies'() {
    const { idToken, header } = await idTokenOf('no-kid-single-key');
    assert.equal('kid' in header, false);
    const keys = await jwksOf('no-kid-single-key');
    assert.equal(keys.length, 1);
    assert.equal(await verifies(idToken, keys[0]), true);
  },

  async 'alg-hs256: an HMAC keyed with the published RS256 key, as a forger would make it'() {
    const { idToken, header } = await idTokenOf('alg-hs256');
    assert.equal(header.alg, 'HS256');
    const jwk = (await jwksOf('alg-hs256')).find((k) => k.kid === header.kid);
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const [h, p, signature] = idToken.split('.');
    assert.equal(createHmac('sha256', pem).update(`${h}.${p}`).digest('base64url'), signature);
  },

  async 'jwk-use-enc and no-kid-two-keys publish what they say'() {
    const enc = await idTokenOf('jwk-use-enc');
    const published = (await jwksOf('jwk-use-enc')).filter((k) => k.kid === enc.header.kid);
    assert.deepEqual(published.map((k) => k.use), ['enc']);
    const twoKeys = await idTokenOf('no-kid-two-keys');
    assert.equal('kid' in twoKeys.header, false);
    const keys = await jwksOf('no-kid-two-keys');
    assert.deepEqual(keys.map((k) => k.alg), ['RS256', 'RS256']);
    assert.deepEqual(await Promise.all(keys.map((k) => verifies(twoKeys.idToken, k))), [true, false]);
  },

  async 'rsa-1024: signed with a published 1024-bit RSA key, and it verifies'() {
    const { idToken, header } = await idTokenOf('rsa-1024');
    assert.equal(header.alg, 'RS256');
    const jwk = (await jwksOf('rsa-1024')).find((k) => k.kid === header.kid);
    assert.ok(jwk, 'the signing key is published');
    assert.equal(createPublicKey({ key: jwk, format: 'jwk' }).asymmetricKeyDetails.modulusLength, 1024);
    assert.equal(await verifies(idToken, jwk), true);
  },

  async 'iss-param-missing and its control'() {
    assert.equal((await authorize('iss-param-missing')).back.has('iss'), false);
    assert.equal((await authorize('iss-param-unsupported')).back.has('iss'), false);
    const { body } = await getJson(`${issuerOf('iss-param-unsupported')}/.well-known/openid-configuration`);
    assert.equal('authorization_response_iss_parameter_supported' in body, false);
  },

  async 'token-no-id-token has none'() {
    assert.equal('id_token' in JSON.parse((await signIn('token-no-id-token')).body), false);
  },

  async 'alg-none and id-token-malformed are what they say'() {
    const none = await idTokenOf('alg-none');
    assert.equal(none.header.alg, 'none');
    assert.equal(none.idToken.endsWith('.'), true);
    const { tokens } = await idTokenOf('id-token-malformed');
    assert.equal(tokens.id_token.split('.').length, 2);
  },

  async 'claim cases differ from the control in their one claim'() {
    const good = { ...(await idTokenOf('good')).claims, iss: 'self' };
    const expectDiff = {
      'nonce-wrong': ['nonce'], 'nonce-missing': ['nonce'], 'aud-wrong': ['aud'], 'aud-multi-no-azp': ['aud'],
      'aud-extra-untrusted': ['aud', 'azp'], 'aud-extra-trusted': ['aud', 'azp'],
      'azp-wrong': ['azp'], 'iss-wrong': ['iss'], 'iat-missing': ['iat'], 'sub-missing': ['sub'],
      'exp-expired': ['exp', 'iat', 'auth_time'], 'userinfo-sub-mismatch': ['name'], 'exp-missing': ['exp'],
      'iat-future': ['iat'],
    };
    for (const [id, fields] of Object.entries(expectDiff)) {
      const { claims, nonce } = await idTokenOf(id);
      const normalized = { ...claims };
      // Per-issuer and per-request values: iss is the case's own issuer (unless the case is about it), the nonce
      // echoes this request's (same), times move.
      if (normalized.iss === issuerOf(id)) normalized.iss = 'self';
      if (normalized.nonce === nonce) normalized.nonce = good.nonce;
      for (const t of ['exp', 'iat', 'auth_time']) {
        if (Math.abs((normalized[t] ?? 0) - good[t]) < 5) normalized[t] = good[t];
      }
      const names = new Set([...Object.keys(good), ...Object.keys(normalized)]);
      const differing = [...names].filter((n) => JSON.stringify(good[n]) !== JSON.stringify(normalized[n])).sort();
      assert.deepEqual(differing, [...fields].sort(), id);
    }
  },

  async 'redirect cases tamper with their one parameter'() {
    const wrong = await authorize('state-wrong');
    assert.ok(wrong.back.get('state'));
    assert.notEqual(wrong.back.get('state'), wrong.state);
    assert.equal((await authorize('state-missing')).back.has('state'), false);
    assert.equal((await authorize('iss-param-wrong')).back.get('iss'), issuerOf('good'));
    const html = (await authorize('error-html')).back;
    assert.equal(html.get('error_description'), HTML_DESCRIPTION);
    assert.equal(html.has('code'), false);
  },

  async 'token cases answer as advertised'() {
    assert.equal((await signIn('token-400')).res.status, 400);
    const html = await signIn('token-500-html');
    assert.equal(html.res.status, 500);
    assert.match(html.res.headers.get('content-type'), /text\/html/);
    const notJson = await signIn('token-200-not-json');
    assert.throws(() => JSON.parse(notJson.body));
    assert.equal(JSON.parse((await signIn('token-type-mac')).body).token_type, 'mac');
  },

  async 'userinfo-sub-mismatch: UserInfo speaks of Mallory'() {
    const { tokens, claims } = await idTokenOf('userinfo-sub-mismatch');
    const info = await getJson(`${issuerOf('userinfo-sub-mismatch')}/userinfo`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    assert.notEqual(info.body.sub, claims.sub);
    assert.equal(info.body.name, 'Mallory');
  },
};

let failed = 0;
for (const [name, check] of Object.entries(checks)) {
  try {
    await check();
    console.log(`ok   ${name}`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL ${name}\n     ${err.message.split('\n').join('\n     ')}`);
  }
}
await fetch(`${HOSTILE}/__reset`, { method: 'POST' });
console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exitCode = failed ? 1 : 0;
