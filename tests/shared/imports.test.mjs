// Keeps tests/shared/ what its modules promise: the constants and the browserless helpers that the test servers, the
// Playwright specs, the WebDriver suites and the benchmark share import node: builtins and each other only, so that a
// server or a WebDriver suite never pulls in Playwright (or a server selenium) through them. Read from the sources
// (the import graph, statically), and once more by importing tests/shared/ in a plain node process that refuses to
// resolve anything else.
//
//   node --test tests/shared/imports.test.mjs      (under a second, no browser; scripts/test runs it)

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TESTS = new URL('../', import.meta.url);
const SHARED = new URL('./', import.meta.url);
const SHARED_MODULES = readdirSync(SHARED).filter((f) => f.endsWith('.mjs') && !f.endsWith('.test.mjs'))
  .map((f) => new URL(f, SHARED));
const inTests = (dir) => readdirSync(new URL(dir, TESTS)).filter((f) => f.endsWith('.mjs'))
  .map((f) => new URL(`${dir}${f}`, TESTS));

const PLAYWRIGHT = /^(@playwright\/|playwright(-core)?(\/|$))/;
const SELENIUM = /^selenium-webdriver(\/|$)/;

/**
 * The specifiers a module's source imports: static imports and re-exports (one or several lines), side-effect imports
 * and dynamic imports of a string literal. Lines that are comments are left out.
 */
function specifiersOf(source) {
  const code = source.split('\n').filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line)).join('\n');
  const found = [];
  const staticImport = /(?:^|[;\s])(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?['"]([^'"\n]+)['"]/;
  const dynamicImport = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/;
  const pattern = new RegExp(`${staticImport.source}|${dynamicImport.source}`, 'g');
  for (const match of code.matchAll(pattern)) found.push(match[1] ?? match[2]);
  return found;
}

/**
 * The import graph from `entry` (a file URL), following relative specifiers: every module reached, and every other
 * specifier (packages, node: builtins) with the chain of modules that leads to it.
 */
function importGraph(entry) {
  const modules = new Set();
  const external = [];
  const visit = (url, chain) => {
    if (modules.has(url.href)) return;
    modules.add(url.href);
    for (const specifier of specifiersOf(readFileSync(url, 'utf8'))) {
      if (/^\.\.?\//.test(specifier)) visit(new URL(specifier, url), [...chain, specifier]);
      else external.push({ specifier, chain: [...chain, specifier].join(' -> ') });
    }
  };
  visit(entry, [fileURLToPath(entry).slice(fileURLToPath(TESTS).length)]);
  return { modules, external };
}

test('the scanner finds every form of import', () => {
  const source = [
    "import assert from 'node:assert/strict';",
    'import {',
    '  a, b as c,',
    "} from './multi-line.mjs';",
    "export * from '../re-exported.mjs';",
    "export { d } from \"./double-quoted.mjs\";",
    "import './side-effect.mjs';",
    "const lazy = await import('lazy-package');",
    "// import x from 'a-comment';",
    "export const NOT_AN_IMPORT = 'from here';",
  ].join('\n');
  assert.deepEqual(specifiersOf(source), [
    'node:assert/strict', './multi-line.mjs', '../re-exported.mjs', './double-quoted.mjs', './side-effect.mjs',
    'lazy-package',
  ]);
});

test('tests/shared/ imports node: builtins and itself, nothing else', () => {
  assert.ok(SHARED_MODULES.some((url) => url.href.endsWith('/constants.mjs')), 'tests/shared/constants.mjs is there');
  for (const entry of SHARED_MODULES) {
    const { modules, external } = importGraph(entry);
    for (const href of modules) {
      assert.ok(href.startsWith(SHARED.href), `${fileURLToPath(entry)} reaches ${href}, outside tests/shared/`);
    }
    assert.deepEqual(external.filter(({ specifier }) => !specifier.startsWith('node:')).map(({ chain }) => chain), [],
      `${fileURLToPath(entry)} imports only node: builtins`);
  }
});

test('the test servers and the browserless self-checks reach neither Playwright nor selenium', () => {
  const entries = ['provider/server.mjs', 'resource/server.mjs', 'resource/selfcheck.test.mjs', 'hostile/server.mjs',
    'hostile/selfcheck.mjs', 'e2e/static-server.mjs'].map((path) => new URL(path, TESTS));
  for (const entry of entries) {
    const { modules, external } = importGraph(entry);
    assert.ok(modules.has(new URL('constants.mjs', SHARED).href),
      `${fileURLToPath(entry)} takes tests/shared/constants.mjs`);
    assert.deepEqual(external.filter(({ specifier }) => PLAYWRIGHT.test(specifier) || SELENIUM.test(specifier))
      .map(({ chain }) => chain), [], `${fileURLToPath(entry)} imports no browser driver`);
  }
});

test('the WebDriver suites (Firefox, WebKit) never reach Playwright', () => {
  const entries = [...inTests('webdriver/'), ...inTests('firefox/'), ...inTests('webkit/')];
  assert.ok(entries.length >= 4, 'the WebDriver harness, its scenarios and the suites are found');
  for (const entry of entries) {
    const { external } = importGraph(entry);
    assert.ok(external.some(({ specifier }) => SELENIUM.test(specifier)), `${fileURLToPath(entry)} drives selenium`);
    assert.deepEqual(external.filter(({ specifier }) => PLAYWRIGHT.test(specifier)).map(({ chain }) => chain), [],
      `${fileURLToPath(entry)} does not load Playwright`);
  }
});

test('importing tests/shared/ in a plain node process resolves nothing else and prints nothing', () => {
  // A resolve hook that refuses whatever is neither a node: builtin nor in tests/shared/, registered before the
  // modules are imported: a dynamic import or a package a static scan could miss fails the import.
  const dir = mkdtempSync(join(tmpdir(), 'tests-shared-'));
  try {
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(hooks, `
      const ALLOWED = ${JSON.stringify(SHARED.href)};
      export async function resolve(specifier, context, nextResolve) {
        const resolved = await nextResolve(specifier, context);
        if (context.parentURL?.startsWith(ALLOWED)
          && !resolved.url.startsWith('node:') && !resolved.url.startsWith(ALLOWED)) {
          throw new Error(\`\${context.parentURL} imports \${specifier}: tests/shared/ takes node: builtins only\`);
        }
        return resolved;
      }
    `);
    const register = join(dir, 'register.mjs');
    writeFileSync(register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const imports = SHARED_MODULES.map((url) => `await import(${JSON.stringify(url.href)});`).join('\n');
    const args = ['--import', pathToFileURL(register).href, '--input-type=module', '-e', imports];
    const child = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    assert.equal(child.status, 0, `importing tests/shared/ failed:\n${child.stderr}`);
    assert.deepEqual([child.stdout, child.stderr], ['', ''], 'importing tests/shared/ prints nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
