// Checks the demo API (server.mjs) and the provider configuration it relies on, without a browser: three bundled
// provider instances (one requiring DPoP nonces and serving a resource of its own, OWN_API=1) and two instances of
// the API (one requiring DPoP nonces) on spare loopback ports, real tokens from a real authorization code flow with
// PKCE driven by fetch through the provider's login page, DPoP proofs (RFC 9449) made here with node:crypto, every
// answer the API promises, and its test switches (redirects, nonces for ever, stale nonces). So a red end-to-end API
// test means the app did something wrong, not the fixture.
//
//   node --test tests/resource/selfcheck.test.mjs      (a few seconds; scripts/test runs it)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  createHash, generateKeyPairSync, randomBytes, randomUUID, sign,
} from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  API_CLIENT_ID, API_CLIENT_SECRET, API_SCOPE, APP, CLIENT_ID, USER, fingerprint,
} from '../shared/constants.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
// The app's redirect URI, registered at the provider: nothing needs to listen at APP.
const REDIRECT_URI = `${APP}/callback`;
const OTHER_RESOURCE = 'https://other-api.example/';
/** Provider B's access tokens live this long, so the expiry check waits only a little. */
const SHORT_TTL = 2;

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function sparePort() {
  const server = createServer();
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  const { port } = server.address();
  await new Promise((resolve) => { server.close(resolve); });
  return port;
}

const children = [];
/** Starts a fixture server with `env`; its output is kept (to check that no token was ever logged). */
async function start(script, env, readyUrl) {
  const child = spawn(process.execPath, [script], {
    cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { text: '' };
  child.stdout.on('data', (chunk) => { output.text += chunk; });
  child.stderr.on('data', (chunk) => { output.text += chunk; });
  const exited = new Promise((resolve) => { child.once('exit', resolve); });
  children.push({ child, exited });
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(readyUrl)).status < 500) return output;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${script} did not start:\n${output.text}`);
}

let providerA;
let providerB;
let providerN; // DPOP_NONCE=1
let api;
let resource;
let apiOutput;
let nonceApi; // DPOP_NONCE=1
let nonceResource;
let nonceApiOutput;

before(async () => {
  const [portA, portB, portN, apiPort, nonceApiPort] = [
    await sparePort(), await sparePort(), await sparePort(), await sparePort(), await sparePort()];
  providerA = `http://127.0.0.1:${portA}`;
  providerB = `http://127.0.0.1:${portB}`;
  providerN = `http://127.0.0.1:${portN}`;
  api = `http://127.0.0.1:${apiPort}`;
  resource = `${api}/`;
  nonceApi = `http://127.0.0.1:${nonceApiPort}`;
  nonceResource = `${nonceApi}/`;
  const providerEnv = { API_RESOURCES: `${resource},${nonceResource},${OTHER_RESOURCE}`, TEST_HOOKS: '' };
  const discovery = (issuer) => `${issuer}/.well-known/openid-configuration`;
  [, , , apiOutput, nonceApiOutput] = await Promise.all([
    start('tests/provider/server.mjs', { ...providerEnv, PROVIDER_PORT: String(portA) }, discovery(providerA)),
    start('tests/provider/server.mjs', {
      ...providerEnv, PROVIDER_PORT: String(portB), ACCESS_TOKEN_TTL: String(SHORT_TTL),
    }, discovery(providerB)),
    start('tests/provider/server.mjs', {
      ...providerEnv, PROVIDER_PORT: String(portN), DPOP_NONCE: '1', OWN_API: '1',
    }, discovery(providerN)),
    start('tests/resource/server.mjs', {
      RESOURCE_PORT: String(apiPort), PROVIDERS: `${providerA},${providerB},${providerN}`, TEST_HOOKS: '1',
      API_RESOURCE: '', DPOP_NONCE: '', REDIRECT_ORIGIN: nonceApi,
    }, `${api}/__test/calls`),
    start('tests/resource/server.mjs', {
      RESOURCE_PORT: String(nonceApiPort), PROVIDERS: `${providerA},${providerN}`, TEST_HOOKS: '1',
      API_RESOURCE: '', DPOP_NONCE: '1',
    }, `${nonceApi}/__test/calls`),
  ]);
});

after(async () => {
  for (const { child } of children) child.kill('SIGTERM');
  await Promise.all(children.map(({ exited }) => exited));
});

const metadata = new Map();
async function discover(issuer) {
  if (!metadata.has(issuer)) {
    metadata.set(issuer, await (await fetch(`${issuer}/.well-known/openid-configuration`)).json());
  }
  return metadata.get(issuer);
}

/**
 * The authorization code flow with PKCE, as the app runs it, with fetch for a browser: a cookie jar (names only,
 * paths ignored: every cookie goes everywhere, which the provider does not mind), the login form, the consent the
 * provider grants its first-party client silently. Returns the redirect's parameters.
 */
async function authorize(issuer, params) {
  const jar = new Map();
  const go = async (url, init = {}) => {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie } });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1)];
      if (value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  let url = new URL(`${(await discover(issuer)).authorization_endpoint}?${new URLSearchParams(params)}`);
  let res = await go(url);
  for (let hop = 0; hop < 12; hop += 1) {
    if (res.status === 200 && /^\/interaction\/[\w-]+$/.test(url.pathname)) {
      await res.text();
      res = await go(new URL(`${url.pathname}/login`, url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: USER.username, password: USER.password }),
      });
    } else if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location'), url);
      if (url.href.startsWith(REDIRECT_URI)) return url.searchParams;
      res = await go(url);
    } else {
      throw new Error(`unexpected ${res.status} at ${url.origin}${url.pathname}`);
    }
  }
  throw new Error('too many redirects');
}

