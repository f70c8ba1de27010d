// Hostile providers (issue 5): the release app against the issuers of tests/hostile, each wrong in exactly one
// way, at http://127.0.0.1:9100/<case>. config.json is swapped per test (page.route) to point at the case's issuer.
// A rejected case ends in `auth-error` that names the failed check, with no user name, no token in sessionStorage,
// no uncaught page error, no provider script run and no provider text that must stay hidden; the provider's log
// shows the app stopped at the right step (a code is never redeemed after a bad callback, and UserInfo is never
// asked with tokens from a rejected response). An accepted case signs Alice in. Then the client-side cases: a
// callback nobody asked for, a replayed callback, and garbage in sessionStorage.

import { expect, test } from '@playwright/test';

import { CASES, HOSTILE, HTML_DESCRIPTION, LEAK_MARKER } from '../hostile/cases.mjs';
import {
  APP, CLIENT_ID, STORAGE_PREFIX, expectNoTokens, expectSignedIn, recordIssuedTokens, sessionEntries, withoutQuery,
} from './support.mjs';

const issuerOf = (id) => `${HOSTILE}/${id}`;
const casesWith = (outcome) => Object.entries(CASES).filter(([, kase]) => kase.outcome === outcome);

/**
 * What the error view must mention for each rejected case, so that no case passes by failing somewhere else (a
 * CORS error, a broken fixture). Loose on purpose: the concept, not the app's sentence.
 */
const REASON = {
  'discovery-issuer-mismatch': /issuer/i,
  'state-wrong': /\bstate\b/i,
  'state-missing': /\bstate\b/i,
  'iss-param-wrong': /issuer|\biss\b/i,
  'iss-param-missing': /issuer|\biss\b/i,
  'access-denied': /access_denied/,
  'error-html': /access_denied/,
  'token-400': /invalid_grant/,
  'token-500-html': /\b500\b/,
  'token-200-not-json': /JSON|malformed/i,
  'token-type-mac': /Bearer|token_type/i,
  'token-no-id-token': /id_token|ID token/i,
  'id-token-malformed': /malformed|compact|parts|segments/i,
  'iss-wrong': /issue[dr]|\biss\b/i,
  'aud-wrong': /\baud\b|audience/i,
  'aud-multi-no-azp': /\bazp\b|authorized party/i,
  'aud-extra-untrusted': /not trust|untrusted/i,
  'azp-wrong': /\bazp\b|authorized party/i,
  'bad-signature': /signature/i,
  'kid-unknown': /\bkid\b|\bkeys?\b|JWKS?/i,
  'alg-none': /\bnone\b|unsigned/i,
  'alg-hs256': /HS256|symmetric|HMAC/i,
  'jwk-use-enc': /\bkid\b|\bkeys?\b|JWKS?/i,
  'no-kid-two-keys': /\bkid\b|\bkeys?\b|JWKS?|ambiguous/i,
  'rsa-1024': /\b1024 bits\b.*\b2048\b/,
  'exp-expired': /expired|\bexp\b/i,
  'exp-missing': /\bexp\b|expir/i,
  'iat-future': /\biat\b|issued|future/i,
  'iat-missing': /\biat\b|issued/i,
  'nonce-wrong': /nonce/i,
  'nonce-missing': /nonce/i,
  'sub-missing': /\bsub\b|subject/i,
  'userinfo-sub-mismatch': /\bsub\b|another user|subject/i,
};

/** Provider text that must never reach the page, not even for a moment. */
const NEVER_SHOWN = {
  'token-500-html': [LEAK_MARKER],
  'token-200-not-json': [LEAK_MARKER],
  'userinfo-sub-mismatch': ['Mallory'],
};

/**
 * JWKS fetches by a fresh tab: the signature cases must have consulted the JWKS (an app that skips verification
 * accepts them for free); an unknown kid is refetched once, never in a loop.
 */
const JWKS_FETCHES = {
  es256: { min: 1 },
  'no-kid-single-key': { min: 1 },
  'key-rotation': { min: 2, max: 2 },
  'kid-unknown': { max: 2 },
  'jwk-use-enc': { max: 2 },
  'no-kid-two-keys': { max: 2 },
  // Found but too weak: refused, and not mistaken for a rotation (no refetch).
  'rsa-1024': { min: 1, max: 1 },
};

