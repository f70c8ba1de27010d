// Serves the release build (dist/) for the end-to-end tests, the way a static host with SPA fallback would:
// a path whose last segment has no file extension and names no file gets index.html, so /callback and /profile
// load the app. Nothing is cached, and no Referer leaks the callback's code to anyone.
//
//   DIST_DIR=dist APP_PORT=8081 node tests/e2e/static-server.mjs

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ROOT = resolve(process.env.DIST_DIR || join(REPO, 'dist'));
const PORT = Number(process.env.APP_PORT || 8081);
const HOST = process.env.APP_HOST || '127.0.0.1';

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

const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

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
  if (info) return { status: 200, path, info };
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
  let status;
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      status = 405;
      res.writeHead(status, { ...COMMON_HEADERS, Allow: 'GET, HEAD' }).end();
      return;
    }
    const found = await route(urlPath);
    status = found.status;
    if (status !== 200) {
      res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(status === 404 ? 'not found\n' : 'bad request\n');
      return;
    }
    res.writeHead(200, {
      ...COMMON_HEADERS,
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
    if (!res.headersSent) res.writeHead(status, COMMON_HEADERS);
    res.end();
  } finally {
    // Path only: the query of /callback carries the authorization code.
    console.log(`${req.method} ${urlPath} ${status}`);
  }
});

if (!(await fileAt(join(ROOT, 'index.html')))) {
  console.error(`static-server: ${join(ROOT, 'index.html')} is missing; build the app first (trunk build --release).`);
  process.exit(1);
}

server.listen(PORT, HOST, () => console.log(`static-server: serving ${ROOT} on http://${HOST}:${PORT}/`));
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
