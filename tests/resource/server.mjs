// The demo API: a small OAuth 2.0 resource server (node:http only) that the app calls with the user's access
// token. It accepts tokens in the Authorization header only (RFC 6750 2.1, RFC 9449 7.1) and checks each one by
// token introspection (RFC 7662) at the bundled provider, as the confidential client `demo-api`: the token must be
// active, an access token, and meant for this API (its `aud` holds the API's resource identifier, RFC 8707).
// Nothing is cached, so a revoked token is refused at once. Like the provider, it is a loopback test fixture.
//
// DPoP (RFC 9449). A token that introspection shows bound to a key (`cnf.jkt`, RFC 9449 6.2) is accepted only as
// `Authorization: DPoP <token>` with one `DPoP` header holding a valid proof of that key (RFC 9449 4.3, 7.1): a
// JWS with typ dpop+jwt, alg ES256, a public P-256 `jwk` whose signature verifies, `htm` the request's method,
// `htu` the request's URL without query and fragment, `iat` within IAT_WINDOW_SECONDS of now, a `jti` not seen
// before (a replay cache), `ath` the base64url SHA-256 of the token, and the jwk's RFC 7638 thumbprint equal to
// `cnf.jkt`. A token that is not bound is a Bearer token as before; sent with the DPoP scheme it is refused.
// DPOP_NONCE=1 also requires a `nonce` this API issued (RFC 9449 9): a proof without one, or with one it does not
// know, is answered 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"` with a fresh `DPoP-Nonce` header.
//
//   node tests/resource/server.mjs
//
// Environment: RESOURCE_PORT (default 9200); API_RESOURCE (this API's resource identifier, default
// http://127.0.0.1:<RESOURCE_PORT>/; the provider must list it in its API_RESOURCES); PROVIDERS (comma-separated
// issuers whose tokens are accepted, default http://127.0.0.1:9000,http://127.0.0.1:9001: opaque tokens name no
// issuer, so each provider's introspection endpoint is asked in turn until one says active); API_CLIENT_SECRET (see
// tests/shared/constants.mjs); APP_PORTS (as the provider's: the app origins CORS allows, default "8080,8081");
// DPOP_NONCE=1 (see above); TEST_HOOKS=1 (the test hooks below); REDIRECT_ORIGIN (with TEST_HOOKS, the origin the
// "cross-origin" redirect switch sends the client to, e.g. another instance of this API; unset, that switch is
// refused).
//
// Test hooks (TEST_HOOKS=1 only):
//   GET /__test/calls     every request that reached the API, in order (the hooks' own left out), as { method, path,
//                         origin, authorization (an Authorization header was sent, whatever its scheme), bearer (a
//                         Bearer credential), scheme ("Bearer", "DPoP" or null), token (SHA-256 base64url
//                         fingerprint, or null), tokenInQuery, proofs (how many DPoP headers), proofNonce (the proof
//                         carried a nonce), status, error (of the challenge, or null) }. Never a token.
//   /landing              any method: a redirect target that records what reaches it (in the calls log, as above) and
//                         answers 200 {"landed": true}, with CORS for every origin, "null" included (the Origin of a
//                         request that followed a cross-origin redirect), and the authorization and dpop request
//                         headers allowed: a client that follows a redirect gets all the way here.
//   POST /__test/faults   the fault switches, a JSON object of any of the fields below; the ones left out are off, so
//                         each POST replaces the previous switches; DELETE /__test/faults turns all off (GET shows
//                         them). Each makes GET /me answer as an API that is not on the client's side, before any
//                         provider is asked:
//     "invalid_token": true         401 `WWW-Authenticate: Bearer realm="demo-api", error="invalid_token"` to every
//                                   request (an API that never accepts the token, whichever it is)
//     "redirect": "same-origin"     302 to /landing on this API's own origin
//     "redirect": "cross-origin"    307 to REDIRECT_ORIGIN/landing (307 keeps the method and the body)
//     "nonce_forever": true         a request with the DPoP scheme: 401 `WWW-Authenticate: DPoP ...
//                                   error="use_dpop_nonce"` with a new `DPoP-Nonce` every time, whatever nonce the
//                                   proof carried (an API that is never satisfied)
//     "stale_nonce": true           a request with the DPoP scheme: the same challenge, but its `DPoP-Nonce` is the
//                                   nonce the proof just carried (a new one for a proof without any): retrying with
//                                   it cannot help
//     "step_up": "<acr>"            a valid token whose sign-in was not at level <acr> (introspection's `acr`, which the
//                                   bundled provider adds): 401 with the token's scheme, `error=
//                                   "insufficient_user_authentication"` and `acr_values="<acr>"` (RFC 9470 3)
//   The redirects carry CORS as the API's other answers do, so a client sees the redirect itself, not a CORS failure.
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
// and for the DPoP scheme, or a DPoP-bound token (RFC 9449 7.1, 9, 12.2), realm "demo-api", algs "ES256":
//   a DPoP-bound token as Bearer, a token that is not bound as DPoP, a proof by another key than `cnf.jkt`, and
//   the refusals above for a DPoP credential
//                                            401  WWW-Authenticate: DPoP realm="demo-api", error="invalid_token", ...
//   no proof, more than one, or one that fails a check of RFC 9449 4.3
//                                            401  WWW-Authenticate: DPoP realm="demo-api",
//                                                 error="invalid_dpop_proof", ...
//   DPOP_NONCE=1 and no nonce, or one this API did not issue (or issued over NONCE_TTL_MS ago)
//                                            401  WWW-Authenticate: DPoP realm="demo-api", error="use_dpop_nonce", ...
//                                                 DPoP-Nonce: <a new nonce>
//   a malformed DPoP credential              400  WWW-Authenticate: DPoP realm="demo-api", error="invalid_request", ...

