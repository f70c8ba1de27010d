// The hostile issuers, one per case, each wrong in exactly one way (or right in every way, for the controls).
// server.mjs serves case `<id>` as the issuer `${HOSTILE}/<id>`; tests/e2e/hostile.spec.mjs runs the app against
// each. Importing this module has no side effects.
//
// A case is a small object:
//   outcome    'accept' or 'reject': what a correct client does.
//   stage      for rejections, the step where the client must stop, which tells the spec what the provider must
//              (not) have seen: 'discovery' (no authorization request), 'callback' (the code is never redeemed),
//              'token', 'id-token' (no UserInfo call with the tokens), 'userinfo'.
//   rule       the clause the client follows (see /work/shared/SPECS.md).
//   config     optional fields added to the app's config.json for this case (e.g. trusted_audiences): what the
//              app's operator declared, not something the provider controls.
// and overrides of what a correct provider would do. Each is an object or a function of the request context
// `{ origin, issuer, now }`; a field set to `undefined` is removed:
//   metadata   discovery document fields            redirect   authorization response parameters (code, state, iss)
//   tokens     token response fields                 tokenReply { status, type, body }: a raw token response
//   header     ID token JOSE header                  claims     ID token claims
//   signWith   key name in jose.mjs, 'none', or       mangle     (jws) => string, applied to the signed ID token
//              'hmac-with-public-key' (HS256 keyed with the rs256 public key's PEM)
//   jwks       (fetchesSoFar) => key names published  userinfo   UserInfo response fields

import { CLIENT_ID, HOSTILE, USER as TEST_USER } from '../shared/constants.mjs';
import { flipLastSignatureByte } from './jose.mjs';

export { CLIENT_ID, HOSTILE };
/** The test user's claims, as UserInfo answers them. */
export const USER = {
  sub: TEST_USER.username, name: TEST_USER.name, preferred_username: TEST_USER.username, email: TEST_USER.email,
};

/** Markup and script in an error_description: the app must show it as text and never run it. */
export const HTML_DESCRIPTION = '<img src=x onerror="window.__xss=1"> and <script>window.__xss=1</script>';
/** Planted in response bodies the app must not show. */
export const LEAK_MARKER = 'HOSTILE-BODY-d41d8cd9';

const OTHER_CLIENT = 'another-client';
/** An API audience a provider may add to every ID token, which the app may be configured to trust. */
const API_AUDIENCE = 'https://api.example';
/** A real issuer on the same server, so mix-ups look plausible. */
const otherIssuer = ({ origin }) => `${origin}/good`;

