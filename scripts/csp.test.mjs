// Unit tests of the security policy (scripts/csp.mjs): what a production build allows, what CSP_LOOPBACK adds,
// that frame-ancestors is in the header and not in the <meta>, and that Trunk.toml gives `trunk serve` the same.
//
//   node --test scripts/csp.test.mjs
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  HEADERS, LOOPBACK, devPolicy, headerPolicy, headersFile, metaPolicy, nginxLines, optionsFromEnv,
} from './csp.mjs';

/** A policy string as a map from directive name to its source list. */
function parse(policy) {
  return new Map(policy.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...sources] = d.split(/\s+/);
    return [name, sources];
  }));
}

test('a production build allows no loopback origin anywhere', () => {
  const options = optionsFromEnv({});
  assert.deepEqual(options, { loopback: false, connectSrc: undefined });
  for (const policy of [metaPolicy(options), headerPolicy(options)]) {
    const directives = parse(policy);
    assert.deepEqual(directives.get('connect-src'), ["'self'", 'https:']);
    assert.deepEqual(directives.get('form-action'), ["'self'", 'https:']);
    assert.doesNotMatch(policy, /127\.0\.0\.1|localhost|http:/);
  }
});

test('the strict part: no inline script, nothing by default', () => {
  const directives = parse(headerPolicy({}));
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(directives.get('base-uri'), ["'self'"]);
  for (const [name, sources] of directives) {
    for (const loose of ["'unsafe-inline'", "'unsafe-eval'", '*', 'http:', 'data:']) {
      if (!(name === 'img-src' && loose === 'data:')) assert.ok(!sources.includes(loose), `${name} ${loose}`);
    }
  }
});

test('CSP_LOOPBACK=1 adds the loopback origins to connect-src and form-action only', () => {
  const options = optionsFromEnv({ CSP_LOOPBACK: '1' });
  const directives = parse(metaPolicy(options));
  assert.deepEqual(directives.get('connect-src'), ["'self'", 'https:', ...LOOPBACK]);
  assert.deepEqual(directives.get('form-action'), ["'self'", 'https:', ...LOOPBACK]);
  for (const [name, sources] of directives) {
    if (name !== 'connect-src' && name !== 'form-action') assert.ok(!sources.some((s) => LOOPBACK.includes(s)), name);
  }
  assert.equal(optionsFromEnv({ CSP_LOOPBACK: '0' }).loopback, false);
  assert.equal(optionsFromEnv({ CSP_LOOPBACK: '' }).loopback, false);
  assert.throws(() => optionsFromEnv({ CSP_LOOPBACK: 'yes' }), /CSP_LOOPBACK/);
});

test('frame-ancestors is in the header and never in the <meta>, where browsers ignore it', () => {
  const options = optionsFromEnv({ CSP_LOOPBACK: '1' });
  assert.equal(parse(metaPolicy(options)).has('frame-ancestors'), false);
  assert.deepEqual(parse(headerPolicy(options)).get('frame-ancestors'), ["'none'"]);
  assert.equal(headerPolicy(options), `${metaPolicy(options)}; frame-ancestors 'none'`);
});

test('CSP_CONNECT_SRC narrows connect-src to the provider; CSP_LOOPBACK still adds to it', () => {
  const narrow = optionsFromEnv({ CSP_CONNECT_SRC: "'self' https://id.example.com" });
  assert.deepEqual(parse(headerPolicy(narrow)).get('connect-src'), ["'self'", 'https://id.example.com']);
  const both = optionsFromEnv({ CSP_CONNECT_SRC: "'self'  https://id.example.com http://127.0.0.1:*", CSP_LOOPBACK: '1' });
  assert.deepEqual(parse(headerPolicy(both)).get('connect-src'), ["'self'", 'https://id.example.com', ...LOOPBACK]);
});

test('CSP_CONNECT_SRC cannot add directives or break the header file', () => {
  for (const bad of ["'self'; script-src *", "'self', https:", "'self'\n  X-Evil: 1", 'a"b', '   ']) {
    assert.throws(() => headerPolicy(optionsFromEnv({ CSP_CONNECT_SRC: bad })), /CSP_CONNECT_SRC/, JSON.stringify(bad));
  }
});

test('dist/_headers: every path gets the header policy and the other headers', () => {
  const options = { loopback: false };
  const lines = headersFile(options).split('\n');
  assert.equal(lines[0], '/*');
  assert.equal(lines.at(-1), '');
  assert.deepEqual(lines.slice(1, -1), [
    `  Content-Security-Policy: ${headerPolicy(options)}`,
    '  Referrer-Policy: no-referrer',
    '  X-Content-Type-Options: nosniff',
    '  X-Frame-Options: DENY',
  ]);
  assert.deepEqual(HEADERS, {
    'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY',
  });
});

test('nginx: the same headers, sent on errors too', () => {
  const lines = nginxLines({}).trim().split('\n');
  assert.equal(lines[0], `add_header Content-Security-Policy "${headerPolicy({})}" always;`);
  assert.equal(lines.length, 1 + Object.keys(HEADERS).length);
  for (const line of lines) assert.match(line, /^add_header [A-Za-z-]+ "[^"]+" always;$/);
});

/** Trunk.toml's `[serve]` `csp` list and `headers` table (the plain TOML this repository writes, no escapes). */
function trunkServe() {
  const toml = readFileSync(new URL('../Trunk.toml', import.meta.url), 'utf8');
  const serve = toml.split(/^\[/m).find((section) => section.startsWith('serve]'));
  assert.ok(serve, 'Trunk.toml has a [serve] section');
  const csp = serve.match(/^csp = \[([\s\S]*?)\]$/m);
  const headers = serve.match(/^headers = \{(.*)\}$/m);
  assert.ok(csp && headers, 'Trunk.toml [serve] sets csp and headers');
  return {
    csp: [...csp[1].matchAll(/"([^"\\]*)"/g)].map(([, d]) => d),
    headers: Object.fromEntries([...headers[1].matchAll(/"([^"\\]*)"\s*=\s*"([^"\\]*)"/g)].map(([, k, v]) => [k, v])),
  };
}

test('trunk serve runs under the same policy, with the loopback providers and its live-reload nonce', () => {
  const dev = devPolicy();
  assert.equal(dev.join('; '), headerPolicy({ loopback: true })
    .replace("script-src 'self' 'wasm-unsafe-eval'", "script-src 'self' 'wasm-unsafe-eval' 'nonce-{{NONCE}}'"));
  const serve = trunkServe();
  assert.deepEqual(serve.csp, dev, 'Trunk.toml [serve] csp is devPolicy()');
  assert.deepEqual(serve.headers, HEADERS, 'Trunk.toml [serve] headers are HEADERS');
  assert.match(readFileSync(new URL('../Trunk.toml', import.meta.url), 'utf8'), /^create_nonce = true$/m);
});