/** Checks a single case needs beyond the common ones. */
const EXTRA_CHECKS = {
  async 'access-denied'(page) {
    await expect(page.getByTestId('auth-error')).toContainText('The user denied the request');
  },
  async 'error-html'(page) {
    const error = page.getByTestId('auth-error');
    await expect(error, 'the description is shown as text, literally').toContainText(HTML_DESCRIPTION);
    await expect(error.locator('img, script'), 'the description became markup').toHaveCount(0);
  },
};

async function hostileLog(id) {
  const res = await fetch(`${HOSTILE}/__log?case=${encodeURIComponent(id)}`);
  expect(res.ok, 'the hostile provider answers /__log').toBe(true);
  return (await res.json())[id];
}

async function resetHostile(id) {
  const res = await fetch(`${HOSTILE}/__reset?case=${encodeURIComponent(id)}`, { method: 'POST' });
  expect(res.ok, 'the hostile provider answers /__reset').toBe(true);
}

const requestsTo = (log, method, path) => log.requests.filter((r) => r.method === method && r.path === path);

function expectJwksFetches(log, id) {
  const { min = 0, max = Infinity } = JWKS_FETCHES[id] ?? {};
  expect(log.jwksFetches, `JWKS fetches for ${id}`).toBeGreaterThanOrEqual(min);
  expect(log.jwksFetches, `JWKS fetches for ${id}`).toBeLessThanOrEqual(max);
}

