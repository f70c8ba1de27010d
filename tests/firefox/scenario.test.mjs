// The seed scenario and the two-tab sign-out (issue 12) in headless Firefox ESR: the same promises as
// tests/e2e/scenario.spec.mjs and lifecycle.spec.mjs make in Chromium, checked on what the user sees, on
// sessionStorage, and on what reached the provider (its request log: method and path, never a query).
//
//   CSP_LOOPBACK=1 scripts/release-build && node --test tests/firefox/
//
// Classic WebDriver cannot watch the browser's requests as Playwright does, so "nothing but the revocations reached
// the provider" and "no login page was shown" are read from the provider's own log, which this suite's provider
// instance writes for this suite alone. Tokens are learnt from the stored session and stay in test memory.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { By } from 'selenium-webdriver';

import {
  CLIENT_ID, SESSION_KEY, TOKEN_FIELDS, USER, expectNamespacedSession, expectNoTokens,
} from '../e2e/support.mjs';
import {
  APP, PROVIDER, click, expectSignedIn, gone, hasAttribute, logInAtProvider, saveScreenshot, sessionEntries,
  startFirefox, startServers, visible, waitFor,
} from './harness.mjs';

/** A whole test: several sign-ins, on a machine that other test runs share; a step's own waits are WAIT_MS. */
const LONG = { timeout: 180_000 };

let servers;
before(async () => {
  servers = await startServers();
});
after(async () => {
  await servers?.stop();
});

/** A fresh headless Firefox for one test, quit when the test ends, passed or failed. */
async function firefoxFor(t) {
  const driver = await startFirefox();
  t.after(() => driver.quit());
  return driver;
}

/**
 * Runs the steps of test `t` in order as subtests. A failing step leaves a screenshot of the tab in
 * test-results/firefox/, and the steps after it are skipped: each builds on the state the one before left.
 */
function stepsOf(t, driver) {
  let failed = false;
  return (name, fn) => t.test(name, failed ? { skip: 'an earlier step failed' } : {}, async (step) => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      const path = await saveScreenshot(driver, `${t.name} - ${name}`);
      if (path) step.diagnostic(`screenshot: ${path}`);
      throw err;
    }
  });
}

