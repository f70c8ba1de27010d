// The demo API: a small OAuth 2.0 resource server (node:http only) that the app calls with the user's access
// token. It accepts Bearer tokens in the Authorization header only (RFC 6750 2.1) and checks each one by token
// introspection (RFC 7662) at the bundled provider, as the confidential client `demo-api`: the token must be
// active, a Bearer access token, and meant for this API (its `aud` holds the API's resource identifier, RFC 8707).
// Nothing is cached, so a revoked token is refused at once. Like the provider, it is a loopback test fixture.
//
//   node tests/resource/server.mjs
//
// Environment: RESOURCE_PORT (default 9200); API_RESOURCE (this API's resource identifier, default
// http://127.0.0.1:<RESOURCE_PORT>/; the provider must list it in its API_RESOURCES); PROVIDERS (comma-separated
// issuers whose tokens are accepted, default http://127.0.0.1:9000,http://127.0.0.1:9001: opaque tokens name no
// issuer, so each provider's introspection endpoint is asked in turn until one says active); API_CLIENT_SECRET (see
// demo-api.mjs); APP_PORTS (as the provider's: the app origins CORS allows, default "8080,8081"); TEST_HOOKS=1
// (serve GET /__test/calls: every request that reached the API, in order, as { method, path, origin, bearer,
// token (SHA-256 base64url fingerprint, or null), tokenInQuery, status, error (of the challenge, or null) }).
//
// Routes: GET /me answers 200 with { sub, client_id, scope, aud, iss, api: "demo" } for a valid token. Refusals
// (RFC 6750 3, 3.1), realm "demo-api":
//   no credentials, or another scheme        401  WWW-Authenticate: Bearer realm="demo-api"
//   inactive, expired, revoked, refresh token, another audience
//                                            401  WWW-Authenticate: Bearer realm="demo-api", error="invalid_token",
//                                                 error_description="..."
//   a token in the query (RFC 6750 2.3, not supported), or a malformed Authorization header
//                                            400  WWW-Authenticate: Bearer realm="demo-api", error="invalid_request",
//                                                 error_description="..."
//   no provider could be asked                503  (no challenge: the token may well be fine)

import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

import { API_CLIENT_ID, API_CLIENT_SECRET, DEFAULT_API_PORT, resourceIdentifier } from './demo-api.mjs';

const PORT = Number(process.env.RESOURCE_PORT || DEFAULT_API_PORT);
const RESOURCE = process.env.API_RESOURCE || resourceIdentifier(PORT);
const PROVIDERS = (process.env.PROVIDERS || 'http://127.0.0.1:9000,http://127.0.0.1:9001').split(',')
  .map((p) => p.trim()).filter(Boolean);
const APP_PORTS = (process.env.APP_PORTS || '8080,8081').split(',').map((p) => p.trim()).filter(Boolean);
const APP_ORIGINS = new Set(APP_PORTS.flatMap((p) => [`http://127.0.0.1:${p}`, `http://localhost:${p}`]));
const TEST_HOOKS = process.env.TEST_HOOKS === '1';
const REALM = 'demo-api';
const INTROSPECTION_TIMEOUT_MS = 5_000;

// RFC 6749 2.3.1: client_secret_basic form-encodes id and secret before base64.
const CLIENT_AUTH = `Basic ${
  Buffer.from(`${encodeURIComponent(API_CLIENT_ID)}:${encodeURIComponent(API_CLIENT_SECRET)}`).toString('base64')}`;

/** SHA-256 of a token, base64url: how the calls log names a token without keeping it. */
const fingerprint = (token) => createHash('sha256').update(token).digest('base64url');

class Refusal extends Error {
  constructor(status, error, description) {
    super(description);
    this.status = status;
    this.error = error;
  }
}
const invalidToken = (description) => new Refusal(401, 'invalid_token', description);
const invalidRequest = (description) => new Refusal(400, 'invalid_request', description);

/** RFC 6750 3: the challenge; without an error code when the request carried no credentials at all. */
function challenge(error, description) {
  // error_description is restricted to %x20-21 / %x23-5B / %x5D-7E: our fixed texts never hold `"` or `\`.
  if (!error) return `Bearer realm="${REALM}"`;
  return `Bearer realm="${REALM}", error="${error}", error_description="${description}"`;
}

// RFC 6750 2.1: credentials = "Bearer" 1*SP b64token,
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** The Bearer token of the Authorization header: a string, null when there is none, or a Refusal. */
function bearerToken(header) {
  if (header === undefined) return null;
  if (!/^Bearer(?: |$)/i.test(header)) return null; // another scheme: this API has no other (RFC 6750 3)
  const match = BEARER.exec(header);
  if (!match) throw invalidRequest('the Authorization header is not a well-formed Bearer credential');
  return match[1];
}

