// Unit tests of scripts/module-cycles.mjs: the paths it reads and the cycles it finds.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { codeOf, crateGraph, cycles, modulePath, references } from './module-cycles.mjs';

test('files name their modules', () => {
  assert.equal(modulePath('lib.rs'), '');
  assert.equal(modulePath('auth/mod.rs'), 'auth');
  assert.equal(modulePath('auth/flow.rs'), 'auth::flow');
});

test('crate, super and self paths, grouped or not, count; tests, comments and strings do not', () => {
  const modules = new Set(['auth', 'auth::flow', 'auth::sign_out', 'browser', 'browser::http', 'oidc']);
  const code = codeOf(`use super::sign_out::revoke;
use crate::browser::{http, clock::now};
// use crate::oidc::nothing;
const A: &str = "crate::oidc::x";
#[cfg(test)]
mod tests { use crate::oidc::Thing; }`);
  assert.deepEqual([...references(code, 'auth::flow', modules)].sort(), ['auth::sign_out', 'browser', 'browser::http']);
  assert.deepEqual([...references('use self::flow::x;', 'auth', modules)], [], 'a parent naming its child');
  assert.deepEqual([...references('use super::flow;', 'auth::sign_out', modules)], ['auth::flow']);
});

test('cycles are the strongly connected components of more than one module', () => {
  const graph = new Map([
    ['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])], ['e', new Set()],
  ]);
  assert.deepEqual(cycles(graph), [['a', 'b', 'c']]);
  assert.deepEqual(cycles(new Map([['a', new Set(['b'])], ['b', new Set()]])), []);
});

test('a crate on disk: a two-module cycle is found, and gone once one edge is', () => {
  const src = mkdtempSync(join(tmpdir(), 'cycles-'));
  mkdirSync(join(src, 'auth'));
  writeFileSync(join(src, 'lib.rs'), 'mod auth;');
  writeFileSync(join(src, 'auth', 'mod.rs'), 'mod flow; mod sign_out;');
  writeFileSync(join(src, 'auth', 'flow.rs'), 'use super::sign_out::revoke;');
  writeFileSync(join(src, 'auth', 'sign_out.rs'), 'use super::flow::metadata;');
  assert.deepEqual(cycles(crateGraph(src)), [['auth::flow', 'auth::sign_out']]);
  writeFileSync(join(src, 'auth', 'sign_out.rs'), 'use crate::auth::documents::metadata;');
  assert.deepEqual(cycles(crateGraph(src)), []);
});