// Runs in every document of the page before its scripts: remembers any needle that ever appears in the DOM.
function watchForText(needles) {
  window.__neverShownSeen = [];
  if (needles.length === 0) return;
  const check = () => {
    const text = document.documentElement?.textContent ?? '';
    for (const needle of needles) {
      if (text.includes(needle) && !window.__neverShownSeen.includes(needle)) window.__neverShownSeen.push(needle);
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
}

/**
 * Points the app at the case's issuer (with the case's own config.json fields, if any) and starts watching:
 * returns the page's uncaught errors (messages only), filled as they happen.
 */
async function useIssuer(page, id, { neverShown = [] } = {}) {
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.addInitScript(watchForText, neverShown);
  await page.route('**/config.json', (route) => route.fulfill({
    contentType: 'application/json',
    body: JSON.stringify({ issuer: issuerOf(id), client_id: CLIENT_ID, ...CASES[id].config }),
  }));
  return pageErrors;
}

async function signIn(page) {
  await page.goto('/');
  await page.getByTestId('sign-in').click();
}

async function expectNoProviderEffects(page) {
  expect(await page.evaluate(() => window.__xss), 'a script from the provider ran').toBeUndefined();
  expect(await page.evaluate(() => window.__neverShownSeen), 'provider text that must stay hidden').toEqual([]);
}

test('every hostile case has its expectations in this spec', () => {
  expect(Object.keys(REASON).sort()).toEqual(casesWith('reject').map(([id]) => id).sort());
  for (const id of [...Object.keys(NEVER_SHOWN), ...Object.keys(JWKS_FETCHES), ...Object.keys(EXTRA_CHECKS)]) {
    expect(Object.hasOwn(CASES, id), `${id} is a hostile case`).toBe(true);
  }
});

test.describe('rejected: auth-error, nothing stored, nothing shown, nothing run', () => {
  for (const [id, kase] of casesWith('reject')) {
    test(`${id} (${kase.rule})`, async ({ page, context }) => {
      await resetHostile(id);
      const pageErrors = await useIssuer(page, id, { neverShown: NEVER_SHOWN[id] });
      const issued = recordIssuedTokens(context, `${issuerOf(id)}/token`);
      await signIn(page);

      const error = page.getByTestId('auth-error');
      await expect(error).toBeVisible();
      // innerText: textContent runs the error's parts together ("no subNothing was stored"), hiding word ends.
      await expect(error, 'the error names the failed check').toContainText(REASON[id], { useInnerText: true });
      await EXTRA_CHECKS[id]?.(page);
      await expect(page.getByTestId('user-name')).toHaveCount(0);
      expectNoTokens(await sessionEntries(page), await issued.all(), `after ${id}`);
      await expectNoProviderEffects(page);

      // Where the app stopped, as the provider saw it.
      const log = await hostileLog(id);
      const tokenRequests = requestsTo(log, 'POST', '/token');
      if (kase.stage === 'discovery') {
        expect(requestsTo(log, 'GET', '/authorize'), 'authorization requests after bad metadata').toEqual([]);
      }
      if (kase.stage === 'discovery' || kase.stage === 'callback') {
        expect(tokenRequests, 'token requests: the code must never be redeemed').toEqual([]);
      } else {
        // One redemption with the right PKCE verifier: the app got as far as the case's step.
        expect(tokenRequests.map((r) => r.pkce), 'token requests and their PKCE check').toEqual(['ok']);
      }
      const userinfoRequests = requestsTo(log, 'GET', '/userinfo');
      if (kase.stage === 'userinfo') {
        expect(userinfoRequests.map((r) => r.bearer), 'UserInfo requests and their Bearer header').toEqual(['ok']);
      } else {
        expect(userinfoRequests, 'UserInfo requests with tokens from a rejected response').toEqual([]);
      }
      expectJwksFetches(log, id);
      expect(pageErrors, 'uncaught page errors').toEqual([]);
    });
  }
});

test.describe('accepted: signed in as Alice', () => {
  for (const [id, kase] of casesWith('accept')) {
    test(`${id} (${kase.rule})`, async ({ page }) => {
      await resetHostile(id);
      const pageErrors = await useIssuer(page, id);
      await signIn(page);
      await expectSignedIn(page);
      await expect(page.getByTestId('auth-error')).toHaveCount(0);

      const log = await hostileLog(id);
      expect(requestsTo(log, 'POST', '/token').map((r) => r.pkce), 'token requests and their PKCE check')
        .toEqual(['ok']);
      expectJwksFetches(log, id);
      expect(pageErrors, 'uncaught page errors').toEqual([]);
    });
  }
});

test.describe('client-side cases, against the good issuer', () => {
  const GOOD = 'good';
  const UNSOLICITED_CALLBACK = '/callback?code=x&state=y';

  test.beforeEach(async () => {
    await resetHostile(GOOD);
  });

  test('a callback with no sign-in pending, in a fresh tab: auth-error and no code exchange', async ({ page }) => {
    const pageErrors = await useIssuer(page, GOOD);
    // Another tab of the app listens on the channel a sign-in window hands its response back on: a tab that is no
    // sign-in window (no opener, no mark in its storage) hands its URL to nobody.
    const other = await page.context().newPage();
    await other.goto('/');
    await other.evaluate(() => {
      window.handed = [];
      new BroadcastChannel('yew-oidc:popup').onmessage = (event) => window.handed.push(String(event.data));
    });
    await page.goto(UNSOLICITED_CALLBACK);
    await expect(page.getByTestId('auth-error')).toBeVisible();
    await expect(page.getByTestId('user-name')).toHaveCount(0);
    expect(requestsTo(await hostileLog(GOOD), 'POST', '/token'), 'token requests').toEqual([]);
    expectNoTokens(await sessionEntries(page), [], 'after an unsolicited callback');
    expect(await other.evaluate(() => window.handed), 'messages on the sign-in windows\' channel').toEqual([]);
    await other.close();

    await page.getByTestId('dismiss-error').click();
    await expect(page.getByTestId('sign-in')).toBeVisible();
    expect(pageErrors, 'uncaught page errors').toEqual([]);
  });

  test('a callback with no sign-in pending, while signed in: no code exchange, the session survives', async ({
    page,
  }) => {
    const pageErrors = await useIssuer(page, GOOD);
    await signIn(page);
    await expectSignedIn(page);
    expect(requestsTo(await hostileLog(GOOD), 'POST', '/token')).toHaveLength(1);

    await page.goto(UNSOLICITED_CALLBACK);
    await expect(page.getByTestId('auth-error')).toBeVisible();
    expect(requestsTo(await hostileLog(GOOD), 'POST', '/token'), 'token requests').toHaveLength(1);

    await page.getByTestId('dismiss-error').click();
    await expectSignedIn(page);
    expect(pageErrors, 'uncaught page errors').toEqual([]);
  });

  test('a replayed callback URL: auth-error, no second code exchange, the session survives', async ({ page }) => {
    const pageErrors = await useIssuer(page, GOOD);
    // Full URLs, code included: kept in memory for the replay, never printed.
    const callbackUrls = [];
    page.on('request', (req) => {
      if (req.isNavigationRequest() && withoutQuery(req.url()) === `${APP}/callback`) callbackUrls.push(req.url());
    });
    await signIn(page);
    await expectSignedIn(page);
    expect(callbackUrls, 'navigations to the callback').toHaveLength(1);
    const [callbackUrl] = callbackUrls;
    expect(new URL(callbackUrl).searchParams.has('code'), 'the callback URL carries a code').toBe(true);

    await page.goto(callbackUrl);
    await expect(page.getByTestId('auth-error')).toBeVisible();
    const log = await hostileLog(GOOD);
    expect(requestsTo(log, 'POST', '/token'), 'token requests').toHaveLength(1);
    expect(log.repeatedCodes, 'codes presented twice').toBe(0);

    await page.getByTestId('dismiss-error').click();
    await expectSignedIn(page);
    expect(pageErrors, 'uncaught page errors').toEqual([]);
  });

  // Replaces every value the app stored, leaving the keys: what a buggy or hostile script on the origin could do.
  const corruptEveryValue = (garbage) => {
    const keys = Object.keys(window.sessionStorage);
    for (const key of keys) window.sessionStorage.setItem(key, garbage);
    return keys;
  };

  for (const garbage of ['{"x', 'null', '[]', '', '{}', '"a string"', '\ud800']) {
    test(`every sessionStorage value replaced by ${JSON.stringify(garbage)}, then reload: no crash`, async ({
      page,
    }) => {
      const pageErrors = await useIssuer(page, GOOD);
      await signIn(page);
      await expectSignedIn(page);
      const keys = await page.evaluate(corruptEveryValue, garbage);
      expect(keys.length, 'the signed-in app had stored something').toBeGreaterThan(0);
      for (const key of keys) expect(key.startsWith(STORAGE_PREFIX), `${key} is namespaced`).toBe(true);

      await page.reload();
      const signInButton = page.getByTestId('sign-in');
      await expect(signInButton.or(page.getByTestId('user-name'))).toBeVisible();
      if (await signInButton.isVisible()) {
        // Signed out: and signing in again works.
        await signInButton.click();
        await expectSignedIn(page);
      }
      expect(pageErrors, 'uncaught page errors').toEqual([]);
    });
  }

  test('garbage in place of a pending sign-in: auth-error, and the code is never redeemed', async ({ page }) => {
    const pageErrors = await useIssuer(page, GOOD);
    await page.goto('/');
    // Stop the navigation to the provider once: the app's document stays, with its pending sign-in stored.
    let authorizeUrl;
    let stopped = false;
    await page.route((url) => withoutQuery(url.href) === `${issuerOf(GOOD)}/authorize`, async (route) => {
      authorizeUrl = route.request().url();
      await route.abort('aborted');
      stopped = true;
    }, { times: 1 });
    await page.getByTestId('sign-in').click();
    await expect.poll(() => stopped, { message: 'the app navigates to the authorization endpoint' }).toBe(true);
    const keys = await page.evaluate(corruptEveryValue, '{"x');
    expect(keys.length, 'a pending sign-in was stored').toBeGreaterThan(0);

    await page.goto(authorizeUrl);
    await expect(page.getByTestId('auth-error')).toBeVisible();
    await expect(page.getByTestId('user-name')).toHaveCount(0);
    expect(requestsTo(await hostileLog(GOOD), 'POST', '/token'), 'token requests').toEqual([]);
    expect(pageErrors, 'uncaught page errors').toEqual([]);
  });
});
