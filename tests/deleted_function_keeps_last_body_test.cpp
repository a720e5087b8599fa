// Deleting a function: callers holding it keep reaching its last body, the handle reports it is
// no longer current, and a message names it.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(DeletedFunction, KeepsLastBodyAndIsReported) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int keep() { return 1; }\nint doomed() { return 42; }\n");
  ASSERT_TRUE(p.start().ok());
  auto doomed = p.fn<int()>("doomed");
  ASSERT_TRUE(doomed.current());

  ASSERT_TRUE(p.edit("a.cpp", "int keep() { return 2; }\n").success);
  EXPECT_EQ(p.fn<int()>("keep")(), 2);
  EXPECT_EQ(doomed(), 42) << "no dangling call: the last body stays mapped";
  EXPECT_FALSE(doomed.current());
  bool reported = false;
  for (auto &m : p.events.messages()) reported |= m.find("doomed()") != std::string::npos;
  EXPECT_TRUE(reported);
  EXPECT_FALSE(p.engine->function<int()>("doomed").ok()) << "new lookups do not find it";

  for (int i = 3; i < 8; ++i) // later reloads never free the version it lives in
    ASSERT_TRUE(p.edit("a.cpp", "int keep() { return " + std::to_string(i) + "; }\n").success);
  EXPECT_EQ(doomed(), 42);
}

TEST(DeletedFunction, TheWarningNamesTheUnitsThatStillCallIt) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int keep() { return 1; }\nint doomed() { return 42; }\n");
  p.write("b.cpp", "int doomed();\nint uses() { return doomed() + 1; }\n");
  p.write("c.cpp", "int keep();\nint other() { return keep(); }\n");
  ASSERT_TRUE(p.start().ok());
  ASSERT_TRUE(p.edit("a.cpp", "int keep() { return 2; }\n").success);
  std::string warning;
  for (auto &m : p.events.messages())
    if (m.find("'int doomed()' was removed") != std::string::npos) warning = m;
  EXPECT_NE(warning.find("; still called by " + p.path("b.cpp")), std::string::npos) << warning;
  EXPECT_EQ(warning.find("c.cpp"), std::string::npos) << warning;
  EXPECT_EQ(p.fn<int()>("uses")(), 43);
}
