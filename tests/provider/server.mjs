// The bundled OpenID Provider for development and end-to-end tests: a real `oidc-provider` on loopback http,
// one public client (the Yew app), one test user, a login page with stable data-testids, consent auto-granted.
// It is a test fixture, not a template for production: keys and cookie secrets are made fresh at every start,
// everything is kept in memory, and plain http is only acceptable because it never leaves 127.0.0.1.
//
//   node tests/provider/server.mjs        (or: npm run provider)
//
// Environment: PROVIDER_PORT (default 9000), APP_PORTS (comma-separated app ports, default "8080,8081,8082,8083"; on
// each, the app may sit at / or under /some/app/), ACCESS_TOKEN_TTL and ID_TOKEN_TTL (seconds, default 3600 each),
// ID_TOKEN_CLAIMS=profile|minimal (profile, the default: the ID token carries the profile and email claims as well,
// as Keycloak, Auth0, Okta, Entra ID and Google do by default; minimal: those claims only in userinfo, as OIDC Core
// 5.4 describes for response types that issue an access token), RESPONSE_DELAY_MS (default 0: hold every request
// this long before answering it, a network round trip for the benchmark's bench/run; the test suites leave it off),
// TEST_HOOKS=1 (serve GET /__test/revocations: what the revocation endpoint received, for tests/e2e; off by default),
// ROTATE_REFRESH_TOKENS=0 (answer every refresh with the very refresh token it was sent, as providers that do not
// rotate do: RFC 6749 6 lets a server issue a new refresh token or not), DPOP_NONCE=1 (DPoP proofs must carry a
// nonce the provider issued: see below).
//
// The demo API (tests/resource/server.mjs) is a resource server of this provider: RFC 8707 resource indicators
// name it, and it checks the access tokens it receives by RFC 7662 introspection as the confidential client
// `demo-api`. API_RESOURCES (comma-separated resource identifiers, default "http://127.0.0.1:9200/") lists the APIs
// an authorization request may name in `resource`; API_CLIENT_SECRET (default: the fixed test secret of
// tests/resource/demo-api.mjs) is the `demo-api` client's secret, shared with the resource server. An authorization
// request without `resource` is served exactly as before: its access token has no audience and is good at the
// UserInfo endpoint only.
//
// DPoP (RFC 9449) is on, as it is by default in oidc-provider 9: discovery lists `dpop_signing_alg_values_supported`
// (ES256 among them). A token request that carries a `DPoP` proof gets tokens of type DPoP bound to the proof's key
// (introspection shows `cnf.jkt`; a public client's refresh token is bound too, RFC 9449 5); an authorization
// request may bind the code with `dpop_jkt` (RFC 9449 10). A request without a proof is served exactly as before,
// with Bearer tokens. DPOP_NONCE=1 makes every proof carry a server nonce (RFC 9449 8): the token endpoint answers a
// proof without one with 400 `use_dpop_nonce` and a `DPoP-Nonce` header, UserInfo with 401
// `WWW-Authenticate: DPoP error="use_dpop_nonce"`. oidc-provider lists DPoP-Nonce in Access-Control-Expose-Headers
// of the token and UserInfo endpoints only when it has a nonce secret; the DPoP request header passes every
// preflight, which echoes Access-Control-Request-Headers.

import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

import {
  logoutSource, postLogoutSuccessSource, renderError,
} from './pages.mjs';
import { handleInteraction } from './interactions.mjs';
import {
  API_CLIENT_ID, API_CLIENT_SECRET, API_SCOPE, resourceIdentifier,
} from '../resource/demo-api.mjs';

const PORT = Number(process.env.PROVIDER_PORT || 9000);
const ISSUER = `http://127.0.0.1:${PORT}`;
const APP_PORTS = (process.env.APP_PORTS || '8080,8081,8082,8083').split(',').map((p) => p.trim()).filter(Boolean);
const APP_ORIGINS = APP_PORTS.flatMap((p) => [`http://127.0.0.1:${p}`, `http://localhost:${p}`]);
// Where the app is served on those origins: `/` and the path of the build made with `--public-url /some/app/`.
const APP_BASES = APP_ORIGINS.flatMap((o) => ['/', '/some/app/'].map((path) => `${o}${path}`));
const CLIENT_ID = 'yew-oidc-spa';
const ROTATE = process.env.ROTATE_REFRESH_TOKENS !== '0';
const DPOP_NONCE = process.env.DPOP_NONCE === '1';
const API_RESOURCES = new Set((process.env.API_RESOURCES || resourceIdentifier()).split(',')
  .map((r) => r.trim()).filter(Boolean));

