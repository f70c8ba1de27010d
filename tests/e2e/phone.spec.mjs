// The demo on a phone's screen (390 x 844 CSS pixels, an iPhone 12 to 15): every page fits the width without
// scrolling sideways, the app's title stays on one line, and no date breaks in the middle. Layout, not timing.

import { expect, test } from '@playwright/test';

import { PROVIDER, signInAt } from './support.mjs';

test.use({ viewport: { width: 390, height: 844 } });

/** Whether the page scrolls sideways, and the elements `selector` matches that wrap onto more than one line. */
async function layout(page, selector) {
  return page.evaluate((selector) => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    wrapped: [...document.querySelectorAll(selector)]
      .filter((element) => {
        const lineHeight = parseFloat(getComputedStyle(element).lineHeight) || 20;
        return element.getBoundingClientRect().height > lineHeight * 1.5;
      })
      .map((element) => element.textContent),
  }), selector);
}

test('signed out and signed in, every page fits 390 px: no sideways scroll, one-line title and dates', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.getByTestId('sign-in')).toBeVisible();
  expect(await layout(page, '.brand'), 'signed out').toEqual({ overflow: 0, wrapped: [] });

  await signInAt(page, PROVIDER);
  await expect(page.getByTestId('token-expiry')).toBeVisible();
  expect(await layout(page, '.brand, time'), 'home, with the session panel').toEqual({ overflow: 0, wrapped: [] });

  for (const [path, ready] of [['/profile', 'profile'], ['/api', 'api-call']]) {
    await page.goto(path);
    await expect(page.getByTestId(ready).first()).toBeVisible();
    expect(await layout(page, '.brand, time'), path).toEqual({ overflow: 0, wrapped: [] });
  }
});
