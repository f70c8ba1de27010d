// Trunk post-build hook: makes dist/index.html work under a strict Content-Security-Policy and, in release
// builds, writes the policy and the other security headers, and precompressed copies of every asset for CDNs.
//
// Trunk inlines a small module script that boots the wasm. A strict policy allows no inline script, so the
// script moves into its own file (named by its hash, so CDNs may cache it forever), and the policy goes into a
// <meta http-equiv> tag: `script-src 'self' 'wasm-unsafe-eval'`. A <meta> cannot carry `frame-ancestors`, so
// release builds also write dist/_headers (Netlify, Cloudflare Pages) with the policy as a header. Release builds
// only get the policy, because `trunk serve` injects its own inline live-reload script in development; it sends
// the development policy of Trunk.toml as headers instead, with a nonce for that script.
//
// The policy is scripts/csp.mjs's, from CSP_LOOPBACK (1: allow the loopback providers of the tests and of
// scripts/dev; never in production) and CSP_CONNECT_SRC (narrow fetch to your provider's origins). Without
// CSP_CONNECT_SRC a release build allows any https origin, and this says so on stderr: the deploy step
// scripts/deploy-csp.mjs narrows it to the deployment's config.json (the build goes on either way).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { transformSync } from 'esbuild';

import { headersFile, metaPolicy, optionsFromEnv, permissiveWarning } from './csp.mjs';
import { precompress } from './precompress.mjs';

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) throw new Error('run me as a Trunk hook (TRUNK_STAGING_DIR is not set)');
const release = process.env.TRUNK_PROFILE === 'release';
const options = optionsFromEnv();

const htmlPath = join(staging, 'index.html');
let html = readFileSync(htmlPath, 'utf8');

// With `[build] create_nonce`, Trunk's tags carry a nonce placeholder that `trunk serve` fills in.
const inline = /<script type="module"((?: nonce="[^"]*")?)>([\s\S]*?)<\/script>/;
const match = html.match(inline);
if (!match) throw new Error('no inline module script found in index.html: has Trunk changed its output?');
// The fatal-error screen goes first, so it is listening before the wasm starts (imports are hoisted anyway).
const fatal = readFileSync(new URL('./fatal.js', import.meta.url), 'utf8');
let boot = `${fatal}${match[2].trim()}\n`;
// Release builds ship it minified (esbuild, as the glue below): comments and whitespace only.
if (release) boot = transformSync(boot, { loader: 'js', minify: true, format: 'esm', legalComments: 'none' }).code;
const digest = createHash('sha384').update(boot).digest();
const name = `boot-${digest.toString('hex').slice(0, 16)}.js`;
writeFileSync(join(staging, name), boot);
html = html.replace(inline, `<script type="module" src="${name}" integrity="sha384-${digest.toString('base64')}"${match[1]}></script>`);

if (release) {
  // The release policy names no nonce, and no server fills in the placeholder.
  html = html.replace(/ nonce="[^"]*"/g, '');
  html = html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${metaPolicy(options)}" />`);
  if (!html.includes('Content-Security-Policy')) throw new Error('could not insert the Content-Security-Policy');
  // Not precompressed below, and not referenced by index.html, so neither a download nor in the budget.
  writeFileSync(join(staging, '_headers'), headersFile(options));
  console.log(`finish-dist: Content-Security-Policy: ${metaPolicy(options)}`);
  // Where the build ends up (Trunk's --dist), relative to here when it is below.
  const distDir = process.env.TRUNK_DIST_DIR;
  const below = distDir ? relative(process.cwd(), distDir) : '';
  const dist = !distDir ? 'dist' : !below || below.startsWith('..') || isAbsolute(below) ? distDir : below;
  const warning = permissiveWarning({ release, connectSrc: options.connectSrc, dist });
  if (warning) console.error(warning);
}

// Release builds: minify the wasm-bindgen glue and the stylesheet with esbuild (Trunk's own JS minifier
// rejects wasm-bindgen's output and leaves it as is), then re-pin their Subresource Integrity hashes.
// Only whitespace, syntax and local names change: exports, import object keys and CSS selectors stay.
if (release) {
  const pinned = /(<link\b[^>]*?\bhref="[^"]*?\/?([^"/]+\.(js|css))"[^>]*?\bintegrity=")sha384-[^"]+(")/g;
  html = html.replace(pinned, (_whole, before, file, kind, after) => {
    const path = join(staging, file);
    const { code } = transformSync(readFileSync(path, 'utf8'), {
      loader: kind, minify: true, format: kind === 'js' ? 'esm' : undefined, legalComments: 'none',
    });
    writeFileSync(path, code);
    return `${before}sha384-${createHash('sha384').update(code).digest('base64')}${after}`;
  });
}

writeFileSync(htmlPath, html);

// SPA fallback for static hosts, so /callback and deep links load the app: GitHub Pages serves 404.html for any
// unknown path (with status 404, which the app does not mind), Netlify reads `_redirects`. Cloudflare Pages refuses
// that rule as a loop: delete `_redirects` and `404.html` there, and its own SPA fallback applies (docs/deploy.md).
// Under a path (`trunk build --public-url /some/app/`) the rule names that path: index.html's asset URLs and
// <base href> are absolute, so the same copy serves every depth.
if (release) {
  const base = new URL(process.env.TRUNK_PUBLIC_URL || '/', 'http://host.invalid').pathname.replace(/\/?$/, '/');
  writeFileSync(join(staging, '404.html'), html);
  writeFileSync(join(staging, '_redirects'), `${base}*    ${base}index.html    200\n`);
}

// Precompressed siblings for CDNs (scripts/precompress.mjs).
if (release) {
  for (const name of readdirSync(staging)) {
    // config.json is edited per deployment; a stale compressed copy beside it would be served instead.
    if (/\.(html|js|wasm|css)$/.test(name)) precompress(join(staging, name));
  }
}
