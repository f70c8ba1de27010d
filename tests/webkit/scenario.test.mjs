// The seed scenario, the two-tab sign-out, the sign-in in a window of its own and one renewal in WebKitGTK, Safari's
// engine: Debian's MiniBrowser driven by WebKitWebDriver (tests/webdriver/harness.mjs). The first three are
// tests/webdriver/scenarios.mjs, on this suite's own provider (127.0.0.1:9020) and app (127.0.0.1:8092); the renewal
// has a provider of short-lived access tokens (127.0.0.1:9021) and an app that renews a few seconds after sign-in
// (127.0.0.1:8093). MiniBrowser needs a display, so the run goes under Xvfb:
//
//   CSP_LOOPBACK=1 scripts/release-build && xvfb-run -a node --test tests/webkit/

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ENGINES, expectSignedIn, gone, hasText, startSite } from '../webdriver/harness.mjs';
import {
  LONG, browserFor, rememberTokens, scenarioTests, signInWithCredentials, stepsOf,
} from '../webdriver/scenarios.mjs';

const engine = ENGINES.webkit;

scenarioTests(engine, { popup: true });

/** Access tokens of the renewal's provider live this long (s); the app renews RENEW_AFTER s after it got one. */
const ACCESS_TOKEN_TTL = 20;
const RENEW_AFTER = 8;
/** Long enough for the renewal (plus a slow start), short enough to fail fast. */
const RENEWAL_WAIT = 20_000;

test('renewal: a new access token before expiry, in the page, and the user stays signed in', LONG, async (t) => {
  const site = await startSite({
    provider: process.env.WEBKIT_RENEWAL_PROVIDER_PORT || 9021,
    app: process.env.WEBKIT_RENEWAL_APP_PORT || 8093,
    providerEnv: { ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL) },
    config: { renew_margin_seconds: ACCESS_TOKEN_TTL - RENEW_AFTER },
  });
  t.after(() => site.stop());
  const driver = await browserFor(t, engine);
  const step = stepsOf(t, engine, driver);
  const { authorization_endpoint: authorize, token_endpoint: tokenEndpoint } = await site.discovery();
  const tokens = new Set();
  let before;
  let mark;

  await step('sign in: a session that has not been renewed yet', async () => {
    await signInWithCredentials(driver, site);
    mark = site.mark();
    before = await rememberTokens(driver, tokens);
    await hasText(driver, 'last-renewal', 'never');
    assert.ok(before.expires_at - Date.now() / 1000 <= ACCESS_TOKEN_TTL, 'the access token is a short-lived one');
    // Marks the document: had the app reloaded or navigated the tab to renew, the mark would be gone.
    await driver.executeScript('window.__webdriverE2eMark = "renewal";');
  });

  await step('renewed before expiry: new tokens in sessionStorage, still signed in, no page load', async () => {
    await hasText(driver, 'last-renewal', /^\d+ s ago$/, RENEWAL_WAIT);
    const after = await rememberTokens(driver, tokens);
    // Compared as booleans, so a failure prints no token.
    assert.ok(after.access_token !== before.access_token, 'the stored access token is a new one');
    assert.ok(after.refresh_token !== before.refresh_token, 'the refresh token was rotated');
    assert.ok(after.expires_at > before.expires_at, 'the expiry moved forward');
    assert.ok(after.renewed_at >= before.expires_at - ACCESS_TOKEN_TTL - 1, 'the renewal time is recorded');
    assert.ok(after.renewed_at < before.expires_at, 'the renewal came before the access token expired');
    await expectSignedIn(driver, site);
    await gone(driver, 'signed-out-notice');
    assert.equal(await driver.executeScript('return window.__webdriverE2eMark;'), 'renewal',
      'the tab was not reloaded or navigated');
    const sent = site.requestsSince(mark);
    assert.ok(sent.includes(`POST ${new URL(tokenEndpoint).pathname}`), 'a token request reached the provider');
    assert.ok(!sent.some((r) => r.endsWith(` ${new URL(authorize).pathname}`)), 'no new authorization request');
  });
});