import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { createServer } from 'node:http';

import {
  API_CLIENT_ID, API_CLIENT_SECRET, DEFAULT_API_PORT, PROVIDER, SHORT_PROVIDER, fingerprint, resourceIdentifier,
} from '../shared/constants.mjs';

const PORT = Number(process.env.RESOURCE_PORT || DEFAULT_API_PORT);
const RESOURCE = process.env.API_RESOURCE || resourceIdentifier(PORT);
const PROVIDERS = (process.env.PROVIDERS || [PROVIDER, SHORT_PROVIDER].join(',')).split(',')
  .map((p) => p.trim()).filter(Boolean);
const APP_PORTS = (process.env.APP_PORTS || '8080,8081').split(',').map((p) => p.trim()).filter(Boolean);
const APP_ORIGINS = new Set(APP_PORTS.flatMap((p) => [`http://127.0.0.1:${p}`, `http://localhost:${p}`]));
const TEST_HOOKS = process.env.TEST_HOOKS === '1';
const DPOP_NONCE = process.env.DPOP_NONCE === '1';
const REDIRECT_ORIGIN = process.env.REDIRECT_ORIGIN ? new URL(process.env.REDIRECT_ORIGIN).origin : null;
const REALM = 'demo-api';
const INTROSPECTION_TIMEOUT_MS = 5_000;
/** The one proof algorithm this API verifies: ECDSA P-256 SHA-256 (RFC 7518 3.4), what the app signs with. */
const DPOP_ALG = 'ES256';
/** How far a proof's `iat` may stand from now, either way (RFC 9449 4.3 step 11, 11.1): clocks here are one clock. */
const IAT_WINDOW_SECONDS = 60;
/** How long a nonce this API issued stays good (RFC 9449 9 leaves it to the server). */
const NONCE_TTL_MS = 5 * 60_000;

// RFC 6749 2.3.1: client_secret_basic form-encodes id and secret before base64.
const CLIENT_AUTH = `Basic ${
  Buffer.from(`${encodeURIComponent(API_CLIENT_ID)}:${encodeURIComponent(API_CLIENT_SECRET)}`).toString('base64')}`;

