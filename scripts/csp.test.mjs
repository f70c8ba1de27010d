// Unit tests of the security policy (scripts/csp.mjs): what a production build allows, what CSP_LOOPBACK adds,
// that frame-ancestors is in the header and not in the <meta>, that Trunk.toml gives `trunk serve` the same, the
// policy a deployment's config.json and discovery document give (scripts/deploy-csp.mjs), and the warning a
// release build with the permissive default prints.
//
//   node --test scripts/csp.test.mjs
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  HEADERS, LOOPBACK, deploymentPolicy, devPolicy, discoveryUrl, headerPolicy, headersFile, metaPolicy,
  needsDiscovery, nginxLines, optionsFromEnv, permissiveWarning,
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

test('formAction replaces form-action\'s \'self\' https:, checked as connectSrc is; CSP_LOOPBACK still adds to it', () => {
  const narrow = { connectSrc: "'self' https://id.example.com", formAction: "'self' https://id.example.com" };
  assert.deepEqual(parse(metaPolicy(narrow)).get('form-action'), ["'self'", 'https://id.example.com']);
  assert.deepEqual(parse(headerPolicy({ ...narrow, loopback: true })).get('form-action'),
    ["'self'", 'https://id.example.com', ...LOOPBACK]);
  for (const bad of ["'self'; script-src *", "'self', https:", 'a"b', ' ']) {
    assert.throws(() => metaPolicy({ formAction: bad }), /form-action/, JSON.stringify(bad));
  }
});

// Google's discovery document, as published (its endpoints on four origins), and a provider of each other kind.
const GOOGLE = {
  issuer: 'https://accounts.google.com',
  authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
  token_endpoint: 'https://oauth2.googleapis.com/token',
  userinfo_endpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
  revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
  jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
  device_authorization_endpoint: 'https://oauth2.googleapis.com/device/code',
};

test('a deployment: the issuer, every endpoint the app fetches and api_origins, once each, in that order', () => {
  const config = {
    issuer: GOOGLE.issuer, client_id: 'spa', api_origins: ['https://api.example.com/', 'https://accounts.google.com'],
  };
  const policy = deploymentPolicy(config, GOOGLE);
  assert.deepEqual(policy, {
    connectSrc: "'self' https://accounts.google.com https://oauth2.googleapis.com https://www.googleapis.com "
      + 'https://openidconnect.googleapis.com https://api.example.com',
    // No end_session_endpoint: no provider sign-out, no form to post.
    formAction: "'self'",
  });
  for (const text of [metaPolicy(policy), headerPolicy(policy)]) {
    const directives = parse(text);
    for (const name of ['connect-src', 'form-action']) {
      assert.ok(!directives.get(name).includes('https:'), `${name} has no https: wildcard`);
      assert.ok(!directives.get(name).some((s) => s.includes('*')), `${name} has no wildcard`);
    }
  }
});

test('a deployment: the end-session origin goes to form-action, an issuer with a path to its origin', () => {
  const issuer = 'https://id.example.com/realms/demo';
  const discovery = {
    issuer,
    token_endpoint: `${issuer}/protocol/openid-connect/token`,
    jwks_uri: `${issuer}/protocol/openid-connect/certs`,
    end_session_endpoint: 'https://logout.example.com:8443/realms/demo/protocol/openid-connect/logout?x=1',
  };
  assert.deepEqual(deploymentPolicy({ issuer, logout_method: 'post' }, discovery), {
    connectSrc: "'self' https://id.example.com",
    formAction: "'self' https://logout.example.com:8443",
  });
  // The default port is no port; a post_logout_redirect_uri elsewhere is followed after the POST, so it is listed.
  assert.deepEqual(deploymentPolicy({
    issuer: 'https://id.example.com:443/', post_logout_redirect_uri: 'https://www.example.com/bye',
  }, { ...discovery, issuer: 'https://id.example.com:443/' }), {
    connectSrc: "'self' https://id.example.com",
    formAction: "'self' https://logout.example.com:8443 https://www.example.com",
  });
});

test('a deployment: config.json\'s pinned endpoints win over discovery\'s, and pins alone are enough', () => {
  const discovery = {
    issuer: 'https://id.example.com',
    token_endpoint: 'https://id.example.com/token',
    jwks_uri: 'https://keys.example.com/jwks',
    revocation_endpoint: 'https://id.example.com/revoke',
    end_session_endpoint: 'https://id.example.com/logout',
  };
  const config = {
    issuer: 'https://id.example.com',
    token_endpoint: 'https://tokens.example.com/token',
    revocation_endpoint: 'https://tokens.example.com/revoke',
    end_session_endpoint: 'https://sso.example.com/logout',
  };
  assert.deepEqual(deploymentPolicy(config, discovery), {
    connectSrc: "'self' https://id.example.com https://tokens.example.com https://keys.example.com",
    formAction: "'self' https://sso.example.com",
  });
  const pinned = {
    ...config, authorization_endpoint: 'https://id.example.com/authorize', jwks_uri: 'https://id.example.com/jwks',
    userinfo_endpoint: 'https://users.example.com/me',
  };
  assert.equal(needsDiscovery(config), true);
  assert.equal(needsDiscovery(pinned), false);
  assert.deepEqual(deploymentPolicy(pinned), {
    connectSrc: "'self' https://id.example.com https://tokens.example.com https://users.example.com",
    formAction: "'self' https://sso.example.com",
  });
});