// --- DPoP (RFC 9449) proofs, made here as the app makes them: ES256 with a P-256 key ---------------------------

const b64json = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A fresh P-256 key pair: the private key, the public jwk a proof carries, and its RFC 7638 thumbprint. */
function dpopKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const jkt = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  return { privateKey, jwk: { kty, crv, x, y }, jkt };
}

/**
 * A DPoP proof JWT (RFC 9449 4.2) signed with `key` for `htm` `htu`, with `ath` for `token` when given. Every
 * other part can be overridden, to make the proofs the API must refuse: `header` and `claims` are merged in
 * (a member set to undefined is left out), `signer` signs instead of `key`.
 */
function makeProof(key, {
  htm = 'GET', htu, token, nonce, header = {}, claims = {}, signer = key,
}) {
  const protectedHeader = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk, ...header };
  const payload = {
    jti: randomUUID(),
    htm,
    htu,
    iat: nowSeconds(),
    ...(token !== undefined && { ath: createHash('sha256').update(token).digest('base64url') }),
    ...(nonce !== undefined && { nonce }),
    ...claims,
  };
  const input = `${b64json(protectedHeader)}.${b64json(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * POST to `issuer`'s token endpoint with `form`, and with a proof of `key` when given; on `use_dpop_nonce`
 * (RFC 9449 8) once more with the nonce the answer carried. Returns the answers' statuses, the last body and the
 * nonce handed out, if any.
 */
async function tokenRequest(issuer, form, key) {
  const endpoint = (await discover(issuer)).token_endpoint;
  const post = (nonce) => fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(key && { dpop: makeProof(key, { htm: 'POST', htu: endpoint, nonce }) }),
    },
    body: new URLSearchParams(form),
  });
  let res = await post();
  let body = await res.json();
  const statuses = [res.status];
  const nonce = res.headers.get('dpop-nonce') ?? undefined;
  if (key && res.status === 400 && body.error === 'use_dpop_nonce' && nonce) {
    res = await post(nonce);
    body = await res.json();
    statuses.push(res.status);
  }
  return { statuses, body, nonce };
}

/**
 * Signs alice in at `issuer` as the app's client; `resource` (RFC 8707) is sent only when given. With `dpop` (a key
 * of dpopKey), the authorization request carries its thumbprint as `dpop_jkt` (RFC 9449 10) and the code exchange
 * a proof of that key (or of `exchangeKey`), as the app does with "dpop": true.
 */
async function signIn(issuer, {
  resource: indicator, scope = `openid profile email ${API_SCOPE}`, dpop, exchangeKey = dpop, expectStatus = 200,
} = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const back = await authorize(issuer, {
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    state,
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(indicator && { resource: indicator }),
    ...(dpop && { dpop_jkt: dpop.jkt }),
  });
  assert.equal(back.get('error'), null, `the provider refused the sign-in: ${back.get('error')}`);
  assert.equal(back.get('state'), state);
  assert.equal(back.get('iss'), issuer);
  const { statuses, body } = await tokenRequest(issuer, {
    grant_type: 'authorization_code', code: back.get('code'), redirect_uri: REDIRECT_URI, client_id: CLIENT_ID,
    code_verifier: verifier,
  }, exchangeKey);
  assert.equal(statuses.at(-1), expectStatus, `the code exchange answers ${expectStatus} (${body.error ?? 'ok'})`);
  return { ...body, issuedAt: Date.now() };
}

async function refresh(issuer, refreshToken) {
  const res = await fetch((await discover(issuer)).token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID }),
  });
  assert.equal(res.status, 200, 'the refresh succeeds');
  return res.json();
}

async function introspect(issuer, token, secret = API_CLIENT_SECRET) {
  const res = await fetch((await discover(issuer)).introspection_endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${API_CLIENT_ID}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
  return { status: res.status, body: await res.json() };
}

/**
 * GET /me at the API (`base`, the first instance by default): status, the challenge, the DPoP-Nonce header, CORS
 * headers and the parsed body. `proof` is the DPoP header's value, or a list of values for as many headers (sent
 * through node:http, since fetch joins repeated headers into one).
 */
async function callApi({
  authorization, query = '', origin, proof, base = api,
} = {}) {
  const headers = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (origin !== undefined) headers.origin = origin;
  if (Array.isArray(proof)) {
    return new Promise((resolve, reject) => {
      httpRequest(`${base}/me${query}`, { headers: { ...headers, dpop: proof } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => { text += chunk; });
        res.on('end', () => resolve({
          status: res.statusCode,
          challenge: res.headers['www-authenticate'] ?? null,
          nonce: res.headers['dpop-nonce'] ?? null,
          body: text ? JSON.parse(text) : undefined,
        }));
      }).on('error', reject).end();
    });
  }
  if (proof !== undefined) headers.dpop = proof;
  const res = await fetch(`${base}/me${query}`, { headers });
  const text = await res.text();
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    nonce: res.headers.get('dpop-nonce'),
    allowOrigin: res.headers.get('access-control-allow-origin'),
    expose: res.headers.get('access-control-expose-headers'),
    body: text ? JSON.parse(text) : undefined,
  };
}
const bearer = (token) => `Bearer ${token}`;
const dpopAuthorization = (token) => `DPoP ${token}`;
const invalidToken = (description) => (
  `Bearer realm="demo-api", error="invalid_token", error_description="${description}"`);
/** RFC 9449 7.1: the DPoP challenge, naming the one algorithm the API accepts. */
const dpopChallenge = (error, description) => (
  `DPoP realm="demo-api", error="${error}", error_description="${description}", algs="ES256"`);
const EXPOSED = 'WWW-Authenticate, DPoP-Nonce';
const calls = async (base = api) => (await fetch(`${base}/__test/calls`)).json();

const issued = []; // every token seen, to look for in the API's output and calls log at the end
const keep = (tokens) => {
  for (const field of ['access_token', 'refresh_token', 'id_token']) if (tokens[field]) issued.push(tokens[field]);
  return tokens;
};

let short; // provider B's tokens, issued early so their expiry check waits least

test('provider B: a token for the API is accepted (every listed provider is asked)', async () => {
  short = keep(await signIn(providerB, { resource }));
  assert.equal(short.expires_in, SHORT_TTL, 'ACCESS_TOKEN_TTL applies to the API\'s tokens too');
  const answer = await callApi({ authorization: bearer(short.access_token) });
  assert.equal(answer.status, 200);
  assert.equal(answer.body.iss, providerB);
});

test('sign-in without resource works as before: UserInfo accepts the token, the API does not', async () => {
  const tokens = keep(await signIn(providerA, { scope: 'openid profile email' }));
  assert.equal(typeof tokens.refresh_token, 'string');
  const userinfo = await fetch((await discover(providerA)).userinfo_endpoint, {
    headers: { authorization: bearer(tokens.access_token) },
  });
  assert.equal(userinfo.status, 200, 'UserInfo accepts an access token issued without resource');
  assert.equal((await userinfo.json()).sub, 'alice');
  const { body } = await introspect(providerA, tokens.access_token);
  assert.equal(body.active, true);
  assert.equal(body.aud, undefined, 'such a token has no audience');
  const answer = await callApi({ authorization: bearer(tokens.access_token) });
  assert.equal(answer.status, 401);
  assert.equal(answer.challenge, invalidToken('the access token is not meant for this API'));
});

let tokens; // provider A, resource = the API

test('sign-in with resource: a token for the API, which UserInfo refuses and the API accepts', async () => {
  tokens = keep(await signIn(providerA, { resource }));
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(tokens.scope, API_SCOPE, 'the token carries the API\'s scope');
  assert.equal(typeof tokens.id_token, 'string');
  const { body } = await introspect(providerA, tokens.access_token);
  assert.deepEqual([body.active, body.aud, body.token_type, body.client_id], [true, resource, 'Bearer', CLIENT_ID]);
  const userinfo = await fetch((await discover(providerA)).userinfo_endpoint, {
    headers: { authorization: bearer(tokens.access_token) },
  });
  // oidc-provider refuses it for want of the openid scope (403 insufficient_scope), and would for its audience (401).
  assert.ok([401, 403].includes(userinfo.status), `UserInfo refuses a token for the API (got ${userinfo.status})`);

  const answer = await callApi({ authorization: bearer(tokens.access_token), origin: APP });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body, {
    sub: 'alice', client_id: CLIENT_ID, scope: API_SCOPE, aud: resource, iss: providerA, api: 'demo',
  });
  assert.equal(answer.allowOrigin, APP, 'CORS lets the app read the answer');
  assert.equal(answer.expose, EXPOSED, 'and the challenge, and a DPoP nonce');
});

test('a refresh without resource keeps the API as the audience (useGrantedResource)', async () => {
  const renewed = keep(await refresh(providerA, tokens.refresh_token));
  assert.notEqual(renewed.access_token, tokens.access_token);
  assert.equal(typeof renewed.id_token, 'string', 'the refresh still answers with an ID token');
  const answer = await callApi({ authorization: bearer(renewed.access_token) });
  assert.equal(answer.status, 200);
  assert.equal(answer.body.aud, resource);
  tokens = renewed;
});

test('no credentials: 401 with a challenge and no error code (RFC 6750 3.1)', async () => {
  for (const authorization of [undefined, 'Basic YWxpY2U6d29uZGVybGFuZA==']) {
    const answer = await callApi({ authorization, origin: APP });
    assert.equal(answer.status, 401);
    assert.equal(answer.challenge, 'Bearer realm="demo-api"');
    assert.equal(answer.expose, EXPOSED);
  }
});

test('a token nobody issued: 401 invalid_token', async () => {
  const answer = await callApi({ authorization: bearer('not-a-token-anyone-issued') });
  assert.equal(answer.status, 401);
  assert.equal(answer.challenge, invalidToken('the access token is not active'));
  assert.equal(answer.body.error, 'invalid_token');
});

test('a malformed Bearer credential: 400 invalid_request', async () => {
  for (const authorization of ['Bearer', 'Bearer two words', 'Bearer a"b']) {
    const answer = await callApi({ authorization });
    assert.equal(answer.status, 400, authorization);
    assert.match(answer.challenge, /^Bearer realm="demo-api", error="invalid_request", error_description="[^"]+"$/);
  }
});

test('a token in the query string is refused, even a valid one (RFC 6750 2.3 is not supported)', async () => {
  const answer = await callApi({ query: `?access_token=${encodeURIComponent(tokens.access_token)}` });
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error, 'invalid_request');
  assert.match(answer.challenge, /error="invalid_request"/);
  const last = (await calls()).at(-1);
  assert.deepEqual([last.path, last.bearer, last.token, last.tokenInQuery, last.status, last.error],
    ['/me', false, null, true, 400, 'invalid_request']);
});

test('a refresh token is no access token: 401 invalid_token', async () => {
  const answer = await callApi({ authorization: bearer(tokens.refresh_token) });
  assert.equal(answer.status, 401);
  assert.equal(answer.challenge, invalidToken('the token is not a Bearer access token'));
});

test('a token for another API: 401 invalid_token', async () => {
  const other = keep(await signIn(providerA, { resource: OTHER_RESOURCE }));
  assert.equal((await introspect(providerA, other.access_token)).body.aud, OTHER_RESOURCE);
  const answer = await callApi({ authorization: bearer(other.access_token) });
  assert.equal(answer.status, 401);
  assert.equal(answer.challenge, invalidToken('the access token is not meant for this API'));
});

test('the provider refuses a resource it does not know, and a wrong API secret', async () => {
  const back = await authorize(providerA, {
    client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state: 's',
    nonce: 'n', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', resource: 'https://unknown.example/',
  });
  assert.equal(back.get('error'), 'invalid_target');
  const { status, body } = await introspect(providerA, tokens.access_token, 'wrong-secret');
  assert.deepEqual([status, body.error], [401, 'invalid_client']);
});

test('a revoked grant: 401 invalid_token at once (nothing cached)', async () => {
  assert.equal((await callApi({ authorization: bearer(tokens.access_token) })).status, 200);
  const res = await fetch((await discover(providerA)).revocation_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: CLIENT_ID }),
  });
  assert.equal(res.status, 200);
  const answer = await callApi({ authorization: bearer(tokens.access_token) });
  assert.equal(answer.status, 401, 'revoking the refresh token revoked the grant\'s access token too');
  assert.equal(answer.challenge, invalidToken('the access token is not active'));
});

test('CORS: a preflight from the app is allowed, one from elsewhere is not; other routes and methods', async () => {
  const preflight = (origin) => fetch(`${api}/me`, {
    method: 'OPTIONS',
    headers: {
      origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,dpop',
    },
  });
  for (const origin of ['http://127.0.0.1:8081', 'http://localhost:8081', 'http://127.0.0.1:8080']) {
    const res = await preflight(origin);
    assert.equal(res.status, 204, origin);
    assert.equal(res.headers.get('access-control-allow-origin'), origin);
    assert.match(res.headers.get('access-control-allow-headers'), /\bauthorization\b/i);
    assert.match(res.headers.get('access-control-allow-headers'), /\bdpop\b/i, 'the DPoP header may be sent');
  }
  const refused = await preflight('https://evil.example');
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
  const fromElsewhere = await callApi({ origin: 'https://evil.example' });
  assert.equal(fromElsewhere.allowOrigin, null);
  assert.equal((await fetch(`${api}/me`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${api}/other`)).status, 404);
});

