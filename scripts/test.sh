#!/usr/bin/env bash
# Installs what is missing, builds everything once, and runs every test with ctest; then the
# sanitizer passes: ThreadSanitizer on the concurrency tests (threads calling while reloads are
# applied, transactions, saves during compiles, guarded crashes) and AddressSanitizer +
# UndefinedBehaviorSanitizer on the whole suite. HOT_SANITIZERS=0 skips the sanitizer passes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
jobs="$(nproc)"

BUILD_DIR="$build" bash "$root/scripts/build.sh"
(cd "$build" && ctest --output-on-failure -j"$jobs" --timeout 900)

[ "${HOT_SANITIZERS:-1}" = 1 ] || exit 0

# TSan: the engine and the tests that run reloads while threads call into JIT code.
tsan_tests="concurrent_calls_during_reload_test transaction_all_or_nothing_test save_during_compile_joins_transaction_test burst_of_saves_coalesced_test guarded_crash_rolls_back_test"
BUILD_DIR="$build-tsan" BUILD_TYPE=RelWithDebInfo HOT_TARGETS="$tsan_tests" bash "$root/scripts/build.sh" \
  -DHOT_SANITIZE=thread -DHOT_BUILD_BENCHMARKS=OFF -DHOT_BUILD_SAMPLES=OFF
(cd "$build-tsan" && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" \
  ctest --output-on-failure -j"$jobs" --timeout 1800 -R '^(ConcurrentCalls|Transaction|SaveDuringCompile|Coalescing|GuardedCrash)\.')

# ASan + UBSan: every test. -O1 -g1 (line tables) compiles about as fast as the normal build;
# -O2 -g with both sanitizers takes several times longer.
BUILD_DIR="$build-asan" BUILD_TYPE=Debug bash "$root/scripts/build.sh" \
  -DHOT_SANITIZE=address,undefined -DHOT_BUILD_BENCHMARKS=OFF "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1"
(cd "$build-asan" && ASAN_OPTIONS="detect_leaks=0:allow_user_segv_handler=1" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  ctest --output-on-failure -j"$jobs" --timeout 1800)
