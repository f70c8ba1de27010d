// Shared pieces of the end-to-end specs: where things run, the test user, and recorders that watch what the
// browser does (requests, navigations, tokens issued) so the specs can assert on what did NOT happen too.
// Recorders keep origins and paths only: a failing assertion must never print a token or a code.

import { expect } from '@playwright/test';

export const APP = 'http://127.0.0.1:8081';
export const APP_LOCALHOST = 'http://localhost:8081';
export const PROVIDER = 'http://127.0.0.1:9000';
export const CLIENT_ID = 'yew-oidc-spa';
export const STORAGE_PREFIX = 'yew-oidc:';
export const USER = { username: 'alice', password: 'wonderland', name: 'Alice Liddell' };
export const TOKEN_FIELDS = ['access_token', 'id_token', 'refresh_token'];

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

/** Every request any page of the context makes, in order, as { method, url } without query strings. */
export function recordRequests(context) {
  const log = [];
  context.on('request', (req) => log.push({ method: req.method(), url: withoutQuery(req.url()) }));
  return {
    mark: () => log.length,
    since: (mark) => log.slice(mark),
    toProvider: (mark = 0) => log.slice(mark).filter((r) => r.url.startsWith(`${PROVIDER}/`)),
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

/** On the provider's login page: sign in as the test user. */
export async function logInAtProvider(page, { username = USER.username, password = USER.password } = {}) {
  await expect(page.getByTestId('login-page')).toBeVisible();
  expect(withoutQuery(page.url()).startsWith(`${PROVIDER}/interaction/`)).toBe(true);
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

/** The app's own keys are namespaced, and a signed-in session is kept in sessionStorage. */
export function expectNamespacedSession(entries) {
  expect(entries.length, 'a signed-in app keeps its session in sessionStorage').toBeGreaterThan(0);
  for (const [key] of entries) {
    expect(key.startsWith(STORAGE_PREFIX), `sessionStorage key "${key}" starts with ${STORAGE_PREFIX}`).toBe(true);
  }
}
