// Resource servers are hostile too (issue 24, 9): the app's API helper (`use_auth().fetch()`, the /api page's
// `api-call`) against an API that is not on its side.
//
// - The API answers a redirect, to another origin (307 to the demo API on 9200) or to its own (302 to /landing):
//   the app refuses redirects (fetch with redirect "error"), so no second request carrying `Authorization` or `DPoP`
//   leaves the browser, the redirect target records nothing at all, and the page shows `api-error`, still signed in.
//   With a Bearer and with a DPoP session.
// - The API asks for a DPoP nonce for ever, a new one each time: one retry per call, two requests, then the 401.
// - The API asks for a DPoP nonce and hands out the very nonce the proof carried: retrying cannot help, so no retry.
// - An authorization server and a resource server on one origin (the provider on 9006 with a resource of its own,
//   OWN_API=1): their nonces never mix (RFC 9449 9), neither in the API's proofs nor in the token requests'.
//
// The hostile API (HOSTILE_API, tests/resource/server.mjs with TEST_HOOKS) is a resource server of the bundled
// provider; its switches (POST /__test/faults) answer before any provider is asked. What reached it, and what reached
// the redirect target, comes from their calls logs (GET /__test/calls); what left the browser from Playwright's
// request events. Failure messages show URLs without query strings, never a token; nonces are no secrets.
//
// Seen red on builds of ee615d5 with one protection taken out: redirects followed (RequestRedirect::Follow in
// browser/http.rs) fail the four redirect cases, the target having got the GET (Authorization on the same origin,
// the DPoP proof on both); no retry limit (`|| retried` out of auth/api.rs) fails both nonce cases, the app looping
// (some 2,900 requests in 24 s); nonces kept per origin alone (Nonces ignoring the server) fails the one-origin case.

import { expect, test } from '@playwright/test';

import {
  API, HOSTILE_API, OWN_API_PROVIDER, PROVIDER, USER, clearApiFaults, discover,
  hostileApiConfig, recordTraffic, sessionOf, setApiFaults, signInAt, useConfig,
} from './support.mjs';

const ME = `${HOSTILE_API}/me`;
const OWN_API = `${OWN_API_PROVIDER}/own-api/me`;
/** Long enough for a request the app should not have sent to reach a server on loopback. */
const SETTLE_MS = 250;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

test.afterEach(async () => {
  await clearApiFaults(HOSTILE_API);
});


/** Everything that reached a TEST_HOOKS demo API (tests/resource/server.mjs), preflights included. */
async function callsAt(api) {
  const res = await fetch(`${api}/__test/calls`);
  expect(res.ok, `${api} runs with TEST_HOOKS=1`).toBe(true);
  return res.json();
}

/** The hostile API's requests since `mark` (preflights left out) as [scheme, proofs, proofNonce, status, error]. */
async function rowsSince(mark) {
  return (await callsAt(HOSTILE_API)).slice(mark).filter((c) => c.method !== 'OPTIONS')
    .map((c) => [c.scheme, c.proofs, c.proofNonce, c.status, c.error]);
}

/**
 * Still signed in as the test user on the /api page: the header names the user, the call button (shown to a
 * signed-in user only) can be used again, nothing says the session ended, and the session is still stored.
 */
async function expectStillSignedIn(page, what) {
  await expect(page.locator('header'), `${what}: the header names the user`).toContainText(USER.name);
  await expect(page.getByTestId('api-call'), `${what}: the call can be made again`).toBeEnabled();
  for (const ended of ['signed-out-notice', 'auth-error', 'sign-in']) {
    await expect(page.getByTestId(ended), `${what}: no ${ended}`).toHaveCount(0);
  }
  await sessionOf(page, what);
}

/**
 * Clicks `api-call` and waits until the call is over: `count` requests reached the hostile API since `mark` and the
 * button is enabled again (it is disabled while the helper runs, retries included), then a little longer, so that a
 * request too many would be seen.
 */
