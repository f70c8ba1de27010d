// Whether a release build can reach the test servers at all: checked before the Playwright specs
// (tests/e2e/playwright.config.mjs), the WebDriver suites (tests/webdriver/harness.mjs) and the benchmark (bench/)
// start a browser on it, so that a production build fails with a message naming the cause, not with every sign-in
// refused by the page's policy. It imports no browser driver.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Throws unless the release build in `distDir` lets the app reach the providers on 127.0.0.1: its policy allows
 * them only when built with CSP_LOOPBACK=1, and without them every sign-in fails on the CSP.
 */
export function requireLoopbackBuild(distDir) {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  if (csp && !/connect-src [^;]*http:\/\/127\.0\.0\.1:\*/.test(csp)) {
    throw new Error(`${distDir} is a production build: its connect-src does not allow the providers on 127.0.0.1. `
      + 'Build it with `CSP_LOOPBACK=1 scripts/release-build` for the tests and the benchmark.');
  }
}
