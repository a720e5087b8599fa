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