async function callAndWait(page, mark, count) {
  await page.getByTestId('api-call').click();
  await expect.poll(async () => (await rowsSince(mark)).length, {
    message: `${count} requests reached the API`,
  }).toBeGreaterThanOrEqual(count);
  await expect(page.getByTestId('api-call'), 'the call is over').toBeEnabled();
  await sleep(SETTLE_MS);
}

// a, b. Redirects. A followed redirect would carry the request's headers on: Authorization to its own origin,
// and a DPoP proof (and, in browsers that keep it, Authorization) to another.
for (const dpop of [false, true]) {
  for (const { redirect, status, to, target } of [
    { redirect: 'cross-origin', status: 307, to: 'another origin', target: API },
    { redirect: 'same-origin', status: 302, to: 'its own origin', target: HOSTILE_API },
  ]) {
    const name = `${dpop ? 'DPoP' : 'Bearer'}: the API answers ${status} to ${to}: nothing follows it, api-error, `
      + 'still signed in';
    test(name, async ({ page, context }) => {
      await useConfig(context, hostileApiConfig(dpop));
      const traffic = recordTraffic(context);
      await signInAt(page, PROVIDER);
      await page.goto('/api');
      // The control: with the switches off, the same call is answered.
      await page.getByTestId('api-call').click();
      await expect(page.getByTestId('api-result')).toContainText('"sub":"alice"');

      await setApiFaults(HOSTILE_API, { redirect });
      const apiMark = (await callsAt(HOSTILE_API)).length;
      const targetMark = (await callsAt(target)).length;
      const mark = traffic.mark();
      await callAndWait(page, apiMark, 1);

      // What reached the servers first: a failure then names what a followed redirect carried where.
      const landed = (await callsAt(target)).slice(targetMark).filter((c) => c.path === '/landing');
      expect(landed.map((c) => [c.method, c.origin, c.authorization, c.proofs]),
        `what reached the redirect target (${target}/landing) as [method, Origin, Authorization?, DPoP headers], `
        + 'preflights included').toEqual([]);
      if (target !== HOSTILE_API) {
        expect((await callsAt(target)).slice(targetMark).map((c) => [c.method, c.path]),
          'what reached the other origin at all').toEqual([]);
      }
      const scheme = dpop ? 'DPoP' : 'Bearer';
      expect(await rowsSince(apiMark), 'the API got the one call, and answered it with the redirect')
        .toEqual([[scheme, dpop ? 1 : 0, false, status, null]]);
      expect(traffic.since(mark).filter((e) => e.authorization || e.proof).map((e) => [e.method, e.url]),
        'requests that left the browser with Authorization or DPoP since the click').toEqual([['GET', ME]]);
      await expect(page.getByTestId('api-error'), 'the refused redirect is an error the page shows')
        .toContainText('could not be sent');
      await expect(page.getByTestId('api-result')).toHaveCount(0);
      await expectStillSignedIn(page, 'after the redirect');
    });
  }
}

// c. A new nonce every time: the helper's one retry is all the API gets.
test('DPoP: an API asking for a new nonce for ever gets two requests per call (one retry), then the 401 shows', async ({
  page, context,
}) => {
  await useConfig(context, hostileApiConfig(true));
  const traffic = recordTraffic(context);
  await signInAt(page, PROVIDER);
  await page.goto('/api');
  await setApiFaults(HOSTILE_API, { nonce_forever: true });

  let latest; // the last nonce the API handed out
  for (const call of ['the first call', 'the second call']) {
    const apiMark = (await callsAt(HOSTILE_API)).length;
    const mark = traffic.mark();
    await callAndWait(page, apiMark, 2);
    await expect(page.getByTestId('api-error'), `${call}: the API's answer shows`)
      .toHaveText('the API answered HTTP 401');
    expect(await rowsSince(apiMark), `${call}: use_dpop_nonce, one retry with its nonce, use_dpop_nonce, no more`)
      .toEqual([
        ['DPoP', 1, latest !== undefined, 401, 'use_dpop_nonce'],
        ['DPoP', 1, true, 401, 'use_dpop_nonce'],
      ]);
    await traffic.settled();
    const [first, retry] = traffic.since(mark);
    expect(first.proofNonce === latest, `${call}: the first proof carries the API's latest nonce, if any`).toBe(true);
    expect(typeof first.nonce === 'string' && retry.proofNonce === first.nonce,
      `${call}: the retry's proof carries the nonce of its challenge`).toBe(true);
    expect(retry.nonce !== first.nonce, `${call}: the API answered the retry with yet another nonce`).toBe(true);
    latest = retry.nonce;
  }
  await expectStillSignedIn(page, 'after two calls refused for ever');
});

