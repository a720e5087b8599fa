// With debug_info, each version's objects are on the GDB JIT interface's list while their
// code is mapped, and leave it when the version is retired: after many reloads the list
// holds what is live, not every version ever loaded (whose debug objects are freed).
#include <gtest/gtest.h>

#include "TestSupport.h"
#include "jit/DebuggerRegistration.h"

namespace {

/// Edits a.cpp `edits` times, then lets the engine retire what no thread runs: the running
/// version, the one history keeps, and one a stale stack word may pin (the scan is
/// conservative).
void reloadMany(hot::test::LiveProject &p, int edits) {
  for (int i = 1; i <= edits; ++i)
    ASSERT_TRUE(p.edit("a.cpp", "int a() { return " + std::to_string(i) + "; }\n").success);
  ASSERT_LE(p.settleLiveVersions(3).live_versions, 3u);
}

} // namespace

TEST(DebugObjects, RetiredVersionsLeaveTheDebuggersList) {
  hot::Config c;
  c.debug_info = true;
  c.history = 1;
  hot::test::LiveProject p(c);
  p.write("a.cpp", "int a() { return 0; }\n");
  std::size_t before = hot::jit::registeredDebugObjects();
  ASSERT_TRUE(p.start().ok());
  std::size_t started = hot::jit::registeredDebugObjects();
  EXPECT_GT(started, before) << "the first version is registered";
  reloadMany(p, 20);
  EXPECT_EQ(p.fn<int()>("a")(), 20);
  std::size_t after = hot::jit::registeredDebugObjects();
  // One code object per mapped version, not one per version loaded.
  EXPECT_LE(after, started + p.engine->stats().live_versions) << "20 versions were loaded";
  EXPECT_GE(after, started) << "the running version stays registered";
}

TEST(DebugObjects, NothingIsRegisteredWhenTurnedOff) {
  hot::Config c;
  c.debug_info = true;
  c.register_with_debugger = false;
  c.history = 1;
  hot::test::LiveProject p(c);
  p.write("a.cpp", "int a() { return 0; }\n");
  std::size_t before = hot::jit::registeredDebugObjects();
  ASSERT_TRUE(p.start().ok());
  reloadMany(p, 3);
  EXPECT_EQ(hot::jit::registeredDebugObjects(), before);
}
