// Deploy step, optional: puts a release build's config.json into its index.html and 404.html, so the app reads its
// configuration from the page instead of fetching it: one request less on every page load and, on a CDN, one round
// trip less before the callback can redeem its code (config.json is revalidated on every load; the page is fetched
// anyway). The block replaces the preload of config.json; config.json stays beside it but is no longer read, so
// run this again after every edit of it. Safe to run again: an inlined block is replaced, not added to.
//
// The block is a data block (`<script type="application/json">`): browsers never run it, so the strict CSP (no
// inline script) holds. Its JSON is re-serialized with every `<` escaped, so nothing in it can close the element.
//
//   node scripts/inline-config.mjs [dist-dir] [config-file]   (defaults: dist, <dist-dir>/config.json)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { precompress } from './precompress.mjs';

// What index.html has before (Trunk's build) or after (this script) inlining; exactly one of them, once.
const PRELOAD = /<link rel="preload" href="config\.json" as="fetch" crossorigin="anonymous" \/>/;
const BLOCK = /<script type="application\/json" id="config">[^<]*<\/script>/;

/** index.html's text with `json` (config.json's text) inlined in place of the preload or of an earlier block. */
export function inlineConfig(html, json) {
  const block = `<script type="application/json" id="config">${JSON.stringify(JSON.parse(json)).replaceAll('<', '\\u003c')}</script>`;
  const found = [PRELOAD, BLOCK].filter((pattern) => pattern.test(html));
  if (found.length !== 1) {
    throw new Error('index.html has neither the preload of config.json nor an inlined configuration: not a release build?');
  }
  return html.replace(found[0], () => block);
}

/** Inlines `json` into a build's pages (index.html and, where there is one, 404.html) and renews their
 * precompressed copies; returns the pages rewritten. */
export function inlineConfigInto(dist, json) {
  const pages = ['index.html', '404.html'].map((page) => join(dist, page)).filter((path) => existsSync(path));
  for (const path of pages) {
    writeFileSync(path, inlineConfig(readFileSync(path, 'utf8'), json));
    precompress(path);
  }
  return pages;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dist = process.argv[2] || 'dist';
  const json = readFileSync(process.argv[3] || join(dist, 'config.json'), 'utf8');
  for (const path of inlineConfigInto(dist, json)) console.log(`inline-config: ${path} carries the configuration`);
}
