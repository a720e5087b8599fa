// A function added by an edit becomes callable, by the host and by other code in the unit.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(NewFunction, BecomesCallableAfterReload) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int first() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  EXPECT_FALSE(p.engine->function<int()>("second").ok());

  auto e = p.edit("a.cpp", "int second() { return 2; }\n"
                           "int first() { return second() * 10; }\n");
  ASSERT_TRUE(e.success) << e.message;
  auto second = p.fn<int()>("second");
  ASSERT_TRUE(second);
  EXPECT_EQ(second(), 2);
  EXPECT_EQ(p.fn<int()>("first")(), 20);
}
