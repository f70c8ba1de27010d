// Shared pieces of the end-to-end specs: where things run, the test user, and recorders that watch what the
// browser does (requests, navigations, tokens issued) so the specs can assert on what did NOT happen too.
// Recorders keep origins and paths only: a failing assertion must never print a token or a code.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect } from '@playwright/test';

import { API_SCOPE, resourceIdentifier } from '../resource/demo-api.mjs';

export const APP = 'http://127.0.0.1:8081';
export const APP_LOCALHOST = 'http://localhost:8081';
/** The same app built with `trunk build --public-url /some/app/` (dist-subpath/), served under that path. */
export const APP_SUBPATH = 'http://127.0.0.1:8082/some/app/';
/** The same build with its configuration inlined in the page (scripts/inline-config.mjs): inline-config.spec.mjs. */
export const APP_INLINE = 'http://127.0.0.1:8083';
/** The same build after the deploy step narrowed its policy to config.json's origins (scripts/deploy-csp.mjs),
 * with a config.json that signs out by POST: deploy-csp.spec.mjs. */
export const APP_DEPLOYED = 'http://127.0.0.1:8084';
/** Where playwright.config.mjs puts that copy of the build. */
export const DIST_DEPLOYED_DIR = join(tmpdir(), 'yew-oidc-spa-dist-deployed');
/** examples/minimal, the smallest app on the library (no router), its release build (examples/minimal/dist):
 * minimal.spec.mjs. */
export const APP_MINIMAL = 'http://127.0.0.1:8085';
export const PROVIDER = 'http://127.0.0.1:9000';
export const CLIENT_ID = 'yew-oidc-spa';
export const STORAGE_PREFIX = 'yew-oidc:';
/**
 * Where an app keeps its records: the library names every storage key, its Web Lock, its tab channel and its
 * IndexedDB database after the app's instance (Config::instance: the client and its redirect URI's path), so that two
 * apps on one origin never touch each other's.
 */
export const namespaceOf = (clientId = 'yew-oidc-spa', redirectPath = '/callback') =>
  `${STORAGE_PREFIX}${clientId}@${redirectPath}:`;
/** The demo's namespace at the root of its origin, with its own client. */
export const NAMESPACE = namespaceOf();
export const USER = { username: 'alice', password: 'wonderland', name: 'Alice Liddell' };
export const TOKEN_FIELDS = ['access_token', 'id_token', 'refresh_token'];

/** Debian's Chromium (never a downloaded browser), and the flags that keep it off the closed network. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Throws unless the release build in `distDir` lets the app reach the providers on 127.0.0.1: its policy allows
 * them only when built with CSP_LOOPBACK=1, and without them every sign-in fails on the CSP.
 */
export function requireLoopbackBuild(distDir) {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  if (csp && !/connect-src [^;]*http:\/\/127\.0\.0\.1:\*/.test(csp)) {
    throw new Error(`${distDir} is a production build: its connect-src does not allow the providers on 127.0.0.1. `
      + 'Build it with `CSP_LOOPBACK=1 scripts/release-build` for the tests and the benchmark.');
  }
}

let metadata;
/** The provider's discovery document, fetched once per worker. */
export async function providerMetadata() {
  if (!metadata) {
    const res = await fetch(`${PROVIDER}/.well-known/openid-configuration`);
    expect(res.ok, 'the provider serves its discovery document').toBe(true);
    metadata = await res.json();
  }
  return metadata;
}

