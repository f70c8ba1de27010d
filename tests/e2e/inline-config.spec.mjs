// A deployment with its configuration inlined in the page by scripts/inline-config.mjs (the copy of dist/ that
// playwright.config.mjs makes and serves on APP_INLINE): the app reads it from there and never requests
// config.json, and the strict CSP holds (the block is data, never run).

import { expect, test } from '@playwright/test';

import { APP_INLINE, expectSignedIn, logInAtProvider, recordRequests } from './support.mjs';

test('with the configuration inlined, the app signs in and reloads without ever requesting config.json', async ({
  page, context,
}) => {
  const violations = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  const requests = recordRequests(context);

  await page.goto(`${APP_INLINE}/`);
  await expect(page.locator('script#config')).toHaveAttribute('type', 'application/json');
  await page.getByTestId('sign-in').click();
  await logInAtProvider(page);
  await expectSignedIn(page, APP_INLINE);
  await page.reload();
  await expectSignedIn(page, APP_INLINE);

  const configRequests = requests.since(0).filter((request) => request.url.endsWith('/config.json'));
  expect(configRequests, 'config.json is never requested').toEqual([]);
  expect(violations, 'no CSP violation').toEqual([]);
});
