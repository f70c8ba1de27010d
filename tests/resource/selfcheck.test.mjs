// Checks the demo API (server.mjs) and the provider configuration it relies on, without a browser: two bundled
// provider instances and the API on spare loopback ports, real tokens from a real authorization code flow with PKCE
// driven by fetch through the provider's login page, and every answer the API promises. So a red end-to-end API
// test means the app did something wrong, not the fixture.
//
//   node --test tests/resource/selfcheck.test.mjs      (a few seconds; scripts/test runs it)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { API_CLIENT_ID, API_CLIENT_SECRET, API_SCOPE } from './demo-api.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLIENT_ID = 'yew-oidc-spa';
const APP = 'http://127.0.0.1:8081'; // a registered redirect target; nothing needs to listen there
const REDIRECT_URI = `${APP}/callback`;
const USER = { username: 'alice', password: 'wonderland' };
const OTHER_RESOURCE = 'https://other-api.example/';
/** Provider B's access tokens live this long, so the expiry check waits only a little. */
const SHORT_TTL = 2;

const fingerprint = (token) => createHash('sha256').update(token).digest('base64url');
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
let api;
let resource;
let apiOutput;

before(async () => {
  const [portA, portB, apiPort] = [await sparePort(), await sparePort(), await sparePort()];
  providerA = `http://127.0.0.1:${portA}`;
  providerB = `http://127.0.0.1:${portB}`;
  api = `http://127.0.0.1:${apiPort}`;
  resource = `${api}/`;
  const providerEnv = { API_RESOURCES: `${resource},${OTHER_RESOURCE}`, TEST_HOOKS: '' };
  const discovery = (issuer) => `${issuer}/.well-known/openid-configuration`;
  [, , apiOutput] = await Promise.all([
    start('tests/provider/server.mjs', { ...providerEnv, PROVIDER_PORT: String(portA) }, discovery(providerA)),
    start('tests/provider/server.mjs', {
      ...providerEnv, PROVIDER_PORT: String(portB), ACCESS_TOKEN_TTL: String(SHORT_TTL),
    }, discovery(providerB)),
    start('tests/resource/server.mjs', {
      RESOURCE_PORT: String(apiPort), PROVIDERS: `${providerA},${providerB}`, TEST_HOOKS: '1', API_RESOURCE: '',
    }, `${api}/__test/calls`),
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
        body: new URLSearchParams(USER),
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

/** Signs alice in at `issuer` as the app's client; `resource` (RFC 8707) is sent only when given. */
async function signIn(issuer, { resource: indicator, scope = `openid profile email ${API_SCOPE}` } = {}) {
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
  });
  assert.equal(back.get('error'), null, `the provider refused the sign-in: ${back.get('error')}`);
  assert.equal(back.get('state'), state);
  assert.equal(back.get('iss'), issuer);
  const res = await fetch((await discover(issuer)).token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: back.get('code'), redirect_uri: REDIRECT_URI, client_id: CLIENT_ID,
      code_verifier: verifier,
    }),
  });
  assert.equal(res.status, 200, 'the code exchange succeeds');
  return { ...(await res.json()), issuedAt: Date.now() };
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

/** GET /me at the API: status, the challenge, CORS headers and the parsed body. */
async function callApi({ authorization, query = '', origin } = {}) {
  const headers = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (origin !== undefined) headers.origin = origin;
  const res = await fetch(`${api}/me${query}`, { headers });
  const text = await res.text();
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    allowOrigin: res.headers.get('access-control-allow-origin'),
    expose: res.headers.get('access-control-expose-headers'),
    body: text ? JSON.parse(text) : undefined,
  };
}
const bearer = (token) => `Bearer ${token}`;
const invalidToken = (description) => (
  `Bearer realm="demo-api", error="invalid_token", error_description="${description}"`);
const calls = async () => (await fetch(`${api}/__test/calls`)).json();

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
  assert.equal(answer.expose, 'WWW-Authenticate', 'and the challenge');
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
    assert.equal(answer.expose, 'WWW-Authenticate');
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
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
  for (const origin of ['http://127.0.0.1:8081', 'http://localhost:8081', 'http://127.0.0.1:8080']) {
    const res = await preflight(origin);
    assert.equal(res.status, 204, origin);
    assert.equal(res.headers.get('access-control-allow-origin'), origin);
    assert.match(res.headers.get('access-control-allow-headers'), /\bauthorization\b/i);
  }
  const refused = await preflight('https://evil.example');
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
  const fromElsewhere = await callApi({ origin: 'https://evil.example' });
  assert.equal(fromElsewhere.allowOrigin, null);
  assert.equal((await fetch(`${api}/me`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${api}/other`)).status, 404);
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
  for (const token of issued) {
    assert.equal(text.includes(token), false, 'a token in the calls log');
    assert.equal(apiOutput.text.includes(token), false, 'a token in the API\'s output');
  }
  assert.match(apiOutput.text, /^GET \/me 200$/m, 'one log line per request: method, path, status');
});