/** A refused request. `scheme` is the challenge's scheme when the refusal decides it (a DPoP-bound token). */
class Refusal extends Error {
  constructor(status, error, description, { scheme, nonce, acrValues } = {}) {
    super(description);
    this.status = status;
    this.error = error;
    this.scheme = scheme;
    this.nonce = nonce;
    this.acrValues = acrValues;
  }
}
const invalidToken = (description) => new Refusal(401, 'invalid_token', description);
const invalidRequest = (description) => new Refusal(400, 'invalid_request', description);
// RFC 9449 7.1: a DPoP-bound token's refusals challenge with the DPoP scheme, whatever scheme the request used.
const dpopInvalidToken = (description) => new Refusal(401, 'invalid_token', description, { scheme: 'DPoP' });
// RFC 9449 12.2: invalid_dpop_proof at a resource, for a proof that fails a check of RFC 9449 4.3.
const invalidProof = (description) => new Refusal(401, 'invalid_dpop_proof', description, { scheme: 'DPoP' });

/**
 * RFC 6750 3, RFC 9449 7.1: the challenge of `scheme`; without an error code when the request carried no
 * credentials at all. The DPoP challenge names the one proof algorithm accepted (`algs`).
 */
function challenge(scheme, error, description, acrValues) {
  // error_description is restricted to %x20-21 / %x23-5B / %x5D-7E: our fixed texts never hold `"` or `\`.
  // RFC 9470 3: a step-up names the authentication levels it accepts.
  const wanted = acrValues === undefined ? '' : `, acr_values="${acrValues}"`;
  if (scheme === 'DPoP') {
    return `DPoP realm="${REALM}", error="${error}", error_description="${description}"${wanted}, algs="${DPOP_ALG}"`;
  }
  if (!error) return `Bearer realm="${REALM}"`;
  return `Bearer realm="${REALM}", error="${error}", error_description="${description}"${wanted}`;
}

// RFC 6750 2.1: credentials = "Bearer" 1*SP b64token, and RFC 9449 7.1 the same for "DPoP",
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const CREDENTIALS = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The token of the Authorization header with its scheme ("Bearer" or "DPoP", as spelled here whatever the case
 * sent: auth schemes are case-insensitive, RFC 9110 11.1), null when there is none, or a Refusal.
 */
function credentials(header) {
  if (header === undefined) return null;
  const scheme = /^(Bearer|DPoP)(?: |$)/i.exec(header)?.[1];
  if (scheme === undefined) return null; // another scheme: this API has no other (RFC 6750 3)
  const named = scheme.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
  const match = CREDENTIALS.exec(header);
  if (!match) {
    throw new Refusal(400, 'invalid_request', `the Authorization header is not a well-formed ${named} credential`,
      { scheme: named });
  }
  return { scheme: named, token: match[2] };
}

// --- DPoP proofs (RFC 9449 4.3) ---------------------------------------------------------------------------------