export const CASES = {
  good: { outcome: 'accept', rule: 'control: right in every way' },

  // Discovery.
  'discovery-issuer-mismatch': {
    outcome: 'reject', stage: 'discovery', rule: 'OIDC Discovery 1.0, 4.3',
    metadata: (ctx) => ({ issuer: otherIssuer(ctx) }),
  },

  // The authorization response at the redirect URI.
  'state-wrong': {
    outcome: 'reject', stage: 'callback', rule: 'RFC 9700 4.7.1',
    redirect: { state: 'a-state-this-browser-never-sent' },
  },
  'state-missing': {
    outcome: 'reject', stage: 'callback', rule: 'RFC 6749 4.1.2',
    redirect: { state: undefined },
  },
  'iss-param-wrong': {
    outcome: 'reject', stage: 'callback', rule: 'RFC 9207 2.4',
    redirect: (ctx) => ({ iss: otherIssuer(ctx) }),
  },
  // The metadata promises `iss` (authorization_response_iss_parameter_supported), the response has none.
  'iss-param-missing': {
    outcome: 'reject', stage: 'callback', rule: 'RFC 9207 2.4',
    redirect: { iss: undefined },
  },
  // Its control: a provider that does not promise `iss` and does not send it is fine.
  'iss-param-unsupported': {
    outcome: 'accept', rule: 'control: RFC 9207 2.4 without the metadata promise',
    metadata: { authorization_response_iss_parameter_supported: undefined }, redirect: { iss: undefined },
  },
  'access-denied': {
    outcome: 'reject', stage: 'callback', rule: 'RFC 6749 4.1.2.1',
    redirect: { code: undefined, error: 'access_denied', error_description: 'The user denied the request' },
  },
  'error-html': {
    outcome: 'reject', stage: 'callback', rule: 'RFC 6749 4.1.2.1; provider text is data, never markup',
    redirect: { code: undefined, error: 'access_denied', error_description: HTML_DESCRIPTION },
  },

  // The token response.
  'token-400': {
    outcome: 'reject', stage: 'token', rule: 'RFC 6749 5.2',
    tokenReply: {
      status: 400,
      type: 'application/json',
      body: JSON.stringify({ error: 'invalid_grant', error_description: 'The authorization code is not valid' }),
    },
  },
  'token-500-html': {
    outcome: 'reject', stage: 'token', rule: 'RFC 6749 5.1',
    tokenReply: {
      status: 500,
      type: 'text/html; charset=utf-8',
      body: `<!DOCTYPE html><title>Error</title><h1>${LEAK_MARKER}</h1><script>window.__xss=1</script>`,
    },
  },
  // Declared JSON, but form-encoded, the way some providers answer by default.
  'token-200-not-json': {
    outcome: 'reject', stage: 'token', rule: 'RFC 6749 5.1',
    tokenReply: { status: 200, type: 'application/json', body: `access_token=${LEAK_MARKER}&token_type=bearer` },
  },
  'token-type-mac': {
    outcome: 'reject', stage: 'token', rule: 'RFC 6750; OIDC Core 3.1.3.3',
    tokens: { token_type: 'mac' },
  },
  'token-no-id-token': {
    outcome: 'reject', stage: 'token', rule: 'OIDC Core 3.1.3.3',
    tokens: { id_token: undefined },
  },

  // The ID token (OIDC Core 3.1.3.7; numbers are its steps).
  'id-token-malformed': {
    outcome: 'reject', stage: 'id-token', rule: 'RFC 7515 7.1; OIDC Core 3.1.3.7 (1)',
    mangle: (jws) => jws.split('.').slice(0, 2).join('.'),
  },
  'iss-wrong': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (2)',
    claims: (ctx) => ({ iss: otherIssuer(ctx) }),
  },
  'aud-wrong': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (3)',
    claims: { aud: OTHER_CLIENT },
  },
  // The extra audience is trusted, so that the one thing wrong is the missing azp.
  'aud-multi-no-azp': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (4)',
    claims: { aud: [CLIENT_ID, OTHER_CLIENT] }, config: { trusted_audiences: [OTHER_CLIENT] },
  },
  // azp names the client, but the extra audience is one the app was never told to trust.
  'aud-extra-untrusted': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (3): no untrusted audiences',
    claims: { aud: [CLIENT_ID, API_AUDIENCE], azp: CLIENT_ID },
  },
  // Its control: the same token, with the audience in the app's trusted_audiences.
  'aud-extra-trusted': {
    outcome: 'accept', rule: 'control: OIDC Core 3.1.3.7 (3) with a trusted extra audience',
    claims: { aud: [CLIENT_ID, API_AUDIENCE], azp: CLIENT_ID }, config: { trusted_audiences: [API_AUDIENCE] },
  },
  'azp-wrong': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (5)',
    claims: { azp: OTHER_CLIENT },
  },
  'bad-signature': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (6)',
    mangle: flipLastSignatureByte,
  },
  'kid-unknown': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (6); 10.1.1',
    signWith: 'rogue',
  },
  'alg-none': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (7)',
    signWith: 'none',
  },
  'alg-hs256': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (8): no HMAC for a public client',
    signWith: 'hmac-with-public-key',
  },
  // The signing key is published, but only for encryption (RFC 7517 4.2).
  'jwk-use-enc': {
    outcome: 'reject', stage: 'id-token', rule: 'RFC 7517 4.2; OIDC Core 10.1',
    jwks: () => ['rs256-enc', 'es256'],
  },
  // The provider's only RSA key has 1024 bits, and the token is signed with it (and verifies with it).
  'rsa-1024': {
    outcome: 'reject', stage: 'id-token', rule: 'RFC 7518 3.3: RSA keys of 2048 bits or more',
    signWith: 'rs1024', jwks: () => ['rs1024', 'es256'],
  },
  // No kid, and two RS256 keys: the client must not guess (or try each).
  'no-kid-two-keys': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 10.1: without a kid, only a single key',
    header: { kid: undefined }, jwks: () => ['rs256', 'next'],
  },
  // Issued 15 minutes ago, expired 10 minutes ago: far beyond the 60 s leeway.
  'exp-expired': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (9)',
    claims: ({ now }) => ({ exp: now - 600, iat: now - 900, auth_time: now - 900 }),
  },
  'exp-missing': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 2; 3.1.3.7 (9)',
    claims: { exp: undefined },
  },
  // Issued 10 minutes from now: beyond the leeway.
  'iat-future': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (10)',
    claims: ({ now }) => ({ iat: now + 600 }),
  },
  'iat-missing': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 2; 3.1.3.7 (10)',
    claims: { iat: undefined },
  },
  'nonce-wrong': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (11)',
    claims: { nonce: 'a-nonce-this-browser-never-sent' },
  },
  'nonce-missing': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 3.1.3.7 (11)',
    claims: { nonce: undefined },
  },
  'sub-missing': {
    outcome: 'reject', stage: 'id-token', rule: 'OIDC Core 2',
    claims: { sub: undefined },
  },

  // UserInfo: without `name` in the ID token the app asks UserInfo, which answers about someone else.
  'userinfo-sub-mismatch': {
    outcome: 'reject', stage: 'userinfo', rule: 'OIDC Core 5.3.2',
    claims: { name: undefined }, userinfo: { sub: 'mallory', name: 'Mallory' },
  },
  // Its control: the same path with an honest UserInfo, so the case above fails for its one reason only.
  'userinfo-name': {
    outcome: 'accept', rule: 'control: the name from UserInfo (OIDC Core 5.3)',
    claims: { name: undefined },
  },

  // Keys a correct client must still accept.
  es256: {
    outcome: 'accept', rule: 'RFC 7518 3.4',
    signWith: 'es256',
  },
  'no-kid-single-key': {
    outcome: 'accept', rule: 'OIDC Core 10.1: no kid, and a single key',
    header: { kid: undefined }, jwks: () => ['rs256'],
  },
  // The first JWKS lacks the signing key; every later fetch has it, as after a rotation.
  'key-rotation': {
    outcome: 'accept', rule: 'OIDC Core 10.1.1: refetch on an unknown kid',
    signWith: 'next', jwks: (fetchesSoFar) => (fetchesSoFar === 0 ? ['rs256', 'es256'] : ['rs256', 'es256', 'next']),
  },
};
