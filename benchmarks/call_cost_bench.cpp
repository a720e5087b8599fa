// Call cost of int f(int x) { return x + 1; } reached directly, through the usual kinds of
// indirection, and through hotengine. Each iteration is x = call(x): every call depends on the
// previous result, so calls cannot be hoisted or batched. Targets sit in volatile globals (or
// behind objects made in another translation unit) so nothing is devirtualized.
#include <benchmark/benchmark.h>

#include <dlfcn.h>
#include <functional>

#include "bench_support.h"

using hot::bench::aotInc;
using hot::bench::jitCallees;

namespace {
using IntFn = int (*)(int);

IntFn volatile g_pointer = aotInc;
std::function<int(int)> g_function = aotInc;

template <typename Call> void callLoop(benchmark::State &state, Call call) {
  int x = 0;
  for (auto _ : state) {
    x = call(x);
    benchmark::DoNotOptimize(x);
  }
}

void BM_Direct(benchmark::State &state) {
  callLoop(state, [](int x) { return aotInc(x); });
}
void BM_FunctionPointer(benchmark::State &state) {
  callLoop(state, [](int x) { return g_pointer(x); });
}
void BM_Virtual(benchmark::State &state) {
  static hot::bench::IncBase *volatile object = hot::bench::makeInc();
  callLoop(state, [](int x) { return object->inc(x); });
}
void BM_StdFunction(benchmark::State &state) {
  callLoop(state, [](int x) { return g_function(x); });
}

void BM_DlsymSharedLibrary(benchmark::State &state) {
  static void *lib = dlopen(HOT_BENCH_CALLEE_SO, RTLD_NOW | RTLD_LOCAL);
  static IntFn volatile fn = lib ? reinterpret_cast<IntFn>(dlsym(lib, "hot_bench_so_inc")) : nullptr;
  if (!fn) return state.SkipWithError("cannot load " HOT_BENCH_CALLEE_SO);
  callLoop(state, [](int x) { return fn(x); });
}

void BM_HotHandle(benchmark::State &state) {
  auto &jit = jitCallees();
  if (!jit.error.empty()) return state.SkipWithError(jit.error.c_str());
  static hot::Function<int(int)> handle;
  handle = jit.inc;
  callLoop(state, [](int x) { return handle(x); });
}

void BM_HotStubAddress(benchmark::State &state) {
  auto &jit = jitCallees();
  if (!jit.error.empty()) return state.SkipWithError(jit.error.c_str());
  static IntFn volatile stub;
  stub = jit.inc.address();
  callLoop(state, [](int x) { return stub(x); });
}

// The loop JIT code runs below, compiled ahead of time: calls into another translation unit.
__attribute__((noinline)) int aotLoop(int n) {
  int x = 0;
  for (int i = 0; i < n; ++i) x = aotInc(x);
  return x;
}

/// Reports time per inner call, not per loop.
void perInnerCall(benchmark::State &state, int n) {
  state.counters["per_call"] =
      benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate |
                                        benchmark::Counter::kInvert);
}

void BM_AotLoop(benchmark::State &state) {
  const int n = int(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(aotLoop(n));
  perInnerCall(state, n);
}

void BM_JitToJitThroughSlot(benchmark::State &state) {
  auto &jit = jitCallees();
  if (!jit.error.empty()) return state.SkipWithError(jit.error.c_str());
  const int n = int(state.range(0));
  static IntFn volatile loop;
  loop = jit.loop.target();
  for (auto _ : state) benchmark::DoNotOptimize(loop(n));
  perInnerCall(state, n);
}

} // namespace

BENCHMARK(BM_Direct);
BENCHMARK(BM_FunctionPointer);
BENCHMARK(BM_Virtual);
BENCHMARK(BM_StdFunction);
BENCHMARK(BM_DlsymSharedLibrary);
BENCHMARK(BM_HotHandle);
BENCHMARK(BM_HotStubAddress);
BENCHMARK(BM_AotLoop)->Arg(10000);
BENCHMARK(BM_JitToJitThroughSlot)->Arg(10000);