// d. A nonce challenge that hands back the nonce just sent: a retry would carry the same nonce, to the same answer.
// Found a bug on ee615d5 (a retry on any challenge with a usable nonce, new or not: the second call sent two
// requests); fixed by Nonces::remember saying whether the nonce changed.
test('DPoP: an API whose nonce challenge carries the nonce the proof already had gets no retry', async ({
  page, context,
}) => {
  await useConfig(context, hostileApiConfig(true));
  const traffic = recordTraffic(context);
  await signInAt(page, PROVIDER);
  await page.goto('/api');
  await setApiFaults(HOSTILE_API, { stale_nonce: true });

  // The first call has no nonce for the API yet: its first challenge brings a new one, N, worth one retry, which
  // the API answers with N again.
  let apiMark = (await callsAt(HOSTILE_API)).length;
  let mark = traffic.mark();
  await callAndWait(page, apiMark, 2);
  await expect(page.getByTestId('api-error')).toHaveText('the API answered HTTP 401');
  expect(await rowsSince(apiMark), 'the first call: a challenge with a new nonce, one retry')
    .toEqual([['DPoP', 1, false, 401, 'use_dpop_nonce'], ['DPoP', 1, true, 401, 'use_dpop_nonce']]);
  await traffic.settled();
  const [challenged, retried] = traffic.since(mark);
  const nonce = challenged.nonce;
  expect(typeof nonce === 'string' && retried.proofNonce === nonce && retried.nonce === nonce,
    'the retry carried N and was answered with N').toBe(true);

  // The second call carries N from the start, and the challenge hands N back: nothing new to retry with.
  apiMark = (await callsAt(HOSTILE_API)).length;
  mark = traffic.mark();
  await callAndWait(page, apiMark, 1);
  await expect(page.getByTestId('api-error')).toHaveText('the API answered HTTP 401');
  expect(await rowsSince(apiMark), 'the second call: one request, no retry')
    .toEqual([['DPoP', 1, true, 401, 'use_dpop_nonce']]);
  await traffic.settled();
  const [second] = traffic.since(mark);
  expect(second.proofNonce === nonce && second.nonce === nonce, 'it carried N and was answered with N').toBe(true);
  await expectStillSignedIn(page, 'after the stale nonce');
});

