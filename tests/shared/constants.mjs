// Where the test servers run and who signs in at them: every constant that the test servers (tests/provider,
// tests/resource, tests/hostile, tests/e2e/static-server.mjs), the Playwright specs and their config (tests/e2e),
// the WebDriver suites (tests/webdriver, tests/firefox, tests/webkit) and the benchmark (bench/) share.
//
// It lives in tests/shared/, not in tests/e2e/, because it belongs to no one suite: a server or a WebDriver suite
// that imports it must not pull in Playwright, as it did when these lived in tests/e2e/support.mjs. So this module is
// data and pure functions only: it imports node: builtins alone, and importing it does nothing but read the
// environment (CHROMIUM_PATH, API_CLIENT_SECRET). tests/shared/imports.test.mjs holds it, and every module of
// tests/shared/, to that. The specs may keep importing these names from tests/e2e/support.mjs, which re-exports them.
//
// Not here: the ports a suite takes for itself alone, so that it never meets these servers (the WebDriver suites'
// in tests/webdriver/harness.mjs, tests/firefox/faults.test.mjs and tests/webkit/scenario.test.mjs; the benchmark's
// in bench/run.mjs), and what the second provider (tests/provider2, in Python) repeats of the client and the user in
// its fixture.

import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// --- The app ----------------------------------------------------------------------------------------------------

export const APP = 'http://127.0.0.1:8081';
export const APP_LOCALHOST = 'http://localhost:8081';
/** The same app built with `trunk build --public-url /some/app/` (dist-subpath/), served under that path. */
export const APP_SUBPATH = 'http://127.0.0.1:8082/some/app/';
/** The same build with its configuration inlined in the page (scripts/inline-config.mjs): inline-config.spec.mjs. */
export const APP_INLINE = 'http://127.0.0.1:8083';
/** The same build after the deploy step narrowed its policy to config.json's origins (scripts/deploy-csp.mjs),
 * with a config.json that signs out by POST: deploy-csp.spec.mjs. */
export const APP_DEPLOYED = 'http://127.0.0.1:8084';
/** Where playwright.config.mjs puts that copy of the build. */
export const DIST_DEPLOYED_DIR = join(tmpdir(), 'yew-oidc-spa-dist-deployed');
/** examples/minimal, the smallest app on the library (no router), its release build (examples/minimal/dist):
 * minimal.spec.mjs. */
export const APP_MINIMAL = 'http://127.0.0.1:8085';

// --- The client, the test user, and what the app keeps -----------------------------------------------------------

/** The app's client at every provider (tests/provider, tests/hostile; tests/provider2 repeats it). */
export const CLIENT_ID = 'yew-oidc-spa';
/** The one test user of the providers: how to sign in, and the name and email their claims carry. */
export const USER = { username: 'alice', password: 'wonderland', name: 'Alice Liddell', email: 'alice@example.com' };

export const STORAGE_PREFIX = 'yew-oidc:';
/**
 * Where an app keeps its records: the library names every storage key, its Web Lock, its tab channel and its
 * IndexedDB database after the app's instance (Config::instance: the client and its redirect URI's path), so that two
 * apps on one origin never touch each other's.
 */
export const namespaceOf = (clientId = CLIENT_ID, redirectPath = '/callback') =>
  `${STORAGE_PREFIX}${clientId}@${redirectPath}:`;
/** The demo's namespace at the root of its origin, with its own client. */
export const NAMESPACE = namespaceOf();
export const SESSION_KEY = `${NAMESPACE}session`;
export const TOKEN_FIELDS = ['access_token', 'id_token', 'refresh_token'];

/** SHA-256 of a token, base64url: how tests and the servers' test hooks name a token without showing it. */
export function fingerprint(token) {
  return createHash('sha256').update(token).digest('base64url');
}

// --- The browser ------------------------------------------------------------------------------------------------

/** Debian's Chromium (never a downloaded browser), and the flags that keep it off the closed network. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// --- The bundled provider (tests/provider/server.mjs) and its instances -------------------------------------------

export const PROVIDER = 'http://127.0.0.1:9000';
/**
 * A second instance of the bundled provider with short access tokens (ACCESS_TOKEN_TTL), so renewals happen
 * within seconds, and TEST_HOOKS=1, so it reports what its revocation endpoint received: lifecycle.spec.mjs.
 */
export const SHORT_PROVIDER = 'http://127.0.0.1:9001';
export const SHORT_ACCESS_TOKEN_TTL = 20;
/**
 * A third instance of the bundled provider that never rotates refresh tokens: every refresh is answered with the
 * very token it was sent (ROTATE_REFRESH_TOKENS=0), as Keycloak without rotation, IdentityServer with ReUse and
 * others do. Its access tokens live ECHO_ACCESS_TOKEN_TTL seconds, so renewals come every few seconds.
 */
export const ECHO_PROVIDER = 'http://127.0.0.1:9002';
export const ECHO_ACCESS_TOKEN_TTL = 10;
/**
 * A fourth instance of the bundled provider that requires a nonce in every DPoP proof (DPOP_NONCE=1, RFC 9449 8),
 * with TEST_HOOKS=1. Its tokens may be for API or for API_WITH_NONCES; its ID tokens carry no name
 * (ID_TOKEN_CLAIMS=minimal), so the app asks UserInfo for it: dpop.spec.mjs.
 */
