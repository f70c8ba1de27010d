// End-to-end tests: Debian's Chromium (never a downloaded browser) drives the release build of the app, served
// by static-server.mjs on 127.0.0.1:8081, against the bundled provider on 127.0.0.1:9000 and, in hostile.spec.mjs,
// the hostile providers of tests/hostile on 127.0.0.1:9100, and in lifecycle.spec.mjs a second bundled provider with
// short access-token lifetimes on 127.0.0.1:9001 and a third that never rotates refresh tokens on 127.0.0.1:9002,
// and in api.spec.mjs the demo API of tests/resource on 127.0.0.1:9200, a resource server of those three; and
// in scenario.spec.mjs the build for a path (dist-subpath/) on 127.0.0.1:8082 under /some/app/; in
// inline-config.spec.mjs a copy of dist/ with its configuration inlined on 127.0.0.1:8083; and in
// deploy-csp.spec.mjs a copy of dist/ whose policy scripts/deploy-csp.mjs narrowed on 127.0.0.1:8084; and in
// provider2.spec.mjs a second, independent provider (django-oauth-toolkit, tests/provider2) on 127.0.0.1:9300; and in
// dpop.spec.mjs a fourth bundled provider that requires DPoP nonces on 127.0.0.1:9003 and a second demo API that
// requires them on 127.0.0.1:9203; and in faults.spec.mjs a fifth bundled provider with the fault switches on
// 127.0.0.1:9004 and a third demo API, its resource server, on 127.0.0.1:9204; and in resource-hostile.spec.mjs a
// fourth demo API whose switches redirect or ask for DPoP nonces for ever on 127.0.0.1:9206 (a resource server of the
// provider on 9000; its cross-origin redirect goes to the demo API on 9200), and a sixth bundled provider that
// requires DPoP nonces and serves a resource of its own on its origin on 127.0.0.1:9006; and in minimal.spec.mjs the
// release build of examples/minimal (examples/minimal/dist) on 127.0.0.1:8085; and in par.spec.mjs a seventh bundled
// provider that requires pushed authorization requests on 127.0.0.1:9007.
//
//   CSP_LOOPBACK=1 scripts/release-build   (or with stable Rust: CSP_LOOPBACK=1 trunk build --release --dist dist-stable, DIST_DIR=dist-stable)
//   CSP_LOOPBACK=1 scripts/release-build --public-url /some/app/ --dist dist-subpath
//   (cd examples/minimal && trunk build --release)
//   npx playwright test -c tests/e2e/playwright.config.mjs

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { defineConfig } from '@playwright/test';

import {
  API, API_FAULTS, API_FAULTS_RESOURCE, API_RESOURCE, API_WITH_NONCES, API_WITH_NONCES_RESOURCE, APP, APP_DEPLOYED,
  APP_INLINE, APP_MINIMAL, APP_SUBPATH, CHROMIUM, CHROMIUM_ARGS, DIST_DEPLOYED_DIR, DPOP_NONCE_PROVIDER,
  ECHO_ACCESS_TOKEN_TTL, ECHO_PROVIDER, FAULT_ACCESS_TOKEN_TTL, FAULT_PROVIDER, HOSTILE, HOSTILE_API,
  HOSTILE_API_RESOURCE, OWN_API_PROVIDER, PAR_PROVIDER, PROVIDER, PROVIDER2, SHORT_ACCESS_TOKEN_TTL, SHORT_PROVIDER,
} from '../shared/constants.mjs';
import { requireLoopbackBuild } from '../shared/loopback-build.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DIST_DIR = resolve(process.env.DIST_DIR || join(REPO, 'dist'));
// The same app built to live under a path, served there (scenario.spec.mjs runs the scenario at both).
const SUBPATH = new URL(APP_SUBPATH);
const DIST_SUBPATH_DIR = resolve(process.env.DIST_SUBPATH_DIR || join(REPO, 'dist-subpath'));
// The smallest app on the library, built as a dependent builds it (minimal.spec.mjs).
const DIST_MINIMAL_DIR = resolve(process.env.DIST_MINIMAL_DIR || join(REPO, 'examples/minimal/dist'));

for (const [dir, build] of [
  [DIST_DIR, 'CSP_LOOPBACK=1 scripts/release-build (or, with stable Rust, CSP_LOOPBACK=1 trunk build --release)'],
  [DIST_SUBPATH_DIR, `CSP_LOOPBACK=1 scripts/release-build --public-url ${SUBPATH.pathname} --dist dist-subpath`],
  [DIST_MINIMAL_DIR, '(cd examples/minimal && trunk build --release)'],
]) {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`${join(dir, 'index.html')} is missing: build the app first with \`${build}\` `
      + '(scripts/test does this before the end-to-end tests).');
  }
  requireLoopbackBuild(dir);
}
if (!existsSync(CHROMIUM)) {
  throw new Error(`Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install chromium) `
    + 'or set CHROMIUM_PATH. These tests never download a browser.');
}

