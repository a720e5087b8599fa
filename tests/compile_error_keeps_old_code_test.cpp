// A compile error keeps the running version, reports file:line:col, and a fixed save reloads.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(CompileError, KeepsOldCodeReportsLocationAndRecovers) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int answer() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  auto answer = p.fn<int()>("answer");
  ASSERT_EQ(answer(), 1);

  auto bad = p.edit("a.cpp", "int answer() {\n  return missing_name;\n}\n");
  EXPECT_FALSE(bad.success);
  EXPECT_EQ(bad.code, hot::ErrorCode::CompileError);
  EXPECT_NE(bad.message.find(p.path("a.cpp") + ":2:10: error:"), std::string::npos)
      << bad.message;
  ASSERT_FALSE(bad.diagnostics.empty());
  EXPECT_EQ(bad.diagnostics[0].line, 2u);
  EXPECT_NE(bad.diagnostics[0].formatted.find("^"), std::string::npos);
  EXPECT_EQ(answer(), 1) << "the old version keeps running";

  auto good = p.edit("a.cpp", "int answer() { return 2; }\n");
  EXPECT_TRUE(good.success) << good.message;
  EXPECT_EQ(answer(), 2);
}