const introspectionEndpoints = new Map();
/** The issuer's introspection endpoint from its discovery document, fetched once it answers. */
async function introspectionEndpoint(issuer) {
  if (!introspectionEndpoints.has(issuer)) {
    const res = await fetch(`${issuer}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(INTROSPECTION_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
    const metadata = await res.json();
    if (metadata.issuer !== issuer) throw new Error('discovery names another issuer');
    if (typeof metadata.introspection_endpoint !== 'string') throw new Error('no introspection_endpoint');
    introspectionEndpoints.set(issuer, metadata.introspection_endpoint);
  }
  return introspectionEndpoints.get(issuer);
}

/** RFC 7662 2.1 at one issuer: the response (`active` true or false), or undefined when it could not be asked. */
async function introspectAt(issuer, token) {
  try {
    const res = await fetch(await introspectionEndpoint(issuer), {
      method: 'POST',
      headers: {
        authorization: CLIENT_AUTH,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      signal: AbortSignal.timeout(INTROSPECTION_TIMEOUT_MS),
    });
    if (!res.ok) {
      console.error(`introspection at ${issuer} answered ${res.status}`);
      return undefined;
    }
    const body = await res.json();
    return body && typeof body === 'object' ? body : undefined;
  } catch (err) {
    console.error(`introspection at ${issuer} failed: ${err.message}`);
    return undefined;
  }
}

/** The introspection claims of a valid token for this API, or a Refusal. */
async function validate(token) {
  let unanswered = 0;
  for (const issuer of PROVIDERS) {
    const claims = await introspectAt(issuer, token);
    if (claims === undefined) {
      unanswered += 1;
      continue;
    }
    if (claims.active !== true) continue; // not this issuer's, or no longer valid: ask the next one
    // RFC 7662 2.2: the issuer must be the one asked; `token_type` tells an access token (oidc-provider says
    // Bearer, or DPoP for a sender-constrained one) from a refresh token (no token_type), which is no credential here.
    if (claims.iss !== undefined && claims.iss !== issuer) throw invalidToken('the access token names another issuer');
    if (typeof claims.token_type !== 'string' || claims.token_type.toLowerCase() !== 'bearer') {
      throw invalidToken('the token is not a Bearer access token');
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) {
      throw invalidToken('the access token expired');
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(RESOURCE)) throw invalidToken('the access token is not meant for this API');
    return { ...claims, iss: issuer };
  }
  if (unanswered > 0) throw new Refusal(503, 'temporarily_unavailable', 'the token could not be checked');
  throw invalidToken('the access token is not active');
}

/** CORS for the app's origins: the browser sends the token itself, and must let the app read the challenge. */
function allowOrigin(req, res) {
  res.setHeader('Vary', 'Origin');
  const { origin } = req.headers;
  if (origin === undefined || !APP_ORIGINS.has(origin)) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate');
  return true;
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'Cache-Control': 'no-store',
    ...(body !== undefined && { 'Content-Type': 'application/json; charset=utf-8' }),
    ...headers,
  });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function refuse(res, refusal) {
  const headers = refusal.status === 503 ? {} : { 'WWW-Authenticate': challenge(refusal.error, refusal.message) };
  const body = refusal.error ? { error: refusal.error, error_description: refusal.message } : undefined;
  send(res, refusal.status, body, headers);
}

/** GET /me: who the token is for, as the provider says. `call` collects what the calls log keeps. */
async function me(req, res, url, call) {
  let token;
  try {
    token = bearerToken(req.headers.authorization);
    if (token !== null) {
      call.bearer = true;
      call.token = fingerprint(token);
    }
    const inQuery = url.searchParams.get('access_token');
    if (inQuery !== null) {
      call.tokenInQuery = true;
      throw invalidRequest('access tokens are accepted in the Authorization header only, never in the URL');
    }
  } catch (err) {
    if (err instanceof Refusal) return refuse(res, err);
    throw err;
  }
  if (token === null) {
    return send(res, 401, { error_description: 'this API needs a Bearer access token' }, {
      'WWW-Authenticate': challenge(),
    });
  }
  try {
    const claims = await validate(token);
    return send(res, 200, {
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope ?? '',
      aud: RESOURCE,
      iss: claims.iss,
      api: 'demo',
    });
  } catch (err) {
    if (err instanceof Refusal) return refuse(res, err);
    throw err;
  }
}

// TEST_HOOKS=1: every request but the hook's own, in order, without the query and without any token.
const calls = [];

async function handle(req, res) {
  const url = new URL(req.url, 'http://api.invalid');
  if (TEST_HOOKS && url.pathname === '/__test/calls') {
    if (req.method !== 'GET') return send(res, 405, undefined, { Allow: 'GET' });
    return send(res, 200, calls);
  }
  const call = {
    method: req.method, path: url.pathname, origin: req.headers.origin ?? null,
    bearer: false, token: null, tokenInQuery: false, status: undefined, error: null,
  };
  res.on('finish', () => {
    call.status = res.statusCode;
    call.error = /error="([^"]*)"/.exec(res.getHeader('www-authenticate') ?? '')?.[1] ?? null;
    if (TEST_HOOKS) calls.push(call);
  });

  if (url.pathname !== '/me') return send(res, 404, { error: 'not_found' });
  const corsAllowed = allowOrigin(req, res);
  if (req.method === 'OPTIONS') {
    // Preflight: the Authorization header makes a cross-origin GET non-simple.
    if (!corsAllowed || req.headers['access-control-request-method'] !== 'GET') return send(res, 403);
    return send(res, 204, undefined, {
      'Access-Control-Allow-Methods': 'GET',
      'Access-Control-Allow-Headers': 'authorization',
    });
  }
  if (req.method !== 'GET') return send(res, 405, undefined, { Allow: 'GET, OPTIONS' });
  return me(req, res, url, call);
}

const server = createServer((req, res) => {
  // One log line per request: method, path (never the query, which may carry a token), status.
  res.on('finish', () => console.log(`${req.method} ${req.url.split('?')[0]} ${res.statusCode}`));
  handle(req, res).catch((err) => {
    console.error(`internal error: ${err.message}`);
    if (!res.headersSent) send(res, 500, { error: 'server_error' });
    else res.destroy();
  });
});

server.listen(PORT, '127.0.0.1', () => {
  console.log(`demo API listening on http://127.0.0.1:${PORT}: resource ${RESOURCE}, providers ${PROVIDERS.join(' ')}`
    + `${TEST_HOOKS ? ', test hooks on' : ''}`);
});
server.on('error', (err) => {
  console.error(`demo API failed to listen on 127.0.0.1:${PORT}: ${err.message}`);
  process.exit(1);
});

function shutdown(signal) {
  console.log(`${signal} received, stopping the demo API`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
