// Finds import cycles between the modules of each crate (issue 23): a module is a file under a crate's src/, an
// edge is a path to another module of the same crate (`crate::a::b`, `super::b`, `self::b`),
// wherever it appears: in a `use`, a type, a doc link in code. Tests do not count (everything after the file's
// `#[cfg(test)]` or `#[cfg(all(test, ...))]` line). Exits 1 and names each cycle when there is one.
//
//   node scripts/module-cycles.mjs [crate-src-dir ...]   (default: src crates/*/src)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The module path of a file relative to its crate's src/: `a/b.rs` and `a/b/mod.rs` → `a::b`, lib.rs/main.rs → ''. */
export function modulePath(file) {
  const parts = file.split(sep).join('/').replace(/\.rs$/, '').split('/');
  if (['mod', 'lib', 'main'].includes(parts.at(-1))) parts.pop();
  return parts.join('::');
}

/** The code of `text` before its tests, without comments and string literals. */
export function codeOf(text) {
  const cut = text.search(/^\s*#\[cfg\((all\()?test\b/m);
  const code = cut === -1 ? text : text.slice(0, cut);
  return code.replace(/\/\/[^\n]*/g, '').replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

/** The modules of `modules` that `code` (the code of module `from`) refers to. */
export function references(code, from, modules) {
  const found = new Set();
  const here = from ? from.split('::') : [];
  const add = (segments) => {
    // The longest prefix that names a module: `crate::a::b::Type` → `a::b`.
    for (let n = segments.length; n > 0; n -= 1) {
      const path = segments.slice(0, n).join('::');
      if (modules.has(path)) {
        if (path !== from && !from.startsWith(`${path}::`) && !path.startsWith(`${from}::`)) found.add(path);
        return;
      }
    }
  };
  // Paths, including grouped imports: `crate::a::{b, c::D}` counts a, a::b and a::c.
  const pathRe = /\b(crate|super|self)((?:::\w+)*)(?:::\{([^}]*)\})?/g;
  for (const [, root, rest, group] of code.matchAll(pathRe)) {
    const base = root === 'crate' ? [] : root === 'super' ? here.slice(0, -1) : here;
    const segments = [...base, ...rest.split('::').filter(Boolean)];
    if (group) {
      for (const item of group.split(',')) {
        const tail = item.trim().split(/\s+as\s+/)[0].split('::').filter((s) => s && s !== 'self');
        add([...segments, ...tail]);
      }
    }
    add(segments);
  }
  return found;
}

/** The cycles (strongly connected components of more than one module) of `graph`, a Map of module → Set. */
export function cycles(graph) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const out = [];
  const visit = (v) => {
    info.set(v, { index, low: index, on: true });
    index += 1;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!info.has(w)) {
        visit(w);
        info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
      } else if (info.get(w).on) {
        info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
      }
    }
    if (info.get(v).low === info.get(v).index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        info.get(w).on = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!info.has(v)) visit(v);
  return out;
}

function rustFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return rustFiles(path);
    return name.endsWith('.rs') ? [path] : [];
  });
}

/** The module graph of the crate whose sources are in `src`. */
export function crateGraph(src) {
  const files = rustFiles(src).map((path) => ({ path, rel: relative(src, path) }));
  const modules = new Set(files.map((f) => modulePath(f.rel)).filter(Boolean));
  const graph = new Map();
  for (const { path, rel } of files) {
    const from = modulePath(rel);
    if (!from) continue;
    const refs = references(codeOf(readFileSync(path, 'utf8')), from, modules);
    graph.set(from, new Set([...(graph.get(from) ?? []), ...refs]));
  }
  return graph;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dirs = process.argv.slice(2).length
    ? process.argv.slice(2)
    : ['src', ...readdirSync(join(root, 'crates')).map((c) => join('crates', c, 'src'))].map((d) => join(root, d));
  let failed = false;
  for (const dir of dirs) {
    for (const cycle of cycles(crateGraph(dir))) {
      failed = true;
      console.error(`module-cycles: ${relative(root, dir) || dir}: ${cycle.join(' ↔ ')}`);
    }
  }
  if (failed) process.exit(1);
  console.log(`module-cycles: none in ${dirs.map((d) => relative(root, d)).join(', ')}`);
}