const sha256 = (text) => createHash('sha256').update(text).digest('base64url');
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The private members of every JWK key type (RFC 7518 6.2.2, 6.3.2, 6.4.1): a proof's jwk has none. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A base64url JSON object, or undefined. */
function jsonObject(segment) {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 7638 3.2: the thumbprint of an EC key hashes exactly {"crv","kty","x","y"}, in that order, no spaces. */
const thumbprint = ({ crv, kty, x, y }) => sha256(JSON.stringify({ crv, kty, x, y }));

/**
 * RFC 9449 4.3 steps 1-7: the request's one DPoP header is a JWS whose header has typ dpop+jwt, alg ES256 and a
 * public P-256 `jwk`, and whose signature verifies with that jwk. Returns its claims and the jwk's thumbprint.
 */
function readProof(req) {
  // Step 1. headersDistinct keeps repeated headers apart (req.headers would join them with ", ").
  const values = req.headersDistinct.dpop ?? [];
  if (values.length === 0) throw invalidProof('the request carries no DPoP proof');
  if (values.length > 1) throw invalidProof('the request carries more than one DPoP header');
  // Step 2: a JWS in compact serialization (RFC 7515 7.1), three base64url segments.
  const segments = values[0].split('.');
  if (segments.length !== 3 || !segments.every((s) => BASE64URL.test(s))) {
    throw invalidProof('the DPoP proof is not a JWT');
  }
  const [header, claims] = segments.slice(0, 2).map(jsonObject);
  if (!header || !claims) throw invalidProof('the DPoP proof is not a JWT');
  // Step 4: explicit typing (RFC 8725 3.11), so no other JWT passes for a proof.
  if (header.typ !== 'dpop+jwt') throw invalidProof('the DPoP proof\'s typ is not dpop+jwt');
  // Step 5: an asymmetric algorithm this API supports; `none` and MACs are not.
  if (header.alg !== DPOP_ALG) throw invalidProof(`the DPoP proof is not signed with ${DPOP_ALG}`);
  // Step 7 (before the key is used): the jwk is a public P-256 key and nothing more.
  const { jwk } = header;
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) throw invalidProof('the DPoP proof has no jwk');
  if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(jwk, member))) {
    throw invalidProof('the DPoP proof\'s jwk holds a private key');
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256'
    || ![jwk.x, jwk.y].every((c) => typeof c === 'string' && BASE64URL.test(c)
      && Buffer.from(c, 'base64url').length === 32)) {
    throw invalidProof('the DPoP proof\'s jwk is not a P-256 public key');
  }
  let key;
  try {
    key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
  } catch {
    throw invalidProof('the DPoP proof\'s jwk is not a point of P-256');
  }
  // Step 6: RFC 7518 3.4, the signature is R || S (64 octets), which node calls ieee-p1363.
  const signature = Buffer.from(segments[2], 'base64url');
  const signed = signature.length === 64 && verify('sha256', Buffer.from(`${segments[0]}.${segments[1]}`),
    { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (!signed) throw invalidProof('the DPoP proof\'s signature does not verify with its jwk');
  return { claims, jkt: thumbprint(jwk) };
}

/** Nonces this API issued (DPOP_NONCE=1), with when each stops being good. */
const nonces = new Map();
function issueNonce() {
  const now = Date.now();
  for (const [nonce, until] of nonces) if (until <= now) nonces.delete(nonce);
  const nonce = randomBytes(16).toString('base64url');
  nonces.set(nonce, now + NONCE_TTL_MS);
  return nonce;
}
const useNonce = (description) => new Refusal(401, 'use_dpop_nonce', description, {
  scheme: 'DPoP', nonce: issueNonce(),
});

/** jti of every accepted proof, until its `iat` has left the window (after that, step 11 refuses it anyway). */
const seenJtis = new Map();
function firstUse(jti, iat) {
  const now = Date.now();
  for (const [seen, until] of seenJtis) if (until <= now) seenJtis.delete(seen);
  if (seenJtis.has(jti)) return false;
  seenJtis.set(jti, Math.max(now, iat * 1000) + IAT_WINDOW_SECONDS * 1000);
  return true;
}

/**
 * RFC 9449 4.3 steps 3 and 8-12 for a proof of `readProof`, presented with `token` on `req` (whose URL is `url`):
 * the claims, the method, the URL, the nonce, the time, the token hash, and last the replay cache, so that a
 * proof refused for another reason can still be told apart from a replay.
 */
function checkProof({ claims }, req, url, token) {
  // Step 3: the claims a proof must have, of the right types.
  if (typeof claims.jti !== 'string' || claims.jti === '' || claims.jti.length > 256) {
    throw invalidProof('the DPoP proof has no usable jti');
  }
  if (typeof claims.htm !== 'string' || typeof claims.htu !== 'string' || !Number.isFinite(claims.iat)) {
    throw invalidProof('the DPoP proof lacks htm, htu or iat');
  }
  // Step 8: the method of this request.
  if (claims.htm !== req.method) throw invalidProof('the DPoP proof is for another method');
  // Step 9: this request's URL, query and fragment ignored, both sides normalised by the URL parser (RFC 3986 6.2.2,
  // 6.2.3: case of scheme and host, default port, dot segments). The origin is this API's own, as configured: the
  // Host header is the client's to choose, so a proof made for another host must not pass by naming that host.
  let htu;
  let expected;
  try {
    htu = new URL(claims.htu);
    expected = new URL(url.pathname, new URL(RESOURCE).origin);
  } catch {
    throw invalidProof('the DPoP proof is for another URL');
  }
  htu.search = '';
  htu.hash = '';
  if (htu.href !== expected.href) throw invalidProof('the DPoP proof is for another URL');
  // Step 10: a nonce this API issued, when it asks for nonces (RFC 9449 9). Otherwise a nonce is not looked at.
  if (DPOP_NONCE) {
    if (claims.nonce === undefined) throw useNonce('this API requires a DPoP nonce');
    const until = typeof claims.nonce === 'string' ? nonces.get(claims.nonce) : undefined;
    if (until === undefined || until <= Date.now()) {
      throw useNonce('the DPoP nonce is not one this API issued, or too old');
    }
  }
  // Step 11: created just now, within the window either way.
  if (Math.abs(Date.now() / 1000 - claims.iat) > IAT_WINDOW_SECONDS) {
    throw invalidProof('the DPoP proof was not created within the accepted window');
  }
  // Step 12: bound to this very token (RFC 9449 4.2, 7.1).
  if (claims.ath !== sha256(token)) throw invalidProof('the DPoP proof\'s ath is not the hash of this access token');
  // RFC 9449 11.1: a proof is good once.
  if (!firstUse(claims.jti, claims.iat)) throw invalidProof('the DPoP proof was used before (jti seen)');
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
    const tokenType = typeof claims.token_type === 'string' ? claims.token_type.toLowerCase() : undefined;
    // Whether it is bound to a key is `cnf.jkt`'s to say (checkBinding), which oidc-provider gives every DPoP token.
    if (tokenType !== 'bearer' && tokenType !== 'dpop') throw invalidToken('the token is not a Bearer access token');
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
  // The app reads the challenge, and the nonce a use_dpop_nonce challenge comes with (RFC 9449 9).
  res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, DPoP-Nonce');
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

/** Answers with `refusal`; its challenge in the refusal's scheme, else the request's (`scheme`), else Bearer. */
function refuse(res, refusal, scheme = 'Bearer') {
  const headers = refusal.status === 503 ? {} : {
    'WWW-Authenticate': challenge(refusal.scheme ?? scheme, refusal.error, refusal.message, refusal.acrValues),
    ...(refusal.nonce !== undefined && { 'DPoP-Nonce': refusal.nonce }),
  };
  const body = refusal.error ? { error: refusal.error, error_description: refusal.message } : undefined;
  send(res, refusal.status, body, headers);
}

/**
 * RFC 9449 7.1: a token bound to a key (`cnf.jkt`) needs the DPoP scheme and a proof of that key; a token that is
 * not bound is a Bearer token, and refused when sent with the DPoP scheme (as oidc-provider's UserInfo does).
 * `call` notes whether the proof carried a nonce.
 */
function checkBinding(req, url, presented, claims, call) {
  const jkt = claims.cnf?.jkt;
  if (typeof jkt !== 'string') {
    if (presented.scheme === 'DPoP') throw dpopInvalidToken('the access token is not DPoP-bound: send it as Bearer');
    return;
  }
  if (presented.scheme !== 'DPoP') {
    throw dpopInvalidToken('the access token is DPoP-bound: send it with the DPoP scheme and a proof');
  }
  const proof = readProof(req);
  call.proofNonce = proof.claims.nonce !== undefined;
  checkProof(proof, req, url, presented.token);
  // RFC 9449 4.3 step 12: the proof's key is the one the token is bound to.
  if (proof.jkt !== jkt) throw dpopInvalidToken('the DPoP proof is signed by another key than the token is bound to');
}

/** GET /me: who the token is for, as the provider says. `call` collects what the calls log keeps. */
async function me(req, res, url, call) {
  let presented;
  try {
    presented = credentials(req.headers.authorization);
    if (presented !== null) {
      call.bearer = presented.scheme === 'Bearer';
      call.scheme = presented.scheme;
      call.token = fingerprint(presented.token);
    }
    const inQuery = url.searchParams.get('access_token');
    if (inQuery !== null) {
      call.tokenInQuery = true;
      throw invalidRequest('access tokens are accepted in the Authorization header only, never in the URL');
    }
  } catch (err) {
    if (err instanceof Refusal) return refuse(res, err, presented?.scheme);
    throw err;
  }
  if (faults.invalid_token) {
    return refuse(res, invalidToken('the access token is not accepted (the test switch invalid_token is on)'));
  }
  if (faults.redirect === 'same-origin') return send(res, 302, undefined, { Location: '/landing' });
  if (faults.redirect === 'cross-origin') return send(res, 307, undefined, { Location: `${REDIRECT_ORIGIN}/landing` });
  if (presented?.scheme === 'DPoP' && (faults.nonce_forever || faults.stale_nonce)) {
    // The proof is not checked: these switches are an API that wants a nonce whatever it is sent.
    const values = req.headersDistinct.dpop ?? [];
    const carried = values.length === 1 ? jsonObject(values[0].split('.')[1] ?? '')?.nonce : undefined;
    call.proofNonce = carried !== undefined;
    const stale = faults.stale_nonce && typeof carried === 'string' && carried !== '';
    return refuse(res, new Refusal(401, 'use_dpop_nonce', stale
      ? 'this API asks for a DPoP nonce, and hands out the one just sent (the test switch stale_nonce is on)'
      : 'this API asks for a new DPoP nonce every time (the test switch nonce_forever or stale_nonce is on)', {
      scheme: 'DPoP', nonce: stale ? carried : issueNonce(),
    }));
  }
  if (presented === null) {
    return send(res, 401, { error_description: 'this API needs a Bearer access token' }, {
      'WWW-Authenticate': challenge('Bearer'),
    });
  }
  try {
    const claims = await validate(presented.token);
    checkBinding(req, url, presented, claims, call);
    if (faults.step_up !== null && claims.acr !== faults.step_up) {
      throw new Refusal(401, 'insufficient_user_authentication',
        'this call needs a stronger sign-in (the test switch step_up is on)', { acrValues: faults.step_up });
    }
    return send(res, 200, {
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope ?? '',
      aud: RESOURCE,
      iss: claims.iss,
      api: 'demo',
    });
  } catch (err) {
    if (err instanceof Refusal) return refuse(res, err, presented.scheme);
    throw err;
  }
}

// TEST_HOOKS=1: every request but the hook's own, in order, without the query and without any token.
const calls = [];
// TEST_HOOKS=1: the fault switches (see the header), all off.
const NO_FAULTS = Object.freeze({
  invalid_token: false, redirect: null, nonce_forever: false, stale_nonce: false, step_up: null,
});
let faults = NO_FAULTS;
const REDIRECTS = ['same-origin', 'cross-origin'];

/** The switches a POST /__test/faults body asks for, or why it is refused. */
function faultsOf(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { why: `the body is a JSON object of any of ${Object.keys(NO_FAULTS).join(', ')}` };
  }
  const unknown = Object.keys(body).find((key) => !Object.hasOwn(NO_FAULTS, key));
  if (unknown !== undefined) return { why: `unknown switch ${JSON.stringify(unknown)}` };
  const flag = ['invalid_token', 'nonce_forever', 'stale_nonce'].find((key) => body[key] !== undefined
    && typeof body[key] !== 'boolean');
  if (flag !== undefined) return { why: `${flag} is true or false` };
  if (body.redirect !== undefined && body.redirect !== null && !REDIRECTS.includes(body.redirect)) {
    return { why: `redirect is one of ${REDIRECTS.join(', ')}, or null` };
  }
  if (body.redirect === 'cross-origin' && REDIRECT_ORIGIN === null) {
    return { why: 'the cross-origin redirect needs REDIRECT_ORIGIN' };
  }
  if (body.nonce_forever && body.stale_nonce) return { why: 'nonce_forever and stale_nonce exclude each other' };
  if (body.step_up !== undefined && body.step_up !== null
    && (typeof body.step_up !== 'string' || !/^[\w:.-]+$/.test(body.step_up))) {
    return { why: 'step_up is one acr value (letters, digits, _ : . -), or null' };
  }
  return { faults: { ...NO_FAULTS, ...body } };
}

/** TEST_HOOKS=1: /landing, the redirect target of the header. */
function landing(req, res) {
  const headers = {
    'Access-Control-Allow-Origin': req.headers.origin ?? '*',
    Vary: 'Origin',
  };
  if (req.method === 'OPTIONS') {
    return send(res, 204, undefined, {
      ...headers,
      'Access-Control-Allow-Methods': req.headers['access-control-request-method'] ?? 'GET',
      'Access-Control-Allow-Headers': 'authorization, dpop, accept, content-type',
    });
  }
  return send(res, 200, { landed: true }, headers);
}

/** A JSON request body, or undefined when it is not JSON. */
async function jsonBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://api.invalid');
  if (TEST_HOOKS && url.pathname === '/__test/calls') {
    if (req.method !== 'GET') return send(res, 405, undefined, { Allow: 'GET' });
    return send(res, 200, calls);
  }
  if (TEST_HOOKS && url.pathname === '/__test/faults') {
    if (req.method === 'GET') return send(res, 200, faults);
    if (req.method === 'DELETE') {
      faults = NO_FAULTS;
      return send(res, 204);
    }
    if (req.method !== 'POST') return send(res, 405, undefined, { Allow: 'GET, POST, DELETE' });
    const asked = faultsOf(await jsonBody(req));
    // A typo must fail the test that made it, not leave the API healthy.
    if (asked.why !== undefined) return send(res, 400, { error: asked.why });
    faults = asked.faults;
    return send(res, 204);
  }
  const call = {
    method: req.method, path: url.pathname, origin: req.headers.origin ?? null,
    authorization: req.headers.authorization !== undefined,
    bearer: false, scheme: null, token: null, tokenInQuery: false, proofs: req.headersDistinct.dpop?.length ?? 0,
    proofNonce: false, status: undefined, error: null,
  };
  res.on('finish', () => {
    call.status = res.statusCode;
    call.error = /error="([^"]*)"/.exec(res.getHeader('www-authenticate') ?? '')?.[1] ?? null;
    if (TEST_HOOKS) calls.push(call);
  });

  if (TEST_HOOKS && url.pathname === '/landing') return landing(req, res);
  if (url.pathname !== '/me') return send(res, 404, { error: 'not_found' });
  const corsAllowed = allowOrigin(req, res);
  if (req.method === 'OPTIONS') {
    // Preflight: the Authorization header makes a cross-origin GET non-simple.
    if (!corsAllowed || req.headers['access-control-request-method'] !== 'GET') return send(res, 403);
    return send(res, 204, undefined, {
      'Access-Control-Allow-Methods': 'GET',
      // The DPoP header carries the proof (RFC 9449 4.1).
      'Access-Control-Allow-Headers': 'authorization, dpop',
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
    + `${DPOP_NONCE ? ', DPoP nonces required' : ''}${TEST_HOOKS ? ', test hooks on' : ''}`
    + `${TEST_HOOKS && REDIRECT_ORIGIN ? `, cross-origin redirects to ${REDIRECT_ORIGIN}` : ''}`);
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
