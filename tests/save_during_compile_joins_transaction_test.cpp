// The debounce window overlaps the compile instead of delaying it: with no quiet period at
// all (debounce_ms 0), a save that lands while a unit is still compiling joins that unit's
// transaction, and a newer save of the same file replaces the older compile (which is never
// applied). A constant-evaluation loop makes the compile take long enough (about half a
// second of CPU) for the second save to land during it.
#include <gtest/gtest.h>

#include <thread>

#include "TestSupport.h"

namespace {

hot::Config noQuietPeriod() {
  hot::Config c;
  c.debounce_ms = 0;
  c.flags.push_back("-fconstexpr-steps=1000000000");
  return c;
}

std::string slowUnit(int value) {
  return "constexpr long spin(long n) { long s = 0; for (long i = 0; i < n; ++i) s += i % 7; "
         "return s; }\n"
         "static_assert(spin(300000) > 0);\n"
         "int a() { return " + std::to_string(value) + "; }\n";
}

void letTheCompileStart() { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }

} // namespace

TEST(SaveDuringCompile, OtherFileJoinsTheTransaction) {
  hot::test::LiveProject p(noQuietPeriod());
  p.write("a.cpp", slowUnit(1));
  p.write("b.cpp", "int b() { return 10; }\n");
  ASSERT_TRUE(p.start().ok());
  auto a = p.fn<int()>("a");
  auto b = p.fn<int()>("b");

  size_t n = p.events.count();
  p.write("a.cpp", slowUnit(2));
  letTheCompileStart();
  p.write("b.cpp", "int b() { return 20; }\n");
  auto last = p.waitEvents(n + 2);
  ASSERT_TRUE(last.success) << last.message;
  EXPECT_EQ(p.events.reloads[n].transaction, p.events.reloads[n + 1].transaction)
      << "b.cpp was saved while a.cpp compiled: one transaction";
  EXPECT_EQ(a(), 2);
  EXPECT_EQ(b(), 20);
}

TEST(SaveDuringCompile, NewerSaveOfTheSameFileReplacesTheCompile) {
  hot::test::LiveProject p(noQuietPeriod());
  p.write("a.cpp", slowUnit(1));
  ASSERT_TRUE(p.start().ok());
  auto a = p.fn<int()>("a");

  size_t n = p.events.count();
  p.write("a.cpp", slowUnit(2));
  letTheCompileStart();
  p.write("a.cpp", slowUnit(3));
  auto last = p.waitEvents(n + 1);
  ASSERT_TRUE(last.success) << last.message;
  p.engine->waitIdle();
  p.engine->update();
  EXPECT_EQ(a(), 3);
  EXPECT_EQ(p.events.count(), n + 1) << "the superseded version 2 was never applied";
}
