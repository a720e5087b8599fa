// hot bench, section "tiering": a compute kernel (matrix multiply) measured in one run as
//   - AOT: the same source compiled into this binary by the build (-O2),
//   - tier 0: JIT at -O0 with tier-0 call counters (tiering on, threshold out of reach),
//   - tier 1: JIT after the engine tiered the unit up to -O2 in the background,
// as ratios to AOT, plus the time from the first call to the tier-up; the tier-0 counter cost
// on a trivial function; and edit-to-effect latency with tiering on (tier 0) vs off.
#include "cli/Bench.h"

#include <algorithm>
#include <thread>

namespace hot::cli::bench {
namespace {

// The kernel's text is compiled here (AOT) and handed to the engine as a string: one source.
#define HOT_BENCH_KERNEL(...)                                                                      \
  namespace aot {                                                                                  \
  __VA_ARGS__                                                                                      \
  }                                                                                                \
  const char *const kKernelSource = #__VA_ARGS__;

HOT_BENCH_KERNEL(
    void matmul(const double *a, const double *b, double *c, int n) {
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          double s = 0;
          for (int k = 0; k < n; ++k) s += a[i * n + k] * b[k * n + j];
          c[i * n + j] = s;
        }
    } int tiny(int x) { return x + 1; })

using Matmul = void (*)(const double *, const double *, double *, int);
constexpr int kN = 96;

/// Median seconds per call of `fn` over `reps` repetitions of `calls` calls.
double secondsPerCall(Matmul fn, int calls, int reps) {
  std::vector<double> a(kN * kN, 1.5), b(kN * kN, 0.5), c(kN * kN);
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto start = Clock::now();
    for (int i = 0; i < calls; ++i) fn(a.data(), b.data(), c.data(), kN);
    t.push_back(msSince(start) / 1000.0 / calls);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double nsPerTinyCall(hot::Function<int(int)> f, long calls) {
  auto start = Clock::now();
  int x = 0;
  for (long i = 0; i < calls; ++i) x = f(x);
  volatile int sink = x;
  (void)sink;
  return msSince(start) * 1e6 / double(calls);
}

struct Kernel {
  TempDir dir{"tiering"};
  std::unique_ptr<hot::HotEngine> engine;
  std::vector<hot::TierEvent> tiers;
  struct Listener : hot::Listener {
    Kernel *k;
    void onTierChange(const hot::TierEvent &e) override { k->tiers.push_back(e); }
  } listener;

  explicit Kernel(hot::Config c) {
    writeFile(dir.file("kernel.cpp"), kKernelSource);
    auto e = hot::HotEngine::create(c);
    if (!e.ok()) throw Failure(e.status().message());
    engine = std::move(e.value());
    listener.k = this;
    engine->setListener(&listener);
    if (auto st = engine->watch(dir.path().string()); !st.ok()) throw Failure(st.message());
  }
  hot::Function<void(const double *, const double *, double *, int)> matmul() {
    return engine->function<void(const double *, const double *, double *, int)>("matmul").value();
  }
};

hot::Config tieringConfig(bool on, std::uint64_t threshold) {
  hot::Config c;
  c.tiering.enabled = on;
  c.tiering.call_threshold = threshold;
  c.apply_in_background = true;
  return c;
}

/// Calls the kernel until the engine reports the tier-up; returns ms from the first call.
double callUntilTierUp(Kernel &k, unsigned timeout_ms) {
  auto f = k.matmul();
  std::vector<double> a(kN * kN, 1.0), b(kN * kN, 1.0), c(kN * kN);
  auto start = Clock::now();
  while (k.tiers.empty()) {
    f(a.data(), b.data(), c.data(), kN);
    if (msSince(start) > timeout_ms) throw Failure("no tier-up within the timeout");
  }
  return msSince(start);
}

/// Median ms from a write to the first call returning the new value, over `edits` edits of a
/// no-include unit, with tiering on (tier 0 at -O0, counters in) or off.
double reloadLatencyMs(bool tiering, unsigned edits) {
  TempDir dir("tiering-latency");
  writeFile(dir.file("value.cpp"), noIncludeUnit(0));
  hot::Config c = tieringConfig(tiering, ~std::uint64_t(0) >> 1);
  c.apply_in_background = false; // applied by waitForValues' update() calls
  LiveEngine live(dir.path().string(), c);
  std::vector<hot::Function<int()>> fns{live.function("bench_value")};
  live.waitForValues(fns, {0});
  std::vector<double> ms;
  for (unsigned i = 1; i <= edits; ++i) {
    auto start = Clock::now();
    writeFile(dir.file("value.cpp"), noIncludeUnit(int(i)));
    live.waitForValues(fns, {int(i)});
    ms.push_back(msSince(start));
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

} // namespace

Json runTiering(const Options &o) {
  const int calls = o.quick ? 3 : 20, reps = o.quick ? 3 : 7;
  Json out;
  double aot = secondsPerCall(&aot::matmul, calls, reps);

  Kernel t0(tieringConfig(true, ~std::uint64_t(0) >> 1)); // counters on, never hot enough
  auto f0 = t0.matmul();
  double tier0 = secondsPerCall(f0.target(), calls, reps);

  Kernel up(tieringConfig(true, o.quick ? 20 : 50));
  double to_tier1_ms = callUntilTierUp(up, 120000);
  auto f1 = up.matmul();
  double tier1 = secondsPerCall(f1.target(), calls, reps);

  out["kernel"] = "matmul " + std::to_string(kN) + "x" + std::to_string(kN) + " double";
  out["aot_ms_per_call"] = aot * 1000;
  out["tier0_ms_per_call"] = tier0 * 1000;
  out["tier1_ms_per_call"] = tier1 * 1000;
  out["tier0_vs_aot"] = tier0 / aot;
  out["tier1_vs_aot"] = tier1 / aot;
  out["first_call_to_tier1_ms"] = to_tier1_ms;
  out["tier_up_compile_ms"] = up.tiers.front().compile_ms;

  long tiny_calls = o.quick ? 2'000'000 : 50'000'000;
  Kernel counted(tieringConfig(true, ~std::uint64_t(0) >> 1));
  Kernel plain(tieringConfig(false, 0));
  auto tc = counted.engine->function<int(int)>("tiny").value();
  auto tp = plain.engine->function<int(int)>("tiny").value();
  double ns_counted = nsPerTinyCall(tc, tiny_calls), ns_plain = nsPerTinyCall(tp, tiny_calls);
  out["tier0_counter_ns_per_call"] = ns_counted;
  out["no_counter_ns_per_call"] = ns_plain;
  out["counter_overhead_ratio"] = ns_counted / ns_plain;

  // Interleaved so both see the same machine load.
  unsigned edits = o.quick ? 5 : o.edits;
  double off = reloadLatencyMs(false, edits), on = reloadLatencyMs(true, edits);
  out["reload_ms_tiering_off"] = off;
  out["reload_ms_tiering_on"] = on;
  out["reload_on_vs_off"] = on / off;
  return out;
}

void printTiering(const Json &j, std::FILE *f) {
  std::fprintf(f, "  kernel: %s\n", j["kernel"].get<std::string>().c_str());
  std::fprintf(f, "  AOT (build's -O2)      %9.3f ms/call   1.00x\n", j["aot_ms_per_call"].get<double>());
  std::fprintf(f, "  tier 0 (-O0, counted)  %9.3f ms/call  %5.2fx AOT\n",
               j["tier0_ms_per_call"].get<double>(), j["tier0_vs_aot"].get<double>());
  std::fprintf(f, "  tier 1 (-O2, tiered)   %9.3f ms/call  %5.2fx AOT\n",
               j["tier1_ms_per_call"].get<double>(), j["tier1_vs_aot"].get<double>());
  std::fprintf(f, "  first call -> tier 1   %9.1f ms (tier-up compile %.1f ms)\n",
               j["first_call_to_tier1_ms"].get<double>(), j["tier_up_compile_ms"].get<double>());
  std::fprintf(f, "  tier-0 counter: %.2f ns/call vs %.2f without (%.2fx)\n",
               j["tier0_counter_ns_per_call"].get<double>(), j["no_counter_ns_per_call"].get<double>(),
               j["counter_overhead_ratio"].get<double>());
  std::fprintf(f, "  reload (no includes, median): %.1f ms tiering on (tier 0) vs %.1f ms off (%.2fx)\n",
               j["reload_ms_tiering_on"].get<double>(), j["reload_ms_tiering_off"].get<double>(),
               j["reload_on_vs_off"].get<double>());
}

} // namespace hot::cli::bench