// --- DPoP (RFC 9449) -------------------------------------------------------------------------------------------

const dpopKeyA = dpopKey(); // the app's key
const otherKey = dpopKey(); // an attacker's
let bound; // provider A, resource = the API, bound to dpopKeyA
const me = () => `${api}/me`;
/** A proof of `key` for GET /me at the API with this token's `ath`, each part overridable (makeProof). */
const meProof = (token, options = {}, key = dpopKeyA) => makeProof(key, { htu: me(), token, ...options });

test('the provider lists ES256 for DPoP; a CORS preflight lets the app send DPoP to the token endpoint', async () => {
  const metadata = await discover(providerA);
  assert.ok(metadata.dpop_signing_alg_values_supported.includes('ES256'));
  const res = await fetch(metadata.token_endpoint, {
    method: 'OPTIONS',
    headers: {
      origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,dpop',
    },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), APP);
  assert.match(res.headers.get('access-control-allow-headers'), /\bdpop\b/i);
});

test('a sign-in with a DPoP proof: DPoP tokens bound to the key (cnf.jkt), refresh bound too', async () => {
  const signedIn = keep(await signIn(providerA, { resource, dpop: dpopKeyA }));
  assert.equal(signedIn.token_type, 'DPoP', 'RFC 9449 5: token_type DPoP');
  const { body } = await introspect(providerA, signedIn.access_token);
  assert.deepEqual([body.active, body.token_type, body.cnf?.jkt, body.aud], [true, 'DPoP', dpopKeyA.jkt, resource]);
  // A public client's refresh token is bound to the key as well (RFC 9449 5): no proof, or another key's, fails.
  const form = { grant_type: 'refresh_token', refresh_token: signedIn.refresh_token, client_id: CLIENT_ID };
  assert.deepEqual([(await tokenRequest(providerA, form)).body.error,
    (await tokenRequest(providerA, form, otherKey)).body.error], ['invalid_grant', 'invalid_grant']);
  const renewed = await tokenRequest(providerA, form, dpopKeyA);
  assert.deepEqual(renewed.statuses, [200]);
  keep(renewed.body);
  assert.equal(renewed.body.token_type, 'DPoP');
  assert.equal((await introspect(providerA, renewed.body.access_token)).body.cnf?.jkt, dpopKeyA.jkt);
  bound = renewed.body;
});

