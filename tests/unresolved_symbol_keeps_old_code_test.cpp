// A new version calling a function nobody defines fails to link before any stub moves.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(UnresolvedSymbol, KeepsOldCodeAndNamesTheSymbol) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int answer() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  auto answer = p.fn<int()>("answer");
  ASSERT_EQ(answer(), 1);

  auto bad = p.edit("a.cpp", "int nowhere_defined(int);\n"
                             "int answer() { return nowhere_defined(2); }\n");
  EXPECT_FALSE(bad.success);
  EXPECT_EQ(bad.code, hot::ErrorCode::LinkError);
  EXPECT_NE(bad.message.find("nowhere_defined(int)"), std::string::npos) << bad.message;
  EXPECT_NE(bad.message.find(p.path("a.cpp") + ":1:5"), std::string::npos) << bad.message;
  EXPECT_EQ(answer(), 1);

  auto good = p.edit("a.cpp", "int answer() { return 3; }\n");
  EXPECT_TRUE(good.success) << good.message;
  EXPECT_EQ(answer(), 3);
}

// Units are linked in parallel: each failure names its own unit's missing symbol, never the
// one another unit lacks at the same moment.
TEST(UnresolvedSymbol, TwoUnitsFailingTogetherEachNameTheirOwnSymbol) {
  for (int round = 0; round < 5; ++round) {
    hot::test::LiveProject p;
    p.write("a.cpp", "int only_a_lacks_this(int);\nint a() { return only_a_lacks_this(1); }\n");
    p.write("b.cpp", "int only_b_lacks_this(int);\nint b() { return only_b_lacks_this(2); }\n");
    EXPECT_FALSE(p.start().ok());
    bool named = false;
    for (const hot::ReloadEvent &e : p.events.since(0)) {
      if (e.code != hot::ErrorCode::LinkError || !e.waiting_for.empty()) continue;
      bool is_a = e.unit == p.path("a.cpp");
      const char *own = is_a ? "only_a_lacks_this" : "only_b_lacks_this";
      const char *other = is_a ? "only_b_lacks_this" : "only_a_lacks_this";
      EXPECT_NE(e.message.find(own), std::string::npos) << e.message;
      EXPECT_EQ(e.message.find(other), std::string::npos) << e.message;
      named = true;
    }
    EXPECT_TRUE(named);
  }
}