/** What the provider logged from line `mark` on, as "METHOD /path" (statuses dropped, uids kept). */
function providerRequestsSince(mark) {
  return servers.providerLog().slice(mark).filter((line) => /^[A-Z]+ \//.test(line))
    .map((line) => line.split(' ').slice(0, 2).join(' '));
}
const providerMark = () => servers.providerLog().length;
/** Login pages the provider rendered from line `mark` on (a silent sign-in passes /interaction with a redirect). */
const loginPagesSince = (mark) => servers.providerLog().slice(mark)
  .filter((line) => /^GET \/interaction\/\S+ 200$/.test(line));

/** The app's stored session in the current tab, which must exist; its tokens go into `tokens`. */
async function rememberTokens(driver, tokens) {
  const text = await driver.executeScript('return window.sessionStorage.getItem(arguments[0]);', SESSION_KEY);
  assert.ok(text !== null, `a signed-in tab keeps its session in sessionStorage under ${SESSION_KEY}`);
  const session = JSON.parse(text);
  for (const field of TOKEN_FIELDS) if (typeof session[field] === 'string') tokens.add(session[field]);
  return session;
}

/** Signed out as the user sees it (notice of `kind`, a sign-in button, no name), and no token left in storage. */
async function expectSignedOut(driver, kind, tokens, when) {
  await hasAttribute(driver, 'signed-out-notice', 'data-kind', kind);
  await visible(driver, 'sign-in');
  await gone(driver, 'user-name');
  assert.equal(new URL(await driver.getCurrentUrl()).origin, APP, `${when}: back in the app`);
  const entries = await sessionEntries(driver);
  assert.ok(!entries.some(([key]) => key === SESSION_KEY), `${when}: sessionStorage has no ${SESSION_KEY}`);
  expectNoTokens(entries, [...tokens], when);
}

/** Provider sign-out from the current tab: the end-session request, checked, confirmed at the provider. */
async function signOutAtProvider(driver, tokens) {
  const { end_session_endpoint: endSession } = await discovery();
  await click(driver, 'sign-out-provider');
  await visible(driver, 'logout-confirm');
  // The bundled provider renders its confirmation at the end-session endpoint itself: the address bar is the
  // request the app sent (RP-Initiated Logout 1.0, 2).
  const url = new URL(await driver.getCurrentUrl());
  assert.equal(`${url.origin}${url.pathname}`, endSession, 'the app went to end_session_endpoint');
  const params = url.searchParams;
  assert.ok(tokens.has(params.get('id_token_hint')), 'id_token_hint is an ID token issued to this browser');
  assert.equal(params.get('client_id'), CLIENT_ID);
  assert.equal(params.get('post_logout_redirect_uri'), `${APP}/`);
  assert.ok(/^\S{16,}$/.test(params.get('state') ?? ''), 'a fresh state of 16 characters or more');
  await click(driver, 'logout-confirm');
}

/** Follows a link of the app's header (a client-side route change, no page load). */
async function followLink(driver, text) {
  await waitFor(driver, async () => {
    await driver.findElement(By.linkText(text)).click();
    return true;
  }, `the "${text}" link can be clicked`);
}

/** The protected profile page, showing the test user's claims as this suite's provider issued them. */
async function expectProfile(driver) {
  const text = await waitFor(driver, async () => {
    const shown = await (await visible(driver, 'profile')).getText();
    return shown.includes(USER.name) && shown;
  }, `the profile shows "${USER.name}"`);
  assert.ok(text.includes(USER.username), 'the profile shows the preferred username');
  assert.ok(text.includes(PROVIDER), 'the profile names this suite\'s provider as the issuer');
  assert.equal(new URL(await driver.getCurrentUrl()).pathname, '/profile');
}

let metadata;
async function discovery() {
  if (!metadata) {
    const res = await fetch(`${PROVIDER}/.well-known/openid-configuration`);
    assert.ok(res.ok, 'the provider serves its discovery document');
    metadata = await res.json();
  }
  return metadata;
}

test('seed scenario: sign in, profile, reload, local sign-out, silent sign-in, provider sign-out, sign in with '
  + 'credentials', LONG, async (t) => {
  const driver = await firefoxFor(t);
  const { revocation_endpoint: revocationEndpoint, token_endpoint: tokenEndpoint } = await discovery();
  const revocationPath = new URL(revocationEndpoint).pathname;
  const codeExchange = `POST ${new URL(tokenEndpoint).pathname}`;
  const tokens = new Set();
  const step = stepsOf(t, driver);

  await step('first sign-in at the provider\'s login form, the name on the profile', async () => {
    await driver.get(`${APP}/`);
    await click(driver, 'sign-in');
    await logInAtProvider(driver);
    await expectSignedIn(driver);
    await rememberTokens(driver, tokens);
    expectNamespacedSession(await sessionEntries(driver));

    await followLink(driver, 'Profile');
    await expectProfile(driver);
  });

  // One mark for both steps: the reload asks the provider nothing, and the local sign-out only revokes.
  const mark = providerMark();

  await step('a reload keeps the session (sessionStorage) and asks the provider nothing', async () => {
    await driver.navigate().refresh();
    await expectProfile(driver);
    expectNamespacedSession(await sessionEntries(driver));
    await followLink(driver, 'Home');
    await expectSignedIn(driver);
    assert.deepEqual(providerRequestsSince(mark), [], 'requests to the provider on reload');
  });

  await step('local sign-out: storage cleared, both tokens revoked, the provider session left alone', async () => {
    await click(driver, 'sign-out-local');
    await expectSignedOut(driver, 'local', tokens, 'after the local sign-out');
    // RFC 7009: the refresh and the access token are revoked; the provider's session (next step) stays alive.
    // The reloaded page had not needed the provider's metadata yet; it fetches the discovery document once for the
    // revocation endpoint (tokens go only to endpoints fetched during the current page load, see the README).
    const revocation = `POST ${revocationPath}`;
    const discoveryRequest = 'GET /.well-known/openid-configuration';
    await waitFor(driver, () => providerRequestsSince(mark).filter((r) => r === revocation).length >= 2,
      'the provider received two revocations');
    const sent = providerRequestsSince(mark);
    assert.ok(sent.filter((r) => r === discoveryRequest).length <= 1, 'the discovery document is fetched once at most');
    assert.deepEqual(sent.filter((r) => r !== discoveryRequest), [revocation, revocation],
      'requests to the provider besides discovery');
  });

  await step('sign in again: the provider session is alive, so no login page', async () => {
    const before = providerMark();
    await click(driver, 'sign-in');
    await expectSignedIn(driver);
    await rememberTokens(driver, tokens);
    // The provider's log reaches this process through a pipe, possibly after the browser got the response: polled.
    await waitFor(driver, () => providerRequestsSince(before).includes(codeExchange), 'a second code exchange');
    assert.deepEqual(loginPagesSince(before), [], 'login pages the provider rendered');
  });

  await step('provider sign-out: back signed out, no token left', async () => {
    await signOutAtProvider(driver, tokens);
    await expectSignedOut(driver, 'provider', tokens, 'after the provider sign-out');
  });

  await step('sign in again: the provider asks for credentials again', async () => {
    const before = providerMark();
    await click(driver, 'sign-in');
    await logInAtProvider(driver);
    await expectSignedIn(driver);
    await waitFor(driver, () => providerRequestsSince(before).includes(codeExchange), 'a third code exchange');
    assert.equal(loginPagesSince(before).length, 1, 'login pages the provider rendered');
  });
});

test('two tabs of one session: a provider sign-out in one signs out the other', LONG, async (t) => {
  const driver = await firefoxFor(t);
  const tokens = new Set();
  const step = stepsOf(t, driver);
  let tabA;
  let tabB;

  await step('sign in in tab A, then duplicate it into tab B', async () => {
    await driver.get(`${APP}/`);
    await click(driver, 'sign-in');
    await logInAtProvider(driver);
    await expectSignedIn(driver);
    const inA = await rememberTokens(driver, tokens);
    tabA = await driver.getWindowHandle();

    // A duplicated tab starts with a copy of sessionStorage, as the browser's "Duplicate Tab" makes it: the
    // entries are written on a same-origin document that is not the app, then the app loads. Not config.json, as
    // the Chromium suite does: Firefox shows JSON in its viewer, a document of another origin (resource://devtools)
    // whose sessionStorage the app never sees. The static server's plain-text 404 page is of the app's origin.
    const copied = await sessionEntries(driver);
    await driver.switchTo().newWindow('tab');
    tabB = await driver.getWindowHandle();
    await driver.get(`${APP}/duplicate-tab.txt`);
    assert.equal(await driver.executeScript('return window.origin;'), APP, 'the copy is written on the app\'s origin');
    await driver.executeScript('for (const [key, value] of arguments[0]) window.sessionStorage.setItem(key, value);',
      copied);
    await driver.get(`${APP}/`);
    await expectSignedIn(driver);
    const inB = await rememberTokens(driver, tokens);
    // Compared as a boolean, so a failure prints no token.
    assert.ok(inB.refresh_token === inA.refresh_token, 'tab B holds tab A\'s session');
    // Marks tab B's document: had the app reloaded or navigated the tab, the mark would be gone.
    await driver.executeScript('window.__firefoxE2eMark = "tab B";');
  });

  await step('provider sign-out in tab A', async () => {
    await driver.switchTo().window(tabA);
    await signOutAtProvider(driver, tokens);
    await expectSignedOut(driver, 'provider', tokens, 'tab A after the provider sign-out');
  });

  await step('tab B shows the user signed out, without a reload, and holds no token', async () => {
    await driver.switchTo().window(tabB);
    await expectSignedOut(driver, 'provider', tokens, 'tab B after the provider sign-out in tab A');
    assert.equal(await driver.executeScript('return window.__firefoxE2eMark;'), 'tab B',
      'tab B was not reloaded or navigated');
  });
});
