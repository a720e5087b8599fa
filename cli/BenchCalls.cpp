// hot bench, section "calls": what one call to int f(int x) { return x + 1; } costs when reached
// directly, through the usual kinds of indirection, and through hotengine.
//
// Every variant runs the same loop, x = call(x), so each call depends on the previous result
// and cannot be hoisted or batched; only the way the callee is reached differs. Callees and
// call targets sit in globals the compiler cannot see through (volatile, or set at run time).
#include "cli/Bench.h"
#include "cli/BenchCallees.h"

#include <algorithm>
#include <functional>

namespace hot::cli::bench {
namespace {

using IntFn = int (*)(int);

IntFn volatile g_pointer = nullptr;
IncBase *volatile g_object = nullptr;
std::function<int(int)> g_function;
IntFn volatile g_shared = nullptr;
hot::Function<int(int)> g_handle;
IntFn volatile g_stub = nullptr;
IntFn volatile g_jit_body = nullptr;
IntFn volatile g_jit_loop = nullptr;

template <typename Call> __attribute__((always_inline)) inline int callLoop(int n, Call call) {
  int x = 0;
  for (int i = 0; i < n; ++i) x = call(x);
  return x;
}

// One noinline function per variant: each gets its own loop, nothing shared between them.
__attribute__((noinline)) int runDirect(int n) {
  return callLoop(n, [](int x) { return aotInc(x); });
}
__attribute__((noinline)) int runPointer(int n) {
  return callLoop(n, [](int x) { return g_pointer(x); });
}
__attribute__((noinline)) int runVirtual(int n) {
  return callLoop(n, [](int x) { return g_object->inc(x); });
}
__attribute__((noinline)) int runStdFunction(int n) {
  return callLoop(n, [](int x) { return g_function(x); });
}
__attribute__((noinline)) int runShared(int n) {
  return callLoop(n, [](int x) { return g_shared(x); });
}
__attribute__((noinline)) int runHandle(int n) {
  return callLoop(n, [](int x) { return g_handle(x); });
}
__attribute__((noinline)) int runStub(int n) {
  return callLoop(n, [](int x) { return g_stub(x); });
}
// Same as runPointer but the target is the JIT body: separates where the callee lives from
// what the handle adds.
__attribute__((noinline)) int runJitBody(int n) {
  return callLoop(n, [](int x) { return g_jit_body(x); });
}
// The loop itself is JIT code: n calls from one JIT unit into another through the slot.
__attribute__((noinline)) int runJitLoop(int n) { return g_jit_loop(n); }

struct Variant {
  const char *key, *label;
  int (*run)(int);
};

const Variant kVariants[] = {
    {"direct", "direct call (noinline, other TU)", runDirect},
    {"function_pointer", "function pointer in a global", runPointer},
    {"virtual", "virtual call", runVirtual},
    {"std_function", "std::function", runStdFunction},
    {"dlsym", "dlsym'ed .so function", runShared},
    {"handle", "hotengine handle (hot::Function)", runHandle},
    {"stub", "hotengine stub address", runStub},
    {"jit_body_pointer", "function pointer to the JIT body", runJitBody},
    {"jit_to_jit", "JIT -> JIT through the slot", runJitLoop},
};

// The JIT side of the table, compiled at the AOT callee's level (-O2) so the bodies match.
const char *kJitInc = "extern \"C\" __attribute__((noinline)) int bench_jit_inc(int x) "
                      "{ return x + 1; }\n";
const char *kJitLoop = R"(extern "C" int bench_jit_inc(int x);
// Same loop as the host's direct variant.
extern "C" int bench_jit_loop(int n) {
  int x = 0;
  for (int i = 0; i < n; ++i) x = bench_jit_inc(x);
  return x;
}
)";

/// Builds the .so callee with clang++ -O2, the way a plugin would be built.
std::unique_ptr<Library> buildSharedCallee(const TempDir &dir) {
  writeFile(dir.file("callee.cpp"), "extern \"C\" int so_inc(int x) { return x + 1; }\n");
  run({clangxx(), "-O2", "-fPIC", "-shared", "-o", dir.file("libcallee.so"),
       dir.file("callee.cpp")});
  return std::make_unique<Library>(dir.file("libcallee.so"));
}

std::unique_ptr<LiveEngine> startJit(const TempDir &dir) {
  writeFile(dir.file("inc.cpp"), kJitInc);
  writeFile(dir.file("loop.cpp"), kJitLoop);
  hot::Config config;
  config.opt_level = 2;
  return std::make_unique<LiveEngine>(dir.path().string(), config);
}

template <typename Sig> hot::Function<Sig> jitFunction(LiveEngine &live, const char *name) {
  auto fn = live.engine().function<Sig>(name);
  if (!fn.ok()) throw Failure(std::string("function(") + name + "): " + fn.status().message());
  return fn.value();
}

double timeVariant(const Variant &v, int n) {
  auto start = Clock::now();
  int result = v.run(n);
  double ns = msSince(start) * 1e6 / n;
  if (result != n) throw Failure(std::string(v.key) + ": wrong result " + std::to_string(result));
  return ns;
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  size_t n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

/// Repetitions go round-robin over the variants so a noisy moment hits all of them alike.
std::vector<double> measureAll(int n, unsigned reps) {
  const size_t count = std::size(kVariants);
  for (const Variant &v : kVariants) timeVariant(v, n / 10 + 1); // warm caches and predictors
  std::vector<std::vector<double>> samples(count);
  for (unsigned r = 0; r < reps; ++r)
    for (size_t i = 0; i < count; ++i) samples[i].push_back(timeVariant(kVariants[i], n));
  std::vector<double> medians;
  for (auto &s : samples) medians.push_back(median(s));
  return medians;
}

} // namespace

Json runCalls(const Options &opts) {
  // Short repetitions (a few ms, under a scheduler time slice) and many of them: on a busy
  // machine most repetitions then run uninterrupted and the median ignores the others.
  const int n = opts.quick ? 1000000 : 2000000;
  const unsigned reps = opts.quick ? 9 : 51;
  TempDir so_dir("calls-so"), jit_dir("calls-jit");
  auto library = buildSharedCallee(so_dir);
  auto jit = startJit(jit_dir);
  std::unique_ptr<IncBase> object(makeInc());
  g_pointer = aotInc;
  g_object = object.get();
  g_function = aotInc;
  g_shared = reinterpret_cast<IntFn>(library->symbol("so_inc"));
  g_handle = jitFunction<int(int)>(*jit, "bench_jit_inc");
  g_stub = g_handle.address();
  g_jit_body = g_handle.target();
  g_jit_loop = jitFunction<int(int)>(*jit, "bench_jit_loop").target();

  std::vector<double> ns = measureAll(n, reps);
  Json variants = Json::object();
  for (size_t i = 0; i < ns.size(); ++i)
    variants[kVariants[i].key] = {{"label", kVariants[i].label},
                                  {"ns_per_call", ns[i]},
                                  {"ratio_to_direct", ns[i] / ns[0]}};
  g_handle = {};
  g_function = nullptr;
  return Json{{"callee", "int f(int x) { return x + 1; }"},
              {"calls_per_repetition", n},
              {"repetitions", reps},
              {"jit_opt_level", 2},
              {"note", "jit_to_jit runs the direct variant's loop as JIT code, so its ratio is "
                       "against the same loop compiled ahead of time"},
              {"variants", variants}};
}

void printCalls(const Json &j, std::FILE *out) {
  std::fprintf(out, "  callee: %s; median of %d x %d calls\n\n",
               j["callee"].get<std::string>().c_str(), j["repetitions"].get<int>(),
               j["calls_per_repetition"].get<int>());
  std::fprintf(out, "  %-36s %9s %11s\n", "variant", "ns/call", "vs direct");
  for (auto &[key, v] : j["variants"].items())
    std::fprintf(out, "  %-36s %9.2f %10.2fx\n", v["label"].get<std::string>().c_str(),
                 v["ns_per_call"].get<double>(), v["ratio_to_direct"].get<double>());
  std::fprintf(out, "  (JIT -> JIT is the direct variant's loop compiled by the engine at -O2:\n"
                    "   its ratio compares the same loop AOT and JIT)\n");
}

} // namespace hot::cli::bench
