// Serves the release build (dist/) for the end-to-end tests, the way a static host with SPA fallback would:
// a path whose last segment has no file extension and names no file gets index.html, so /callback and /profile
// load the app. Caching is what a CDN should do with a Trunk build: files whose names carry their content hash
// (`app-<16 hex>.css`, `yew-oidc-spa-<16 hex>_bg.wasm`, ...) are `public, max-age=31536000, immutable`; everything
// else (index.html, the SPA fallback, config.json) is `no-cache` with an ETag, so a repeat load asks and gets a 304.
// The security headers are the build's own: dist/_headers (the file Netlify and
// Cloudflare Pages read, written by scripts/finish-dist.mjs), so the tests see what production sees; a build
// without one (a debug build, the benchmark's reference app) gets no-Referer and nosniff headers only.
// BASE_PATH serves the build under a path, as a host does for `trunk build --public-url /some/app/`: paths outside
// it are 404, and the path without its trailing slash redirects to it (as GitHub Pages and nginx do for folders).
//
// RESPONSE_DELAY_MS (default 0) holds every request that long before answering it: the round trip to a CDN, for the
// benchmark's network mode (bench/run); the end-to-end tests leave it off.
//
//   DIST_DIR=dist APP_PORT=8081 [BASE_PATH=/some/app/] [RESPONSE_DELAY_MS=50] node tests/e2e/static-server.mjs

import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { APP } from '../shared/constants.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ROOT = resolve(process.env.DIST_DIR || join(REPO, 'dist'));
const PORT = Number(process.env.APP_PORT || new URL(APP).port);
const HOST = process.env.APP_HOST || '127.0.0.1';
const BASE = (process.env.BASE_PATH || '/').replace(/^\/?/, '/').replace(/\/?$/, '/');
const RESPONSE_DELAY_MS = Number(process.env.RESPONSE_DELAY_MS || 0);
if (!Number.isInteger(RESPONSE_DELAY_MS) || RESPONSE_DELAY_MS < 0) {
  console.error(`static-server: RESPONSE_DELAY_MS must be a whole number of milliseconds, got ${JSON.stringify(process.env.RESPONSE_DELAY_MS)}`);
  process.exit(2);
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const HEADERS_FILE = join(ROOT, '_headers');
const REDIRECTS_FILE = join(ROOT, '_redirects');

// The _headers format: a line with a path pattern (`*` matches anything), then indented `Name: value` lines;
// `#` starts a comment. Every rule whose pattern matches the request path adds its headers.
function parseHeadersFile(text) {
  const rules = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      const pattern = line.trim().split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
      rules.push({ pattern: new RegExp(`^${pattern}$`), headers: {} });
      continue;
    }
    const header = line.trim().match(/^([A-Za-z0-9-]+):\s*(.+)$/);
    if (!header || rules.length === 0) throw new Error(`${HEADERS_FILE}:${i + 1}: cannot read ${JSON.stringify(line)}`);
    rules.at(-1).headers[header[1]] = header[2];
  }
  return rules;
}

const RULES = existsSync(HEADERS_FILE)
  ? parseHeadersFile(readFileSync(HEADERS_FILE, 'utf8'))
  : [{ pattern: /^/, headers: { 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' } }];

/** A file name Trunk or finish-dist.mjs made from the content's hash: it never changes under that name. */
const HASHED = /-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/;
const cacheControl = (path) => (HASHED.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');

function headersFor(urlPath) {
  const headers = { 'Cache-Control': 'no-store' };
  for (const rule of RULES) if (rule.pattern.test(urlPath)) Object.assign(headers, rule.headers);
  return headers;
}

async function fileAt(path) {
  try {
    const info = await stat(path);
    return info.isFile() ? info : undefined;
  } catch {
    return undefined;
  }
}

// Maps a URL path to a file under ROOT, or undefined. Decoding happens once, before the containment check, so
// `%2e%2e/` cannot climb out; NUL and backslashes are refused outright.
function resolveInRoot(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const candidate = resolve(ROOT, `.${decoded}`);
  if (candidate !== ROOT && !candidate.startsWith(ROOT + sep)) return undefined;
  return candidate;
}

async function route(urlPath) {
  const candidate = resolveInRoot(urlPath);
  if (candidate === undefined) return { status: 400 };
  const lastSegment = urlPath.slice(urlPath.lastIndexOf('/') + 1);
  const wantsDirectory = candidate === ROOT || urlPath.endsWith('/');
  const path = wantsDirectory ? join(candidate, 'index.html') : candidate;
  const info = await fileAt(path);
  // The host reads _headers and _redirects; they are not pages (Netlify and Cloudflare Pages do not serve them).
  if (info && path !== HEADERS_FILE && path !== REDIRECTS_FILE) return { status: 200, path, info };
  if (!extname(lastSegment)) {
    // SPA fallback: client-side routes such as /callback, /profile or /no-such-page.
    const index = join(ROOT, 'index.html');
    const indexInfo = await fileAt(index);
    if (indexInfo) return { status: 200, path: index, info: indexInfo };
  }
  return { status: 404 };
}

const server = createServer(async (req, res) => {
  const urlPath = new URL(req.url, 'http://static.invalid').pathname;
  const headers = headersFor(urlPath);
  let status;
  try {
    // Every answer waits, 304s and errors included: each is a round trip on a real network.
    if (RESPONSE_DELAY_MS > 0) await new Promise((resolveDelay) => { setTimeout(resolveDelay, RESPONSE_DELAY_MS); });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      status = 405;
      res.writeHead(status, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    if (`${urlPath}/` === BASE) {
      status = 301;
      res.writeHead(status, { ...headers, Location: BASE }).end();
      return;
    }
    const found = urlPath.startsWith(BASE) ? await route(urlPath.slice(BASE.length - 1)) : { status: 404 };
    status = found.status;
    if (status !== 200) {
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(status === 404 ? 'not found\n' : 'bad request\n');
      return;
    }
    const etag = `"${found.info.size.toString(16)}-${Math.floor(found.info.mtimeMs).toString(16)}"`;
    const cached = { 'Cache-Control': cacheControl(found.path), ETag: etag };
    if (req.headers['if-none-match'] === etag) {
      status = 304;
      res.writeHead(status, { ...headers, ...cached }).end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      ...cached,
      'Content-Type': TYPES[extname(found.path).toLowerCase()] || 'application/octet-stream',
      'Content-Length': found.info.size,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(found.path).on('error', () => res.destroy()).pipe(res);
  } catch (err) {
    status = 500;
    console.error(err);
    if (!res.headersSent) res.writeHead(status, headers);
    res.end();
  } finally {
    // Path only: the query of /callback carries the authorization code.
    console.log(`${req.method} ${urlPath} ${status}`);
  }
});

if (!(await fileAt(join(ROOT, 'index.html')))) {
  console.error(`static-server: ${join(ROOT, 'index.html')} is missing; build the app first (CSP_LOOPBACK=1 scripts/release-build).`);
  process.exit(1);
}

server.listen(PORT, HOST, () => console.log(`static-server: serving ${ROOT} on http://${HOST}:${PORT}${BASE}`
  + `${RESPONSE_DELAY_MS ? `, each response delayed ${RESPONSE_DELAY_MS} ms` : ''}`));
server.on('error', (err) => {
  console.error(`static-server: cannot listen on ${HOST}:${PORT}: ${err.message}`);
  process.exit(1);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
