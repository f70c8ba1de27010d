# Sourced by scripts/setup and scripts/release-build: the nightly toolchain of release builds, pinned by date and
# by the compiler's commit. `nightly_toolchain` prints the rustup name under which that compiler is installed:
# the dated one, or the machine image's own `nightly` when it is the same compiler; nothing when neither is.
NIGHTLY=nightly-2026-05-20
NIGHTLY_COMMIT=e50aa6fba4e63ab34c72bf9acfd2c307c1155d1a
# The crates -Zbuild-std rebuilds: scripts/setup fetches their dependencies, scripts/release-build builds them.
BUILD_STD=std,panic_abort

nightly_toolchain() {
  local name
  # Only asks: never lets rustup install a missing toolchain on the way (scripts/setup does that, once).
  for name in nightly "$NIGHTLY"; do
    # grep reads to the end, not `grep -q`: stopping at the match can kill rustc, still writing, with SIGPIPE, and
    # the callers' `pipefail` would then fail the pipeline although the commit matched (scripts/nightly.test.mjs).
    if RUSTUP_AUTO_INSTALL=0 rustup run "$name" rustc --version --verbose 2>/dev/null \
      | grep -x "commit-hash: $NIGHTLY_COMMIT" >/dev/null; then
      echo "$name"
      return
    fi
  done
}
