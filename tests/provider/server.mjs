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
// TEST_HOOKS=1 (serve GET /__test/revocations: what the revocation endpoint received, for tests/e2e, and the fault
// switches below; off by default), REFRESH_REUSE_GRACE (seconds, default 0: the reuse grace window below),
// ROTATE_REFRESH_TOKENS=0 (answer every refresh with the very refresh token it was sent, as providers that do not
// rotate do: RFC 6749 6 lets a server issue a new refresh token or not), DPOP_NONCE=1 (DPoP proofs must carry a
// nonce the provider issued: see below), OWN_API=1 (a resource server of its own on its origin: see below),
// PAR=on|off|required (pushed authorization requests, RFC 9126: `on`, the default and oidc-provider 9's, publishes
// `pushed_authorization_request_endpoint` and takes both pushed and plain requests; `off` publishes no endpoint, as
// Google and Entra ID do; `required` sets `require_pushed_authorization_requests` and refuses a plain request at the
// authorization endpoint, as FAPI 2.0 providers do).
//
// The demo API (tests/resource/server.mjs) is a resource server of this provider: RFC 8707 resource indicators
// name it, and it checks the access tokens it receives by RFC 7662 introspection as the confidential client
// `demo-api`. API_RESOURCES (comma-separated resource identifiers, default "http://127.0.0.1:9200/") lists the APIs
// an authorization request may name in `resource`; API_CLIENT_SECRET (default: the fixed test secret of
// tests/shared/constants.mjs) is the `demo-api` client's secret, shared with the resource server. An authorization
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
//
// OWN_API=1: an authorization server and a resource server on one origin, as RFC 9449 9 has in mind when it asks
// clients not to confuse their DPoP nonces. GET /own-api/me is a protected resource (RFC 9449 7) with nonces of
// its own, apart from oidc-provider's: it takes `Authorization: DPoP <access token>` with one `DPoP` proof (typ
// dpop+jwt, ES256, a public P-256 jwk that verifies the signature, htm GET, htu this URL, iat within 60 s, `ath`
// of the token) of the key the token is bound to (the token as this provider's own store has it, live), and a
// `nonce` it issued itself (random, never one of oidc-provider's); without one, 401 `WWW-Authenticate: DPoP
// error="use_dpop_nonce"` with a new `DPoP-Nonce`. Accepted, 200 { sub, api: "own" }. Other refusals: 401 DPoP
// invalid_token or invalid_dpop_proof. CORS for the app origins (authorization and dpop allowed, WWW-Authenticate
// and DPoP-Nonce exposed). GET /__test/own-api-calls lists what reached it, in order: { method, status, error,
// nonce (the proof's nonce, or null), issued (the DPoP-Nonce answered, or null) }; nonces are no secrets, and no
// token or proof is kept.
//
// Fault switches (TEST_HOOKS=1 only, and off until a test turns them on), for tests/e2e/faults.spec.mjs and
// tests/firefox/faults.test.mjs. The provider's endpoints are named by route: token, jwks, discovery, revocation,
// userinfo, authorization, end_session, pushed_authorization_request (unless PAR=off); a CORS preflight (OPTIONS) is
// never faulted nor counted.
//   POST /__test/faults   a JSON array of rules, which replaces the current ones; DELETE /__test/faults clears them
//                         (GET shows them). A request takes the first rule that matches it. A rule:
//                         { route?, grant_type?, mode, status?, body?, content_type?, retry_after?, times? }
//     route               one of the routes above; absent: every route (the provider unreachable)
//     grant_type          refresh_token or authorization_code: token requests of that grant only
//     mode "status"       answer `status` at once with `body`: a JSON value, or with `content_type` a string sent as
//                         is (a 502 HTML page), or null/absent for an empty body; `retry_after` adds a Retry-After
//                         header (seconds, or an HTTP date, as given)
//     mode "hang"         never answer; the connection is dropped, unanswered, when the rules are replaced or
//                         cleared or the provider stops (the browser's own timeout usually comes first)
//     mode "reset"        destroy the connection before the provider sees the request: a network error
//     mode "reset-after"  let oidc-provider handle the request completely (a refresh token is then rotated, a code
//                         redeemed) and destroy the connection instead of sending its answer: a lost answer
//     times               the rule applies to the next N matching requests, then removes itself; absent: until
//                         cleared
//   A fault's answer carries CORS as a real one does: Access-Control-Allow-Origin for an app origin, and
//   Access-Control-Expose-Headers: Retry-After, so the app sees the status, not a CORS failure.
//   GET /__test/hits      every request to those routes since the last DELETE /__test/hits (or the start), in order:
//                         { route, grant_type (token requests, else null), at (ms since the epoch, on arrival),
//                         status (sent, or that oidc-provider gave when reset-after dropped it; null when nothing
//                         was answered), fault (the mode of the rule it met, or null), reuse_grace (answered from
//                         the grace window below), resend (see below) }. Never a token, a code or a body.
//   A browser resends at once a request whose reused connection closed without an answer. So that a reset, a
//   reset-after or a dropped hang reaches the app as a network error, the same exchange arriving again within 2 s
//   (same method, path, query, body, Authorization and DPoP headers) is dropped as well, logged with resend: true
//   and counted toward no rule's `times`.
//
// Opener policy (TEST_HOOKS=1 only): `POST /__test/opener-policy {"policy": "same-origin"}` makes every answer of
// the provider carry that Cross-Origin-Opener-Policy, as some providers' login pages do (a sign-in window opened by
// the app then loses its link to the app's page); `{"policy": null}` stops it (GET shows it).
//
// Reuse grace window, as Okta's and Auth0's rotation with a grace period: REFRESH_REUSE_GRACE=<seconds> (default 0,
// off), or with TEST_HOOKS=1 `POST /__test/reuse-grace {"seconds": N}` (0 turns it off; GET shows it). A refresh
// request that presents a refresh token which a rotation consumed within the last N seconds gets the very answer
// the rotating request got (its status, Content-Type, Cache-Control, Pragma and body, with CORS), instead of
// oidc-provider's reuse detection, which revokes the whole grant (RFC 9700 4.14.2). Off, the provider is plain
// oidc-provider: a reused refresh token is answered invalid_grant and its grant revoked.

