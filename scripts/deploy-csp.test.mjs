// Unit tests of scripts/deploy-csp.mjs: the policy replaces the build's in the pages (and their compressed copies)
// and in _headers, once, keeping everything else; a second run changes nothing; the discovery document is read
// from the issuer's well-known URL and a failure to read it says how to go on without it.
//
//   node --test scripts/deploy-csp.test.mjs
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

import { headerPolicy, headersFile, metaPolicy } from './csp.mjs';
import { deployPolicyInto, fetchDiscovery, withHeaderPolicy, withMetaPolicy } from './deploy-csp.mjs';

const BUILT = { loopback: true };
const page = (options) => `<!doctype html><html><head><meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="${metaPolicy(options)}" />
    <link rel="preload" href="config.json" as="fetch" crossorigin="anonymous" /></head><body></body></html>`;
const NARROW = { connectSrc: "'self' https://id.example.com", formAction: "'self' https://id.example.com" };

test('the <meta> policy is replaced, the rest of the page kept, and a page without exactly one is refused', () => {
  const html = withMetaPolicy(page(BUILT), metaPolicy(NARROW));
  assert.equal(html, page(NARROW));
  assert.equal(withMetaPolicy(html, metaPolicy(NARROW)), html);
  assert.throws(() => withMetaPolicy('<html><head></head></html>', metaPolicy(NARROW)), /no Content-Security-Policy/);
  const twice = page(BUILT).replace('</head>', `${page(BUILT).match(/<meta http-equiv[^>]*>/)[0]}</head>`);
  assert.throws(() => withMetaPolicy(twice, metaPolicy(NARROW)), /2 Content-Security-Policy policies/);
});

test('_headers: the policy line is replaced, with frame-ancestors; rules added after the build stay', () => {
  const cache = '/app-0123456789abcdef.css\n  Cache-Control: public, max-age=31536000, immutable\n';
  const text = withHeaderPolicy(headersFile(BUILT) + cache, headerPolicy(NARROW));
  assert.equal(text, headersFile(NARROW) + cache);
  assert.match(text, /^ {2}Content-Security-Policy: .*; frame-ancestors 'none'$/m);
  assert.throws(() => withHeaderPolicy(cache, headerPolicy(NARROW)), /no Content-Security-Policy/);
});

test('a build directory: pages, their .gz and .br copies, and _headers carry the policy; a second run is a no-op', (t) => {
  const dist = mkdtempSync(join(tmpdir(), 'deploy-csp-'));
  t.after(() => rmSync(dist, { recursive: true, force: true }));
  for (const name of ['index.html', '404.html']) writeFileSync(join(dist, name), page(BUILT));
  writeFileSync(join(dist, '_headers'), headersFile(BUILT));
  const config = { issuer: 'https://id.example.com', api_origins: ['https://api.example.com'] };
  const discovery = {
    issuer: config.issuer,
    token_endpoint: 'https://id.example.com/token',
    end_session_endpoint: 'https://id.example.com/logout',
  };

  const { policy, files } = deployPolicyInto(dist, config, discovery);
  assert.deepEqual(policy, {
    connectSrc: "'self' https://id.example.com https://api.example.com",
    formAction: "'self' https://id.example.com",
  });
  assert.deepEqual(files, ['index.html', '404.html', '_headers'].map((name) => join(dist, name)));
  const read = (name) => readFileSync(join(dist, name));
  for (const name of ['index.html', '404.html']) {
    assert.equal(read(name).toString(), page(policy));
    assert.deepEqual(gunzipSync(read(`${name}.gz`)), read(name), `${name}.gz`);
    assert.deepEqual(brotliDecompressSync(read(`${name}.br`)), read(name), `${name}.br`);
  }
  assert.equal(read('_headers').toString(), headersFile(policy));

  const before = ['index.html', 'index.html.gz', 'index.html.br', '404.html', '_headers'].map(read);
  deployPolicyInto(dist, config, discovery);
  assert.deepEqual(['index.html', 'index.html.gz', 'index.html.br', '404.html', '_headers'].map(read), before);
});

test('a refused origin leaves the build as it was', (t) => {
  const dist = mkdtempSync(join(tmpdir(), 'deploy-csp-'));
  t.after(() => rmSync(dist, { recursive: true, force: true }));
  writeFileSync(join(dist, 'index.html'), page(BUILT));
  assert.throws(() => deployPolicyInto(dist, { issuer: 'https://id.example.com', api_origins: ['https://*.example.com'] }),
    /api_origins has a host a Content-Security-Policy cannot name exactly/);
  assert.equal(readFileSync(join(dist, 'index.html'), 'utf8'), page(BUILT));
  assert.throws(() => deployPolicyInto(join(dist, 'nothing'), { issuer: 'https://id.example.com' }), /index\.html is missing/);
});

/** A fetch that answers `respond(url)` and records the URLs asked for. */
function fakeFetch(respond) {
  const asked = [];
  const fetch = async (url) => {
    asked.push(url);
    return respond(url);
  };
  return { fetch, asked };
}

test('discovery: read from the issuer\'s well-known URL, and its issuer must be config.json\'s', async () => {
  const issuer = 'https://id.example.com/realms/demo';
  const doc = { issuer, token_endpoint: `${issuer}/token` };
  const ok = fakeFetch(() => new Response(JSON.stringify(doc)));
  assert.deepEqual(await fetchDiscovery({ issuer }, ok), doc);
  assert.deepEqual(ok.asked, [`${issuer}/.well-known/openid-configuration`]);

  const other = fakeFetch(() => new Response(JSON.stringify({ ...doc, issuer: `${issuer}/` })));
  await assert.rejects(fetchDiscovery({ issuer }, other),
    /names the issuer "https:\/\/id\.example\.com\/realms\/demo\/", not config\.json's/);
});

test('discovery that cannot be read is an error that points at --offline', async () => {
  const issuer = 'https://id.example.com';
  const failures = [
    [() => {
      throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND id.example.com') });
    }, /could not fetch .*ENOTFOUND/],
    [() => new Response('no', { status: 404 }), /answered 404/],
    [() => new Response('<html>'), /is not JSON/],
  ];
  for (const [respond, message] of failures) {
    const error = await fetchDiscovery({ issuer }, fakeFetch(respond)).then(() => null, (err) => err);
    assert.ok(error, String(message));
    assert.match(error.message, message);
    assert.match(error.message, /--offline/);
    assert.match(error.message, /https:\/\/id\.example\.com\/\.well-known\/openid-configuration/);
  }
});