test('dpop_jkt binds the code: its exchange with another key\'s proof is refused (RFC 9449 10)', async () => {
  const refused = await signIn(providerA, {
    resource, dpop: dpopKeyA, exchangeKey: otherKey, expectStatus: 400,
  });
  assert.equal(refused.error, 'invalid_grant');
});

test('DPOP_NONCE=1 provider: use_dpop_nonce with a DPoP-Nonce the app can read, then DPoP tokens', async () => {
  const { token_endpoint: tokenEndpoint } = await discover(providerN);
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      origin: APP,
      'content-type': 'application/x-www-form-urlencoded',
      dpop: makeProof(dpopKeyA, { htm: 'POST', htu: tokenEndpoint }),
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: CLIENT_ID }),
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'use_dpop_nonce');
  assert.match(res.headers.get('dpop-nonce') ?? '', /^[\w-]{20,}$/, 'a DPoP-Nonce header (RFC 9449 8)');
  assert.match(res.headers.get('access-control-expose-headers') ?? '', /\bDPoP-Nonce\b/i, 'readable cross-origin');
  const viaNonce = keep(await signIn(providerN, { resource: nonceResource, dpop: dpopKeyA }));
  assert.equal(viaNonce.token_type, 'DPoP');
  assert.equal((await introspect(providerN, viaNonce.access_token)).body.cnf?.jkt, dpopKeyA.jkt);
  // And the provider without DPOP_NONCE never asks for a nonce: its first answer was the tokens (above, [200]).
});

