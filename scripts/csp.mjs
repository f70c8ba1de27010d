// The app's security policy, in one place: the Content-Security-Policy and the other response headers. The
// release build puts the policy in index.html's <meta> (finish-dist.mjs) and, with `frame-ancestors`, which
// browsers ignore in a <meta>, in dist/_headers; `trunk serve` sends the development variant from Trunk.toml,
// which scripts/csp.test.mjs checks against devPolicy() here. The functions are pure; run as a command, the file
// prints their output.
//
// Environment, read at build time (optionsFromEnv):
//   CSP_LOOPBACK=1   also allow http://127.0.0.1:* and http://localhost:* in connect-src and form-action: a build
//                    for a provider on this machine (the tests, the benchmark, scripts/dev). Never in production.
//   CSP_CONNECT_SRC  the connect-src sources instead of "'self' https:", e.g. "'self' https://id.example.com".
//
// Without CSP_CONNECT_SRC a release build allows any https origin in connect-src and form-action, and says so
// (permissiveWarning). The deploy step narrows both per deployment: scripts/deploy-csp.mjs reads config.json (and
// the provider's discovery document) and rewrites the built policy with deploymentPolicy() below.
//
//   node scripts/csp.mjs [headers|nginx|meta]   prints dist/_headers, nginx lines or the <meta> policy for the
//                                               same environment
import { pathToFileURL } from 'node:url';

export const LOOPBACK = ['http://127.0.0.1:*', 'http://localhost:*'];
export const DEFAULT_CONNECT_SRC = "'self' https:";
export const DEFAULT_FORM_ACTION = "'self' https:";