// A copy of the build with its configuration inlined by scripts/inline-config.mjs, as a deployment that ran it has
// it, for inline-config.spec.mjs. Made once, by the main process, before the servers start (workers load this file
// too).
const DIST_INLINE_DIR = join(tmpdir(), 'yew-oidc-spa-dist-inline');
if (process.env.TEST_WORKER_INDEX === undefined) {
  rmSync(DIST_INLINE_DIR, { recursive: true, force: true });
  cpSync(DIST_DIR, DIST_INLINE_DIR, { recursive: true });
  execFileSync(process.execPath, [join(REPO, 'scripts/inline-config.mjs'), DIST_INLINE_DIR], { stdio: 'ignore' });
}

// A copy of the build for deploy-csp.spec.mjs, with a config.json that signs out by POST. The deploy step itself
// (scripts/deploy-csp.mjs, which reads the provider's discovery document) runs in the command of its server below,
// listed after the provider's: Playwright starts the servers one after another, each once the one before answers.
if (process.env.TEST_WORKER_INDEX === undefined) {
  rmSync(DIST_DEPLOYED_DIR, { recursive: true, force: true });
  cpSync(DIST_DIR, DIST_DEPLOYED_DIR, { recursive: true });
  const config = JSON.parse(readFileSync(join(DIST_DIR, 'config.json'), 'utf8'));
  const signingOutByPost = { ...config, logout_method: 'post' };
  writeFileSync(join(DIST_DEPLOYED_DIR, 'config.json'), `${JSON.stringify(signingOutByPost, null, 2)}\n`);
}
// Every app server's port, for the provider's redirect URIs and CORS, and the demo API's CORS.
const APP_PORTS = [APP, APP_SUBPATH, APP_INLINE, APP_DEPLOYED, APP_MINIMAL].map((url) => new URL(url).port);