test('the API accepts a DPoP-bound token with the DPoP scheme and a valid proof', async () => {
  const answer = await callApi({
    authorization: dpopAuthorization(bound.access_token), proof: meProof(bound.access_token), origin: APP,
  });
  assert.equal(answer.status, 200);
  assert.deepEqual([answer.body.sub, answer.body.aud, answer.body.iss], ['alice', resource, providerA]);
  assert.equal(answer.expose, EXPOSED);
  // htu ignores the query and the fragment (RFC 9449 4.3 step 9); the scheme's case does not matter (RFC 9110 11.1).
  const query = await callApi({
    authorization: `dpop ${bound.access_token}`, query: '?page=2',
    proof: meProof(bound.access_token, { htu: `${me()}?page=1#top` }),
  });
  assert.equal(query.status, 200);
  const last = (await calls()).at(-1);
  assert.deepEqual([last.scheme, last.bearer, last.proofs, last.token, last.status],
    ['DPoP', false, 1, fingerprint(bound.access_token), 200]);
});

test('a DPoP-bound token sent as Bearer, or without a proof: 401 DPoP invalid_token / invalid_dpop_proof', async () => {
  const asBearer = await callApi({ authorization: bearer(bound.access_token) });
  assert.equal(asBearer.status, 401);
  assert.equal(asBearer.challenge, dpopChallenge('invalid_token',
    'the access token is DPoP-bound: send it with the DPoP scheme and a proof'));
  const asBearerWithProof = await callApi({
    authorization: bearer(bound.access_token), proof: meProof(bound.access_token),
  });
  assert.equal(asBearerWithProof.challenge, asBearer.challenge, 'a proof does not make Bearer acceptable');
  const noProof = await callApi({ authorization: dpopAuthorization(bound.access_token) });
  assert.equal(noProof.status, 401);
  assert.equal(noProof.challenge, dpopChallenge('invalid_dpop_proof', 'the request carries no DPoP proof'));
  assert.equal(noProof.body.error, 'invalid_dpop_proof');
});

test('a proof by another key than the token\'s: 401 DPoP invalid_token', async () => {
  const answer = await callApi({
    authorization: dpopAuthorization(bound.access_token), proof: meProof(bound.access_token, {}, otherKey),
  });
  assert.equal(answer.status, 401);
  assert.equal(answer.challenge, dpopChallenge('invalid_token',
    'the DPoP proof is signed by another key than the token is bound to'));
});

test('a Bearer token that is not bound: fine as Bearer, refused with the DPoP scheme', async () => {
  const plain = keep(await signIn(providerA, { resource }));
  assert.equal(plain.token_type, 'Bearer');
  assert.equal((await introspect(providerA, plain.access_token)).body.cnf, undefined);
  assert.equal((await callApi({ authorization: bearer(plain.access_token) })).status, 200);
  const answer = await callApi({
    authorization: dpopAuthorization(plain.access_token), proof: meProof(plain.access_token),
  });
  assert.equal(answer.status, 401);
  assert.equal(answer.challenge, dpopChallenge('invalid_token',
    'the access token is not DPoP-bound: send it as Bearer'));
});

test('a malformed DPoP credential: 400 DPoP invalid_request', async () => {
  const answer = await callApi({ authorization: 'DPoP two words', proof: meProof('two') });
  assert.equal(answer.status, 400);
  assert.equal(answer.challenge, dpopChallenge('invalid_request',
    'the Authorization header is not a well-formed DPoP credential'));
});

