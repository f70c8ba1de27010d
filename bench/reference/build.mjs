// Builds the reference app into bench/reference/dist/: index.html, app.js (src/main.js and oidc-client-ts,
// bundled and minified by esbuild), and the same app.css and config.json as ours (assets/).
//
//   node bench/reference/build.mjs        (bench/run.mjs calls buildReference() itself)

import { copyFile, mkdir, rm } from 'node:fs/promises';
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
  await copyFile(join(HERE, 'index.html'), join(REFERENCE_DIST, 'index.html'));
  await copyFile(join(REPO, 'assets', 'app.css'), join(REFERENCE_DIST, 'app.css'));
  await copyFile(join(REPO, 'assets', 'config.json'), join(REFERENCE_DIST, 'config.json'));
  return REFERENCE_DIST;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`reference app built into ${await buildReference()}`);
}
