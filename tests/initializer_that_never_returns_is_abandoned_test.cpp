// A unit's static initializer runs on a thread of its own under a watchdog: one that loops
// forever is reported while it runs and abandoned after Config::init_timeout_ms (its change is
// not applied, the engine keeps answering and applies the next good save); pthread_exit() in
// an initializer no longer aborts the program.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {

TEST(InitializerWatchdog, AnEndlessInitializerIsAbandonedAndTheEngineGoesOn) {
  hot::Config config;
  config.init_timeout_ms = 1500;
  hot::test::LiveProject p(config);
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  hot::ReloadEvent e = p.edit("a.cpp", R"(#include <atomic>
std::atomic<int> spins{0};
static int forever() { for (;;) ++spins; return 0; }
int g = forever();
int a() { return 2; }
)");
  EXPECT_FALSE(e.success);
  EXPECT_EQ(e.code, hot::ErrorCode::InitializerFailed);
  EXPECT_NE(e.message.find("the static initializer did not return within 1500 ms: abandoned"),
            std::string::npos)
      << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), 1) << "the running version is kept";
  // The engine still answers: lookups, and the next good save.
  e = p.edit("a.cpp", "int a() { return 3; }\n");
  EXPECT_TRUE(e.success) << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), 3);
}

TEST(InitializerWatchdog, PthreadExitInAnInitializerIsAFailureNotAnAbort) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  hot::ReloadEvent e = p.edit("a.cpp", R"(#include <pthread.h>
static int leave() { pthread_exit(nullptr); return 0; }
int g = leave();
int a() { return 2; }
)");
  EXPECT_FALSE(e.success);
  EXPECT_NE(e.message.find("called pthread_exit()"), std::string::npos) << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), 1);
  e = p.edit("a.cpp", "int a() { return 4; }\n");
  EXPECT_TRUE(e.success) << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), 4);
}

} // namespace
