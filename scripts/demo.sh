#!/usr/bin/env bash
# Installs what is missing, builds, and runs the game-loop demo. Edit
# samples/game/live/world.cpp while it runs and watch the frames change.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/build.sh" -DHOT_BUILD_BENCHMARKS=OFF
exec "${BUILD_DIR:-$root/build}/samples/game/hot_game" "$@"
