// Step-up authentication (RFC 9470). The hostile demo API (HOSTILE_API, its `step_up` switch) answers a valid token
// whose sign-in was not at the level it names with 401 `insufficient_user_authentication` and `acr_values`; the
// bundled provider offers the levels urn:test:pwd (what a plain sign-in gets) and urn:test:mfa, and a login gives
// the level the request asks for. The /api page handles the challenge by itself: it signs in again asking for the
// API's level as essential (the `claims` parameter, OIDC Core 5.5.1.1), comes back to /api and calls once more; the
// new ID token's `acr` must be that level. A second challenge is shown, never followed.

import { expect, test } from '@playwright/test';

import {
  HOSTILE_API, PROVIDER, USER, authorizationRequest, clearApiFaults, hostileApiConfig,
  logInAtProvider, sessionOf, setApiFaults, signInAt, useConfig,
} from './support.mjs';


test.afterEach(async () => {
  await clearApiFaults(HOSTILE_API);
});


/** The hostile API's requests from index `mark` on (preflights left out) as [status, error]. */
async function apiRowsSince(mark) {
  const calls = await (await fetch(`${HOSTILE_API}/__test/calls`)).json();
  return calls.slice(mark).filter((c) => c.method !== 'OPTIONS').map((c) => [c.status, c.error]);
}
const apiCallsSoFar = async () => (await (await fetch(`${HOSTILE_API}/__test/calls`)).json()).length;

for (const dpop of [false, true]) {
  test(`an API that asks for a stronger sign-in gets one, and the call is made again (${dpop ? 'DPoP' : 'Bearer'})`,
    async ({ page, context }) => {
      await useConfig(context, hostileApiConfig(dpop));
      await signInAt(page, PROVIDER);
      await setApiFaults(HOSTILE_API, { step_up: 'urn:test:mfa' });
      await page.goto('/api');
      const mark = await apiCallsSoFar();

      // The call is refused for its level: the page leaves at once for a sign-in that asks for it as essential.
      const { params } = await authorizationRequest(page, () => page.getByTestId('api-call').click());
      expect(params.get('acr_values'), 'no voluntary request beside the essential one').toBeNull();
      expect(JSON.parse(params.get('claims') ?? 'null'), 'acr requested as essential (OIDC Core 5.5.1.1)')
        .toEqual({ id_token: { acr: { essential: true, values: ['urn:test:mfa'] } } });
      // The provider session is at a lower level, so the provider asks for the password again.
      await logInAtProvider(page);

      // Back on /api, the call made once more, with the new token, by the page itself.
      await expect(page.getByTestId('api-result')).toContainText(`"sub":"${USER.username}"`);
      expect(new URL(page.url()).pathname).toBe('/api');
      expect(new URL(page.url()).search, 'the step-up mark left the address bar').toBe('');
      expect((await sessionOf(page)).claims.other?.acr, 'the new session is at the level asked for')
        .toBe('urn:test:mfa');
      expect(await apiRowsSince(mark), 'refused for its level, then accepted')
        .toEqual([[401, 'insufficient_user_authentication'], [200, null]]);

      // A reload does not call again.
      await page.reload();
      await expect(page.getByTestId('api-call'), 'still signed in').toBeVisible();
      expect((await apiRowsSince(mark)).length, 'no call on reload').toBe(2);
    });
}

test('a second challenge after the step-up is shown, not followed: no sign-in loop', async ({ page, context }) => {
  await useConfig(context, hostileApiConfig(false));
  await signInAt(page, PROVIDER);
  await setApiFaults(HOSTILE_API, { step_up: 'urn:test:mfa' });
  await page.goto('/api');
  const mark = await apiCallsSoFar();
  await page.getByTestId('api-call').click();
  await expect(page.getByTestId('login-page')).toBeVisible();
  // While the user signs in again, the API raises its demand to a level this provider never gives.
  await setApiFaults(HOSTILE_API, { step_up: 'urn:test:never' });
  await logInAtProvider(page);

  await expect(page.getByTestId('api-error')).toContainText('stronger or more recent sign-in');
  await expect(page.getByTestId('api-call'), 'still signed in').toBeVisible();
  expect(new URL(page.url()).pathname, 'still on /api, not sent to the provider again').toBe('/api');
  expect(await apiRowsSince(mark)).toEqual([
    [401, 'insufficient_user_authentication'], [401, 'insufficient_user_authentication'],
  ]);
});