const ID_TOKEN_CLAIMS = process.env.ID_TOKEN_CLAIMS || 'profile';
if (!['profile', 'minimal'].includes(ID_TOKEN_CLAIMS)) {
  // A typo must not silently give the other shape of ID token than the one a test or the benchmark asked for.
  console.error(`ID_TOKEN_CLAIMS must be profile or minimal, got ${JSON.stringify(ID_TOKEN_CLAIMS)}`);
  process.exit(2);
}
const RESPONSE_DELAY_MS = (() => {
  const raw = process.env.RESPONSE_DELAY_MS || '0';
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`RESPONSE_DELAY_MS must be a whole number of milliseconds, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
})();

const seconds = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`${name} must be a positive whole number of seconds, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
};

// The test user. Claims are released per scope by the `claims` configuration below.
const ACCOUNTS = new Map([
  ['alice', {
    password: 'wonderland',
    claims: {
      sub: 'alice',
      name: 'Alice Liddell',
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
    },
  }],
]);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };
const ACCESS_TOKEN_TTL = seconds('ACCESS_TOKEN_TTL', 3600);

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: CLIENT_ID,
    client_name: 'Yew OIDC SPA',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: APP_BASES.map((base) => `${base}callback`),
    post_logout_redirect_uris: APP_BASES,
  }, {
    // The demo API: it only introspects (RFC 7662 2.1 requires the caller to authenticate), it never signs anyone in.
    client_id: API_CLIENT_ID,
    client_name: 'Demo API',
    client_secret: API_CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [],
    response_types: [],
    redirect_uris: [],
  }],
  jwks: { keys: [signingKey] },
  cookies: {
    keys: [randomBytes(32).toString('base64url')],
    // Loopback http: a `Secure` cookie would never come back.
    long: { httpOnly: true, sameSite: 'lax', secure: false },
    short: { httpOnly: true, sameSite: 'lax', secure: false },
  },
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  // Returning profile/email claims in the ID token as well lets the app show a name without a userinfo call;
  // ID_TOKEN_CLAIMS=minimal switches to the strict reading so the userinfo fallback can be exercised.
  conformIdTokenClaims: ID_TOKEN_CLAIMS === 'minimal',
  async findAccount(_ctx, sub) {
    const account = ACCOUNTS.get(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ ...account.claims }) };
  },
  features: {
    devInteractions: { enabled: false },
    // A client may revoke only its own tokens (RFC 7009 2.1).
    revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
    // RFC 7662: the demo API may introspect any token (it checks the audience itself); any other client only its
    // own, as oidc-provider's default allows public clients.
    introspection: {
      enabled: true,
      allowedPolicy: async (_ctx, client, token) => client.clientId === API_CLIENT_ID
        || token.clientId === client.clientId,
    },
    // RFC 8707. `resource` names one of API_RESOURCES; the access token is then for that API only (its `aud`), which
    // oidc-provider's UserInfo endpoint refuses. The refresh token remembers the resource, so neither the code
    // exchange nor a refresh has to repeat it (useGrantedResource). Without `resource`, nothing changes.
    resourceIndicators: {
      enabled: true,
      // The code and the refresh token hold their resources as a list; with one, that one is meant.
      defaultResource: async (_ctx, _client, oneOf) => (oneOf?.length === 1 ? oneOf[0] : oneOf),
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resource, client) => {
        if (client.clientId !== CLIENT_ID || !API_RESOURCES.has(resource)) throw new errors.InvalidTarget();
        // Opaque, so the API must introspect: a revoked token stops working at once. Same lifetime as every
        // other access token of this instance (the short-lived one's tests rely on it).
        return { scope: API_SCOPE, accessTokenFormat: 'opaque', accessTokenTTL: ACCESS_TOKEN_TTL };
      },
    },
    userinfo: { enabled: true },
    // RFC 9449. Stated although it is oidc-provider 9's default, so that an upgrade that turns it off shows here.
    // The nonce secret (32 random octets, new at every start like the keys above) is what lets the provider hand out
    // and check nonces at all; requireNonce makes them mandatory on every proof (RFC 9449 8, 9).
    dPoP: {
      enabled: true,
      ...(DPOP_NONCE && { nonceSecret: randomBytes(32), requireNonce: () => true }),
    },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  responseTypes: ['code'],
  pkce: { required: () => true },
  // S256 is the only method oidc-provider accepts, so `code_challenge_methods_supported` is ["S256"].
  clientBasedCORS: (_ctx, origin, client) => client.clientId === CLIENT_ID && APP_ORIGINS.includes(origin),
  // The public client gets a refresh token without `offline_access`; it still ends with the provider session.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  ...(!ROTATE && { rotateRefreshToken: false }),
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    IdToken: seconds('ID_TOKEN_TTL', 3600),
    AuthorizationCode: 60,
    RefreshToken: 24 * 60 * 60,
    Interaction: 60 * 60,
    Session: 24 * 60 * 60,
    Grant: 24 * 60 * 60,
  },
  renderError,
});
provider.proxy = false;