const serverDefaults = {
  cwd: REPO,
  reuseExistingServer: !process.env.CI,
  timeout: 30_000,
  stdout: 'pipe',
  stderr: 'pipe',
  gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
};

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.mjs',
  outputDir: join(REPO, 'test-results'),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: APP,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: [
    {
      ...serverDefaults,
      name: 'provider',
      command: 'node tests/provider/server.mjs',
      url: `${PROVIDER}/.well-known/openid-configuration`,
      // Three demo APIs: dpop.spec.mjs calls the one that requires nonces with this provider's tokens,
      // resource-hostile.spec.mjs the hostile one.
      env: {
        PROVIDER_PORT: new URL(PROVIDER).port,
        API_RESOURCES: [API_RESOURCE, API_WITH_NONCES_RESOURCE, HOSTILE_API_RESOURCE].join(','),
        APP_PORTS: ['8080', ...APP_PORTS].join(','),
      },
    },
    {
      ...serverDefaults,
      name: 'provider-short-lived',
      command: 'node tests/provider/server.mjs',
      url: `${SHORT_PROVIDER}/.well-known/openid-configuration`,
      env: {
        PROVIDER_PORT: new URL(SHORT_PROVIDER).port,
        ACCESS_TOKEN_TTL: String(SHORT_ACCESS_TOKEN_TTL),
        TEST_HOOKS: '1',
      },
    },
    {
      ...serverDefaults,
      name: 'provider-echoing-refresh-tokens',
      command: 'node tests/provider/server.mjs',
      url: `${ECHO_PROVIDER}/.well-known/openid-configuration`,
      env: {
        PROVIDER_PORT: new URL(ECHO_PROVIDER).port,
        ACCESS_TOKEN_TTL: String(ECHO_ACCESS_TOKEN_TTL),
        ROTATE_REFRESH_TOKENS: '0',
        TEST_HOOKS: '1',
      },
    },
    {
      ...serverDefaults,
      name: 'provider-requiring-dpop-nonces',
      command: 'node tests/provider/server.mjs',
      url: `${DPOP_NONCE_PROVIDER}/.well-known/openid-configuration`,
      env: {
        PROVIDER_PORT: new URL(DPOP_NONCE_PROVIDER).port,
        DPOP_NONCE: '1',
        // The name in UserInfo only, so that a sign-in there makes the app call UserInfo with DPoP.
        ID_TOKEN_CLAIMS: 'minimal',
        API_RESOURCES: `${API_RESOURCE},${API_WITH_NONCES_RESOURCE}`,
        TEST_HOOKS: '1',
      },
    },
    {
      ...serverDefaults,
      name: 'provider-with-faults',
      command: 'node tests/provider/server.mjs',
      url: `${FAULT_PROVIDER}/.well-known/openid-configuration`,
      env: {
        PROVIDER_PORT: new URL(FAULT_PROVIDER).port,
        ACCESS_TOKEN_TTL: String(FAULT_ACCESS_TOKEN_TTL),
        API_RESOURCES: API_FAULTS_RESOURCE,
        TEST_HOOKS: '1',
      },
    },
    {
      ...serverDefaults,
      name: 'api-with-faults',
      command: 'node tests/resource/server.mjs',
      url: `${API_FAULTS}/__test/calls`,
      env: { RESOURCE_PORT: new URL(API_FAULTS).port, PROVIDERS: FAULT_PROVIDER, TEST_HOOKS: '1' },
    },
    {
      ...serverDefaults,
      name: 'api',
      command: 'node tests/resource/server.mjs',
      url: `${API}/__test/calls`,
      env: {
        RESOURCE_PORT: new URL(API).port,
        PROVIDERS: [PROVIDER, SHORT_PROVIDER, ECHO_PROVIDER, DPOP_NONCE_PROVIDER].join(','),
        TEST_HOOKS: '1',
        APP_PORTS: ['8080', ...[APP, APP_DEPLOYED, APP_MINIMAL].map((url) => new URL(url).port)].join(','),
      },
    },
    {
      ...serverDefaults,
      name: 'api-requiring-dpop-nonces',
      command: 'node tests/resource/server.mjs',
      url: `${API_WITH_NONCES}/__test/calls`,
      env: {
        RESOURCE_PORT: new URL(API_WITH_NONCES).port,
        PROVIDERS: [PROVIDER, DPOP_NONCE_PROVIDER].join(','),
        DPOP_NONCE: '1',
        TEST_HOOKS: '1',
      },
    },
    {
      ...serverDefaults,
      name: 'api-hostile',
      command: 'node tests/resource/server.mjs',
      url: `${HOSTILE_API}/__test/calls`,
      env: {
        RESOURCE_PORT: new URL(HOSTILE_API).port, PROVIDERS: PROVIDER, TEST_HOOKS: '1', REDIRECT_ORIGIN: API,
      },
    },
    {
      ...serverDefaults,
      name: 'provider-with-its-own-api',
      command: 'node tests/provider/server.mjs',
      url: `${OWN_API_PROVIDER}/.well-known/openid-configuration`,
      env: { PROVIDER_PORT: new URL(OWN_API_PROVIDER).port, DPOP_NONCE: '1', OWN_API: '1' },
    },
    {
      ...serverDefaults,
      name: 'provider-requiring-par',
      command: 'node tests/provider/server.mjs',
      url: `${PAR_PROVIDER}/.well-known/openid-configuration`,
      env: { PROVIDER_PORT: new URL(PAR_PROVIDER).port, PAR: 'required', TEST_HOOKS: '1' },
    },
    {
      ...serverDefaults,
      name: 'provider2',
      // scripts/setup installs it (tests/provider2/install); it migrates a fresh sqlite database before it listens.
      command: '.venv-provider2/bin/python tests/provider2/server.py',
      url: `${PROVIDER2}/.well-known/openid-configuration`,
      timeout: 90_000,
      env: { PROVIDER2_PORT: new URL(PROVIDER2).port, PYTHONUNBUFFERED: '1' },
    },
    {
      ...serverDefaults,
      name: 'hostile',
      command: 'node tests/hostile/server.mjs',
      url: `${HOSTILE}/good/.well-known/openid-configuration`,
      env: { HOSTILE_PORT: new URL(HOSTILE).port },
    },
    {
      ...serverDefaults,
      name: 'app',
      command: 'node tests/e2e/static-server.mjs',
      url: `${APP}/index.html`,
      env: { DIST_DIR, APP_PORT: new URL(APP).port },
    },
    {
      ...serverDefaults,
      name: 'app-with-inlined-config',
      command: 'node tests/e2e/static-server.mjs',
      url: `${APP_INLINE}/index.html`,
      env: { DIST_DIR: DIST_INLINE_DIR, APP_PORT: new URL(APP_INLINE).port },
    },
    {
      ...serverDefaults,
      name: 'app-deployed',
      // The deploy step as a deployment runs it, on the copy, against the provider above; then the copy is served.
      command: `node scripts/deploy-csp.mjs ${JSON.stringify(DIST_DEPLOYED_DIR)} && node tests/e2e/static-server.mjs`,
      url: `${APP_DEPLOYED}/index.html`,
      env: { DIST_DIR: DIST_DEPLOYED_DIR, APP_PORT: new URL(APP_DEPLOYED).port },
    },
    {
      ...serverDefaults,
      name: 'app-minimal',
      command: 'node tests/e2e/static-server.mjs',
      url: `${APP_MINIMAL}/index.html`,
      env: { DIST_DIR: DIST_MINIMAL_DIR, APP_PORT: new URL(APP_MINIMAL).port },
    },
    {
      ...serverDefaults,
      name: 'app-under-a-path',
      command: 'node tests/e2e/static-server.mjs',
      url: `${APP_SUBPATH}index.html`,
      env: { DIST_DIR: DIST_SUBPATH_DIR, APP_PORT: SUBPATH.port, BASE_PATH: SUBPATH.pathname },
    },
  ],
});
