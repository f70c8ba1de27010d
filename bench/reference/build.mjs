// Builds the reference app into bench/reference/dist/: index.html, app-<hash>.js (src/main.js and oidc-client-ts,
// bundled and minified by esbuild), and the same app.css (as app-<hash>.css) and config.json as ours (assets/).
// The script and style sheet are named by their content's hash, 16 hex digits as Trunk names ours, so the static
// server caches them as it caches ours (immutable) and a revisit, /callback included, asks only for index.html and
// config.json: that is how the reference's users would deploy it, and a round trip per file otherwise would
// handicap it in the benchmark's network mode.
//
//   node bench/reference/build.mjs        (bench/run.mjs calls buildReference() itself)

import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = join(HERE, '..', '..');
export const REFERENCE_DIST = join(HERE, 'dist');

export async function buildReference() {
  await rm(REFERENCE_DIST, { recursive: true, force: true });
  await mkdir(REFERENCE_DIST, { recursive: true });
  await build({
    entryPoints: [join(HERE, 'src', 'main.js')],
    outfile: join(REFERENCE_DIST, 'app.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  await copyFile(join(REPO, 'assets', 'app.css'), join(REFERENCE_DIST, 'app.css'));
  let html = await readFile(join(HERE, 'index.html'), 'utf8');
  for (const name of ['app.js', 'app.css']) {
    const hashed = await nameByHash(name);
    const reference = `"/${name}"`;
    if (!html.includes(reference)) throw new Error(`bench/reference/index.html does not load ${reference}`);
    html = html.replace(reference, `"/${hashed}"`);
  }
  await writeFile(join(REFERENCE_DIST, 'index.html'), html);
  await copyFile(join(REPO, 'assets', 'config.json'), join(REFERENCE_DIST, 'config.json'));
  return REFERENCE_DIST;
}

// Renames dist/<stem>.<ext> to dist/<stem>-<16 hex digits of its SHA-256>.<ext> and returns the new name.
async function nameByHash(name) {
  const hash = createHash('sha256').update(await readFile(join(REFERENCE_DIST, name))).digest('hex').slice(0, 16);
  const hashed = name.replace(/\.(\w+)$/, `-${hash}.$1`);
  await rename(join(REFERENCE_DIST, name), join(REFERENCE_DIST, hashed));
  return hashed;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`reference app built into ${await buildReference()}`);
}
