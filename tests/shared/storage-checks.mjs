// What the app may keep in sessionStorage, checked on [key, value] pairs however a suite read them: the Playwright
// specs (through tests/e2e/support.mjs) and the WebDriver suites (tests/webdriver/scenarios.mjs) run the same checks.
// They assert with node:assert, not with Playwright's expect, so that the WebDriver suites never load Playwright.
// Failures name keys and fields only, never a value: a value may be a token.

import assert from 'node:assert/strict';

import { STORAGE_PREFIX, TOKEN_FIELDS } from './constants.mjs';

function jsonKeys(value, found = new Set()) {
  if (Array.isArray(value)) value.forEach((v) => jsonKeys(v, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      found.add(k);
      jsonKeys(v, found);
    }
  }
  return found;
}

/**
 * Storage holds no token: no key is named after a token, no JSON value has a token-named field, and no value
 * contains any token the provider issued during the test. Fails with key names only, never values.
 */
export function expectNoTokens(entries, issuedTokens, when) {
  for (const [key, value] of entries) {
    for (const field of TOKEN_FIELDS) {
      assert.equal(key.includes(field), false, `${when}: sessionStorage key "${key}" is named after a token`);
    }
    let parsed;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    const fields = jsonKeys(parsed);
    for (const field of TOKEN_FIELDS) {
      assert.equal(fields.has(field), false, `${when}: sessionStorage "${key}" has a field "${field}"`);
    }
    for (const token of issuedTokens) {
      assert.equal(value.includes(token), false, `${when}: sessionStorage "${key}" holds a token the provider issued`);
    }
  }
}

/** The app's own keys are namespaced, and a signed-in session is kept in sessionStorage. */
export function expectNamespacedSession(entries) {
  assert.ok(entries.length > 0, 'a signed-in app keeps its session in sessionStorage');
  for (const [key] of entries) {
    assert.ok(key.startsWith(STORAGE_PREFIX), `sessionStorage key "${key}" starts with ${STORAGE_PREFIX}`);
  }
}