import {
  createHash, createPublicKey, generateKeyPairSync, randomBytes, verify,
} from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

import {
  logoutSource, postLogoutSuccessSource, renderError,
} from './pages.mjs';
import { handleInteraction } from './interactions.mjs';
import {
  API_CLIENT_ID, API_CLIENT_SECRET, API_SCOPE, CLIENT_ID, PROVIDER, USER, fingerprint, resourceIdentifier,
} from '../shared/constants.mjs';

const PORT = Number(process.env.PROVIDER_PORT || new URL(PROVIDER).port);
const ISSUER = `http://127.0.0.1:${PORT}`;
const APP_PORTS = (process.env.APP_PORTS || '8080,8081,8082,8083').split(',').map((p) => p.trim()).filter(Boolean);
const APP_ORIGINS = APP_PORTS.flatMap((p) => [`http://127.0.0.1:${p}`, `http://localhost:${p}`]);
// Where the app is served on those origins: `/` and the path of the build made with `--public-url /some/app/`.
const APP_BASES = APP_ORIGINS.flatMap((o) => ['/', '/some/app/'].map((path) => `${o}${path}`));
const ROTATE = process.env.ROTATE_REFRESH_TOKENS !== '0';
const DPOP_NONCE = process.env.DPOP_NONCE === '1';
const OWN_API = process.env.OWN_API === '1';
const ACR_VALUES = ['urn:test:pwd', 'urn:test:mfa'];
const PAR = process.env.PAR || 'on';
if (!['on', 'off', 'required'].includes(PAR)) throw new Error(`PAR must be on, off or required, not ${PAR}`);
const API_RESOURCES = new Set((process.env.API_RESOURCES || resourceIdentifier()).split(',')
  .map((r) => r.trim()).filter(Boolean));

