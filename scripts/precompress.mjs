// Precompressed siblings (`app_bg.wasm.gz`, `app_bg.wasm.br`) for CDNs and servers that serve them as-is
// (nginx `gzip_static`/`brotli_static`, most static hosts). Maximum compression: it is paid once, at build time.
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export function precompress(path) {
  const raw = readFileSync(path);
  writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
  writeFileSync(`${path}.br`, brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  }));
}
