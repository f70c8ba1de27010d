// The seed scenario and the two-tab sign-out (issue 12), for any engine of harness.mjs: the same promises as
// tests/e2e/scenario.spec.mjs and lifecycle.spec.mjs make in Chromium, checked on what the user sees, on
// sessionStorage, and on what reached the provider (its request log: method and path, never a query). A suite
// calls `scenarioTests(ENGINES.<engine>)` at its top level (tests/firefox/, tests/webkit/).
//
// Classic WebDriver cannot watch the browser's requests as Playwright does, so "nothing but the revocations reached
// the provider" and "no login page was shown" are read from the provider's own log, which the suite's provider
// instance writes for that suite alone. Tokens are learnt from the stored session and stay in test memory.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { By } from 'selenium-webdriver';

import {
  CLIENT_ID, SESSION_KEY, TOKEN_FIELDS, USER,
} from '../shared/constants.mjs';
import { expectNamespacedSession, expectNoTokens } from '../shared/storage-checks.mjs';
import { setOpenerPolicy } from '../shared/test-hooks.mjs';
import {
  click, expectSignedIn, gone, hasAttribute, logInAtProvider, saveScreenshot, sessionEntries, startSite, visible,
  waitFor,
} from './harness.mjs';

/** A whole test: several sign-ins, on a machine that other test runs share; a step's own waits are WAIT_MS. */
export const LONG = { timeout: 180_000 };

/** A fresh browser of `engine` for test `t` (a fresh profile), quit when the test ends, passed or failed. */
export async function browserFor(t, engine) {
  const driver = await engine.start();
  t.after(() => driver.quit());
  return driver;
}

/**
 * Runs the steps of test `t` in order as subtests. A failing step leaves a screenshot of the tab in
 * test-results/<engine>/, and the steps after it are skipped: each builds on the state the one before left.
 */
export function stepsOf(t, engine, driver) {
  let failed = false;
  return (name, fn) => t.test(name, failed ? { skip: 'an earlier step failed' } : {}, async (step) => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      const path = await saveScreenshot(driver, engine, `${t.name} - ${name}`);
      if (path) step.diagnostic(`screenshot: ${path}`);
      throw err;
    }
  });
}

/** The app's stored session in the current tab, which must exist; its tokens go into `tokens`. */
export async function rememberTokens(driver, tokens) {
  const text = await driver.executeScript('return window.sessionStorage.getItem(arguments[0]);', SESSION_KEY);
  assert.ok(text !== null, `a signed-in tab keeps its session in sessionStorage under ${SESSION_KEY}`);
  const session = JSON.parse(text);
  for (const field of TOKEN_FIELDS) if (typeof session[field] === 'string') tokens.add(session[field]);
  return session;
}

/** The first sign-in of a fresh browser: at the provider's login form, back signed in. */
export async function signInWithCredentials(driver, site) {
  await driver.get(`${site.app}/`);
  await click(driver, 'sign-in');
  await logInAtProvider(driver, site);
  await expectSignedIn(driver, site);
}

/** Signed out as the user sees it (notice of `kind`, a sign-in button, no name), and no token left in storage. */
async function expectSignedOut(driver, site, kind, tokens, when) {
  await hasAttribute(driver, 'signed-out-notice', 'data-kind', kind);
  await visible(driver, 'sign-in');
  await gone(driver, 'user-name');
  assert.equal(new URL(await driver.getCurrentUrl()).origin, site.app, `${when}: back in the app`);
  const entries = await sessionEntries(driver);
  assert.ok(!entries.some(([key]) => key === SESSION_KEY), `${when}: sessionStorage has no ${SESSION_KEY}`);
  expectNoTokens(entries, [...tokens], when);
}

