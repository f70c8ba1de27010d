// Deploy step: narrows a release build's Content-Security-Policy to one deployment's origins. A build made without
// CSP_CONNECT_SRC lets the app fetch from, and post forms to, any https origin (`connect-src 'self' https:`,
// `form-action 'self' https:`), because it does not know where it will be deployed; config.json does. This reads
// config.json and, unless config.json pins authorization_endpoint, token_endpoint and jwks_uri (then the app makes
// no discovery request either), the provider's discovery document, and puts the policy of csp.mjs's
// deploymentPolicy() into the build: connect-src 'self', the issuer's origin, the origins of the token, JWKS,
// UserInfo and revocation endpoints, and every `api_origins` entry; form-action 'self' and the provider sign-out's
// origin. It rewrites the <meta> policy of index.html and 404.html (renewing their .gz/.br copies) and the policy
// line of _headers (frame-ancestors kept; any other line of the file is left as it is), then prints the policy, so
// you can send it as a header where _headers means nothing (nginx, CloudFront).
//
// Run it after editing config.json, and again after every edit of its origins or of the provider; it is safe to run
// again (the same config gives the same files). Like inline-config.mjs, it works on the built directory, before the
// upload, and the two may run in either order. The build's loopback sources (CSP_LOOPBACK=1) do not survive it:
// the deployment's own origins replace them.
//
//   node scripts/deploy-csp.mjs [dist-dir] [config-file] [--offline]   (defaults: dist, <dist-dir>/config.json)
//
// --offline: no discovery request; the policy names only the origins config.json gives (the issuer's, the pinned
// endpoints', api_origins, logout), and takes an endpoint config.json does not pin as on the issuer's origin (the
// sign-out too, for form-action). Endpoints the discovery document places elsewhere are then refused by the
// browser: pin them in config.json. A discovery request that fails is an error, never a quiet --offline.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  FETCHED_ENDPOINTS, deploymentPolicy, discoveryUrl, headerPolicy, metaPolicy, needsDiscovery,
} from './csp.mjs';
import { precompress } from './precompress.mjs';

const META = /<meta http-equiv="Content-Security-Policy" content="[^"]*" \/>/g;
const HEADER = /^([ \t]+Content-Security-Policy:)[^\n]*$/gm;

/** `text` with the one match of `pattern` replaced by `replacement`; `what` names the file in the error. */
function replaceOnce(text, pattern, replacement, what) {
  const found = text.match(pattern) ?? [];
  if (found.length !== 1) {
    throw new Error(`${what} has ${found.length === 0 ? 'no' : found.length} Content-Security-Policy `
      + `${found.length === 0 ? 'to replace' : 'policies, not one'}: not a release build of this app `
      + '(scripts/release-build or trunk build --release)?');
  }
  return text.replace(pattern, replacement);
}

/** A page (index.html, 404.html) with its <meta> policy set to `policy` (metaPolicy's output). */
export function withMetaPolicy(html, policy, what = 'index.html') {
  return replaceOnce(html, META, () => `<meta http-equiv="Content-Security-Policy" content="${policy}" />`, what);
}

/** _headers with its Content-Security-Policy line set to `policy` (headerPolicy's output); other lines kept. */
export function withHeaderPolicy(text, policy, what = '_headers') {
  return replaceOnce(text, HEADER, (_line, name) => `${name} ${policy}`, what);
}