// RESPONSE_DELAY_MS: the first middleware, so every answer waits, whichever part of the provider gives it (discovery,
// JWKS, token, userinfo, the login pages, redirects, errors, CORS preflights). Waiting before the request is handled
// rather than after changes nothing the browser can see: its response arrives that much later either way. The
// connection itself is not delayed (keep-alive loopback), as with a browser that already talks to the provider.
if (RESPONSE_DELAY_MS > 0) {
  provider.use(async (_ctx, next) => {
    await new Promise((resolveDelay) => { setTimeout(resolveDelay, RESPONSE_DELAY_MS); });
    await next();
  });
}

// RP-Initiated Logout 1.0 section 2: the OP "MUST support the use of the HTTP GET and POST methods" at the
// end-session endpoint. oidc-provider serves POST there only with `enableHttpPostMethods`, which it allows only
// with SameSite=None session cookies (a cross-site form POST carries no Lax cookie), and those need Secure, which
// loopback http cannot give. Here app and provider share the site 127.0.0.1, so the Lax cookie does come along:
// a form POST to the end-session endpoint is handed to the same handler as the GET, parameters and all. The
// browser's request stays a POST with the parameters in its body.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === new URL(provider.urlFor('end_session')).pathname
    && ctx.is('application/x-www-form-urlencoded')) {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    ctx.method = 'GET';
    ctx.querystring = Buffer.concat(chunks).toString('utf8');
  }
  await next();
});

// One log line per request: method, path (never the query, which may carry codes or tokens), status.
provider.use(async (ctx, next) => {
  try {
    await next();
  } finally {
    console.log(`${ctx.method} ${ctx.path} ${ctx.status}`);
  }
});

// TEST_HOOKS=1: the end-to-end tests ask what reached the revocation endpoint (RFC 7009), in order. Tokens are
// kept as SHA-256 fingerprints (base64url), which the tests compute from the tokens they know. `revoked` is the
// kind of live token the request found and destroyed (the one client owns every token), or null for a token that
// was unknown or already gone (oidc-provider revokes all of a grant's tokens with any one of them).
if (process.env.TEST_HOOKS === '1') {
  const revocations = [];
  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/revocations' && ctx.method === 'GET') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = revocations;
      return;
    }
    await next();
    if (ctx.oidc?.route !== 'revocation') return;
    const { params, entities } = ctx.oidc;
    const token = typeof params?.token === 'string' ? params.token : undefined;
    revocations.push({
      token_type_hint: params?.token_type_hint ?? null,
      client_id: params?.client_id ?? null,
      token: token === undefined ? null : createHash('sha256').update(token).digest('base64url'),
      revoked: ['RefreshToken', 'AccessToken'].find((kind) => entities[kind]) ?? null,
      status: ctx.status,
    });
  });
}

provider.use(handleInteraction(provider, { accounts: ACCOUNTS, firstPartyClients: new Set([CLIENT_ID]) }));

const server = provider.listen(PORT, '127.0.0.1', () => {
  console.log(`oidc-provider listening: issuer ${ISSUER}, client ${CLIENT_ID}, app origins ${APP_ORIGINS.join(' ')}, `
    + `APIs ${[...API_RESOURCES].join(' ')}, ID token claims ${ID_TOKEN_CLAIMS}, response delay ${RESPONSE_DELAY_MS} ms`
    + `${DPOP_NONCE ? ', DPoP nonces required' : ''}`);
});
server.on('error', (err) => {
  console.error(`provider failed to listen on 127.0.0.1:${PORT}: ${err.message}`);
  process.exit(1);
});

function shutdown(signal) {
  console.log(`${signal} received, stopping the provider`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
