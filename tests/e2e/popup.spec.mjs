// Sign-in in a window of its own (issue 22): `sign-in-popup` opens a window that goes to the provider and comes back
// to the redirect URI, where it hands the response to the page that opened it and closes; that page redeems it with
// the same checks as a redirect and shows the user, without ever navigating. A window the browser blocks, or one the
// user closes, is reported at once (`auth-error`, `data-kind="popup"`) with the sign-in in this window offered
// instead; a message from another origin or another window is never taken for the response.

import { chromium, expect, test } from '@playwright/test';

import {
  APP, CHROMIUM, CHROMIUM_ARGS, PAR_PROVIDER, PROVIDER, STORAGE_PREFIX, clearFaults, expectSignedIn, expectSignedOut,
  logInAtProvider, recordNavigations, recordRequests, setFaults, setOpenerPolicy, storedSession, useConfig,
} from './support.mjs';

/** Clicks `sign-in-popup` on `page` and returns the window it opened. */
async function openSignInWindow(page) {
  const opened = page.waitForEvent('popup');
  await page.getByTestId('sign-in-popup').click();
  return opened;
}

/** Resolves once `signInWindow` is closed, also when it closed before this was called (a window the page closes at
 * once, or one back from a provider that remembered the user, can be gone by then). */
function closed(signInWindow) {
  return signInWindow.isClosed() ? Promise.resolve() : signInWindow.waitForEvent('close');
}

/** The `state` of the sign-in `page` is waiting for: its pending record's key ends with it. */
async function pendingState(page) {
  const keys = await page.evaluate(() => Object.keys(window.sessionStorage));
  const pending = keys.filter((key) => key.startsWith(STORAGE_PREFIX) && key.includes(':pending:'));
  expect(pending, 'one pending sign-in').toHaveLength(1);
  return pending[0].slice(pending[0].lastIndexOf(':pending:') + ':pending:'.length);
}

test('a sign-in in a window: the page never navigates, the window closes, and the session is the page\'s', async ({
  page, context,
}) => {
  const requests = recordRequests(context);
  await page.goto('/');
  await expectSignedOut(page);
  const navigations = recordNavigations(page);
  await page.evaluate(() => { window.stayed = 'the same document'; });

  const signIn = await openSignInWindow(page);
  await logInAtProvider(signIn);
  await closed(signIn);
  await expectSignedIn(page);
  expect(await page.evaluate(() => window.stayed), 'the page kept its document').toBe('the same document');
  expect(navigations.since(0), 'the page never navigated').toEqual([]);
  expect(page.url()).toBe(`${APP}/`);
  // The code was redeemed by this page, with this page's verifier: the token request came from here.
  const session = await storedSession(page);
  expect(session?.refresh_token, 'the session is stored in this tab').toBeTruthy();
  expect(requests.toProvider(0).filter((r) => r.url.endsWith('/token')), 'one token request').toHaveLength(1);

  await page.reload();
  await expectSignedIn(page);

  // Local sign-out leaves the provider's session: the next window comes back without a password.
  await page.getByTestId('sign-out-local').click();
  await expectSignedOut(page);
  const again = await openSignInWindow(page);
  await closed(again);
  await expectSignedIn(page);
  await expect(page.getByTestId('auth-error')).toHaveCount(0);
});

test('a closed window is reported as soon as it closes, and the page can sign in after it', async ({ page }) => {
  await page.goto('/');
  const signIn = await openSignInWindow(page);
  await expect(signIn.getByTestId('login-page')).toBeVisible();
  await signIn.close();
  // Promptly: the page watches the window, it does not wait for a timeout.
  const error = page.getByTestId('auth-error');
  await expect(error).toBeVisible({ timeout: 2_000 });
  await expect(error).toHaveAttribute('data-kind', 'popup');
  await expect(error).toContainText('closed');

  // The sign-in in this window is offered; a new window works as well.
  await page.getByTestId('dismiss-error').click();
  await expectSignedOut(page);
  const second = await openSignInWindow(page);
  await logInAtProvider(second);
  await closed(second);
  await expectSignedIn(page);
});

