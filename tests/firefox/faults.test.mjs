// Sessions that survive the real network (issue 20) in headless Firefox ESR: a subset of tests/e2e/faults.spec.mjs.
// WebDriver cannot take Firefox offline, so every fault comes from the provider's own switches (TEST_HOOKS=1, see
// tests/provider/server.mjs): a 503 during a background renewal, an outage longer than the access token (every
// request reset), and invalid_grant. The suite's own site: the bundled provider with access tokens of TTL seconds on
// 127.0.0.1:9011 and the release build renewing 5 s after the tokens arrive on 127.0.0.1:8094
// (FIREFOX_FAULTS_PROVIDER_PORT, FIREFOX_FAULTS_APP_PORT), beside the scenario's site and the other suites'.
//
//   CSP_LOOPBACK=1 scripts/release-build && node --test tests/firefox/faults.test.mjs
//
// What reached the provider, when, and what it was answered comes from its request log (/__test/hits), never with a
// token; tokens are read from the stored session and stay in test memory (compared as fingerprints).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SESSION_KEY, USER, fingerprint } from '../shared/constants.mjs';
import {
  clearFaults, clearHits, providerHits, setFaults,
} from '../shared/test-hooks.mjs';
import {
  ENGINES, gone, hasAttribute, hasText, startSite, visible, waitFor,
} from '../webdriver/harness.mjs';
import { LONG, browserFor, signInWithCredentials, stepsOf } from '../webdriver/scenarios.mjs';

const engine = ENGINES.firefox;
/** Access tokens live this long (s); the app renews FLOOR s after they arrive, the renewal floor. */
const TTL = 10;
const FLOOR = 5;
/** Timers fire a little late, never early; what a measured delay may fall short by, and come late by (ms). */
const EARLY = 100;
const LATE = 2_500;

let site;
before(async () => {
  site = await startSite({
    provider: process.env.FIREFOX_FAULTS_PROVIDER_PORT || 9011,
    app: process.env.FIREFOX_FAULTS_APP_PORT || 8094,
    providerEnv: { ACCESS_TOKEN_TTL: String(TTL), TEST_HOOKS: '1' },
    config: { renew_margin_seconds: TTL - FLOOR },
  });
});
after(async () => {
  if (site) await clearFaults(site.provider).catch(() => {});
  await site?.stop();
});
/**
 * A fresh browser for test `t`, with the provider's switches off and its log empty. (Not a beforeEach hook: node:test
 * runs those before every subtest too, and a test's steps are subtests.)
 */
async function freshStart(t) {
  await clearFaults(site.provider);
  await clearHits(site.provider);
  return browserFor(t, engine);
}

/** The provider's log of refresh-token grants since the test began: { at, status, fault }. */
async function refreshHits() {
  return (await providerHits(site.provider))
    .filter((h) => h.route === 'token' && h.grant_type === 'refresh_token' && !h.resend);
}
const outcome = (hit) => `${hit.status ?? '-'}${hit.fault ? ` (${hit.fault})` : ''}`;

/** Waits until `count` refresh requests reached the provider; returns them all. */
async function refreshHitsAtLeast(driver, count, timeout = 20_000) {
  return waitFor(driver, async () => {
    const hits = await refreshHits();
    return hits.length >= count && hits;
  }, `${count} refresh requests reached the provider`, timeout);
}

/** The app's stored session in the current tab, parsed (its tokens stay in test memory). */
async function storedSession(driver) {
  const text = await driver.executeScript('return window.sessionStorage.getItem(arguments[0]);', SESSION_KEY);
  return text === null ? null : JSON.parse(text);
}

/** Signed in on the home page, and nothing says otherwise. */
async function expectStillSignedIn(driver) {
  await hasText(driver, 'user-name', USER.name);
  for (const id of ['signed-out-notice', 'auth-error']) {
    assert.equal((await driver.findElements({ css: `[data-testid="${id}"]` })).length, 0, `no ${id} is shown`);
  }
}

