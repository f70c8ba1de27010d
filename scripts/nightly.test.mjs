// Unit tests of scripts/nightly.sh's `nightly_toolchain`, run as its callers run it (sourced into bash under
// `set -euo pipefail`), against a stand-in `rustup` on PATH that prints what `rustup run NAME rustc -vV` would.
//
//   node --test scripts/nightly.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const SCRIPT = new URL('./nightly.sh', import.meta.url).pathname;
const NIGHTLY = readFileSync(SCRIPT, 'utf8').match(/^NIGHTLY=(\S+)$/m)[1];
const COMMIT = readFileSync(SCRIPT, 'utf8').match(/^NIGHTLY_COMMIT=(\w+)$/m)[1];

/** What `nightly_toolchain` prints when `rustup run <name> rustc -vV` prints `verbose(name)` (nothing: absent). */
function detect(verbose) {
  const bin = mkdtempSync(join(tmpdir(), 'nightly-test-'));
  try {
    // One file per toolchain name the function tries, which the stand-in prints.
    for (const name of [NIGHTLY, 'nightly']) writeFileSync(join(bin, name), verbose(name) ?? '');
    writeFileSync(join(bin, 'rustup'), [
      '#!/usr/bin/env bash',
      '[ "$1" = run ] && [ "$RUSTUP_AUTO_INSTALL" = 0 ] || exit 2',
      `file="${bin}/$2"`,
      '[ -s "$file" ] || { echo "error: toolchain \'$2\' is not installed" >&2; exit 1; }',
      'cat "$file"',
    ].join('\n'));
    chmodSync(join(bin, 'rustup'), 0o755);
    const run = spawnSync('bash', ['-c', `set -euo pipefail; . "${SCRIPT}"; nightly_toolchain`], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.trim();
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

const rustcVerbose = (commit, after = '') =>
  `rustc 1.97.0-nightly\nbinary: rustc\ncommit-hash: ${commit}\ncommit-date: 2026-05-19\n${after}`;

test('the pinned compiler is found by its commit, under the machine\'s own `nightly` first, else nothing', () => {
  assert.equal(detect(() => rustcVerbose(COMMIT)), 'nightly');
  assert.equal(detect((name) => (name === NIGHTLY ? rustcVerbose(COMMIT) : rustcVerbose('0'.repeat(40)))), NIGHTLY);
  assert.equal(detect(() => rustcVerbose('0'.repeat(40))), '');
  assert.equal(detect(() => undefined), '');
});

test('output after the commit line does not hide the toolchain (no early exit under pipefail)', () => {
  // rustc writes -vV line by line. A reader that stops at the matching line (`grep -q`) may close the pipe while
  // rustc still writes: rustc dies of SIGPIPE, and under `pipefail` the pipeline fails although the commit matched.
  // Here the stand-in writes more than a pipe holds after the commit line, so that early exit always bites.
  const filler = 'host: x86_64-unknown-linux-gnu\n'.repeat(20_000);
  assert.equal(detect((name) => (name === NIGHTLY ? rustcVerbose(COMMIT, filler) : undefined)), NIGHTLY);
});
