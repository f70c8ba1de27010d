// Shared pieces of the end-to-end specs: recorders that watch what the browser does (requests, navigations, tokens
// issued, traffic to the providers and APIs) so the specs can assert on what did NOT happen too, and the steps and
// checks that drive a page with Playwright. Where things run and the test user come from tests/shared/, re-exported.
// Recorders keep origins and paths only: a failing assertion must never print a token or a code.

import { expect } from '@playwright/test';

import {
  API, API_SCOPE, APP, CLIENT_ID, HOSTILE_API, HOSTILE_API_RESOURCE, PROVIDER, SESSION_KEY, STORAGE_PREFIX,
  TOKEN_FIELDS, USER, fingerprint,
} from '../shared/constants.mjs';
import { expectNoTokens } from '../shared/storage-checks.mjs';

// Where things run, the test user, and the checks and hooks that need no browser driver live in tests/shared/, where
// the servers, the WebDriver suites and the benchmark import them without loading Playwright; the specs take them
// from here.
export * from '../shared/constants.mjs';
export { expectNamespacedSession, expectNoTokens } from '../shared/storage-checks.mjs';
export {
  clearApiFaults, clearFaults, clearHits, providerHits, setApiFaults, setFaults, setOpenerPolicy, setReuseGrace,
} from '../shared/test-hooks.mjs';

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

// --- Session lifecycle (lifecycle.spec.mjs) ---------------------------------------------------------------------

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

/** The `nonce` claim of a DPoP proof, read without checking it (undefined when there is none, or no proof). */
function nonceOf(proof) {
  try {
    return JSON.parse(Buffer.from(proof.split('.')[1], 'base64url').toString('utf8')).nonce;
  } catch {
    return undefined;
  }
}

/** config.json for calling HOSTILE_API (its GET /me) with tokens from the bundled provider, with or without DPoP. */
export function hostileApiConfig(dpop) {
  return {
    issuer: PROVIDER,
    scope: `openid profile email ${API_SCOPE}`,
    api_origins: [HOSTILE_API],
    resource: HOSTILE_API_RESOURCE,
    api_url: `${HOSTILE_API}/me`,
    ...(dpop && { dpop: true }),
  };
}

/**
 * Every request of the context to another origin than the app's (preflights left out), in order, for the specs of
 * DPoP and of API calls (dpop.spec.mjs, resource-hostile.spec.mjs): method, URL without query, the grant_type of a
 * form POST, `dpop_jkt` of a navigation or a form POST, whether it carried `Authorization` (and its scheme and token, kept in memory
 * for the checks, never shown), the DPoP header (the proof, or null) and the proof's nonce, and once answered its
 * status, `DPoP-Nonce` header and error (a form POST's JSON `error`, else the challenge's), or status 'failed'.
 * The headers are read as the request leaves, then again with those the browser adds (allHeaders); `settled()` waits
 * for that and for answers still being read.
 */
export function recordTraffic(context) {
  const log = [];
  const entries = new Map();
  const pending = [];
  const readHeaders = (entry, headers) => {
    const credentials = /^(\S+) +(\S+)$/.exec(headers.authorization ?? '');
    entry.authorization = headers.authorization !== undefined;
    [entry.scheme, entry.token] = credentials ? credentials.slice(1) : [null, null];
    entry.proof = headers.dpop ?? null;
    entry.proofNonce = headers.dpop === undefined ? undefined : nonceOf(headers.dpop);
  };
  context.on('request', (req) => {
    const url = new URL(req.url());
    if (url.origin === APP || req.method() === 'OPTIONS') return;
    const entry = {
      method: req.method(),
      url: withoutQuery(req.url()),
      grantType: req.method() === 'POST' ? new URLSearchParams(req.postData() ?? '').get('grant_type') : null,
      // A navigation's (the authorization request), or a pushed authorization request's form (RFC 9126).
      dpopJkt: req.isNavigationRequest() ? url.searchParams.get('dpop_jkt')
        : new URLSearchParams(req.postData() ?? '').get('dpop_jkt'),
      status: undefined,
      nonce: null,
      error: null,
    };
    readHeaders(entry, req.headers());
    entries.set(req, entry);
    log.push(entry);
    pending.push(req.allHeaders().then((headers) => readHeaders(entry, headers)));
  });
  context.on('response', (res) => {
    const entry = entries.get(res.request());
    if (!entry) return;
    entry.status = res.status();
    pending.push((async () => {
      const headers = await res.allHeaders();
      entry.nonce = headers['dpop-nonce'] ?? null;
      entry.error = /error="([^"]*)"/.exec(headers['www-authenticate'] ?? '')?.[1] ?? null;
      // A form POST's answer (token requests, a pushed authorization request) says its error in JSON.
      if (entry.method === 'POST') {
        try {
          entry.error = (await res.json()).error ?? null;
        } catch {
          // Status alone then.
        }
      }
    })());
  });
  context.on('requestfailed', (req) => {
    const entry = entries.get(req);
    if (entry) entry.status = 'failed';
  });
  return {
    mark: () => log.length,
    since: (mark) => log.slice(mark),
    to: (url) => log.filter((e) => e.url === url),
    all: () => [...log],
    async settled() {
      for (let seen = -1; seen !== pending.length;) {
        seen = pending.length;
        await Promise.all(pending);
      }
    },
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