/** `origin + pathname` of a URL: what recorders keep and what failure messages may show. */
export function withoutQuery(url) {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/**
 * The authorization request that `click` starts, however it travels: the navigation to `issuer`'s authorization
 * endpoint and, when the request was pushed first (RFC 9126: the navigation carries `request_uri`), the form the app
 * POSTed to the push endpoint. `params` are the request's own parameters wherever they went; `query` the
 * navigation's; `pushed` the push's form, or null.
 */
export async function authorizationRequest(page, click, issuer = PROVIDER) {
  const {
    authorization_endpoint: authorize, pushed_authorization_request_endpoint: par,
  } = await discover(issuer);
  const pushes = [];
  const onRequest = (req) => {
    if (par && req.method() === 'POST' && withoutQuery(req.url()) === par) pushes.push(req.postData() ?? '');
  };
  page.on('request', onRequest);
  try {
    const navigation = page.waitForRequest(
      (req) => req.isNavigationRequest() && withoutQuery(req.url()) === authorize,
    );
    await click();
    const request = await navigation;
    const query = new URL(request.url()).searchParams;
    const pushed = query.has('request_uri') ? new URLSearchParams(pushes.at(-1) ?? '') : null;
    return { request, query, pushed, params: pushed ?? query };
  } finally {
    page.off('request', onRequest);
  }
}

/** Every request any page of the context makes, in order, as { method, url } without query strings. */
export function recordRequests(context) {
  const log = [];
  context.on('request', (req) => log.push({ method: req.method(), url: withoutQuery(req.url()) }));
  return {
    mark: () => log.length,
    since: (mark) => log.slice(mark),
    toProvider: (mark = 0, provider = PROVIDER) => log.slice(mark).filter((r) => r.url.startsWith(`${provider}/`)),
  };
}

/** Committed main-frame navigations of a page, without query strings. */
export function recordNavigations(page) {
  const log = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) log.push(withoutQuery(frame.url()));
  });
  return { mark: () => log.length, since: (mark) => log.slice(mark) };
}

/**
 * Every token the provider's token endpoint hands out to the context, so later checks can look for those exact
 * strings in storage. `all()` waits for response bodies still being read.
 */
export function recordIssuedTokens(context, tokenEndpoint) {
  const pending = [];
  context.on('response', (res) => {
    if (res.request().method() !== 'POST' || withoutQuery(res.url()) !== tokenEndpoint || !res.ok()) return;
    pending.push(res.json().then(
      (body) => Object.fromEntries(TOKEN_FIELDS.filter((f) => typeof body[f] === 'string').map((f) => [f, body[f]])),
      () => ({}),
    ));
  });
  const settled = () => Promise.all(pending);
  return {
    count: () => pending.length,
    all: async () => (await settled()).flatMap((body) => Object.values(body)),
    of: async (field) => (await settled()).map((body) => body[field]).filter(Boolean),
  };
}

/** The current origin's sessionStorage as [key, value] pairs. */
export async function sessionEntries(page) {
  return page.evaluate(() => Object.entries(window.sessionStorage));
}

function jsonKeys(value, found = new Set()) {
  if (Array.isArray(value)) value.forEach((v) => jsonKeys(v, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      found.add(k);
      jsonKeys(v, found);
    }
  }
  return found;
}

/**
 * Storage holds no token: no key is named after a token, no JSON value has a token-named field, and no value
 * contains any token the provider issued during the test. Fails with key names only, never values.
 */
export function expectNoTokens(entries, issuedTokens, when) {
  for (const [key, value] of entries) {
    for (const field of TOKEN_FIELDS) {
      expect(key.includes(field), `${when}: sessionStorage key "${key}" is named after a token`).toBe(false);
    }
    let parsed;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    const fields = jsonKeys(parsed);
    for (const field of TOKEN_FIELDS) {
      expect(fields.has(field), `${when}: sessionStorage "${key}" has a field "${field}"`).toBe(false);
    }
    for (const token of issuedTokens) {
      expect(value.includes(token), `${when}: sessionStorage "${key}" holds a token the provider issued`).toBe(false);
    }
  }
}

/**
 * On the provider's login page (of `provider`, the bundled one by default, whose login pages live under
 * `loginPage`): sign in as the test user.
 */
