// With Config::perf_map (`hot run --perf`), every version's functions are appended to perf's JIT
// symbol file /tmp/perf-<pid>.map at the addresses the engine runs them at, named with their
// unit and version; `perf report` of a `hot run --perf` process then names the JIT function
// the program spends its time in.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

std::string perfMap(pid_t pid) { return "/tmp/perf-" + std::to_string(pid) + ".map"; }

/// The perf map line naming `shown` at `addr`, or "" if there is none.
std::string lineAt(const std::string &map, const void *addr, const std::string &shown) {
  char start[32];
  std::snprintf(start, sizeof start, "%lx ", reinterpret_cast<unsigned long>(addr));
  std::istringstream in(map);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(start, 0) == 0 && line.find(shown) != std::string::npos) return line;
  return "";
}

} // namespace

TEST(PerfMap, ListsEveryVersionAtItsBodyAddress) {
  std::remove(perfMap(::getpid()).c_str());
  hot::Config c;
  c.perf_map = true;
  hot::test::LiveProject p(c);
  p.write("calc.cpp", "static int twice(int x) { return 2 * x; }\nint calc(int x) { return twice(x) + 1; }\n");
  ASSERT_TRUE(p.start().ok());
  auto calc = p.fn<int(int)>("calc");
  ASSERT_EQ(calc(1), 3);
  void *v1 = reinterpret_cast<void *>(calc.target());
  ASSERT_TRUE(p.edit("calc.cpp", "static int twice(int x) { return 2 * x; }\n"
                                 "int calc(int x) { return twice(x) + 2; }\n")
                  .success);
  ASSERT_EQ(calc(1), 4);
  void *v2 = reinterpret_cast<void *>(calc.target());
  ASSERT_NE(v1, v2);
  std::string map = hot::test::readText(perfMap(::getpid()));
  std::string first = lineAt(map, v1, "calc(int) [calc.cpp v1]");
  std::string second = lineAt(map, v2, "calc(int) [calc.cpp v2]");
  EXPECT_FALSE(first.empty()) << map;
  EXPECT_FALSE(second.empty()) << map;
  // The size covers the body: a nonzero hex number.
  unsigned long start = 0, size = 0;
  EXPECT_EQ(std::sscanf(second.c_str(), "%lx %lx", &start, &size), 2) << second;
  EXPECT_GT(size, 0u) << second;
  // File-local helpers are named too (version 2 kept version 1's body of it).
  EXPECT_NE(map.find("twice(int) [calc.cpp v1]"), std::string::npos) << map;
  std::remove(perfMap(::getpid()).c_str());
}

TEST(PerfMap, PerfReportNamesTheJitFunctionOfAHotRunProgram) {
  if (hot::test::runCommand("perf --version 2>&1").status != 0) GTEST_SKIP() << "perf is not installed";
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("src/spin.cpp"), R"(#include <chrono>
volatile unsigned long sink;
void spinFor(int ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end)
    for (int i = 0; i < 1000; ++i) sink = sink * 31 + unsigned(i);
}
int main() { spinFor(1500); return 0; }
)");
  std::string data = dir.file("perf.data");
  auto rec = hot::test::runCommand("perf record -q -o " + data + " -- " + hot::test::hotBinary() +
                                   " run --perf --quiet " + dir.file("src") + " 2>&1");
  if (rec.status != 0)
    GTEST_SKIP() << "perf record is not allowed here (perf_event_paranoid, container): " << rec.out;
  auto rep = hot::test::runCommand("perf report -i " + data + " --stdio --sort symbol 2>&1");
  EXPECT_NE(rep.out.find("spinFor(int) [spin.cpp v1]"), std::string::npos) << rep.out;
}

TEST(PerfMap, TierOneRecompilesAreListedToo) {
  std::remove(perfMap(::getpid()).c_str());
  hot::Config c;
  c.perf_map = true;
  c.tiering.enabled = true;
  c.tiering.call_threshold = 1000;
  hot::test::LiveProject p(c);
  p.write("hot.cpp", "long work(long n) { long s = 0; for (long i = 0; i < n; ++i) s += i; return s; }\n");
  ASSERT_TRUE(p.start().ok());
  auto work = p.fn<long(long)>("work");
  bool tier1 = false;
  for (int i = 0; i < 6000 && !tier1; ++i) {
    for (int j = 0; j < 100; ++j) work(10);
    p.engine->update();
    tier1 = !p.events.tiers().empty() && p.engine->history(p.path("hot.cpp")).back().tier == 1;
    if (!tier1) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(tier1) << "the unit never reached tier 1";
  unsigned version = p.engine->history(p.path("hot.cpp")).back().version;
  std::string shown = "work(long) [hot.cpp v" + std::to_string(version) + "]";
  std::string map = hot::test::readText(perfMap(::getpid()));
  EXPECT_FALSE(lineAt(map, reinterpret_cast<void *>(work.target()), shown).empty()) << shown << "\n" << map;
  std::remove(perfMap(::getpid()).c_str());
}
