// Edit-to-effect latency: write the unit, then call update() and the handle until it returns
// the new value. Manual timing: each iteration is one edit, measured from the write.
#include <benchmark/benchmark.h>

#include <chrono>
#include <thread>

#include "bench_support.h"

namespace {
using Clock = std::chrono::steady_clock;

std::string noIncludes(int v) {
  return "extern \"C\" int bench_value() { return " + std::to_string(v) + "; }\n";
}
std::string withStrings(int v) {
  return "#include <string>\n#include <vector>\n"
         "static std::vector<std::string> names() { return {\"a\", \"b\"}; }\n"
         "extern \"C\" int bench_value() { return int(names().size()) * 0 + " +
         std::to_string(v) + "; }\n";
}

/// Applies the edit on this thread; false on a timeout.
bool waitFor(hot::HotEngine &engine, const hot::Function<int()> &fn, int v) {
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    engine.update();
    if (fn() == v) return true;
    // A short pause leaves the cores to the engine's compiler thread.
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return false;
}

void reloadLatency(benchmark::State &state, std::string (*unit)(int)) {
  hot::bench::TempDir dir;
  hot::bench::writeFile(dir.file("value.cpp"), unit(0));
  auto engine = hot::HotEngine::create();
  if (!engine.ok()) return state.SkipWithError(engine.status().message().c_str());
  if (auto st = engine.value()->watch(dir.path().string()); !st.ok())
    return state.SkipWithError(st.message().c_str());
  auto fn = engine.value()->function<int()>("bench_value");
  if (!fn.ok()) return state.SkipWithError(fn.status().message().c_str());
  int v = 0;
  for (auto _ : state) {
    auto start = Clock::now();
    hot::bench::writeFile(dir.file("value.cpp"), unit(++v));
    if (!waitFor(*engine.value(), fn.value(), v)) return state.SkipWithError("reload timed out");
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
  }
}

void BM_ReloadLatencyNoIncludes(benchmark::State &state) { reloadLatency(state, noIncludes); }
void BM_ReloadLatencyVectorString(benchmark::State &state) { reloadLatency(state, withStrings); }

} // namespace

BENCHMARK(BM_ReloadLatencyNoIncludes)->UseManualTime()->Iterations(20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReloadLatencyVectorString)->UseManualTime()->Iterations(5)->Unit(benchmark::kMillisecond);