export async function logInAtProvider(page, {
  username = USER.username, password = USER.password, provider = PROVIDER, loginPage = `${provider}/interaction/`,
} = {}) {
  await expect(page.getByTestId('login-page')).toBeVisible();
  expect(withoutQuery(page.url()).startsWith(loginPage), `the login page is under ${loginPage}`).toBe(true);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/** Back in the app, signed in as the test user, with code/state/iss already gone from the address bar. */
export async function expectSignedIn(page, origin = APP) {
  await expect(page.getByTestId('user-name')).toHaveText(USER.name);
  await expect(page.getByTestId('sign-out-local')).toBeVisible();
  await expect(page.getByTestId('sign-out-provider')).toBeVisible();
  expect(new URL(page.url()).origin).toBe(origin);
  const params = new URL(page.url()).searchParams;
  for (const name of ['code', 'state', 'iss', 'session_state']) {
    expect(params.has(name), `the address bar no longer carries "${name}"`).toBe(false);
  }
}

/**
 * Signed out as the user sees it: the sign-in button, no name. With `issued` (a recordIssuedTokens recorder), also
 * no token the provider issued left in sessionStorage.
 */
export async function expectSignedOut(page, issued, when = 'when signed out') {
  await expect(page.getByTestId('sign-in')).toBeVisible();
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  if (issued) expectNoTokens(await sessionEntries(page), await issued.all(), when);
}

/** A reload of a signed-in page keeps the session and asks the provider at `origin` nothing. */
export async function expectQuietReload(page, requests, origin = PROVIDER) {
  await page.waitForLoadState('networkidle');
  const mark = requests.mark();
  await page.reload();
  await expectSignedIn(page);
  await page.waitForLoadState('networkidle');
  expect(requests.toProvider(mark, origin), 'requests to the provider on reload').toEqual([]);
}

/** The app's own keys are namespaced, and a signed-in session is kept in sessionStorage. */
export function expectNamespacedSession(entries) {
  expect(entries.length, 'a signed-in app keeps its session in sessionStorage').toBeGreaterThan(0);
  for (const [key] of entries) {
    expect(key.startsWith(STORAGE_PREFIX), `sessionStorage key "${key}" starts with ${STORAGE_PREFIX}`).toBe(true);
  }
}

// --- Session lifecycle (lifecycle.spec.mjs) ---------------------------------------------------------------------

/**
 * A second instance of the bundled provider with short access tokens (ACCESS_TOKEN_TTL), so renewals happen
 * within seconds, and TEST_HOOKS=1, so it reports what its revocation endpoint received.
 */
export const SHORT_PROVIDER = 'http://127.0.0.1:9001';
export const SHORT_ACCESS_TOKEN_TTL = 20;
export const SESSION_KEY = `${NAMESPACE}session`;

/**
 * A third instance of the bundled provider that never rotates refresh tokens: every refresh is answered with the
 * very token it was sent (ROTATE_REFRESH_TOKENS=0), as Keycloak without rotation, IdentityServer with ReUse and
 * others do. Its access tokens live ECHO_ACCESS_TOKEN_TTL seconds, so renewals come every few seconds.
 */
export const ECHO_PROVIDER = 'http://127.0.0.1:9002';
export const ECHO_ACCESS_TOKEN_TTL = 10;

/** SHA-256 of a token, base64url: how tests and the provider's test hooks name a token without showing it. */
export function fingerprint(token) {
  return createHash('sha256').update(token).digest('base64url');
}

const metadataByIssuer = new Map();
/** The discovery document of any issuer, fetched once per worker. */
export async function discover(issuer) {
  if (!metadataByIssuer.has(issuer)) {
    const res = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(res.ok, `${issuer} serves its discovery document`).toBe(true);
    metadataByIssuer.set(issuer, await res.json());
  }
  return metadataByIssuer.get(issuer);
}

/** Every page of `context` loads this configuration instead of the app's config.json. */
export async function useConfig(context, config) {
  await context.route('**/config.json', (route) => route.fulfill({
    contentType: 'application/json',
    body: JSON.stringify({ client_id: CLIENT_ID, ...config }),
  }));
}

/** The app's stored session (`yew-oidc:<instance>:session`, whatever the instance) in this tab, parsed, or null. */
export async function storedSession(page) {
  const text = await page.evaluate((prefix) => {
    const key = Object.keys(window.sessionStorage).find((k) => k.startsWith(prefix) && k.endsWith(':session'));
    return key === undefined ? null : window.sessionStorage.getItem(key);
  }, STORAGE_PREFIX);
  return text === null ? null : JSON.parse(text);
}

/**
 * A new tab in `context` whose sessionStorage starts as `entries` ([key, value] pairs, e.g. from sessionEntries),
 * as a tab the browser restores or duplicates does: the entries are written on a same-origin document that is
 * not the app (config.json), then the tab loads the app at `url`.
 */
export async function openTabWithStorage(context, entries, url) {
  const tab = await context.newPage();
  await tab.goto(new URL('/config.json', url).href);
  await tab.evaluate((pairs) => {
    for (const [key, value] of pairs) window.sessionStorage.setItem(key, value);
  }, entries);
  await tab.goto(url);
  return tab;
}

/** A duplicate of `page` (its sessionStorage copied now) in a new tab of the same context, opened at `path`. */
export async function duplicateTab(page, path = '/') {
  return openTabWithStorage(page.context(), await sessionEntries(page), new URL(path, page.url()).href);
}

function pageOf(req) {
  try {
    return req.frame().page();
  } catch {
    return null; // a worker's request
  }
}

/**
 * Every POST the pages of `context` send to `tokenEndpoint`, in order: the grant type, a fingerprint of the
 * refresh token sent (if any), when it left (ms), which page sent it, and once answered its HTTP status and
 * `error`. `settled()` waits for answers still being read.
 */
export function recordTokenRequests(context, tokenEndpoint) {
  const log = [];
  const pending = [];
  const entries = new Map();
  context.on('request', (req) => {
    if (req.method() !== 'POST' || withoutQuery(req.url()) !== tokenEndpoint) return;
    const form = new URLSearchParams(req.postData() ?? '');
    const refreshToken = form.get('refresh_token');
    const entry = {
      grantType: form.get('grant_type'),
      refreshToken: refreshToken === null ? null : fingerprint(refreshToken),
      at: Date.now(),
      page: pageOf(req),
      status: undefined,
      error: undefined,
    };
    entries.set(req, entry);
    log.push(entry);
  });
  context.on('response', (res) => {
    const entry = entries.get(res.request());
    if (!entry) return;
    entry.status = res.status();
    pending.push(res.json().then((body) => {
      entry.error = body.error ?? null;
    }, () => {
      entry.error = null;
    }));
  });
  context.on('requestfailed', (req) => {
    const entry = entries.get(req);
    if (entry) entry.status = 'failed';
  });
  return {
    all: () => [...log],
    refreshes: () => log.filter((e) => e.grantType === 'refresh_token'),
    settled: () => Promise.all(pending),
  };
}

/**
 * A first sign-in with credentials at `issuer`, from the app's home page, back signed in. `login` is passed on to
 * logInAtProvider (e.g. the login page of a provider other than the bundled one).
 */
export async function signInAt(page, issuer, login = {}) {
  await page.goto('/');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page, { provider: issuer, ...login });
  await expectSignedIn(page);
}

