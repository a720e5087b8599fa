// Tiered compilation: a unit starts at tier 0; after the call threshold it is recompiled at
// tier 1 in the background and returns identical results; a static counter keeps counting
// across the tier change; an edit returns it to tier 0; with tiering off nothing changes tier.
#include <gtest/gtest.h>

#include <thread>

#include "TestSupport.h"

namespace {
std::string unit(int k) {
  return "static long calls = 0;\n"
         "long work(long n) { ++calls; long s = 0; for (long i = 0; i < n; ++i) s += i * " +
         std::to_string(k) + "; return s; }\n"
         "long calls_so_far() { return calls; }\n";
}

int tierOf(hot::HotEngine &e, const std::string &path) {
  for (auto &u : e.units())
    if (u.path == path) return u.tier;
  return -1;
}

/// Calls work() until the unit reaches tier 1 (or a generous deadline passes).
bool callUntilTierUp(hot::test::LiveProject &p, hot::Function<long(long)> &work) {
  for (int i = 0; i < 6000; ++i) {
    for (int j = 0; j < 100; ++j) work(10);
    p.engine->update();
    if (!p.events.tiers().empty() && tierOf(*p.engine, p.path("w.cpp")) == 1) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}
} // namespace

TEST(Tiering, HotUnitMovesToTierOneAndBackOnEdit) {
  hot::Config c;
  c.tiering.enabled = true;
  c.tiering.call_threshold = 1000;
  hot::test::LiveProject p(c);
  p.write("w.cpp", unit(3));
  ASSERT_TRUE(p.start().ok());
  auto work = p.fn<long(long)>("work");
  auto calls = p.fn<long()>("calls_so_far");
  EXPECT_EQ(tierOf(*p.engine, p.path("w.cpp")), 0);
  long expected = work(1000);

  ASSERT_TRUE(callUntilTierUp(p, work));
  EXPECT_EQ(p.events.tiers()[0].from_tier, 0);
  EXPECT_EQ(p.events.tiers()[0].to_tier, 1);
  ASSERT_FALSE(p.events.tiers()[0].functions.empty());
  EXPECT_NE(p.events.tiers()[0].functions[0].find("work"), std::string::npos);
  EXPECT_EQ(work(1000), expected) << "identical results at tier 1";
  long before = calls();
  work(1);
  EXPECT_EQ(calls(), before + 1) << "the static counter is the same storage across tiers";

  auto e = p.edit("w.cpp", unit(4));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(tierOf(*p.engine, p.path("w.cpp")), 0) << "an edit starts again at tier 0";
  EXPECT_EQ(work(1000), expected / 3 * 4);
  EXPECT_GT(calls(), before) << "state kept across the edit too";
}

TEST(Tiering, DisabledMeansNoTierChange) {
  hot::test::LiveProject p; // tiering off by default
  p.write("w.cpp", unit(3));
  ASSERT_TRUE(p.start().ok());
  auto work = p.fn<long(long)>("work");
  for (int i = 0; i < 200000; ++i) work(1);
  for (int i = 0; i < 30; ++i) {
    p.engine->update();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(p.events.tiers().empty());
  EXPECT_EQ(tierOf(*p.engine, p.path("w.cpp")), 0);
}

namespace {
const hot::ReloadEvent *loadOf(const std::vector<hot::ReloadEvent> &events, const std::string &path) {
  for (const hot::ReloadEvent &e : events)
    if (e.unit == path) return &e;
  return nullptr;
}
} // namespace

TEST(Tiering, AUnitHotInAnEarlierRunStartsAtTierOneReadBackFromTheCache) {
  hot::test::TempDir cache;
  hot::Config c;
  c.tiering.enabled = true;
  c.tiering.call_threshold = 1000;
  c.cache_dir = cache.path().string();
  hot::test::LiveProject p(c);
  p.write("w.cpp", unit(3));
  p.write("cold.cpp", "int cold() { return 7; }\n");
  ASSERT_TRUE(p.start().ok());
  long expected = 0;
  {
    auto work = p.fn<long(long)>("work");
    expected = work(1000);
    ASSERT_TRUE(callUntilTierUp(p, work));
  }
  p.engine.reset(); // the program exits; its cache stays

  size_t before = p.events.count();
  size_t tier_changes = p.events.tiers().size();
  ASSERT_TRUE(p.start().ok());
  auto loads = p.events.since(before);
  const hot::ReloadEvent *w = loadOf(loads, p.path("w.cpp"));
  const hot::ReloadEvent *cold = loadOf(loads, p.path("cold.cpp"));
  ASSERT_TRUE(w && cold);
  EXPECT_TRUE(w->success) << w->message;
  EXPECT_EQ(w->tier, 1) << "hot last time: it starts at tier 1";
  EXPECT_TRUE(w->from_cache);
  EXPECT_EQ(cold->tier, 0) << "never hot: it starts at tier 0 and is profiled";
  EXPECT_EQ(tierOf(*p.engine, p.path("w.cpp")), 1);
  EXPECT_EQ(tierOf(*p.engine, p.path("cold.cpp")), 0);

  auto work = p.fn<long(long)>("work");
  auto calls = p.fn<long()>("calls_so_far");
  EXPECT_EQ(work(1000), expected) << "the same results as the tier-0 code";
  for (int i = 0; i < 3000; ++i) work(1);
  p.engine->update();
  EXPECT_EQ(calls(), 3001) << "state of this run, counted by the tier-1 code";
  EXPECT_EQ(p.events.tiers().size(), tier_changes) << "already at tier 1: no tier change";

  auto e = p.edit("w.cpp", unit(4));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(e.tier, 0) << "an edit of a unit that started hot is back at tier 0";
  EXPECT_EQ(work(1000), expected / 3 * 4);
  EXPECT_EQ(calls(), 3002);
}

TEST(Tiering, WithoutACacheEveryStartIsAtTierZero) {
  hot::Config c;
  c.tiering.enabled = true;
  c.tiering.call_threshold = 1000;
  hot::test::LiveProject p(c);
  p.write("w.cpp", unit(3));
  ASSERT_TRUE(p.start().ok());
  {
    auto work = p.fn<long(long)>("work");
    ASSERT_TRUE(callUntilTierUp(p, work));
  }
  p.engine.reset();
  ASSERT_TRUE(p.start().ok());
  EXPECT_EQ(tierOf(*p.engine, p.path("w.cpp")), 0);
}
