#!/usr/bin/env bash
# Configures and builds hotengine into build/ (or $BUILD_DIR). Extra args go to cmake;
# HOT_TARGETS limits the build to those targets.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
build="${BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
if [ -n "${HOT_TARGETS:-}" ]; then
  # shellcheck disable=SC2086
  cmake --build "$build" -j"$(nproc)" --target $HOT_TARGETS
else
  cmake --build "$build" -j"$(nproc)"
fi