/** The provider's discovery document for `config`, fetched; a failure says how to do without. */
export async function fetchDiscovery(config, { fetch = globalThis.fetch, timeoutMs = 15_000 } = {}) {
  const url = discoveryUrl(config.issuer);
  const offline = 'Check the issuer and your network, or run with --offline to use config.json\'s origins only '
    + '(then pin in config.json any endpoint that is not on the issuer\'s origin).';
  let res;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(`could not fetch the discovery document ${url}: ${err.cause?.message ?? err.message}. ${offline}`);
  }
  if (!res.ok) throw new Error(`the discovery document ${url} answered ${res.status}. ${offline}`);
  let doc;
  try {
    doc = await res.json();
  } catch {
    throw new Error(`the discovery document ${url} is not JSON. ${offline}`);
  }
  // OIDC Discovery 4.3, checked by the app too: a document for another issuer would fail every sign-in.
  if (doc?.issuer !== config.issuer) {
    throw new Error(`the discovery document ${url} names the issuer ${JSON.stringify(doc?.issuer)}, not config.json's `
      + `${JSON.stringify(config.issuer)}: the app would refuse it. Fix the issuer in config.json.`);
  }
  return doc;
}

/**
 * Writes the policy for `config` (and `discovery`) into the build in `dist`: the pages' <meta> (and their .gz/.br
 * copies) and _headers. Returns `{ policy, files }`: the options given to csp.mjs and the files rewritten.
 */
export function deployPolicyInto(dist, config, discovery = {}) {
  const policy = deploymentPolicy(config, discovery);
  const files = [];
  const pages = ['index.html', '404.html'].map((page) => join(dist, page)).filter((path) => existsSync(path));
  if (!pages.some((path) => path.endsWith('index.html'))) throw new Error(`${join(dist, 'index.html')} is missing`);
  // Everything is computed before anything is written: a page that cannot be read leaves the build as it was.
  const writes = pages.map((path) => [path, withMetaPolicy(readFileSync(path, 'utf8'), metaPolicy(policy), path)]);
  const headers = join(dist, '_headers');
  if (existsSync(headers)) {
    writes.push([headers, withHeaderPolicy(readFileSync(headers, 'utf8'), headerPolicy(policy), headers)]);
  }
  for (const [path, text] of writes) {
    writeFileSync(path, text);
    if (path.endsWith('.html')) precompress(path);
    files.push(path);
  }
  return { policy, files };
}

async function main(args) {
  const offline = args.includes('--offline');
  const positional = args.filter((arg) => arg !== '--offline');
  if (positional.length > 2 || positional.some((arg) => arg.startsWith('-'))) {
    console.error('usage: node scripts/deploy-csp.mjs [dist-dir] [config-file] [--offline]');
    process.exit(2);
  }
  const dist = positional[0] || 'dist';
  const configFile = positional[1] || join(dist, 'config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  if (typeof config?.issuer !== 'string') throw new Error(`${configFile} has no issuer`);

  let discovery = {};
  if (!needsDiscovery(config)) {
    console.log('deploy-csp: config.json pins authorization_endpoint, token_endpoint and jwks_uri: no discovery');
  } else if (offline) {
    // What discovery would have said, taken as on the issuer's origin: connect-src has that origin anyway, and a
    // sign-out by POST needs it in form-action unless config.json names the sign-out endpoint.
    discovery = { end_session_endpoint: config.issuer };
    const unpinned = [...FETCHED_ENDPOINTS, 'end_session_endpoint'].filter((field) => config[field] == null);
    console.error('deploy-csp: --offline: no discovery request, so these are taken as on the issuer\'s origin: '
      + `${unpinned.join(', ')}. Pin in config.json any that live elsewhere.`);
  } else {
    console.log(`deploy-csp: reading ${discoveryUrl(config.issuer)}`);
    discovery = await fetchDiscovery(config);
  }

  const { policy, files } = deployPolicyInto(dist, config, discovery);
  console.log(`deploy-csp: connect-src ${policy.connectSrc}`);
  console.log(`deploy-csp: form-action ${policy.formAction}`);
  for (const path of files) console.log(`deploy-csp: ${path} carries it`);
  if (!files.some((path) => path.endsWith('_headers'))) {
    console.log(`deploy-csp: no ${join(dist, '_headers')}: send the header below yourself`);
  }
  console.log(`Content-Security-Policy: ${headerPolicy(policy)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`deploy-csp: ${err.message}`);
    process.exit(1);
  });
}
