// Header cache timing: median of recompiles (body edits only) of a unit that includes the seven
// heavy standard headers, with and without the cache. Prints figures, asserts none. Disabled by
// default (about a minute on a small machine); run with
//   tests/header_cache_timing_test --gtest_also_run_disabled_tests
#include <gtest/gtest.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "TestSupport.h"
#include "frontend/Frontend.h"
#include "llvm/Support/TimeProfiler.h"
#include "llvm/Support/raw_ostream.h"

using hot::fe::CompileJob;
using hot::fe::CompileResult;
using hot::fe::Frontend;
using hot::fe::HeaderCacheUse;
using hot::test::TempDir;
using hot::test::writeFile;

namespace {

constexpr const char *kIncludes = R"(#include <vector>
#include <string>
#include <unordered_map>
#include <algorithm>
#include <iostream>
#include <memory>
#include <functional>
)";

/// Typical game code: a few functions using the containers, the body edit changes a constant.
std::string lightUnit(int edit) {
  return std::string(kIncludes) + R"(
namespace game {
std::vector<int> scores;
int update(int n) {
  int bonus = )" + std::to_string(edit) + R"(;
  scores.push_back(n + bonus);
  std::string label = "score";
  std::cout << label << " " << scores.size() << "\n";
  return static_cast<int>(scores.size()) + bonus;
}
}
)";
}

/// Template-heavy: new instantiations over a user type, a hash map, sort with a lambda.
std::string heavyUnit(int edit) {
  return std::string(kIncludes) + R"(
namespace game {
struct Entity { std::string name; int hp = 0; };
std::vector<Entity> entities;
std::unordered_map<std::string, int> index;
std::function<int(int)> scale = [](int x) { return x * 2; };
int update(int n) {
  int value = )" + std::to_string(edit) + R"(;
  auto e = std::make_unique<Entity>();
  e->name = "e" + std::to_string(n);
  entities.push_back(*e);
  index[e->name] = n;
  std::sort(entities.begin(), entities.end(),
            [](const Entity &a, const Entity &b) { return a.name < b.name; });
  std::cout << "update " << entities.size() << "\n";
  return scale(value + n);
}
}
)";
}

double threadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : (v[v.size() / 2] + v[(v.size() - 1) / 2]) / 2;
}

struct Figures {
  double first_ms = 0, first_cpu = 0;
  std::vector<double> frontend, frontend_cpu, backend, total, total_cpu, check;
};

/// One compile like the engine does it: frontend, O0 pipeline, object emission.
void measure(const std::string &name, std::string (*unit)(int), bool cache, int runs) {
  TempDir dir;
  auto fe = Frontend::create();
  ASSERT_TRUE(static_cast<bool>(fe));
  CompileJob job;
  job.path = dir.file(name);
  job.use_header_cache = cache;
  Figures f;
  for (int i = 0; i <= runs; ++i) {
    job.contents = unit(i + 1);
    writeFile(job.path, job.contents);
    double c0 = threadCpuMs();
    auto t0 = std::chrono::steady_clock::now();
    CompileResult r = (*fe)->compile(job);
    ASSERT_TRUE(r.ok());
    double c1 = threadCpuMs();
    auto t1 = std::chrono::steady_clock::now();
    hot::fe::optimizeModule(*r.module, 0);
    auto obj = hot::fe::emitObject(*r.module, 0, false);
    ASSERT_TRUE(static_cast<bool>(obj));
    double c2 = threadCpuMs();
    auto t2 = std::chrono::steady_clock::now();
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    if (i == 0) {
      f.first_ms = ms(t0, t2);
      f.first_cpu = c2 - c0;
      if (cache) EXPECT_EQ(r.header_cache, HeaderCacheUse::Built);
      continue;
    }
    if (cache) EXPECT_EQ(r.header_cache, HeaderCacheUse::Reused);
    f.frontend.push_back(ms(t0, t1));
    f.check.push_back(r.header_cache_ms);
    f.frontend_cpu.push_back(c1 - c0);
    f.backend.push_back(ms(t1, t2));
    f.total.push_back(ms(t0, t2));
    f.total_cpu.push_back(c2 - c0);
  }
  // HOT_TIME_TRACE=dir: one more body-edit recompile under clang's -ftime-trace profiler.
  if (const char *trace_dir = std::getenv("HOT_TIME_TRACE")) {
    llvm::timeTraceProfilerInitialize(0, "header_cache_timing");
    job.contents = unit(runs + 2);
    {
      llvm::TimeTraceScope scope("compile");
      CompileResult r = (*fe)->compile(job);
      llvm::TimeTraceScope scope2("backend");
      hot::fe::optimizeModule(*r.module, 0);
      auto obj = hot::fe::emitObject(*r.module, 0, false);
      if (!obj) llvm::consumeError(obj.takeError());
    }
    std::string out = std::string(trace_dir) + "/" + name + (cache ? ".cache" : ".nocache") + ".json";
    std::error_code ec;
    llvm::raw_fd_ostream os(out, ec);
    if (!ec) llvm::timeTraceProfilerWrite(os);
    llvm::timeTraceProfilerCleanup();
  }
  std::printf("[ timing ] %-10s %-8s first %7.1f ms (cpu %6.1f) | median of %d recompiles: total %6.1f ms "
              "(cpu %6.1f) = frontend %6.1f (cpu %6.1f; cache check %4.1f) + O0 pipeline/codegen %5.1f\n",
              name.c_str(), cache ? "cache" : "no-cache", f.first_ms, f.first_cpu, runs, median(f.total),
              median(f.total_cpu), median(f.frontend), median(f.frontend_cpu), median(f.check),
              median(f.backend));
}

} // namespace

TEST(HeaderCacheTiming, DISABLED_SevenHeadersBodyEdits) {
  const int runs = 10;
  hot::fe::clearHeaderCache();
  measure("light.cpp", lightUnit, false, runs);
  measure("light.cpp", lightUnit, true, runs);
  measure("heavy.cpp", heavyUnit, false, runs);
  measure("heavy.cpp", heavyUnit, true, runs);
}