const ID_TOKEN_CLAIMS = process.env.ID_TOKEN_CLAIMS || 'profile';
if (!['profile', 'minimal'].includes(ID_TOKEN_CLAIMS)) {
  // A typo must not silently give the other shape of ID token than the one a test or the benchmark asked for.
  console.error(`ID_TOKEN_CLAIMS must be profile or minimal, got ${JSON.stringify(ID_TOKEN_CLAIMS)}`);
  process.exit(2);
}
/** The whole number (0 or more) of `unit` in environment variable `name`, 0 when unset; anything else stops. */
const wholeNumber = (name, unit) => {
  const raw = process.env[name] || '0';
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a whole number of ${unit}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
};
const RESPONSE_DELAY_MS = wholeNumber('RESPONSE_DELAY_MS', 'milliseconds');

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

// The test user (tests/shared/constants.mjs). Claims are released per scope by the `claims` configuration below.
const ACCOUNTS = new Map([
  [USER.username, {
    password: USER.password,
    claims: {
      sub: USER.username,
      name: USER.name,
      preferred_username: USER.username,
      email: USER.email,
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
  // Authentication levels (acr_values_supported), lowest first: a login gives the first one the request asks for
  // (tests/provider/interactions.mjs), else the lowest; the ID token carries it (`acr`), and so does introspection
  // (extraTokenClaims below), for the demo API's step-up switch (RFC 9470).
  acrValues: ACR_VALUES,
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
    // OIDC Core 5.5: the `claims` parameter, with which a step-up asks for `acr` as essential (5.5.1.1).
    claimsParameter: { enabled: true },
    // RFC 9449. Stated although it is oidc-provider 9's default, so that an upgrade that turns it off shows here.
    // The nonce secret (32 random octets, new at every start like the keys above) is what lets the provider hand out
    // and check nonces at all; requireNonce makes them mandatory on every proof (RFC 9449 8, 9).
    dPoP: {
      enabled: true,
      ...(DPOP_NONCE && { nonceSecret: randomBytes(32), requireNonce: () => true }),
    },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    // RFC 9126. Stated although `on` is oidc-provider 9's default. The push endpoint takes DPoP proofs and CORS
    // from the app's origins like the token endpoint.
    pushedAuthorizationRequests: {
      enabled: PAR !== 'off',
      requirePushedAuthorizationRequests: PAR === 'required',
    },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // The sign-in's authentication level and time on the access token too, so introspection shows them to the API.
  async extraTokenClaims(ctx, token) {
    if (token.kind !== 'AccessToken') return undefined;
    const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
    return source?.acr ? { acr: source.acr } : undefined;
  },
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

// The provider's endpoints by path, for the fault switches and the reuse grace window (see the header).
const FAULT_ROUTES = ['token', 'jwks', 'discovery', 'revocation', 'userinfo', 'authorization', 'end_session',
  ...(PAR === 'off' ? [] : ['pushed_authorization_request'])];
let routesByPath;
/** The route a request path names, or null (the login pages, introspection, the test hooks). */
function routeOf(path) {
  routesByPath ??= new Map(FAULT_ROUTES.map((route) => [new URL(provider.urlFor(route)).pathname, route]));
  return routesByPath.get(path) ?? null;
}

/**
 * The form body of a POST, read once and kept for oidc-provider, which reads a consumed request's `req.body`
 * (lib/shared/selective_body.js, with a one-time warning about an upstream parser); null for any other request.
 */
async function formOf(ctx) {
  if (ctx.state.testForm === undefined) {
    let form = null;
    if (ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded') && ctx.req.readable) {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      const raw = Buffer.concat(chunks);
      ctx.req.body = raw;
      form = new URLSearchParams(raw.toString('utf8'));
    }
    ctx.state.testForm = form;
  }
  return ctx.state.testForm;
}

/** CORS as oidc-provider gives it to the app, for answers it never sees: the app must see the status itself. */
function corsHeaders(ctx) {
  const origin = ctx.get('Origin');
  if (!APP_ORIGINS.includes(origin)) return { Vary: 'Origin' };
  return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': 'Retry-After', Vary: 'Origin' };
}

/** Sends an answer of our own, bypassing Koa (which would turn an empty body into a 204). */
function answer(ctx, status, headers, body) {
  ctx.status = status;
  ctx.respond = false;
  ctx.res.writeHead(status, { 'Cache-Control': 'no-store', ...headers, ...corsHeaders(ctx) });
  ctx.res.end(body);
}

/** Drops the connection without an answer: the browser sees a network error. */
function drop(ctx) {
  ctx.respond = false;
  ctx.req.socket.destroy();
}

/** Reads a JSON request body of a test hook; undefined when it is not JSON. */
async function jsonOf(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

const REUSE_GRACE_DEFAULT = wholeNumber('REFRESH_REUSE_GRACE', 'seconds');
let reuseGraceSeconds = REUSE_GRACE_DEFAULT;

// TEST_HOOKS=1: the fault switches and the request log of the header. Before the log line's middleware: a faulted
// request logs its own line.
const releaseHeld = new Set();
if (process.env.TEST_HOOKS === '1') {
  const MODES = ['status', 'hang', 'reset', 'reset-after'];
  const GRANTS = ['refresh_token', 'authorization_code'];
  let rules = [];
  let hits = [];
  // The browser's resend of a dropped exchange (see the header: Chromium's HttpNetworkTransaction::
  // ShouldResendRequest; Firefox restarts such a transaction too) fails as the first send did. The app's own retries
  // come 5 s apart at the least.
  const RESEND_WINDOW_MS = 2_000;
  const droppedAt = new Map();
  const exchangeKey = (ctx, form) => createHash('sha256').update(JSON.stringify([
    ctx.method, ctx.path, ctx.querystring, form?.toString() ?? null, ctx.get('Authorization'), ctx.get('DPoP'),
  ])).digest('base64url');

  /** Why `rule` is not a valid rule, or null. */
  const invalid = (rule) => {
    if (!rule || typeof rule !== 'object' || Array.isArray(rule)) return 'a rule is an object';
    const known = ['route', 'grant_type', 'mode', 'status', 'body', 'content_type', 'retry_after', 'times'];
    const unknown = Object.keys(rule).find((key) => !known.includes(key));
    if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown)}`;
    if (rule.route !== undefined && !FAULT_ROUTES.includes(rule.route)) return `route is one of ${FAULT_ROUTES}`;
    if (rule.grant_type !== undefined && !GRANTS.includes(rule.grant_type)) return `grant_type is one of ${GRANTS}`;
    if (!MODES.includes(rule.mode)) return `mode is one of ${MODES}`;
    if (rule.mode === 'status' && !(Number.isInteger(rule.status) && rule.status >= 200 && rule.status <= 599)) {
      return 'mode "status" needs a status of 200-599';
    }
    if (rule.content_type !== undefined && typeof rule.body !== 'string') return 'content_type needs a string body';
    if (rule.retry_after !== undefined && !['number', 'string'].includes(typeof rule.retry_after)) {
      return 'retry_after is a number of seconds or an HTTP date';
    }
    if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) return 'times is 1 or more';
    return null;
  };
  const replaceRules = (next) => {
    rules = next.map((rule) => ({ ...rule }));
    // A held request is dropped with the rules it met, never handed to the provider late.
    for (const release of releaseHeld) release();
  };
  /** The first rule that matches, counted down when it has `times`. */
  const take = (route, grantType) => {
    const index = rules.findIndex((rule) => (rule.route === undefined || rule.route === route)
      && (rule.grant_type === undefined || rule.grant_type === grantType));
    if (index < 0) return undefined;
    const rule = rules[index];
    if (rule.times !== undefined) {
      rule.times -= 1;
      if (rule.times === 0) rules.splice(index, 1);
    }
    return rule;
  };

  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/faults' || ctx.path === '/__test/hits' || ctx.path === '/__test/reuse-grace') {
      ctx.set('Cache-Control', 'no-store');
      if (ctx.method === 'GET') {
        const shown = { '/__test/faults': rules, '/__test/hits': hits };
        ctx.body = shown[ctx.path] ?? { seconds: reuseGraceSeconds };
        return;
      }
      if (ctx.method === 'DELETE' && ctx.path !== '/__test/reuse-grace') {
        if (ctx.path === '/__test/faults') replaceRules([]);
        else hits = [];
        ctx.status = 204;
        return;
      }
      if (ctx.method === 'POST' && ctx.path !== '/__test/hits') {
        const body = await jsonOf(ctx);
        let why = null;
        if (ctx.path === '/__test/faults') {
          why = Array.isArray(body) ? body.map(invalid).find((reason) => reason !== null) ?? null
            : 'the body is a JSON array of rules';
          if (why === null) replaceRules(body);
        } else if (!(Number.isInteger(body?.seconds) && body.seconds >= 0)) {
          why = 'the body is {"seconds": N}, N a whole number';
        } else {
          reuseGraceSeconds = body.seconds;
        }
        // A typo must fail the test that made it, not leave the provider healthy.
        if (why !== null) {
          ctx.status = 400;
          ctx.body = { error: why };
          return;
        }
        ctx.status = 204;
        return;
      }
      ctx.status = 405;
      return;
    }

    const route = ctx.method === 'OPTIONS' ? null : routeOf(ctx.path);
    if (route === null) {
      await next();
      return;
    }
    const form = await formOf(ctx);
    const grantType = route === 'token' ? form?.get('grant_type') ?? null : null;
    const hit = {
      route, grant_type: grantType, at: Date.now(), status: null, fault: null, reuse_grace: false, resend: false,
    };
    hits.push(hit);
    const key = exchangeKey(ctx, form);
    const resent = droppedAt.get(key);
    if (resent !== undefined && hit.at - resent.at <= RESEND_WINDOW_MS) {
      Object.assign(hit, { fault: resent.mode, resend: true });
      drop(ctx);
      console.log(`${ctx.method} ${ctx.path} - (fault: ${resent.mode}, the browser's resend)`);
      return;
    }
    const dropped = (mode) => {
      const now = Date.now();
      for (const [old, { at }] of droppedAt) if (now - at > RESEND_WINDOW_MS) droppedAt.delete(old);
      droppedAt.set(key, { at: now, mode });
    };
    const rule = take(route, grantType);
    if (rule === undefined) {
      try {
        await next();
      } finally {
        hit.status = ctx.status;
        hit.reuse_grace = ctx.state.reuseGrace === true;
      }
      return;
    }
    hit.fault = rule.mode;
    const logFault = (status) => console.log(`${ctx.method} ${ctx.path} ${status ?? '-'} (fault: ${rule.mode})`);
    if (rule.mode === 'status') {
      const headers = rule.retry_after === undefined ? {} : { 'Retry-After': String(rule.retry_after) };
      let body = '';
      if (rule.content_type !== undefined) {
        headers['Content-Type'] = rule.content_type;
        body = rule.body;
      } else if (rule.body !== undefined && rule.body !== null) {
        headers['Content-Type'] = 'application/json; charset=utf-8';
        body = JSON.stringify(rule.body);
      }
      answer(ctx, rule.status, headers, body);
      hit.status = rule.status;
      logFault(rule.status);
    } else if (rule.mode === 'reset') {
      drop(ctx);
      dropped(rule.mode);
      logFault(null);
    } else if (rule.mode === 'hang') {
      logFault(null);
      await new Promise((resolveHold) => {
        const release = () => {
          releaseHeld.delete(release);
          resolveHold();
        };
        releaseHeld.add(release);
        ctx.req.socket.once('close', release);
      });
      drop(ctx);
      dropped(rule.mode);
    } else {
      await next();
      hit.status = ctx.status;
      drop(ctx);
      dropped(rule.mode);
      logFault(ctx.status);
    }
  });
}

// One log line per request: method, path (never the query, which may carry codes or tokens), status.
provider.use(async (ctx, next) => {
  try {
    await next();
  } finally {
    console.log(`${ctx.method} ${ctx.path} ${ctx.status}`);
  }
});

// OWN_API=1: the resource server of the header on this origin, with DPoP nonces of its own.
if (OWN_API) {
  const PATH = '/own-api/me';
  const HTU = `${ISSUER}${PATH}`;
  const IAT_WINDOW_SECONDS = 60;
  const issued = new Set();
  const calls = [];
  const sha256 = (text) => createHash('sha256').update(text).digest('base64url');
  const json = (segment) => {
    try {
      const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
      return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
    } catch {
      return undefined;
    }
  };
  /** The claims and key thumbprint (RFC 7638) of a proof whose ES256 signature verifies with its jwk, or null. */
  const readProof = (value) => {
    const segments = value.split('.');
    if (segments.length !== 3) return null;
    const [header, claims] = segments.slice(0, 2).map(json);
    const jwk = header?.jwk;
    if (!claims || header.typ !== 'dpop+jwt' || header.alg !== 'ES256' || jwk?.kty !== 'EC' || jwk.crv !== 'P-256'
      || jwk.d !== undefined) {
      return null;
    }
    try {
      const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
      const signed = verify('sha256', Buffer.from(`${segments[0]}.${segments[1]}`),
        { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(segments[2], 'base64url'));
      if (!signed) return null;
    } catch {
      return null;
    }
    return { claims, jkt: sha256(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })) };
  };
  /** Why the request is refused ([error, description], the nonce challenge with `nonce: true`), or null. */
  const refusal = async (ctx, call) => {
    const token = /^DPoP ([A-Za-z0-9\-._~+/]+=*)$/.exec(ctx.get('Authorization'))?.[1];
    if (token === undefined) return ['invalid_token', 'this resource takes a DPoP-bound access token'];
    const values = ctx.req.headersDistinct.dpop ?? [];
    const proof = values.length === 1 ? readProof(values[0]) : null;
    if (proof === null) return ['invalid_dpop_proof', 'no DPoP proof, or not one valid ES256 proof'];
    const { claims } = proof;
    call.nonce = typeof claims.nonce === 'string' ? claims.nonce : null;
    if (claims.htm !== 'GET' || claims.htu !== HTU || typeof claims.jti !== 'string'
      || !(Math.abs(Date.now() / 1000 - claims.iat) <= IAT_WINDOW_SECONDS) || claims.ath !== sha256(token)) {
      return ['invalid_dpop_proof', 'the DPoP proof is not for this request and token'];
    }
    if (!issued.has(claims.nonce)) return ['use_dpop_nonce', 'this resource requires a DPoP nonce of its own'];
    const accessToken = await provider.AccessToken.find(token);
    if (!accessToken || accessToken.jkt !== proof.jkt) {
      return ['invalid_token', 'the access token is not live, or not bound to the proof\'s key'];
    }
    ctx.state.ownApiSub = accessToken.accountId;
    return null;
  };
  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/own-api-calls' && ctx.method === 'GET') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = calls;
      return;
    }
    if (ctx.path !== PATH) {
      await next();
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Vary', 'Origin');
    const origin = ctx.get('Origin');
    if (APP_ORIGINS.includes(origin)) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Expose-Headers', 'WWW-Authenticate, DPoP-Nonce');
    }
    if (ctx.method === 'OPTIONS') {
      ctx.status = APP_ORIGINS.includes(origin) ? 204 : 403;
      ctx.set('Access-Control-Allow-Methods', 'GET');
      ctx.set('Access-Control-Allow-Headers', 'authorization, dpop, accept');
      return;
    }
    const call = { method: ctx.method, status: null, error: null, nonce: null, issued: null };
    calls.push(call);
    const refused = ctx.method === 'GET' ? await refusal(ctx, call) : ['invalid_request', 'GET only'];
    if (refused === null) {
      ctx.body = { sub: ctx.state.ownApiSub, api: 'own' };
    } else {
      const [error, description] = refused;
      ctx.status = error === 'invalid_request' ? 405 : 401;
      ctx.set('WWW-Authenticate', `DPoP error="${error}", error_description="${description}", algs="ES256"`);
      if (error === 'use_dpop_nonce') {
        const nonce = `own-${randomBytes(16).toString('base64url')}`;
        issued.add(nonce);
        ctx.set('DPoP-Nonce', nonce);
        call.issued = nonce;
      }
      ctx.body = { error, error_description: description };
    }
    call.status = ctx.status;
    call.error = refused?.[0] ?? null;
  });
}