/** The stored session, which must exist; its tokens stay in test memory and never reach a failure message. */
export async function sessionOf(page, who = 'the tab') {
  const session = await storedSession(page);
  expect(session, `${who} keeps its session in sessionStorage under ${SESSION_KEY}`).not.toBeNull();
  expect(typeof session.refresh_token, `${who} holds a refresh token`).toBe('string');
  return session;
}

/** Token comparisons that print fingerprints, not tokens, when they fail. */
export function expectSameToken(actual, expected, message) {
  expect(actual && fingerprint(actual), message).toBe(expected && fingerprint(expected));
}
export function expectOtherToken(actual, previous, message) {
  expect(actual && fingerprint(actual), message).not.toBe(previous && fingerprint(previous));
}

/** The revocation log of a TEST_HOOKS provider from index `mark` on, once it holds `count` entries. */
export async function revocationsSince(issuer, mark, count) {
  let seen = [];
  await expect.poll(async () => {
    seen = (await revocationsAt(issuer)).slice(mark);
    return seen.length;
  }, { message: `${issuer} received ${count} revocation requests` }).toBeGreaterThanOrEqual(count);
  return seen;
}

/** A refresh-token grant sent from the test itself, as an attacker holding `refreshToken` would. */
export async function refreshAtProvider(issuer, refreshToken) {
  const { token_endpoint: tokenEndpoint } = await discover(issuer);
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID }),
  });
  let body = {};
  try {
    body = await res.json();
  } catch {
    // Status alone decides then.
  }
  return { status: res.status, error: body.error ?? null };
}

/** Revokes `token` out of band (RFC 7009), as the provider's admin or another client of the user might. */
export async function revokeAtProvider(issuer, token, tokenTypeHint) {
  const { revocation_endpoint: revocationEndpoint } = await discover(issuer);
  const res = await fetch(revocationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: tokenTypeHint, client_id: CLIENT_ID }),
  });
  expect(res.status, 'the provider answers the revocation with 200').toBe(200);
}

