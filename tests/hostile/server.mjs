// The hostile OpenID provider: many small issuers on one port, one per case in cases.mjs, each wrong in exactly
// one way. Plain node:http and node:crypto. There is no login page: /authorize checks the request and redirects
// straight back. Everything else is what a strict provider does: exact redirect URIs, PKCE S256 checked at the
// token endpoint, single-use codes, real RS256/ES256 signatures, Bearer-only UserInfo. A test fixture on
// loopback http only: keys are fresh at every start and all state is in memory.
//
//   node tests/hostile/server.mjs        issuers at http://127.0.0.1:9100/<case>
//
// Per issuer: /.well-known/openid-configuration, /authorize, /token, /jwks, /userinfo, /end-session.
// For the tests only: GET /__log[?case=<id>] (what each issuer saw: method, path, status, and for /token which
// code was presented, whether it was a repeat and whether PKCE matched; never a token, code or verifier) and
// POST /__reset[?case=<id>].
//
// Environment: HOSTILE_PORT (default 9100), APP_PORTS (comma-separated app ports, default "8080,8081").

import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import { CASES, CLIENT_ID, HOSTILE, USER } from './cases.mjs';
import {
  hmacJws, makeKeys, signJws, unsignedJws,
} from './jose.mjs';

const PORT = Number(process.env.HOSTILE_PORT || new URL(HOSTILE).port);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const APP_PORTS = (process.env.APP_PORTS || '8080,8081').split(',').map((p) => p.trim()).filter(Boolean);
const APP_ORIGINS = APP_PORTS.flatMap((p) => [`http://127.0.0.1:${p}`, `http://localhost:${p}`]);
const REDIRECT_URIS = new Set(APP_ORIGINS.map((o) => `${o}/callback`));
const POST_LOGOUT_REDIRECT_URIS = new Set(APP_ORIGINS.map((o) => `${o}/`));
const CODE_TTL = 60;
const TOKEN_TTL = 3600;
const MAX_FORM_BYTES = 16 * 1024;

const KEYS = makeKeys();
const DEFAULT_JWKS = ['rs256', 'es256'];

// ---- per-case state, emptied by POST /__reset ----

const states = new Map();
function stateOf(id) {
  if (!states.has(id)) {
    states.set(id, {
      requests: [], codes: new Map(), accessTokens: new Map(), codeSerial: 0, repeatedCodes: 0, jwksFetches: 0,
    });
  }
  return states.get(id);
}

// ---- overrides ----

const resolve = (override, ctx) => (typeof override === 'function' ? override(ctx) : override) ?? {};

/** `base` with the case's override applied; fields overridden with `undefined` are removed. */
function withOverride(base, override, ctx) {
  const result = { ...base };
  for (const [field, value] of Object.entries(resolve(override, ctx))) {
    if (value === undefined) delete result[field];
    else result[field] = value;
  }
  return result;
}

// ---- responses ----

const now = () => Math.floor(Date.now() / 1000);
const json = (status, body, headers = {}) => ({
  status,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
  body: JSON.stringify(body),
});
const text = (status, body) => ({
  status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `${body}\n`,
});
const oauthError = (status, error, description) => json(status, { error, error_description: description });
const redirect = (location) => ({
  status: 302, headers: { Location: location, 'Cache-Control': 'no-store' }, body: '',
});

function cors(origin) {
  if (!APP_ORIGINS.includes(origin)) return {};
  return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
}

const PREFLIGHT = {
  status: 204,
  headers: {
    'Access-Control-Allow-Methods': 'GET, POST',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept',
    'Access-Control-Max-Age': '600',
  },
  body: '',
};