test('a deployment: the push endpoint of pushed authorization requests (RFC 9126), unless "par" is "never"', () => {
  const discovery = {
    issuer: 'https://id.example.com',
    token_endpoint: 'https://id.example.com/token',
    pushed_authorization_request_endpoint: 'https://par.example.com/par',
  };
  const config = { issuer: 'https://id.example.com' };
  assert.equal(deploymentPolicy(config, discovery).connectSrc, "'self' https://id.example.com https://par.example.com");
  assert.equal(deploymentPolicy({ ...config, par: 'never' }, discovery).connectSrc, "'self' https://id.example.com");
  assert.equal(
    deploymentPolicy({ ...config, pushed_authorization_request_endpoint: 'https://push.example.com/par' }, discovery)
      .connectSrc,
    "'self' https://id.example.com https://push.example.com",
  );
});

test('a deployment: a custom logout endpoint (Cognito) is the form-action origin, whatever discovery says', () => {
  const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI';
  const domain = 'https://app.auth.eu-west-1.amazoncognito.com';
  const discovery = {
    issuer,
    token_endpoint: `${domain}/oauth2/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    userinfo_endpoint: `${domain}/oauth2/userInfo`,
    end_session_endpoint: 'https://elsewhere.example.com/logout',
  };
  const config = {
    issuer,
    revocation_endpoint: `${domain}/oauth2/revoke`,
    logout: { endpoint: `${domain}/logout`, return_param: 'logout_uri', params: ['client_id'] },
    api_origins: ['https://api.example.com'],
  };
  assert.deepEqual(deploymentPolicy(config, discovery), {
    connectSrc: `'self' https://cognito-idp.eu-west-1.amazonaws.com ${domain} https://api.example.com`,
    formAction: `'self' ${domain}`,
  });
});

test('a deployment: the bundled provider on loopback, by its exact origins, no loopback wildcard', () => {
  const config = JSON.parse(readFileSync(new URL('../assets/config.json', import.meta.url), 'utf8'));
  const issuer = 'http://127.0.0.1:9000';
  const discovery = {
    issuer, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, end_session_endpoint: `${issuer}/session/end`,
  };
  const policy = deploymentPolicy(config, discovery);
  assert.deepEqual(policy, {
    connectSrc: "'self' http://127.0.0.1:9000 http://127.0.0.1:9200",
    formAction: "'self' http://127.0.0.1:9000",
  });
  assert.doesNotMatch(metaPolicy(policy), /https:(?!\/)|\*/);
});

test('a deployment: anything that is not an http(s) origin a policy can name exactly is refused', () => {
  const base = { issuer: 'https://id.example.com' };
  const refused = [
    [{ issuer: 'javascript:alert(1)' }, /issuer is not an http\(s\) URL/],
    [{ issuer: 'id.example.com' }, /issuer is not an absolute URL/],
    [{}, /issuer must be a URL string/],
    [{ issuer: 'http://id.example.com' }, /plain http on a host that is not loopback/],
    [{ issuer: 'https://*.example.com' }, /cannot name exactly/],
    [{ issuer: 'https://[::1]:9000' }, /cannot name exactly/],
    [{ ...base, token_endpoint: 'ftp://id.example.com/token' }, /config\.json's token_endpoint is not an http\(s\) URL/],
    [{ ...base, api_origins: ['https://api.example.com/v1'] }, /api_origins is not an origin/],
    [{ ...base, api_origins: ['https://api.example.com?x'] }, /api_origins is not an origin/],
    [{ ...base, api_origins: ["'self'; script-src *"] }, /api_origins is not an absolute URL/],
    [{ ...base, api_origins: ['*'] }, /api_origins is not an absolute URL/],
    [{ ...base, api_origins: 'https://api.example.com' }, /api_origins must be a list/],
    [{ ...base, logout: 'https://id.example.com/logout' }, /logout must be an object/],
    [{ ...base, logout: {} }, /logout\.endpoint must be a URL string/],
  ];
  for (const [config, message] of refused) {
    assert.throws(() => deploymentPolicy(config, {}), message, JSON.stringify(config));
  }
  assert.throws(() => deploymentPolicy(base, { jwks_uri: 'data:,{}' }),
    /discovery document's jwks_uri is not an http\(s\) URL/);
  assert.throws(() => deploymentPolicy(base, { end_session_endpoint: 'http://sso.example.com/' }),
    /end_session_endpoint is plain http/);
  assert.throws(() => deploymentPolicy(null), /not a JSON object/);
  assert.throws(() => deploymentPolicy(base, []), /discovery document is not a JSON object/);
});

test('the discovery URL: one trailing slash of the issuer dropped, the well-known path appended to its path', () => {
  assert.equal(discoveryUrl('https://id.example.com'), 'https://id.example.com/.well-known/openid-configuration');
  assert.equal(discoveryUrl('https://id.example.com/'), 'https://id.example.com/.well-known/openid-configuration');
  assert.equal(discoveryUrl('https://id.example.com/realms/demo/'),
    'https://id.example.com/realms/demo/.well-known/openid-configuration');
});

test('a release build with the permissive default says so and names the deploy step; nothing else does', () => {
  const warning = permissiveWarning({ release: true, connectSrc: optionsFromEnv({ CSP_LOOPBACK: '1' }).connectSrc });
  assert.match(warning, /any https origin/);
  assert.match(warning, /node scripts\/deploy-csp\.mjs dist\b/);
  assert.match(warning, /CSP_CONNECT_SRC/);
  assert.match(permissiveWarning({ release: true, dist: 'dist-subpath' }), /deploy-csp\.mjs dist-subpath /);
  const narrowed = optionsFromEnv({ CSP_CONNECT_SRC: "'self' https://id.example.com" });
  assert.equal(permissiveWarning({ release: true, connectSrc: narrowed.connectSrc }), null);
  assert.equal(permissiveWarning({ release: false, connectSrc: undefined }), null);
});
