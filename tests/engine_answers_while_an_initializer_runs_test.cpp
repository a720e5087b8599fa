// A unit's initializers and hooks run without the engine lock: while one runs, the engine
// answers lookups (hot call, address(), units()), and code that calls into the engine from an
// initializer or a hook works instead of waiting for the watchdog.
#include <gtest/gtest.h>

#include <atomic>

#include "TestSupport.h"

namespace {

hot::HotEngine *g_engine = nullptr;
std::atomic<int> g_asked{0};

} // namespace

// Called by JIT code (the test binary exports its symbols): asks the engine what it runs.
extern "C" int host_count_units() {
  ++g_asked;
  return g_engine ? int(g_engine->units().size()) : -1;
}
extern "C" int host_has_function(const char *name) {
  return g_engine && g_engine->address(name).ok() ? 1 : 0;
}

namespace {

TEST(InitializersWithoutTheEngineLock, AnInitializerCanCallIntoTheEngine) {
  hot::Config config;
  config.init_timeout_ms = 4000; // with the lock held this would be the outcome
  hot::test::LiveProject p(config);
  p.write("a.cpp", "int a() { return 1; }\n");
  p.write("b.cpp", "int b() { return 10; }\n");
  ASSERT_TRUE(p.start().ok());
  g_engine = p.engine.get();
  hot::ReloadEvent e = p.edit("a.cpp", R"(extern "C" int host_count_units();
extern "C" int host_has_function(const char *);
static int seen_units = host_count_units();
static int sees_b = host_has_function("b");
int a() { return 100 * seen_units + sees_b; }
)");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(g_asked.load(), 1);
  EXPECT_EQ(p.fn<int()>("a")(), 201) << "the initializer saw both units and b()";
  g_engine = nullptr;
}

TEST(InitializersWithoutTheEngineLock, AHookCanCallIntoTheEngine) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  g_engine = p.engine.get();
  hot::ReloadEvent e = p.edit("a.cpp", R"(#include <hot/unit.h>
extern "C" int host_has_function(const char *);
static int loaded = -1;
HOT_ON_LOAD() { loaded = host_has_function("a"); }
int a() { return 50 + loaded; }
)");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), 51) << "hot_on_load ran after the commit and found a()";
  g_engine = nullptr;
}

TEST(InitializersWithoutTheEngineLock, LookupsAnswerWhileAnInitializerRuns) {
  hot::Config config;
  config.apply_in_background = true; // the engine thread applies; this one looks things up
  hot::test::LiveProject p(config);
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  size_t before = p.events.count();
  p.write("a.cpp", R"(#include <chrono>
#include <thread>
static int slow() { std::this_thread::sleep_for(std::chrono::seconds(3)); return 2; }
static int two = slow();
int a() { return two; }
)");
  // While the initializer sleeps, address() and units() answer, and a() is still version 1.
  bool answered_during = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (p.events.count() == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto busy_since = std::chrono::steady_clock::now();
    bool ok = p.engine->address("a").ok() && !p.engine->units().empty();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                          busy_since).count();
    // A lookup blocked by the initializer would take the rest of its 3 s.
    if (ok && ms < 1000 && p.events.count() == before && p.fn<int()>("a")() == 1)
      answered_during = true;
  }
  ASSERT_EQ(p.events.count(), before + 1);
  EXPECT_TRUE(p.events.last().success) << p.events.last().message;
  EXPECT_TRUE(answered_during);
  EXPECT_EQ(p.fn<int()>("a")(), 2);
}

} // namespace