// TEST_HOOKS=1: the opener policy of the header.
if (process.env.TEST_HOOKS === '1') {
  const POLICIES = ['same-origin', 'same-origin-allow-popups', 'unsafe-none'];
  let openerPolicy = null;
  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/opener-policy') {
      ctx.set('Cache-Control', 'no-store');
      if (ctx.method === 'POST') {
        const body = await jsonOf(ctx);
        if (!(body?.policy === null || POLICIES.includes(body?.policy))) {
          ctx.status = 400;
          ctx.body = { error: `the body is {"policy": P}, P one of ${POLICIES} or null` };
          return;
        }
        openerPolicy = body.policy;
      }
      ctx.body = { policy: openerPolicy };
      return;
    }
    await next();
    if (openerPolicy !== null) ctx.set('Cross-Origin-Opener-Policy', openerPolicy);
  });
}

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
      token: token === undefined ? null : fingerprint(token),
      revoked: ['RefreshToken', 'AccessToken'].find((kind) => entities[kind]) ?? null,
      status: ctx.status,
    });
  });
}

// The reuse grace window of the header (REFRESH_REUSE_GRACE, POST /__test/reuse-grace): the answer of every
// rotation, kept under the fingerprint of the refresh token it consumed, for a repeat of that request. Innermost,
// so a reset-after fault (outside) drops an answer that was kept here all the same.
if (process.env.TEST_HOOKS === '1' || REUSE_GRACE_DEFAULT > 0) {
  const KEEP_MS = 60 * 60 * 1000;
  const rotations = new Map();
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || routeOf(ctx.path) !== 'token') {
      await next();
      return;
    }
    const form = await formOf(ctx);
    const presented = form?.get('grant_type') === 'refresh_token' ? form.get('refresh_token') : null;
    if (!presented) {
      await next();
      return;
    }
    const key = fingerprint(presented);
    const earlier = rotations.get(key);
    if (earlier !== undefined && reuseGraceSeconds > 0 && Date.now() - earlier.at <= reuseGraceSeconds * 1000) {
      ctx.state.reuseGrace = true;
      answer(ctx, earlier.status, earlier.headers, earlier.body);
      return;
    }
    await next();
    const issued = ctx.status === 200 && ctx.body && typeof ctx.body === 'object' ? ctx.body.refresh_token : undefined;
    if (typeof issued === 'string' && issued !== presented) {
      const now = Date.now();
      for (const [old, { at }] of rotations) if (now - at > KEEP_MS) rotations.delete(old);
      const headers = {};
      for (const name of ['Content-Type', 'Cache-Control', 'Pragma']) {
        const value = ctx.response.get(name);
        if (value) headers[name] = value;
      }
      if (!headers['Content-Type']) headers['Content-Type'] = 'application/json; charset=utf-8';
      rotations.set(key, { at: now, status: ctx.status, headers, body: JSON.stringify(ctx.body) });
    }
  });
}

provider.use(handleInteraction(provider, {
  accounts: ACCOUNTS, firstPartyClients: new Set([CLIENT_ID]), acrValues: ACR_VALUES,
}));

const server = provider.listen(PORT, '127.0.0.1', () => {
  console.log(`oidc-provider listening: issuer ${ISSUER}, client ${CLIENT_ID}, app origins ${APP_ORIGINS.join(' ')}, `
    + `APIs ${[...API_RESOURCES].join(' ')}, ID token claims ${ID_TOKEN_CLAIMS}, response delay ${RESPONSE_DELAY_MS} ms`
    + `${DPOP_NONCE ? ', DPoP nonces required' : ''}${OWN_API ? ', its own API at /own-api/me' : ''}`);
});
server.on('error', (err) => {
  console.error(`provider failed to listen on 127.0.0.1:${PORT}: ${err.message}`);
  process.exit(1);
});

function shutdown(signal) {
  console.log(`${signal} received, stopping the provider`);
  for (const release of releaseHeld) release();
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