/** A JWT whose header and claims are given as they are, signed by dpopKeyA. */
function rawProof(header, claims) {
  const input = `${b64json(header)}.${b64json(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: dpopKeyA.privateKey, dsaEncoding: 'ieee-p1363' })
    .toString('base64url')}`;
}

// RFC 9449 4.3, one check at a time: each proof is valid but for the one thing named.
const BAD_PROOFS = [
  ['two DPoP headers (step 1)', (t) => [meProof(t), meProof(t)], 'the request carries more than one DPoP header'],
  ['not a JWT (step 2)', () => 'not-a-jwt', 'the DPoP proof is not a JWT'],
  ['a fourth segment after a good JWS (step 2)', (t) => `${meProof(t)}.e30`, 'the DPoP proof is not a JWT'],
  ['typ JWT (step 4)', (t) => meProof(t, { header: { typ: 'JWT' } }), 'the DPoP proof\'s typ is not dpop+jwt'],
  ['alg none (step 5)', (t) => meProof(t, { header: { alg: 'none' } }), 'the DPoP proof is not signed with ES256'],
  ['alg HS256 (step 5)', (t) => meProof(t, { header: { alg: 'HS256' } }), 'the DPoP proof is not signed with ES256'],
  ['a jwk with the private key (step 7)',
    (t) => meProof(t, { header: { jwk: { ...dpopKeyA.jwk, d: dpopKeyA.privateKey.export({ format: 'jwk' }).d } } }),
    'the DPoP proof\'s jwk holds a private key'],
  ['an RSA jwk (step 7)', (t) => meProof(t, {
    header: { jwk: { kty: 'RSA', n: 'AQAB'.repeat(64), e: 'AQAB' } },
  }), 'the DPoP proof\'s jwk is not a P-256 public key'],
  ['a P-256 jwk off the curve (step 7)', (t) => meProof(t, {
    header: { jwk: { ...dpopKeyA.jwk, y: Buffer.alloc(32).toString('base64url') } },
  }), 'the DPoP proof\'s jwk is not a point of P-256'],
  ['no jwk (step 5)', (t) => meProof(t, { header: { jwk: undefined } }), 'the DPoP proof has no jwk'],
  ['a signature by another key than the jwk (step 6)', (t) => meProof(t, { signer: otherKey }),
    'the DPoP proof\'s signature does not verify with its jwk'],
  ['no jti (step 3)', (t) => meProof(t, { claims: { jti: undefined } }), 'the DPoP proof has no usable jti'],
  ['no iat (step 3)', (t) => meProof(t, { claims: { iat: undefined } }), 'the DPoP proof lacks htm, htu or iat'],
  ['htm POST (step 8)', (t) => meProof(t, { htm: 'POST' }), 'the DPoP proof is for another method'],
  ['htu of another path (step 9)', (t) => meProof(t, { htu: `${api}/other` }), 'the DPoP proof is for another URL'],
  ['htu of another host (step 9)', (t) => meProof(t, { htu: me().replace('127.0.0.1', 'localhost') }),
    'the DPoP proof is for another URL'],
  ['iat two minutes ago (step 11)', (t) => meProof(t, { claims: { iat: nowSeconds() - 120 } }),
    'the DPoP proof was not created within the accepted window'],
  ['iat two minutes ahead (step 11)', (t) => meProof(t, { claims: { iat: nowSeconds() + 120 } }),
    'the DPoP proof was not created within the accepted window'],
  ['no ath (step 12)', (t) => meProof(t, { claims: { ath: undefined } }),
    'the DPoP proof\'s ath is not the hash of this access token'],
  ['ath of another token (step 12)', (t) => meProof(`${t}x`),
    'the DPoP proof\'s ath is not the hash of this access token'],
  ['a header signed but not JSON', () => rawProof('{', {}), 'the DPoP proof is not a JWT'],
];

for (const [name, proofFor, description] of BAD_PROOFS) {
  test(`a DPoP proof with ${name}: 401 DPoP invalid_dpop_proof`, async () => {
    const answer = await callApi({
      authorization: dpopAuthorization(bound.access_token), proof: proofFor(bound.access_token),
    });
    assert.equal(answer.status, 401);
    assert.equal(answer.challenge, dpopChallenge('invalid_dpop_proof', description));
  });
}

test('a replayed proof: accepted once, then 401 invalid_dpop_proof (jti seen)', async () => {
  const proof = meProof(bound.access_token);
  const authorization = dpopAuthorization(bound.access_token);
  assert.equal((await callApi({ authorization, proof })).status, 200);
  const replay = await callApi({ authorization, proof });
  assert.equal(replay.status, 401);
  assert.equal(replay.challenge, dpopChallenge('invalid_dpop_proof', 'the DPoP proof was used before (jti seen)'));
});