/** What the revocation endpoint of a TEST_HOOKS provider received so far, in order (tokens as fingerprints). */
export async function revocationsAt(issuer) {
  const res = await fetch(`${issuer}/__test/revocations`);
  expect(res.ok, `${issuer} runs with TEST_HOOKS=1`).toBe(true);
  return res.json();
}

// --- Calling an API (api.spec.mjs) ----------------------------------------------------------------------------

/**
 * The demo API of tests/resource (RESOURCE_PORT 9200, TEST_HOOKS=1): a resource server of the bundled providers
 * that checks access tokens by introspection and reports what reached it.
 */
export const API = 'http://127.0.0.1:9200';
/** Its resource identifier (RFC 8707), which the bundled providers know (their API_RESOURCES default). */
export const API_RESOURCE = resourceIdentifier(Number(new URL(API).port));
export { API_SCOPE };

/**
 * What reached the API so far, in order: { method, path, origin, bearer, token (SHA-256 fingerprint or null),
 * tokenInQuery, status, error (the challenge's error code, or null) }. Preflights (OPTIONS) included.
 */
export async function apiCalls() {
  const res = await fetch(`${API}/__test/calls`);
  expect(res.ok, `${API} runs with TEST_HOOKS=1`).toBe(true);
  return res.json();
}

/** The API's calls from index `mark` on (a length of apiCalls()), preflights left out. */
export async function apiRequestsSince(mark) {
  return (await apiCalls()).slice(mark).filter((call) => call.method !== 'OPTIONS');
}

// --- The second provider (provider2.spec.mjs) -------------------------------------------------------------------

/**
 * An independent implementation, django-oauth-toolkit (tests/provider2, port 9300), with the same client id and
 * test user. Its issuer has a path; its login page is Django's, outside the issuer's path.
 */
export const PROVIDER2_ORIGIN = 'http://127.0.0.1:9300';
export const PROVIDER2 = `${PROVIDER2_ORIGIN}/o`;
export const PROVIDER2_LOGIN = { provider: PROVIDER2, loginPage: `${PROVIDER2_ORIGIN}/accounts/login/` };

// --- DPoP (dpop.spec.mjs) ---------------------------------------------------------------------------------------

/**
 * A fourth instance of the bundled provider that requires a nonce in every DPoP proof (DPOP_NONCE=1, RFC 9449 8),
 * with TEST_HOOKS=1. Its tokens may be for API or for API_WITH_NONCES; its ID tokens carry no name
 * (ID_TOKEN_CLAIMS=minimal), so the app asks UserInfo for it.
 */
export const DPOP_NONCE_PROVIDER = 'http://127.0.0.1:9003';
/**
 * A second instance of the demo API that requires a nonce in every DPoP proof (DPOP_NONCE=1, RFC 9449 9), a
 * resource server of PROVIDER and DPOP_NONCE_PROVIDER, with TEST_HOOKS=1.
 */
export const API_WITH_NONCES = 'http://127.0.0.1:9203';
export const API_WITH_NONCES_RESOURCE = resourceIdentifier(Number(new URL(API_WITH_NONCES).port));

// --- Faults (faults.spec.mjs, tests/firefox/faults.test.mjs) ---------------------------------------------------

/**
 * A fifth instance of the bundled provider for faults.spec.mjs alone, so that its faults never reach another spec:
 * access tokens of FAULT_ACCESS_TOKEN_TTL seconds and TEST_HOOKS=1, with the fault switches, the request log and the
 * reuse grace window of tests/provider/server.mjs. Its tokens may be for API_FAULTS.
 */
export const FAULT_PROVIDER = 'http://127.0.0.1:9004';
export const FAULT_ACCESS_TOKEN_TTL = 10;
/** A third instance of the demo API, a resource server of FAULT_PROVIDER only, with its fault switch (TEST_HOOKS). */
export const API_FAULTS = 'http://127.0.0.1:9204';
export const API_FAULTS_RESOURCE = resourceIdentifier(Number(new URL(API_FAULTS).port));