/** Provider sign-out from the current tab: the end-session request, checked, confirmed at the provider. */
async function signOutAtProvider(driver, site, tokens) {
  const { end_session_endpoint: endSession } = await site.discovery();
  await click(driver, 'sign-out-provider');
  await visible(driver, 'logout-confirm');
  // The bundled provider renders its confirmation at the end-session endpoint itself: the address bar is the
  // request the app sent (RP-Initiated Logout 1.0, 2).
  const url = new URL(await driver.getCurrentUrl());
  assert.equal(`${url.origin}${url.pathname}`, endSession, 'the app went to end_session_endpoint');
  const params = url.searchParams;
  assert.ok(tokens.has(params.get('id_token_hint')), 'id_token_hint is an ID token issued to this browser');
  assert.equal(params.get('client_id'), CLIENT_ID);
  assert.equal(params.get('post_logout_redirect_uri'), `${site.app}/`);
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

/** The protected profile page, showing the test user's claims as the site's provider issued them. */
async function expectProfile(driver, site) {
  const text = await waitFor(driver, async () => {
    const shown = await (await visible(driver, 'profile')).getText();
    return shown.includes(USER.name) && shown;
  }, `the profile shows "${USER.name}"`);
  assert.ok(text.includes(USER.username), 'the profile shows the preferred username');
  assert.ok(text.includes(site.provider), 'the profile names this suite\'s provider as the issuer');
  assert.equal(new URL(await driver.getCurrentUrl()).pathname, '/profile');
}

/**
 * Registers the tests on `engine`'s own site (started before them, stopped after): the seed scenario, and two tabs of
 * one session where a provider sign-out in one signs out the other; with `popup`, the sign-in in a window of its own.
 */
export function scenarioTests(engine, { popup = false } = {}) {
  let site;
  before(async () => {
    // With `popup`, the provider's switches (TEST_HOOKS): its opener policy.
    site = await startSite({ ...engine.site, providerEnv: popup ? { TEST_HOOKS: '1' } : {} });
  });
  after(async () => {
    await site?.stop();
  });

  test('seed scenario: sign in, profile, reload, local sign-out, silent sign-in, provider sign-out, sign in with '
    + 'credentials', LONG, async (t) => {
    const driver = await browserFor(t, engine);
    const { revocation_endpoint: revocationEndpoint, token_endpoint: tokenEndpoint } = await site.discovery();
    const revocationPath = new URL(revocationEndpoint).pathname;
    const codeExchange = `POST ${new URL(tokenEndpoint).pathname}`;
    const tokens = new Set();
    const step = stepsOf(t, engine, driver);

    await step('first sign-in at the provider\'s login form, the name on the profile', async () => {
      const start = site.mark();
      await signInWithCredentials(driver, site);
      // The bundled provider publishes a push endpoint, so the request went there first (RFC 9126, "par": "auto").
      const { pushed_authorization_request_endpoint: par } = await site.discovery();
      assert.ok(site.requestsSince(start).includes(`POST ${new URL(par).pathname}`), 'the sign-in was pushed first');
      await rememberTokens(driver, tokens);
      expectNamespacedSession(await sessionEntries(driver));

      await followLink(driver, 'Profile');
      await expectProfile(driver, site);
    });

    // One mark for both steps: the reload asks the provider nothing, and the local sign-out only revokes.
    const mark = site.mark();

    await step('a reload keeps the session (sessionStorage) and asks the provider nothing', async () => {
      await driver.navigate().refresh();
      await expectProfile(driver, site);
      expectNamespacedSession(await sessionEntries(driver));
      await followLink(driver, 'Home');
      await expectSignedIn(driver, site);
      assert.deepEqual(site.requestsSince(mark), [], 'requests to the provider on reload');
    });

    await step('local sign-out: storage cleared, both tokens revoked, the provider session left alone', async () => {
      await click(driver, 'sign-out-local');
      await expectSignedOut(driver, site, 'local', tokens, 'after the local sign-out');
      // RFC 7009: the refresh and the access token are revoked; the provider's session (next step) stays alive.
      // The reloaded page had not needed the provider's metadata yet; it fetches the discovery document once for
      // the revocation endpoint (tokens go only to endpoints fetched during the current page load, see the README).
      const revocation = `POST ${revocationPath}`;
      const discoveryRequest = 'GET /.well-known/openid-configuration';
      await waitFor(driver, () => site.requestsSince(mark).filter((r) => r === revocation).length >= 2,
        'the provider received two revocations');
      const sent = site.requestsSince(mark);
      assert.ok(sent.filter((r) => r === discoveryRequest).length <= 1,
        'the discovery document is fetched once at most');
      assert.deepEqual(sent.filter((r) => r !== discoveryRequest), [revocation, revocation],
        'requests to the provider besides discovery');
    });

    await step('sign in again: the provider session is alive, so no login page', async () => {
      const before = site.mark();
      await click(driver, 'sign-in');
      await expectSignedIn(driver, site);
      await rememberTokens(driver, tokens);
      // The provider's log reaches this process through a pipe, possibly after the browser got the response: polled.
      await waitFor(driver, () => site.requestsSince(before).includes(codeExchange), 'a second code exchange');
      assert.deepEqual(site.loginPagesSince(before), [], 'login pages the provider rendered');
    });

    await step('provider sign-out: back signed out, no token left', async () => {
      await signOutAtProvider(driver, site, tokens);
      await expectSignedOut(driver, site, 'provider', tokens, 'after the provider sign-out');
    });

    await step('sign in again: the provider asks for credentials again', async () => {
      const before = site.mark();
      await click(driver, 'sign-in');
      await logInAtProvider(driver, site);
      await expectSignedIn(driver, site);
      await waitFor(driver, () => site.requestsSince(before).includes(codeExchange), 'a third code exchange');
      assert.equal(site.loginPagesSince(before).length, 1, 'login pages the provider rendered');
    });
  });

  test('two tabs of one session: a provider sign-out in one signs out the other', LONG, async (t) => {
    const driver = await browserFor(t, engine);
    const tokens = new Set();
    const step = stepsOf(t, engine, driver);
    let tabA;
    let tabB;

    await step('sign in in tab A, then duplicate it into tab B', async () => {
      await signInWithCredentials(driver, site);
      const inA = await rememberTokens(driver, tokens);
      tabA = await driver.getWindowHandle();

      // A duplicated tab starts with a copy of sessionStorage, as the browser's "Duplicate Tab" makes it: the
      // entries are written on a same-origin document that is not the app, then the app loads. Not config.json, as
      // the Chromium suite does: Firefox shows JSON in its viewer, a document of another origin
      // (resource://devtools) whose sessionStorage the app never sees. The static server's plain-text 404 page is of
      // the app's origin.
      const copied = await sessionEntries(driver);
      await driver.switchTo().newWindow('tab');
      tabB = await driver.getWindowHandle();
      await driver.get(`${site.app}/duplicate-tab.txt`);
      assert.equal(await driver.executeScript('return window.origin;'), site.app,
        'the copy is written on the app\'s origin');
      await driver.executeScript(
        'for (const [key, value] of arguments[0]) window.sessionStorage.setItem(key, value);', copied);
      await driver.get(`${site.app}/`);
      await expectSignedIn(driver, site);
      const inB = await rememberTokens(driver, tokens);
      // Compared as a boolean, so a failure prints no token.
      assert.ok(inB.refresh_token === inA.refresh_token, 'tab B holds tab A\'s session');
      // Marks tab B's document: had the app reloaded or navigated the tab, the mark would be gone.
      await driver.executeScript('window.__webdriverE2eMark = "tab B";');
    });

    await step('provider sign-out in tab A', async () => {
      await driver.switchTo().window(tabA);
      await signOutAtProvider(driver, site, tokens);
      await expectSignedOut(driver, site, 'provider', tokens, 'tab A after the provider sign-out');
    });

    await step('tab B shows the user signed out, without a reload, and holds no token', async () => {
      await driver.switchTo().window(tabB);
      await expectSignedOut(driver, site, 'elsewhere', tokens, 'tab B after the provider sign-out in tab A');
      assert.equal(await driver.executeScript('return window.__webdriverE2eMark;'), 'tab B',
        'tab B was not reloaded or navigated');
    });
  });
  if (!popup) return;
  test('sign-in in a window of its own: the page stays, the window hands back and closes; a closed window is '
    + 'reported', LONG, async (t) => {
    const driver = await browserFor(t, engine);
    const step = stepsOf(t, engine, driver);
    let page;
    /** Clicks `sign-in-popup` and switches to the window it opened. */
    const openSignInWindow = async () => {
      await click(driver, 'sign-in-popup');
      const opened = await waitFor(driver, async () => (await driver.getAllWindowHandles())
        .find((handle) => handle !== page), 'a sign-in window opens');
      await driver.switchTo().window(opened);
    };
    const windowClosed = () => waitFor(driver, async () => (await driver.getAllWindowHandles()).length === 1,
      'the sign-in window closes');

    await step('the window signs in; the page never navigates and holds the session', async () => {
      await driver.get(`${site.app}/`);
      await visible(driver, 'sign-in-popup');
      page = await driver.getWindowHandle();
      await driver.executeScript('window.stayed = "the same document";');
      const start = site.mark();
      await openSignInWindow();
      await logInAtProvider(driver, site);
      await driver.switchTo().window(page);
      await windowClosed();
      await expectSignedIn(driver, site);
      assert.equal(await driver.executeScript('return window.stayed;'), 'the same document', 'the page stayed');
      assert.equal(new URL(await driver.getCurrentUrl()).pathname, '/');
      expectNamespacedSession(await sessionEntries(driver));
      const { pushed_authorization_request_endpoint: par } = await site.discovery();
      assert.ok(site.requestsSince(start).includes(`POST ${new URL(par).pathname}`), 'the sign-in was pushed first');
    });

    await step('a window closed at the provider\'s login page is reported at once, the page as it was', async () => {
      // Signed out at the provider, so the window stops at its login page.
      await click(driver, 'sign-out-provider');
      await click(driver, 'logout-confirm');
      await hasAttribute(driver, 'signed-out-notice', 'data-kind', 'provider');
      await driver.executeScript('window.stayed = "the same document";');
      await openSignInWindow();
      await visible(driver, 'login-page');
      await driver.close();
      await driver.switchTo().window(page);
      await hasAttribute(driver, 'auth-error', 'data-kind', 'popup');
      assert.equal(await driver.executeScript('return window.stayed;'), 'the same document', 'the page stayed');
    });

    await step('a provider whose pages cut the window\'s link (Cross-Origin-Opener-Policy): the window hands the '
      + 'response back over the app\'s channel (the mark in its copy of the page\'s storage says it is a sign-in '
      + 'window)', async () => {
      await click(driver, 'dismiss-error');
      await setOpenerPolicy(site.provider, 'same-origin');
      try {
        await openSignInWindow();
        await visible(driver, 'login-page');
        assert.equal(await driver.executeScript('return window.opener;'), null, 'the policy cut the opener link');
        await logInAtProvider(driver, site);
        await driver.switchTo().window(page);
        await expectSignedIn(driver, site);
        assert.equal(await driver.executeScript('return window.stayed;'), 'the same document', 'the page stayed');
      } finally {
        await setOpenerPolicy(site.provider, null);
      }
    });
  });
}
