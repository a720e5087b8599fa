#!/usr/bin/env bash
# Installs what is missing, builds the game-loop demo and runs it. Edit
# samples/game/live/world.cpp while it runs and watch the frames change.
#
#   bash scripts/demo.sh [--live DIR] [--frames N] [--fps N] [--self-check]   (hot_game's options)
#
# Builds only the hot_game sample and what it links (the engine library), in its own build folder
# ($HOT_DEMO_BUILD_DIR, default build-demo/): no tests or benchmarks are configured or built, and
# the test build (build/, or $BUILD_DIR for scripts/test.sh) is left as it is.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${HOT_DEMO_BUILD_DIR:-$root/build-demo}"
BUILD_DIR="$build" HOT_TARGETS=hot_game bash "$root/scripts/build.sh" \
  -DHOT_BUILD_TESTS=OFF -DHOT_BUILD_BENCHMARKS=OFF -DHOT_BUILD_SAMPLES=ON
exec "$build/samples/game/hot_game" "$@"