test('DPOP_NONCE=1 API: use_dpop_nonce with a DPoP-Nonce, then the proof carrying it is accepted', async () => {
  const viaNonce = keep(await signIn(providerN, { resource: nonceResource, dpop: dpopKeyA }));
  const authorization = dpopAuthorization(viaNonce.access_token);
  const htu = `${nonceApi}/me`;
  const proof = (nonce) => makeProof(dpopKeyA, { htu, token: viaNonce.access_token, nonce });
  const first = await callApi({ base: nonceApi, authorization, proof: proof(), origin: APP });
  assert.equal(first.status, 401);
  assert.equal(first.challenge, dpopChallenge('use_dpop_nonce', 'this API requires a DPoP nonce'));
  assert.match(first.nonce ?? '', /^[\w-]{16,}$/, 'a DPoP-Nonce header (RFC 9449 9)');
  assert.equal(first.expose, EXPOSED, 'which the app can read');
  const unknown = await callApi({ base: nonceApi, authorization, proof: proof('not-issued-here') });
  assert.equal(unknown.challenge, dpopChallenge('use_dpop_nonce',
    'the DPoP nonce is not one this API issued, or too old'));
  assert.notEqual(unknown.nonce, null);
  const retry = await callApi({ base: nonceApi, authorization, proof: proof(first.nonce) });
  assert.equal(retry.status, 200);
  assert.deepEqual([retry.body.aud, retry.body.iss], [nonceResource, providerN]);
  // A nonce stays good for later requests (with fresh proofs): the app remembers the latest one per origin.
  assert.equal((await callApi({ base: nonceApi, authorization, proof: proof(first.nonce) })).status, 200);
  const log = (await calls(nonceApi)).map((c) => [c.scheme, c.proofNonce, c.status, c.error]);
  assert.deepEqual(log, [
    ['DPoP', false, 401, 'use_dpop_nonce'], ['DPoP', true, 401, 'use_dpop_nonce'],
    ['DPoP', true, 200, null], ['DPoP', true, 200, null],
  ]);
  // The API without DPOP_NONCE never asks for one: its proofs above carried none.
});