async function readForm(req) {
  if (!(req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded')) return undefined;
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** The single value of `name`; a repeated parameter counts as absent (RFC 6749 3.1, 3.2). */
function single(params, name) {
  const values = params.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

// ---- the endpoints; each gets (kase, ctx) and returns a response, noting log fields in ctx.note ----

function discovery(kase, ctx) {
  const { issuer } = ctx;
  return json(200, withOverride({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    userinfo_endpoint: `${issuer}/userinfo`,
    end_session_endpoint: `${issuer}/end-session`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code'],
    code_challenge_methods_supported: ['S256'],
    id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    token_endpoint_auth_methods_supported: ['none'],
    authorization_response_iss_parameter_supported: true,
    subject_types_supported: ['public'],
    scopes_supported: ['openid', 'profile', 'email'],
  }, kase.metadata, ctx));
}

function authorizationProblem(params) {
  if (single(params, 'client_id') !== CLIENT_ID) return 'unknown client_id';
  if (!REDIRECT_URIS.has(single(params, 'redirect_uri'))) return 'redirect_uri is not registered';
  if (single(params, 'response_type') !== 'code') return 'response_type must be code';
  if (!single(params, 'scope')?.split(' ').includes('openid')) return 'scope must include openid';
  if (single(params, 'code_challenge_method') !== 'S256') return 'code_challenge_method must be S256';
  if (!/^[A-Za-z0-9_-]{43}$/.test(single(params, 'code_challenge') ?? '')) return 'code_challenge must be S256-sized';
  if (!single(params, 'state')) return 'state is required';
  if (!single(params, 'nonce')) return 'nonce is required';
  return undefined;
}

// No login page: a valid request is answered at once, through the case's tampering.
function authorize(kase, ctx) {
  const { params, issuer, state } = ctx;
  const problem = authorizationProblem(params);
  // Without a trustworthy redirect_uri there is nowhere to send an error (RFC 6749 4.1.2.1): show it here.
  if (problem) return text(400, `hostile provider: invalid authorization request: ${problem}`);
  const code = randomBytes(32).toString('base64url');
  state.codeSerial += 1;
  state.codes.set(code, {
    serial: state.codeSerial,
    challenge: single(params, 'code_challenge'),
    nonce: single(params, 'nonce'),
    redirectUri: single(params, 'redirect_uri'),
    scope: single(params, 'scope'),
    issuedAt: now(),
    used: false,
  });
  ctx.note.codeSerial = state.codeSerial;
  const response = withOverride({ code, state: single(params, 'state'), iss: issuer }, kase.redirect, ctx);
  const target = new URL(single(params, 'redirect_uri'));
  for (const [name, value] of Object.entries(response)) target.searchParams.set(name, value);
  return redirect(target.href);
}

function idToken(kase, ctx, record) {
  const t = ctx.now;
  const claims = withOverride({
    iss: ctx.issuer,
    sub: USER.sub,
    aud: CLIENT_ID,
    exp: t + TOKEN_TTL,
    iat: t,
    auth_time: t,
    nonce: record.nonce,
    name: USER.name,
    preferred_username: USER.preferred_username,
  }, kase.claims, ctx);
  const signWith = kase.signWith ?? 'rs256';
  if (signWith === 'none') return unsignedJws(withOverride({ alg: 'none', typ: 'JWT' }, kase.header, ctx), claims);
  if (signWith === 'hmac-with-public-key') {
    const { kid, publicPem } = KEYS.rs256;
    return hmacJws(publicPem, withOverride({ alg: 'HS256', typ: 'JWT', kid }, kase.header, ctx), claims);
  }
  const key = KEYS[signWith];
  const jws = signJws(key, withOverride({ alg: key.alg, typ: 'JWT', kid: key.kid }, kase.header, ctx), claims);
  return kase.mangle ? kase.mangle(jws) : jws;
}

async function token(kase, ctx, req) {
  const form = await readForm(req);
  if (!form) return oauthError(400, 'invalid_request', 'expected a form body of at most 16 KiB');
  if (single(form, 'grant_type') !== 'authorization_code') {
    return oauthError(400, 'unsupported_grant_type', 'only authorization_code');
  }
  if (single(form, 'client_id') !== CLIENT_ID) return oauthError(401, 'invalid_client', 'unknown client_id');
  const record = ctx.state.codes.get(single(form, 'code'));
  if (!record) {
    ctx.note.code = 'unknown';
    return oauthError(400, 'invalid_grant', 'unknown authorization code');
  }
  ctx.note.codeSerial = record.serial;
  // RFC 6749 4.1.2: a code is used once; a second attempt is refused, and counted so tests can see replays.
  ctx.note.repeatedCode = record.used;
  if (record.used) {
    ctx.state.repeatedCodes += 1;
    return oauthError(400, 'invalid_grant', 'authorization code already used');
  }
  record.used = true;
  if (ctx.now - record.issuedAt > CODE_TTL) return oauthError(400, 'invalid_grant', 'authorization code expired');
  if (single(form, 'redirect_uri') !== record.redirectUri) {
    return oauthError(400, 'invalid_grant', 'redirect_uri differs from the authorization request');
  }
  // RFC 7636 4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge.
  const verifier = single(form, 'code_verifier') ?? '';
  const pkceOk = /^[A-Za-z0-9._~-]{43,128}$/.test(verifier)
    && createHash('sha256').update(verifier, 'ascii').digest('base64url') === record.challenge;
  ctx.note.pkce = pkceOk ? 'ok' : 'mismatch';
  if (!pkceOk) return oauthError(400, 'invalid_grant', 'code_verifier does not match the code_challenge');

  if (kase.tokenReply) {
    const { status, type, body } = kase.tokenReply;
    return { status, headers: { 'Content-Type': type, 'Cache-Control': 'no-store' }, body };
  }
  const accessToken = randomBytes(32).toString('base64url');
  ctx.state.accessTokens.set(accessToken, { expiresAt: ctx.now + TOKEN_TTL });
  return json(200, withOverride({
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: TOKEN_TTL,
    id_token: idToken(kase, ctx, record),
    scope: record.scope,
  }, kase.tokens, ctx), { Pragma: 'no-cache' });
}

function jwks(kase, ctx) {
  const names = kase.jwks ? kase.jwks(ctx.state.jwksFetches) : DEFAULT_JWKS;
  ctx.state.jwksFetches += 1;
  ctx.note.kids = names.map((name) => KEYS[name].kid);
  // no-store, so a refetch after a rotation reaches us instead of the browser's HTTP cache.
  return json(200, { keys: names.map((name) => KEYS[name].jwk) });
}

// RFC 6750 2.1 only: a token in the query or the body is not looked at.
function userinfo(kase, ctx, req) {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(req.headers.authorization ?? '');
  const grant = match && ctx.state.accessTokens.get(match[1]);
  if (!grant || grant.expiresAt <= ctx.now) {
    ctx.note.bearer = match ? 'unknown' : 'missing';
    return json(401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  }
  ctx.note.bearer = 'ok';
  return json(200, withOverride(USER, kase.userinfo, ctx));
}

// RP-Initiated Logout 1.0, section 2; there is no provider session to end, so it only checks and returns.
function endSession(kase, ctx) {
  const target = single(ctx.params, 'post_logout_redirect_uri');
  if (target === undefined) return text(200, 'hostile provider: signed out');
  if (!POST_LOGOUT_REDIRECT_URIS.has(target)) {
    return text(400, 'hostile provider: post_logout_redirect_uri is not registered');
  }
  const back = new URL(target);
  const state = single(ctx.params, 'state');
  if (state) back.searchParams.set('state', state);
  return redirect(back.href);
}

const ROUTES = {
  '/.well-known/openid-configuration': { GET: discovery },
  '/authorize': { GET: authorize },
  '/token': { POST: token },
  '/jwks': { GET: jwks },
  '/userinfo': { GET: userinfo },
  '/end-session': { GET: endSession },
};

// ---- test introspection ----

function introspect(method, url) {
  const only = url.searchParams.get('case');
  if (only !== null && !Object.hasOwn(CASES, only)) return text(404, `hostile provider: no case ${only}`);
  const ids = only === null ? Object.keys(CASES) : [only];
  if (url.pathname === '/__log' && method === 'GET') {
    return json(200, Object.fromEntries(ids.map((id) => {
      const { requests, repeatedCodes, jwksFetches } = stateOf(id);
      return [id, { requests, repeatedCodes, jwksFetches }];
    })));
  }
  if (url.pathname === '/__reset' && method === 'POST') {
    for (const id of ids) states.delete(id);
    return json(200, { reset: ids });
  }
  return text(405, 'hostile provider: GET /__log or POST /__reset');
}

// ---- dispatch ----

async function handle(req, url) {
  if (url.pathname.startsWith('/__')) return introspect(req.method, url);
  const [, id, ...rest] = url.pathname.split('/');
  const path = `/${rest.join('/')}`;
  if (!Object.hasOwn(CASES, id) || !Object.hasOwn(ROUTES, path)) return text(404, 'hostile provider: not found');
  const ctx = {
    origin: ORIGIN, issuer: `${ORIGIN}/${id}`, now: now(), params: url.searchParams, state: stateOf(id), note: {},
  };
  const entry = { method: req.method, path };
  ctx.state.requests.push(entry);
  const handler = Object.hasOwn(ROUTES[path], req.method) ? ROUTES[path][req.method] : undefined;
  let response;
  if (req.method === 'OPTIONS') response = PREFLIGHT;
  else if (handler) response = await handler(CASES[id], ctx, req);
  else {
    response = text(405, 'hostile provider: method not allowed');
    response.headers.Allow = Object.keys(ROUTES[path]).join(', ');
  }
  Object.assign(entry, { status: response.status }, ctx.note);
  return response;
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, ORIGIN);
  let status = 500;
  try {
    const response = await handle(req, url);
    status = response.status;
    res.writeHead(status, { ...response.headers, ...cors(req.headers.origin) }).end(response.body);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) res.writeHead(status, cors(req.headers.origin));
    res.end();
  } finally {
    // Path only: queries carry codes and states.
    console.log(`${req.method} ${url.pathname} ${status}`);
  }
});

server.listen(PORT, '127.0.0.1', () => {
  const count = Object.keys(CASES).length;
  console.log(`hostile provider: ${count} issuers at ${ORIGIN}/<case>, app origins ${APP_ORIGINS.join(' ')}`);
});
server.on('error', (err) => {
  console.error(`hostile provider: cannot listen on 127.0.0.1:${PORT}: ${err.message}`);
  process.exit(1);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
