// The names of the release wasm's functions, for bench/trace.mjs: the shipped wasm has no name section (wasm-opt
// drops it), so a CPU profile shows its functions as `wasm-function[N]`. Trunk keeps wasm-bindgen's output, names
// included, in its staging directory (target/[nightly/]wasm-bindgen/release/<name>_bg.wasm) and wasm-opt's beside
// it; this runs wasm-opt again on that output with index.html's level and parameters plus `-g` (keep the names),
// and uses the names only if the result without its name section is byte for byte the wasm under measurement, so
// every function index means the same function in both. Cached in the system's temporary directory by the wasm's
// SHA-256 (wasm-opt takes 15-20 s). Returns undefined, saying why, when no staging output matches.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

// Reads a LEB128 unsigned integer at `at.p` and moves past it.
function leb(bytes, at) {
  let result = 0;
  let scale = 1;
  let byte;
  do {
    byte = bytes[at.p];
    at.p += 1;
    result += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80);
  return result;
}

// The module's sections as { id, name (custom sections), start, end } over the whole section, header included.
function sections(bytes) {
  const out = [];
  const at = { p: 8 };
  while (at.p < bytes.length) {
    const start = at.p;
    const id = bytes[at.p];
    at.p += 1;
    const size = leb(bytes, at);
    const bodyStart = at.p;
    let name;
    if (id === 0) {
      const length = leb(bytes, at);
      name = bytes.subarray(at.p, at.p + length).toString('utf8');
    }
    at.p = bodyStart + size;
    out.push({ id, name, start, end: at.p, bodyStart });
  }
  return out;
}

/** The module without its `name` custom section. */
export function withoutNames(bytes) {
  const kept = [bytes.subarray(0, 8)];
  for (const s of sections(bytes)) if (s.name !== 'name') kept.push(bytes.subarray(s.start, s.end));
  return Buffer.concat(kept);
}

/** Function index (imports included, as V8's `wasm-function[N]`) to name, from the `name` section. */
export function functionNames(bytes) {
  const names = new Map();
  const section = sections(bytes).find((s) => s.name === 'name');
  if (!section) return names;
  const at = { p: section.bodyStart };
  at.p += leb(bytes, at); // the custom section's own name
  while (at.p < section.end) {
    const kind = bytes[at.p];
    at.p += 1;
    const size = leb(bytes, at);
    const next = at.p + size;
    if (kind === 1) {
      for (let n = leb(bytes, at); n > 0; n -= 1) {
        const index = leb(bytes, at);
        const length = leb(bytes, at);
        names.set(index, bytes.subarray(at.p, at.p + length).toString('utf8'));
        at.p += length;
      }
    }
    at.p = next;
  }
  return names;
}

// `data-wasm-opt` and `data-wasm-opt-params` of the Rust link in the source index.html.
function wasmOptArgs(indexHtml) {
  const html = readFileSync(indexHtml, 'utf8');
  const link = html.match(/<link\b[^>]*data-trunk[^>]*rel="rust"[^>]*>/s)?.[0] ?? '';
  const level = link.match(/data-wasm-opt="([^"]+)"/)?.[1];
  const params = link.match(/data-wasm-opt-params="([^"]*)"/)?.[1].split(/\s+/).filter(Boolean) ?? [];
  return level ? { level, params } : undefined;
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * Names for the functions of `wasmPath` (a release build of this repository), or undefined with the reason in
 * `why`. `repo` is the repository root (index.html, target/); CARGO_TARGET_DIR is honoured as Trunk honours it.
 */
export async function wasmNames(wasmPath, repo, log = () => {}) {
  const shipped = readFileSync(wasmPath);
  const digest = sha256(shipped);
  const cache = join(tmpdir(), `yew-oidc-trace-names-${digest.slice(0, 16)}.json`);
  if (existsSync(cache)) {
    const stored = JSON.parse(readFileSync(cache, 'utf8'));
    if (stored.sha256 === digest) return { names: new Map(stored.names), source: stored.source };
  }
  const opt = wasmOptArgs(join(repo, 'index.html'));
  if (!opt) return { why: 'index.html has no data-wasm-opt level' };
  const target = process.env.CARGO_TARGET_DIR || join(repo, 'target');
  const candidates = [];
  for (const sub of ['nightly', '.']) {
    const dir = join(target, sub, 'wasm-bindgen', 'release');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('_bg.wasm')) continue;
      // Trunk's wasm-opt output beside it: a cheap check that this staging output made the wasm measured.
      const optimized = join(target, sub, 'wasm-opt', 'release', file);
      if (!existsSync(optimized) || !readFileSync(optimized).equals(shipped)) continue;
      candidates.push(join(dir, file));
    }
  }
  candidates.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (candidates.length === 0) {
    return { why: `no wasm-opt output under ${target} is this wasm (was it built elsewhere, or rebuilt since?)` };
  }
  const work = await mkdtemp(join(tmpdir(), 'yew-oidc-trace-wasm-opt-'));
  try {
    for (const input of candidates) {
      const output = join(work, 'named.wasm');
      log(`wasm names: wasm-opt -O${opt.level} ${opt.params.join(' ')} -g on ${input}`);
      execFileSync('wasm-opt', [`--output=${output}`, `-O${opt.level}`, input, ...opt.params, '-g'],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
          // binaryen's wasm-opt from package.json, as scripts/setup installs it for Trunk.
          env: { ...process.env, PATH: `${join(repo, 'node_modules', '.bin')}${delimiter}${process.env.PATH}` },
        });
      const named = readFileSync(output);
      if (!withoutNames(named).equals(shipped)) continue;
      const names = functionNames(named);
      writeFileSync(cache, JSON.stringify({ sha256: digest, source: input, names: [...names] }));
      return { names, source: input };
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { why: 'wasm-opt -g on the staging output does not give this wasm back without its names' };
}