/** The headers besides the CSP. X-Frame-Options covers browsers older than CSP 2's frame-ancestors. */
export const HEADERS = {
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

/** `{ loopback, connectSrc }` from CSP_LOOPBACK and CSP_CONNECT_SRC; a value it cannot read is an error. */
export function optionsFromEnv(env = process.env) {
  const flag = env.CSP_LOOPBACK ?? '';
  if (!['', '0', '1'].includes(flag)) throw new Error(`CSP_LOOPBACK must be 1, 0 or unset, not ${JSON.stringify(flag)}`);
  return { loopback: flag === '1', connectSrc: env.CSP_CONNECT_SRC || undefined };
}

/** `text`'s sources plus `extra`, once each; `name` says which setting in an error. */
function sourceList(text, extra, name) {
  // A `;` would start a new directive, a `,` a second policy, a quote or newline would break the header file.
  if (/[;,"\r\n]/.test(text)) throw new Error(`${name} may hold only sources, not ${JSON.stringify(text)}`);
  const sources = text.trim().split(/\s+/).filter(Boolean);
  if (sources.length === 0) throw new Error(`${name} is blank`);
  return [...new Set([...sources, ...extra])].join(' ');
}

/** The directives shared by every variant, in order. */
function directives({ loopback = false, connectSrc = DEFAULT_CONNECT_SRC, formAction = DEFAULT_FORM_ACTION } = {}) {
  const local = loopback ? LOOPBACK : [];
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${sourceList(connectSrc, local, 'connect-src (CSP_CONNECT_SRC)')}`,
    "base-uri 'self'",
    // RP-Initiated Logout may be a form POST to the provider's end_session_endpoint; Chromium also checks the
    // redirects that follow a form submission against this list.
    `form-action ${sourceList(formAction, local, 'form-action')}`,
  ];
}

/** For index.html's <meta http-equiv>: everything a <meta> can carry. */
export function metaPolicy(options) {
  return directives(options).join('; ');
}

/** For the Content-Security-Policy header: the <meta> policy plus frame-ancestors, which only a header sets. */
export function headerPolicy(options) {
  return [...directives(options), "frame-ancestors 'none'"].join('; ');
}

/**
 * For `trunk serve` (Trunk.toml `[serve] csp`, one entry per directive): the header policy with the loopback
 * providers, plus the nonce Trunk puts on its inline live-reload script (`[build] create_nonce`) and replaces
 * by a fresh one in every HTML response. The live-reload WebSocket is same-origin, allowed by 'self'.
 */
export function devPolicy() {
  return [...directives({ loopback: true }), "frame-ancestors 'none'"]
    .map((d) => (d.startsWith('script-src ') ? `${d} 'nonce-{{NONCE}}'` : d));
}

/** Every security header of a response, by name. */
export function responseHeaders(options) {
  return { 'Content-Security-Policy': headerPolicy(options), ...HEADERS };
}

/** dist/_headers, the format Netlify and Cloudflare Pages read: these headers on every path. */
export function headersFile(options) {
  const lines = Object.entries(responseHeaders(options)).map(([name, value]) => `  ${name}: ${value}`);
  return `/*\n${lines.join('\n')}\n`;
}

/** The same headers for an nginx `server` block. */
export function nginxLines(options) {
  return Object.entries(responseHeaders(options)).map(([name, value]) => `add_header ${name} "${value}" always;`)
    .join('\n') + '\n';
}

/**
 * The text finish-dist.mjs prints on stderr when a release build ships the permissive default (any https origin in
 * connect-src and form-action: CSP_CONNECT_SRC unset), or null. `dist` names the build's directory in the advice.
 */
export function permissiveWarning({ release, connectSrc, dist = 'dist' }) {
  if (!release || connectSrc) return null;
  return `finish-dist: warning: this build's Content-Security-Policy lets the app fetch from (connect-src) and post `
    + `forms to (form-action) any https origin. Narrow it to your provider's and API's origins before you deploy: `
    + `node scripts/deploy-csp.mjs ${dist} (after editing ${dist}/config.json; it reads the provider's discovery `
    + 'document), or build with CSP_CONNECT_SRC. docs/deploy.md.';
}

// The deployment's policy: the origins a config.json and its provider make the app talk to.

/** What the app fetches besides discovery and config.json (the issuer's origin and 'self' cover those). */
export const FETCHED_ENDPOINTS = [
  'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'revocation_endpoint', 'pushed_authorization_request_endpoint',
];
/** With all three in config.json, the app makes no discovery request (docs/configuration.md). */
export const DISCOVERY_SKIPPED_WITH = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'];

/** Whether the app fetches the discovery document for this config.json. */
export function needsDiscovery(config) {
  return !DISCOVERY_SKIPPED_WITH.every((field) => typeof config[field] === 'string');
}

/** OIDC Discovery 4, as the app does it: one trailing slash of the issuer removed, then the well-known path. */
export function discoveryUrl(issuer) {
  return `${issuer.endsWith('/') ? issuer.slice(0, -1) : issuer}/.well-known/openid-configuration`;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost'];
// What a CSP host-source can name (CSP 3, 2.3.1): letters, digits, `-` and dots; no wildcard, no IPv6 literal.
const HOST = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;

/**
 * The origin `value` names, as a CSP source; `what` says where it came from in an error. https, or plain http on
 * loopback as the app allows. With `bare`, `value` must be an origin itself (api_origins), not any URL there.
 */
export function originSource(what, value, { bare = false } = {}) {
  if (typeof value !== 'string') throw new Error(`${what} must be a URL string, not ${JSON.stringify(value)}`);
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what} is not an absolute URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`${what} is not an http(s) URL: ${JSON.stringify(value)}`);
  }
  if (!HOST.test(url.hostname)) {
    throw new Error(`${what} has a host a Content-Security-Policy cannot name exactly: ${JSON.stringify(value)}`);
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.includes(url.hostname)) {
    throw new Error(`${what} is plain http on a host that is not loopback (127.0.0.1, localhost): `
      + JSON.stringify(value));
  }
  if (bare && (url.pathname !== '/' || url.search || url.hash || url.username || url.password)) {
    throw new Error(`${what} is not an origin (scheme, host and port only): ${JSON.stringify(value)}`);
  }
  return url.origin;
}

/**
 * `{ connectSrc, formAction }` for one deployment, from its config.json (parsed) and its provider's discovery
 * document (parsed; `{}` when none was read). Each endpoint is config.json's pinned value first, else discovery's.
 *
 * connect-src: 'self' (config.json), the issuer's origin (discovery), the origins of the endpoints the app fetches
 * (token, JWKS, UserInfo, revocation) and every `api_origins` entry (use_auth().fetch() sends the token there).
 * form-action: 'self' and, when there is a provider sign-out, the origin of config.json's `logout.endpoint`, else
 * of `end_session_endpoint` (a `"logout_method": "post"` sign-out is a form POST there), and of a
 * `post_logout_redirect_uri` given in config.json (Chromium checks the redirects after a form POST too).
 * Sources appear once each, in that order. Anything that is not an http(s) origin a policy can name is refused.
 */
export function deploymentPolicy(config, discovery = {}) {
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    throw new Error('config.json is not a JSON object');
  }
  if (!discovery || typeof discovery !== 'object' || Array.isArray(discovery)) {
    throw new Error('the discovery document is not a JSON object');
  }
  const endpoint = (field) => (config[field] != null
    ? [`config.json's ${field}`, config[field]]
    : discovery[field] != null ? [`the discovery document's ${field}`, discovery[field]] : null);

  const connect = ["'self'", originSource("config.json's issuer", config.issuer)];
  for (const field of FETCHED_ENDPOINTS) {
    // RFC 9126: under "par": "never" the app pushes nothing, so the push endpoint needs no place in the policy.
    if (field === 'pushed_authorization_request_endpoint' && config.par === 'never') continue;
    const found = endpoint(field);
    if (found) connect.push(originSource(...found));
  }
  const apis = config.api_origins ?? [];
  if (!Array.isArray(apis)) throw new Error("config.json's api_origins must be a list of origins");
  for (const api of apis) connect.push(originSource("an entry of config.json's api_origins", api, { bare: true }));

  const form = ["'self'"];
  const logout = config.logout ?? null;
  if (logout !== null && (typeof logout !== 'object' || Array.isArray(logout))) {
    throw new Error("config.json's logout must be an object with an endpoint");
  }
  const signOut = logout ? ["config.json's logout.endpoint", logout.endpoint] : endpoint('end_session_endpoint');
  if (signOut) {
    form.push(originSource(...signOut));
    if (config.post_logout_redirect_uri != null) {
      form.push(originSource("config.json's post_logout_redirect_uri", config.post_logout_redirect_uri));
    }
  }
  return { connectSrc: [...new Set(connect)].join(' '), formAction: [...new Set(form)].join(' ') };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = optionsFromEnv();
  const print = { headers: headersFile, nginx: nginxLines, meta: (o) => `${metaPolicy(o)}\n` }[process.argv[2] || 'headers'];
  if (!print) {
    console.error('usage: node scripts/csp.mjs [headers|nginx|meta]');
    process.exit(2);
  }
  process.stdout.write(print(options));
}
