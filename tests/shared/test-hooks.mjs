// The switches and logs that the test servers serve under /__test/ with TEST_HOOKS=1, over plain fetch: the fault
// rules, the request log and the reuse grace window of the bundled provider (tests/provider/server.mjs), and the
// demo API's fault switches (tests/resource/server.mjs). Shared by the Playwright specs (through
// tests/e2e/support.mjs) and the WebDriver suites (tests/firefox/faults.test.mjs, tests/webdriver/scenarios.mjs), so
// it imports no browser driver.

/** A test hook of a TEST_HOOKS server: `method` on `url`, with `body` as JSON; the answer's JSON, if any. */
async function testHook(method, url, body) {
  const res = await fetch(url, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status} ${text} (is TEST_HOOKS=1 set?)`);
  return text === '' ? undefined : JSON.parse(text);
}

/**
 * The fault rules of a TEST_HOOKS provider (see tests/provider/server.mjs): `rules` replace the current ones.
 * E.g. [{ route: 'token', grant_type: 'refresh_token', mode: 'status', status: 503, times: 1 }].
 */
export const setFaults = (issuer, rules) => testHook('POST', `${issuer}/__test/faults`, rules);
export const clearFaults = (issuer) => testHook('DELETE', `${issuer}/__test/faults`);
/**
 * What reached the provider's endpoints since the last clearHits, in order: { route, grant_type, at, status, fault,
 * reuse_grace }.
 */
export const providerHits = (issuer) => testHook('GET', `${issuer}/__test/hits`);
export const clearHits = (issuer) => testHook('DELETE', `${issuer}/__test/hits`);
/** The provider's reuse grace window for rotated refresh tokens, in seconds (0: off, plain reuse detection). */
export const setReuseGrace = (issuer, seconds) => testHook('POST', `${issuer}/__test/reuse-grace`, { seconds });
/**
 * The demo API's fault switches (tests/resource/server.mjs), which replace the current ones: `invalid_token` true
 * makes GET /me refuse every token; `redirect`, `nonce_forever` and `stale_nonce` are a hostile API's answers.
 */
export const setApiFaults = (api, faults) => testHook('POST', `${api}/__test/faults`, faults);
export const clearApiFaults = (api) => testHook('DELETE', `${api}/__test/faults`);
/**
 * The Cross-Origin-Opener-Policy every answer of a TEST_HOOKS provider carries (`same-origin`, …), or none with
 * null: a provider whose pages cut a sign-in window's link to the page that opened it.
 */
export const setOpenerPolicy = (issuer, policy) => testHook('POST', `${issuer}/__test/opener-policy`, { policy });