/** The status line of a session waiting to renew, as the contract words it. */
async function expectReconnecting(driver) {
  await hasAttribute(driver, 'renewal-status', 'data-kind', 'reconnecting');
  const status = await visible(driver, 'renewal-status');
  assert.equal(await status.getAttribute('role'), 'status');
  assert.match(await status.getText(), /^Reconnecting to the provider…/);
  assert.match(await status.getText(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/, 'it names when the tokens last arrived');
}

/** Marks the tab's document: had the app reloaded or navigated it, the mark is gone. */
const markDocument = (driver) => driver.executeScript('window.__faultsMark = "same page";');
const expectSameDocument = async (driver) => assert.equal(
  await driver.executeScript('return window.__faultsMark;'), 'same page', 'the tab was never reloaded or navigated');

test('a 503 temporarily_unavailable during a background renewal: signed in throughout, renewed after', LONG,
  async (t) => {
    const driver = await freshStart(t);
    const step = stepsOf(t, engine, driver);
    let first;

    await step('sign in; the renewal meets a 503', async () => {
      await signInWithCredentials(driver, site);
      await markDocument(driver);
      first = await storedSession(driver);
      await setFaults(site.provider, [{
        route: 'token', grant_type: 'refresh_token', mode: 'status', status: 503,
        body: { error: 'temporarily_unavailable' },
      }]);
      const [failed] = await refreshHitsAtLeast(driver, 1);
      assert.equal(outcome(failed), '503 (status)');
      await expectStillSignedIn(driver);
      await expectReconnecting(driver);
    });

    await step('the provider answers again: renewed at the floor, the status gone', async () => {
      await clearFaults(site.provider);
      await gone(driver, 'renewal-status');
      const hits = await refreshHits();
      assert.deepEqual(hits.map(outcome), ['503 (status)', '200'], 'the refresh requests');
      const gap = hits[1].at - hits[0].at;
      assert.ok(gap >= FLOOR * 1000 - EARLY && gap <= FLOOR * 1000 + LATE, `retried 5 s after the 503 (${gap} ms)`);
      const now = await storedSession(driver);
      assert.ok(fingerprint(now.access_token) !== fingerprint(first.access_token), 'a new access token is stored');
      await expectStillSignedIn(driver);
      await expectSameDocument(driver);
    });
  });

test('an outage longer than the access token (every request reset): signed in, then renewed on its own', LONG,
  async (t) => {
    const driver = await freshStart(t);
    const step = stepsOf(t, engine, driver);
    let first;
    let outageFrom;

    await step('sign in; the provider becomes unreachable', async () => {
      await signInWithCredentials(driver, site);
      await markDocument(driver);
      first = await storedSession(driver);
      await setFaults(site.provider, [{ mode: 'reset' }]);
      outageFrom = Date.now();
      const [attempt] = await refreshHitsAtLeast(driver, 1);
      assert.equal(outcome(attempt), '- (reset)');
      await expectStillSignedIn(driver);
    });

    await step('past the access token\'s whole life: still signed in, the session kept', async () => {
      // Until an attempt after the expiry has failed too, and the outage has lasted longer than a token lives.
      await waitFor(driver, async () => Date.now() - outageFrom > (TTL + 1) * 1000
        && (await refreshHits()).some((h) => h.at > first.expires_at * 1000), 'the outage outlasts the access token',
      30_000);
      await expectStillSignedIn(driver);
      await expectReconnecting(driver);
      const kept = await storedSession(driver);
      assert.ok(kept !== null && fingerprint(kept.refresh_token) === fingerprint(first.refresh_token),
        'the stored session keeps its refresh token');
      assert.ok((await refreshHits()).every((h) => h.fault === 'reset'), 'every refresh attempt was reset');
    });

    await step('the provider is back: renewed on its own, the status gone', async () => {
      await clearFaults(site.provider);
      await waitFor(driver, async () => (await driver.findElements({ css: '[data-testid="renewal-status"]' }))
        .length === 0, 'the status goes once a renewal succeeds', 45_000);
      const hits = await refreshHits();
      assert.equal(outcome(hits.at(-1)), '200', 'the last refresh was granted');
      const now = await storedSession(driver);
      assert.ok(fingerprint(now.access_token) !== fingerprint(first.access_token), 'a new access token is stored');
      assert.ok(now.expires_at > Date.now() / 1000, 'the new access token is valid');
      await expectStillSignedIn(driver);
      await expectSameDocument(driver);
    });
  });

test('invalid_grant on a renewal ends the session with the renewal-refused notice', LONG, async (t) => {
  const driver = await freshStart(t);
  const step = stepsOf(t, engine, driver);

  await step('sign in; the renewal is refused with invalid_grant', async () => {
    await signInWithCredentials(driver, site);
    await setFaults(site.provider, [{
      route: 'token', grant_type: 'refresh_token', mode: 'status', status: 400, body: { error: 'invalid_grant' },
    }]);
    await hasAttribute(driver, 'signed-out-notice', 'data-kind', 'renewal-refused');
    await visible(driver, 'sign-in');
    await gone(driver, 'user-name');
    assert.equal(await storedSession(driver), null, 'the session left sessionStorage');
    assert.deepEqual((await refreshHits()).map(outcome), ['400 (status)'], 'one refresh, refused, never retried');
  });
});
