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
//   node scripts/csp.mjs [headers|nginx|meta]   prints dist/_headers, nginx lines or the <meta> policy for the
//                                               same environment
import { pathToFileURL } from 'node:url';

export const LOOPBACK = ['http://127.0.0.1:*', 'http://localhost:*'];
export const DEFAULT_CONNECT_SRC = "'self' https:";

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

function sourceList(text, extra) {
  // A `;` would start a new directive, a `,` a second policy, a quote or newline would break the header file.
  if (/[;,"\r\n]/.test(text)) throw new Error(`CSP_CONNECT_SRC may hold only sources, not ${JSON.stringify(text)}`);
  const sources = text.trim().split(/\s+/).filter(Boolean);
  if (sources.length === 0) throw new Error('CSP_CONNECT_SRC is blank');
  return [...new Set([...sources, ...extra])].join(' ');
}

/** The directives shared by every variant, in order. */
function directives({ loopback = false, connectSrc = DEFAULT_CONNECT_SRC } = {}) {
  const local = loopback ? LOOPBACK : [];
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${sourceList(connectSrc, local)}`,
    "base-uri 'self'",
    // RP-Initiated Logout may be a form POST to the provider's end_session_endpoint; Chromium also checks the
    // redirects that follow a form submission against this list.
    `form-action ${["'self'", 'https:', ...local].join(' ')}`,
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = optionsFromEnv();
  const print = { headers: headersFile, nginx: nginxLines, meta: (o) => `${metaPolicy(o)}\n` }[process.argv[2] || 'headers'];
  if (!print) {
    console.error('usage: node scripts/csp.mjs [headers|nginx|meta]');
    process.exit(2);
  }
  process.stdout.write(print(options));
}