test('a response posted from another origin or another window is not taken for the window\'s', async ({ page }) => {
  await page.goto('/');
  const signIn = await openSignInWindow(page);
  await expect(signIn.getByTestId('login-page')).toBeVisible();
  const forged = `${APP}/callback?code=forged-code&state=${await pendingState(page)}&iss=${encodeURIComponent(PROVIDER)}`;
  // The window itself, while on the provider's origin: the right window, the wrong origin.
  expect(new URL(signIn.url()).origin).toBe(PROVIDER);
  await signIn.evaluate((url) => window.opener.postMessage(url, '*'), forged);
  // The page's own origin, from another window (the page itself).
  await page.evaluate((url) => window.postMessage(url, window.location.origin), forged);
  await page.waitForTimeout(500);
  await expect(page.getByTestId('auth-error')).toHaveCount(0);
  await expect(page.getByTestId('sign-in-popup')).toBeVisible();

  // The real response still completes the sign-in: nothing consumed the pending record.
  await logInAtProvider(signIn);
  await closed(signIn);
  await expectSignedIn(page);
});

test('a window the browser blocks fails at once, and the sign-in in this window is offered', async () => {
  // Chromium's own pop-up blocker (Playwright turns it off by default): a window opened without a user's click.
  const browser = await chromium.launch({
    executablePath: CHROMIUM, args: CHROMIUM_ARGS, ignoreDefaultArgs: ['--disable-popup-blocking'],
  });
  try {
    const context = await browser.newContext({ baseURL: APP });
    const page = await context.newPage();
    const opened = [];
    context.on('page', (other) => opened.push(other));
    await page.goto('/');
    await expectSignedOut(page);
    // Playwright's own script runs with a user activation, which lasts five seconds: the click comes after it.
    await page.evaluate(() => new Promise((clicked) => {
      setTimeout(() => {
        window.activeAtClick = navigator.userActivation.isActive;
        document.querySelector('[data-testid="sign-in-popup"]').click();
        clicked();
      }, 5_500);
    }));
    expect(await page.evaluate(() => window.activeAtClick), 'no user activation at the click').toBe(false);
    const error = page.getByTestId('auth-error');
    await expect(error).toHaveAttribute('data-kind', 'popup');
    await expect(error).toContainText('blocked');
    expect(opened, 'no window opened').toEqual([]);
    expect(page.url()).toBe(`${APP}/`);

    // The fallback: a sign-in by redirect in this window.
    await error.getByTestId('sign-in').click();
    await logInAtProvider(page);
    await expectSignedIn(page);
  } finally {
    await browser.close();
  }
});

test.describe('against a provider with switches (PAR_PROVIDER)', () => {
  test.afterEach(async () => {
    await setOpenerPolicy(PAR_PROVIDER, null);
    await clearFaults(PAR_PROVIDER);
  });

  test('a provider that fails before the window gets there, or at the code exchange: the window closes, the '
    + 'provider\'s failure is shown, and the next window signs in', async ({ page, context }) => {
    await useConfig(context, { issuer: PAR_PROVIDER });
    await page.goto('/');

    // The push fails: the window is closed by the page, nothing is stored.
    await setFaults(PAR_PROVIDER, [{ route: 'pushed_authorization_request', mode: 'status', status: 503, times: 1 }]);
    const first = await openSignInWindow(page);
    await closed(first);
    await expect(page.getByTestId('auth-error')).toContainText('HTTP status 503');
    expect(await storedSession(page)).toBeNull();
    await page.getByTestId('dismiss-error').click();

    // The code exchange fails after the window handed the response back: shown in the page, no session.
    await setFaults(PAR_PROVIDER, [{
      route: 'token', grant_type: 'authorization_code', mode: 'status', status: 503, times: 1,
    }]);
    const second = await openSignInWindow(page);
    await logInAtProvider(second, { provider: PAR_PROVIDER });
    await closed(second);
    await expect(page.getByTestId('auth-error')).toContainText('503');
    expect(await storedSession(page)).toBeNull();
    await page.getByTestId('dismiss-error').click();

    const third = await openSignInWindow(page);
    await closed(third);
    await expectSignedIn(page);
  });

  test('the window loses its link to the page, and the response comes back over the app\'s channel', async ({
    page, context,
  }) => {
    // A provider whose pages send Cross-Origin-Opener-Policy: same-origin.
    await setOpenerPolicy(PAR_PROVIDER, 'same-origin');
    await useConfig(context, { issuer: PAR_PROVIDER });
    await page.goto('/');
    await page.evaluate(() => { window.stayed = 'the same document'; });
    const signIn = await openSignInWindow(page);
    await expect(signIn.getByTestId('login-page')).toBeVisible();
    expect(await signIn.evaluate(() => window.opener), 'the provider\'s policy cut the opener link').toBeNull();
    await logInAtProvider(signIn, { provider: PAR_PROVIDER });
    await expectSignedIn(page);
    expect(await page.evaluate(() => window.stayed), 'the page kept its document').toBe('the same document');
    expect((await storedSession(page))?.issuer).toBe(PAR_PROVIDER);
  });
});
