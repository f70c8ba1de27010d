// Sign-out wins every race (issue 13): a renewal still awaiting something when the user signs out must never
// write its session back, in either sign-out. The provider's signing keys are held back by a gate (a Playwright
// route that lets requests through only when the test opens it), so the renewal sits in its signature check, after
// the provider already answered the refresh, while the user clicks. Gates, not timers: every step waits for a fact.
//
// Against the short-lived provider (TEST_HOOKS=1), which reports what its revocation endpoint received.

import { expect, test } from '@playwright/test';

import {
  ECHO_PROVIDER, NAMESPACE, SHORT_PROVIDER, USER, discover, expectNoTokens, expectSignedOut, fingerprint, recordIssuedTokens,
  revocationsAt, revocationsSince, sessionEntries, sessionOf, signInAt, storedSession, useConfig,
} from './support.mjs';

const ISSUER = SHORT_PROVIDER;
const notice = (page) => page.getByTestId('signed-out-notice');

/** Requests to `url` wait until `open()`; `reached` settles when the first one arrives. */
async function gate(context, url, { when = () => true } = {}) {
  let open;
  const opened = new Promise((resolve) => {
    open = resolve;
  });
  let reach;
  const reached = new Promise((resolve) => {
    reach = resolve;
  });
  await context.route(url, async (route) => {
    if (when(route.request())) {
      reach();
      await opened;
    }
    await route.continue();
  });
  return { reached, open };
}

/** Signed in, then reloaded: a new page load holds no provider keys in memory, so a renewal must fetch them. */
async function signedInWithoutKeysInMemory(page, context, issuer = ISSUER) {
  await useConfig(context, { issuer, renew_margin_seconds: 0 });
  const metadata = await discover(issuer);
  const issued = recordIssuedTokens(context, metadata.token_endpoint);
  await signInAt(page, issuer);
  const session = await sessionOf(page);
  await page.reload();
  await expect(page.getByTestId('user-name')).toHaveText(USER.name);
  // Builds before this fix also kept the keys in sessionStorage; without them every build must fetch.
  await page.evaluate((key) => window.sessionStorage.removeItem(key), `${NAMESPACE}jwks`);
  return { metadata, issued, session };
}

/** The renewal's own tokens, the newest the token endpoint issued. */
async function renewedTokens(issued) {
  return {
    access: (await issued.of('access_token')).at(-1),
    refresh: (await issued.of('refresh_token')).at(-1),
  };
}

async function expectNothingSurvivesAReload(page, issued) {
  await page.reload();
  await expectSignedOut(page);
  expect(await storedSession(page) === null, 'no session in sessionStorage after a reload').toBe(true);
  expectNoTokens(await sessionEntries(page), await issued.all(), 'after the reload');
}

/**
 * At `issuer`: a renewal started and held in its signature check after the provider answered, a local sign-out
 * clicked in that window, then the keys let through. What the provider issued to the renewal comes back, with
 * the revocation log's length before the click.
 */
async function localSignOutDuringRenewal(page, context, issuer) {
  const { metadata, issued, session } = await signedInWithoutKeysInMemory(page, context, issuer);
  const keys = await gate(context, metadata.jwks_uri);
  const mark = (await revocationsAt(issuer)).length;

  await page.getByTestId('refresh').click();
  await keys.reached;
  await page.getByTestId('sign-out-local').click();
  await expect(notice(page)).toHaveAttribute('data-kind', 'local');
  const renewed = await renewedTokens(issued);
  expect(renewed.access && fingerprint(renewed.access), 'the provider answered the refresh before the sign-out')
    .not.toBe(fingerprint(session.access_token));
  keys.open();
  return { issued, session, renewed, mark };
}

test('a local sign-out while a renewal checks its new ID token: the renewal revokes, never writes back', async ({
  page, context,
}) => {
  const { issued, session, renewed, mark } = await localSignOutDuringRenewal(page, context, ISSUER);

  // The sign-out revokes the old tokens; the renewal, finding its session gone, revokes the new ones.
  const seen = await revocationsSince(ISSUER, mark, 4);
  expect(seen.map((r) => r.token).sort(), 'revoked: the signed-out tokens and the renewal\'s')
    .toEqual([session.refresh_token, session.access_token, renewed.refresh, renewed.access].map(fingerprint).sort());
  expect(await storedSession(page) === null, 'no session written back').toBe(true);
  await expectNothingSurvivesAReload(page, issued);
});

test('a provider sign-out while a renewal checks its new ID token: nothing of the session survives the return', async ({
  page, context,
}) => {
  const { metadata, issued, session } = await signedInWithoutKeysInMemory(page, context);
  const keys = await gate(context, metadata.jwks_uri);
  // The sign-out's own revocations wait too, so the renewal resumes while this document is still loaded.
  const old = new Set([session.refresh_token, session.access_token].map(fingerprint));
  const revocations = await gate(context, metadata.revocation_endpoint, {
    when: (request) => {
      const token = new URLSearchParams(request.postData() ?? '').get('token');
      return token !== null && old.has(fingerprint(token));
    },
  });
  const mark = (await revocationsAt(ISSUER)).length;

  await page.getByTestId('refresh').click();
  await keys.reached;
  await page.getByTestId('sign-out-provider').click();
  await revocations.reached;
  expect(await storedSession(page) === null, 'the sign-out cleared the session first').toBe(true);
  keys.open();
  // The renewal settles with the document still here: it revokes its new tokens (or, the bug, writes them back).
  const renewed = await renewedTokens(issued);
  await expect.poll(async () => {
    if (await storedSession(page) !== null) return 'written back';
    const tokens = (await revocationsAt(ISSUER)).slice(mark).map((r) => r.token);
    return tokens.includes(fingerprint(renewed.access)) ? 'revoked' : 'pending';
  }, { message: 'the renewal settles' }).not.toBe('pending');
  expect(await storedSession(page) === null, 'no session written back').toBe(true);
  revocations.open();

  await expect(page.getByTestId('logout-confirm')).toBeVisible();
  await page.getByTestId('logout-confirm').click();
  await expect(notice(page)).toHaveAttribute('data-kind', 'provider');
  expect(await storedSession(page) === null, 'no session after the return').toBe(true);
  await expectNothingSurvivesAReload(page, issued);
});

test('against a provider that echoes the refresh token, the losing renewal revokes only its new access token', async ({
  page, context,
}) => {
  // The echoed refresh token is the one the sign-out revokes; the renewal must not send it to the revocation
  // endpoint again, let alone count it as its own.
  const { issued, session, renewed, mark } = await localSignOutDuringRenewal(page, context, ECHO_PROVIDER);
  expect(renewed.refresh && fingerprint(renewed.refresh), 'the provider echoed the refresh token')
    .toBe(fingerprint(session.refresh_token));

  const seen = await revocationsSince(ECHO_PROVIDER, mark, 3);
  const sorted = (pairs) => pairs.map((pair) => pair.join(' ')).sort();
  expect(sorted(seen.map((r) => [r.token_type_hint, r.token])), 'the sign-out\'s two revocations and the renewal\'s one')
    .toEqual(sorted([
      ['refresh_token', fingerprint(session.refresh_token)],
      ['access_token', fingerprint(session.access_token)],
      ['access_token', fingerprint(renewed.access)],
    ]));
  await expectNothingSurvivesAReload(page, issued);
  expect((await revocationsAt(ECHO_PROVIDER)).slice(mark).length, 'no further revocation').toBe(3);
});