export const DPOP_NONCE_PROVIDER = 'http://127.0.0.1:9003';
/**
 * A fifth instance of the bundled provider for faults.spec.mjs alone, so that its faults never reach another spec:
 * access tokens of FAULT_ACCESS_TOKEN_TTL seconds and TEST_HOOKS=1, with the fault switches, the request log and the
 * reuse grace window of tests/provider/server.mjs. Its tokens may be for API_FAULTS.
 */
export const FAULT_PROVIDER = 'http://127.0.0.1:9004';
export const FAULT_ACCESS_TOKEN_TTL = 10;
/**
 * A sixth instance of the bundled provider that requires DPoP nonces (DPOP_NONCE=1) and serves a resource of its own
 * on its origin (OWN_API=1: GET /own-api/me, with nonces of its own), so that an authorization server's nonces and
 * a resource server's meet on one origin. Its ID tokens carry the name, so the app never calls its UserInfo:
 * resource-hostile.spec.mjs.
 */
export const OWN_API_PROVIDER = 'http://127.0.0.1:9006';

// --- Pushed authorization requests (par.spec.mjs) ---------------------------------------------------------------

/**
 * A seventh instance of the bundled provider that requires pushed authorization requests (PAR=required, RFC 9126:
 * `require_pushed_authorization_requests`, a plain request refused at the authorization endpoint), with
 * TEST_HOOKS=1 for its fault switches (the route `pushed_authorization_request`).
 */
export const PAR_PROVIDER = 'http://127.0.0.1:9007';

// --- Other providers --------------------------------------------------------------------------------------------

/**
 * An independent implementation, django-oauth-toolkit (tests/provider2, port 9300), with the same client id and
 * test user. Its issuer has a path; its login page is Django's, outside the issuer's path: provider2.spec.mjs.
 */
export const PROVIDER2_ORIGIN = 'http://127.0.0.1:9300';
export const PROVIDER2 = `${PROVIDER2_ORIGIN}/o`;
export const PROVIDER2_LOGIN = { provider: PROVIDER2, loginPage: `${PROVIDER2_ORIGIN}/accounts/login/` };
/** The hostile providers (tests/hostile/server.mjs), one issuer per case under this origin: hostile.spec.mjs. */
export const HOSTILE = 'http://127.0.0.1:9100';

// --- The demo API (tests/resource/server.mjs) and its instances ---------------------------------------------------
// What the bundled provider and the demo API must agree on, too: the API's client registration at the provider (it
// introspects tokens as this confidential client) and its resource identifiers.

/** The API's client at the provider: no grant types, no redirect URIs; it only calls the introspection endpoint. */
export const API_CLIENT_ID = 'demo-api';
/**
 * The `demo-api` client's secret (client_secret_basic). A test constant, public like everything in this repository:
 * the provider and the API are loopback fixtures. API_CLIENT_SECRET overrides it, for both at once.
 */
export const API_CLIENT_SECRET = process.env.API_CLIENT_SECRET || 'demo-api-test-secret-0123456789abcdef';
/** The one scope the API defines; an app asks for it next to its OpenID scopes. The API does not require it. */
export const API_SCOPE = 'api:read';

/**
 * The demo API (RESOURCE_PORT 9200, TEST_HOOKS=1): a resource server of the bundled providers that checks access
 * tokens by introspection and reports what reached it: api.spec.mjs, dpop.spec.mjs, minimal.spec.mjs.
 */
export const API = 'http://127.0.0.1:9200';
/** The demo API's port when RESOURCE_PORT does not name one. */
export const DEFAULT_API_PORT = Number(new URL(API).port);
/**
 * An API's resource identifier (RFC 8707 2): its base URL with the trailing slash a URL parser adds anyway, so
 * an app that normalizes the configured `resource` sends the very same string.
 */
export const resourceIdentifier = (port = DEFAULT_API_PORT) => `http://127.0.0.1:${port}/`;
/** Its resource identifier, which the bundled providers know (their API_RESOURCES default). */
export const API_RESOURCE = resourceIdentifier(DEFAULT_API_PORT);
/**
 * A second instance of the demo API that requires a nonce in every DPoP proof (DPOP_NONCE=1, RFC 9449 9), a
 * resource server of PROVIDER and DPOP_NONCE_PROVIDER, with TEST_HOOKS=1: dpop.spec.mjs.
 */
export const API_WITH_NONCES = 'http://127.0.0.1:9203';
export const API_WITH_NONCES_RESOURCE = resourceIdentifier(Number(new URL(API_WITH_NONCES).port));
/** A third instance of the demo API, a resource server of FAULT_PROVIDER only, with its fault switch (TEST_HOOKS). */
export const API_FAULTS = 'http://127.0.0.1:9204';
export const API_FAULTS_RESOURCE = resourceIdentifier(Number(new URL(API_FAULTS).port));
/**
 * A fourth instance of the demo API, a resource server of PROVIDER, for resource-hostile.spec.mjs alone: its fault
 * switches (TEST_HOOKS) redirect (to its own /landing, or to API's: REDIRECT_ORIGIN) or ask for DPoP nonces for ever.
 */
export const HOSTILE_API = 'http://127.0.0.1:9206';
export const HOSTILE_API_RESOURCE = resourceIdentifier(Number(new URL(HOSTILE_API).port));