test('the API\'s test switches: redirects, nonces for ever, stale nonces, step-up; a typo is refused', async () => {
  const faults = (method, body) => fetch(`${api}/__test/faults`, {
    method, ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const plain = keep(await signIn(providerA, { resource }));
  const token = bound.access_token;
  const authorization = dpopAuthorization(token);
  const get = (init = {}) => fetch(me(), { redirect: 'manual', ...init });
  try {
    for (const bad of [[], { typo: true }, { redirect: 'elsewhere' }, { nonce_forever: 'yes' },
      { nonce_forever: true, stale_nonce: true }, { step_up: 'two words' }, { step_up: 7 }]) {
      assert.equal((await faults('POST', bad)).status, 400, JSON.stringify(bad));
    }
    assert.equal((await faults('POST', { redirect: 'same-origin' })).status, 204);
    assert.deepEqual(await (await faults('GET')).json(),
      { invalid_token: false, redirect: 'same-origin', nonce_forever: false, stale_nonce: false, step_up: null });
    let res = await get({ headers: { authorization: bearer(plain.access_token), origin: APP } });
    assert.deepEqual([res.status, res.headers.get('location'), res.headers.get('access-control-allow-origin')],
      [302, '/landing', APP], 'a same-origin redirect the app can see');
    assert.equal((await faults('POST', { redirect: 'cross-origin' })).status, 204);
    res = await get({ headers: { authorization: bearer(plain.access_token), origin: APP } });
    assert.deepEqual([res.status, res.headers.get('location')], [307, `${nonceApi}/landing`]);

    // The redirect target records what reaches it, and lets it all through: CORS for any origin, "null" included.
    const mark = (await calls(nonceApi)).length;
    const preflight = await fetch(`${nonceApi}/landing`, {
      method: 'OPTIONS',
      headers: {
        origin: 'null', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,dpop',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'null');
    assert.match(preflight.headers.get('access-control-allow-headers'), /\bauthorization\b.*\bdpop\b/);
    const landed = await fetch(`${nonceApi}/landing`, {
      headers: { origin: 'null', authorization, dpop: meProof(token) },
    });
    assert.deepEqual([landed.status, await landed.json()], [200, { landed: true }]);
    const landings = (await calls(nonceApi)).slice(mark);
    assert.deepEqual(landings.map((c) => [c.method, c.path, c.origin, c.authorization, c.proofs]),
      [['OPTIONS', '/landing', 'null', false, 0], ['GET', '/landing', 'null', true, 1]]);

    // A new nonce every time, whatever the proof carried; the proof itself is not checked.
    assert.equal((await faults('POST', { nonce_forever: true })).status, 204);
    const first = await callApi({ authorization, proof: meProof(token), origin: APP });
    const second = await callApi({ authorization, proof: meProof(token, { nonce: first.nonce }) });
    for (const answer of [first, second]) {
      assert.equal(answer.status, 401);
      assert.match(answer.challenge, /^DPoP realm="demo-api", error="use_dpop_nonce", /);
      assert.match(answer.nonce ?? '', /^[\w-]{16,}$/);
    }
    assert.notEqual(second.nonce, first.nonce);
    assert.equal(first.expose, EXPOSED, 'the app can read the nonce');
    assert.equal((await callApi({ authorization: bearer(plain.access_token) })).status, 200,
      'a Bearer request is not asked for a nonce');

    // The nonce just sent handed back; a new one for a proof without any.
    assert.equal((await faults('POST', { stale_nonce: true })).status, 204);
    const fresh = await callApi({ authorization, proof: meProof(token) });
    assert.deepEqual([fresh.status, typeof fresh.nonce], [401, 'string']);
    const stale = await callApi({ authorization, proof: meProof(token, { nonce: 'the-nonce-sent' }) });
    assert.deepEqual([stale.status, stale.nonce], [401, 'the-nonce-sent']);
    assert.match(stale.challenge, /error="use_dpop_nonce"/);
    assert.deepEqual((await calls()).slice(-2).map((c) => [c.scheme, c.proofNonce, c.status, c.error]),
      [['DPoP', false, 401, 'use_dpop_nonce'], ['DPoP', true, 401, 'use_dpop_nonce']]);

    // RFC 9470: a valid token of a sign-in below the level asked for, refused with the level in the challenge; one
    // at that level (the provider's introspection says `acr`) goes through.
    assert.equal((await faults('POST', { step_up: 'urn:test:mfa' })).status, 204);
    const below = await callApi({ authorization: bearer(plain.access_token) });
    assert.equal(below.status, 401);
    assert.equal(below.challenge, 'Bearer realm="demo-api", error="insufficient_user_authentication", '
      + 'error_description="this call needs a stronger sign-in (the test switch step_up is on)", '
      + 'acr_values="urn:test:mfa"');
    assert.equal((await faults('POST', { step_up: 'urn:test:pwd' })).status, 204);
    assert.equal((await callApi({ authorization: bearer(plain.access_token) })).status, 200,
      'a plain sign-in is at urn:test:pwd');
  } finally {
    assert.equal((await faults('DELETE')).status, 204);
  }
  assert.equal((await callApi({ authorization, proof: meProof(token) })).status, 200, 'all off again');
});

test('OWN_API=1: a resource on the provider\'s origin, with DPoP nonces of its own, not the provider\'s', async () => {
  const ownApi = `${providerN}/own-api/me`;
  const signedIn = keep(await signIn(providerN, { scope: 'openid profile email', dpop: dpopKeyA }));
  const authorization = dpopAuthorization(signedIn.access_token);
  const call = async (proof, headers = {}) => {
    const res = await fetch(ownApi, { headers: { authorization, dpop: proof, ...headers } });
    return {
      status: res.status,
      error: /error="([^"]*)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1] ?? null,
      nonce: res.headers.get('dpop-nonce'),
      expose: res.headers.get('access-control-expose-headers'),
      body: await res.json(),
    };
  };
  const proof = (options = {}, key = dpopKeyA) => makeProof(key, {
    htu: ownApi, token: signedIn.access_token, ...options,
  });
  const first = await call(proof(), { origin: APP });
  assert.deepEqual([first.status, first.error, first.expose], [401, 'use_dpop_nonce', EXPOSED]);
  assert.match(first.nonce ?? '', /^own-[\w-]{16,}$/);
  // The token endpoint's nonce is not the resource's.
  const { nonce: providerNonce } = await tokenRequest(providerN, { grant_type: 'refresh_token', refresh_token: 'x',
    client_id: CLIENT_ID }, dpopKeyA);
  assert.equal(typeof providerNonce, 'string');
  assert.equal((await call(proof({ nonce: providerNonce }))).error, 'use_dpop_nonce');
  const accepted = await call(proof({ nonce: first.nonce }));
  assert.deepEqual([accepted.status, accepted.body], [200, { sub: 'alice', api: 'own' }]);
  assert.equal((await call(proof({ nonce: first.nonce }, otherKey))).error, 'invalid_token', 'another key');
  assert.equal((await call(proof({ nonce: first.nonce, htu: `${providerN}/me` }))).error, 'invalid_dpop_proof');
  assert.equal((await call(proof({ nonce: first.nonce, token: 'another' }))).error, 'invalid_dpop_proof', 'ath');
  const log = await (await fetch(`${providerN}/__test/own-api-calls`)).json();
  assert.deepEqual(log.map((c) => [c.nonce === null ? null : c.nonce === first.nonce, c.status, c.error]), [
    [null, 401, 'use_dpop_nonce'], [false, 401, 'use_dpop_nonce'], [true, 200, null], [true, 401, 'invalid_token'],
    [true, 401, 'invalid_dpop_proof'], [true, 401, 'invalid_dpop_proof'],
  ]);
  assert.equal(log[0].issued, first.nonce);
});

test('provider B: the token is refused once it expired', async () => {
  await sleep(Math.max(0, short.issuedAt + (SHORT_TTL + 1) * 1000 - Date.now()));
  const answer = await callApi({ authorization: bearer(short.access_token) });
  assert.equal(answer.status, 401);
  assert.equal(answer.challenge, invalidToken('the access token is not active'));
});

test('the calls log and the API\'s output name tokens by fingerprint only', async () => {
  const log = await calls();
  const text = JSON.stringify(log);
  assert.ok(log.some((c) => c.token === fingerprint(tokens.access_token) && c.status === 200 && c.error === null));
  assert.ok(log.some((c) => c.token === fingerprint(tokens.access_token) && c.error === 'invalid_token'));
  assert.ok(log.some((c) => c.method === 'OPTIONS' && c.status === 204));
  const nonceText = JSON.stringify(await calls(nonceApi));
  for (const token of issued) {
    assert.equal(text.includes(token), false, 'a token in the calls log');
    assert.equal(nonceText.includes(token), false, 'a token in the nonce API\'s calls log');
    assert.equal(apiOutput.text.includes(token), false, 'a token in the API\'s output');
    assert.equal(nonceApiOutput.text.includes(token), false, 'a token in the nonce API\'s output');
  }
  assert.match(apiOutput.text, /^GET \/me 200$/m, 'one log line per request: method, path, status');
});
