// The hostile provider's signing keys and compact JWS, with node:crypto only. Keys are made fresh at every start;
// `makeKeys` is the only function here with a cost, and nothing runs on import, so the spec can import cases.mjs
// (which imports this) without generating keys.

import { createHmac, generateKeyPairSync, sign } from 'node:crypto';

const encode = (json) => Buffer.from(JSON.stringify(json)).toString('base64url');

function keyPair(kid, alg, modulusLength = 2048) {
  const { privateKey, publicKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength });
  return {
    kid, alg, privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }),
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg },
  };
}

/**
 * The keys, by the names the case table uses. `rs256` and `es256` are published in every JWKS unless a case says
 * otherwise; `rogue` is never published; `next` appears only once `key-rotation` has rotated; `rs256-enc` is the
 * rs256 key, same kid, published for encryption only; `rs1024` is an RS256 key of 1024 bits, below the 2048 that
 * RFC 7518 3.3 requires.
 */
export function makeKeys() {
  const rs256 = keyPair('hostile-rs256', 'RS256');
  return {
    rs256,
    'rs256-enc': { ...rs256, jwk: { ...rs256.jwk, use: 'enc', alg: 'RSA-OAEP-256' } },
    es256: keyPair('hostile-es256', 'ES256'),
    rogue: keyPair('rogue-rs256', 'RS256'),
    next: keyPair('rotated-rs256', 'RS256'),
    rs1024: keyPair('hostile-rs1024', 'RS256', 1024),
  };
}

/** RFC 7515 7.1 compact serialization. ES256 signatures are the raw r || s of RFC 7518 3.4, as WebCrypto wants. */
export function signJws(key, header, claims) {
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = key.alg === 'ES256'
    ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : sign('sha256', Buffer.from(input), key.privateKey); // RSASSA-PKCS1-v1_5, RFC 7518 3.3
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * HS256 keyed with `secret`. With a public key as the secret this is the algorithm-confusion forgery: anyone can
 * make it, and a client that lets the token's `alg` pick how the JWKS key is used would accept it.
 */
export function hmacJws(secret, header, claims) {
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An Unsecured JWS (RFC 7519 6): empty signature. */
export function unsignedJws(header, claims) {
  return `${encode(header)}.${encode(claims)}.`;
}

/** The same token with its signature's last byte flipped: well-formed, but the signature no longer verifies. */
export function flipLastSignatureByte(jws) {
  const [header, payload, signature] = jws.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length - 1] ^= 0x01;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}