// --- Hostile resource servers (resource-hostile.spec.mjs) -------------------------------------------------------

/**
 * A fourth instance of the demo API, a resource server of PROVIDER, for resource-hostile.spec.mjs alone: its fault
 * switches (TEST_HOOKS) redirect (to its own /landing, or to API's: REDIRECT_ORIGIN) or ask for DPoP nonces for ever.
 */
export const HOSTILE_API = 'http://127.0.0.1:9206';
export const HOSTILE_API_RESOURCE = resourceIdentifier(Number(new URL(HOSTILE_API).port));
/**
 * A sixth instance of the bundled provider that requires DPoP nonces (DPOP_NONCE=1) and serves a resource of its own
 * on its origin (OWN_API=1: GET /own-api/me, with nonces of its own), so that an authorization server's nonces and
 * a resource server's meet on one origin. Its ID tokens carry the name, so the app never calls its UserInfo.
 */
export const OWN_API_PROVIDER = 'http://127.0.0.1:9006';

// --- Pushed authorization requests (par.spec.mjs) ---------------------------------------------------------------

/**
 * A seventh instance of the bundled provider that requires pushed authorization requests (PAR=required, RFC 9126:
 * `require_pushed_authorization_requests`, a plain request refused at the authorization endpoint), with
 * TEST_HOOKS=1 for its fault switches (the route `pushed_authorization_request`).
 */
export const PAR_PROVIDER = 'http://127.0.0.1:9007';

/** A test hook of a TEST_HOOKS server: `method` on `url`, with `body` as JSON; the answer's JSON, if any. */
async function testHook(method, url, body) {
  const res = await fetch(url, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status} ${text} (is TEST_HOOKS=1 set?)`);
  return text === '' ? undefined : JSON.parse(text);
}

/**
 * The fault rules of a TEST_HOOKS provider (see tests/provider/server.mjs): `rules` replace the current ones.
 * E.g. [{ route: 'token', grant_type: 'refresh_token', mode: 'status', status: 503, times: 1 }].
 */
export const setFaults = (issuer, rules) => testHook('POST', `${issuer}/__test/faults`, rules);
export const clearFaults = (issuer) => testHook('DELETE', `${issuer}/__test/faults`);
/**
 * What reached the provider's endpoints since the last clearHits, in order: { route, grant_type, at, status, fault,
 * reuse_grace }.
 */
export const providerHits = (issuer) => testHook('GET', `${issuer}/__test/hits`);
export const clearHits = (issuer) => testHook('DELETE', `${issuer}/__test/hits`);
/** The provider's reuse grace window for rotated refresh tokens, in seconds (0: off, plain reuse detection). */
export const setReuseGrace = (issuer, seconds) => testHook('POST', `${issuer}/__test/reuse-grace`, { seconds });
/**
 * The demo API's fault switches (tests/resource/server.mjs), which replace the current ones: `invalid_token` true
 * makes GET /me refuse every token; `redirect`, `nonce_forever` and `stale_nonce` are a hostile API's answers.
 */
export const setApiFaults = (api, faults) => testHook('POST', `${api}/__test/faults`, faults);
export const clearApiFaults = (api) => testHook('DELETE', `${api}/__test/faults`);

/**
 * Runs in every document of the page: notes whether `user-name`, once shown, ever left the DOM, and whether anything
 * that ends a session (a signed-out notice, an auth error, the sign-in button) ever showed after it.
 */
export function watchUserName() {
  window.__userName = { seen: false, lost: false, ended: false };
  const selector = '[data-testid="user-name"]';
  const ends = '[data-testid="signed-out-notice"], [data-testid="auth-error"], [data-testid="sign-in"]';
  const removes = (node) => node.nodeType === Node.ELEMENT_NODE
    && (node.matches(selector) || node.querySelector(selector) !== null);
  new MutationObserver((records) => {
    if (window.__userName.seen && records.some((r) => [...r.removedNodes].some(removes))) window.__userName.lost = true;
    if (document.querySelector(selector)) window.__userName.seen = true;
    else if (window.__userName.seen) window.__userName.lost = true;
    if (window.__userName.seen && document.querySelector(ends)) window.__userName.ended = true;
  }).observe(document, { childList: true, subtree: true });
}
