// rollback(unit) returns a unit to its previous version (same state); the history is bounded
// and records each version's content hash and load time.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(Rollback, ReturnsToPreviousVersionAndHistoryIsBounded) {
  hot::Config c;
  c.history = 3;
  hot::test::LiveProject p(c);
  auto unit = [](int v) {
    return "static int n = 0;\nint step() { n += " + std::to_string(v) + "; return n; }\n";
  };
  p.write("u.cpp", unit(1));
  ASSERT_TRUE(p.start().ok());
  auto step = p.fn<int()>("step");
  EXPECT_EQ(step(), 1);
  ASSERT_TRUE(p.edit("u.cpp", unit(10)).success);
  EXPECT_EQ(step(), 11);

  ASSERT_TRUE(p.engine->rollback(p.path("u.cpp")).ok());
  EXPECT_EQ(step(), 12) << "version 1's code, the same state";

  for (int v = 2; v <= 5; ++v) ASSERT_TRUE(p.edit("u.cpp", unit(v * 100)).success);
  auto h = p.engine->history(p.path("u.cpp"));
  ASSERT_LE(h.size(), 3u);
  ASSERT_GE(h.size(), 2u);
  EXPECT_NE(h.back().content_hash, h[h.size() - 2].content_hash);
  EXPECT_GT(h.back().loaded_at_ms, 0);
  EXPECT_TRUE(h.back().live);
  EXPECT_FALSE(p.engine->rollback(p.path("nope.cpp")).ok());
}