// e. RFC 9449 9: "the nonces issued by [an authorization server and a resource server] should not be confused with
// one another", also on one origin. The app keeps nonces per (server, origin): the token endpoint's for token
// requests, the resource's for resource requests. So that the app keeps what it has seen (in memory), the test moves
// between its pages by its own links, never reloading it.
test('an authorization server and an API on one origin: their DPoP nonces never mix', async ({ page, context }) => {
  const {
    token_endpoint: tokenEndpoint, pushed_authorization_request_endpoint: par,
  } = await discover(OWN_API_PROVIDER);
  await useConfig(context, {
    issuer: OWN_API_PROVIDER, scope: 'openid profile email', api_origins: [OWN_API_PROVIDER], api_url: OWN_API,
    dpop: true,
  });
  const traffic = recordTraffic(context);
  await signInAt(page, OWN_API_PROVIDER);
  const apiLink = page.getByRole('link', { name: 'API', exact: true });

  // The API first: the app holds the token endpoint's nonce for this origin, which the API must not get.
  await apiLink.click();
  await page.getByTestId('api-call').click();
  await expect(page.getByTestId('api-result')).toContainText('"api":"own"');
  // A renewal next: the app holds the API's nonce for this origin too, which the token endpoint must not get.
  await page.getByRole('link', { name: 'Home', exact: true }).click();
  const renewed = () => traffic.since(0).some((e) => e.grantType === 'refresh_token' && e.status === 200);
  await page.getByTestId('refresh').click();
  await expect.poll(renewed, { message: 'the renewal was granted' }).toBe(true);
  // And the API again, with both nonces held.
  await apiLink.click();
  await page.getByTestId('api-call').click();
  await expect(page.getByTestId('api-result')).toContainText('"api":"own"');
  await traffic.settled();

  const all = traffic.since(0).filter((e) => e.url.startsWith(`${OWN_API_PROVIDER}/`));
  const fromApi = new Set(all.filter((e) => e.url === OWN_API).map((e) => e.nonce).filter(Boolean));
  const fromAs = new Set(all.filter((e) => e.url !== OWN_API).map((e) => e.nonce).filter(Boolean));
  expect(fromApi.size > 0 && fromAs.size > 0, 'both servers handed out nonces').toBe(true);
  expect([...fromApi].filter((n) => fromAs.has(n)), 'nonces both servers handed out').toEqual([]);
  const whose = (nonce) => {
    if (nonce === undefined) return 'none';
    if (fromApi.has(nonce)) return 'the API\'s';
    return fromAs.has(nonce) ? 'the token endpoint\'s' : 'unknown';
  };
  expect(all.filter((e) => e.url === OWN_API).map((e) => [whose(e.proofNonce), e.status, e.error]),
    'API requests: the nonce each proof carried').toEqual([
    ['none', 401, 'use_dpop_nonce'],
    ['the API\'s', 200, null],
    ['the API\'s', 200, null],
  ]);
  expect(all.filter((e) => e.url === tokenEndpoint).map((e) => [e.grantType, whose(e.proofNonce), e.status, e.error]),
    'token requests: the nonce each proof carried').toEqual([
    ['authorization_code', 'none', 400, 'use_dpop_nonce'],
    ['authorization_code', 'the token endpoint\'s', 200, null],
    ['refresh_token', 'the token endpoint\'s', 200, null],
  ]);
  // The sign-in's push (RFC 9126) is the authorization server's too, with a proof (RFC 9449 10.1) and its nonce.
  // (The push's error body is not read: the page leaves for the provider as soon as the push is answered, which
  // may cut the body's reading short; the nonce handed back with the 400 and carried by the retry say it.)
  const pushes = all.filter((e) => e.url === par);
  expect(pushes.map((e) => [whose(e.proofNonce), e.status]), 'pushed authorization requests: the nonce each proof '
    + 'carried').toEqual([['none', 400], ['the token endpoint\'s', 201]]);
  expect(pushes[0].nonce, 'the refused push handed out a nonce').not.toBeNull();
  // The resource's own view agrees: the nonces it got were the ones it issued.
  const own = await (await fetch(`${OWN_API_PROVIDER}/__test/own-api-calls`)).json();
  const issued = new Set(own.map((c) => c.issued).filter(Boolean));
  expect(own.slice(-3).map((c) => [c.nonce === null ? 'none' : issued.has(c.nonce), c.status, c.error]),
    'what the API itself saw').toEqual([['none', 401, 'use_dpop_nonce'], [true, 200, null], [true, 200, null]]);
  expect(all.filter((e) => ![tokenEndpoint, par, OWN_API].includes(e.url) && e.proof).map((e) => e.url),
    'other requests with a proof (UserInfo would share the API\'s entry: this provider puts the name in the ID token)')
    .toEqual([]);
});
