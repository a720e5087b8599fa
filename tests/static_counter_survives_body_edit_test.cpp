// A `static int counter` keeps counting across an edit of the function's body.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(StaticCounter, SurvivesBodyEdit) {
  hot::test::LiveProject p;
  p.write("counter.cpp", "static int counter = 0;\nint tick() { return ++counter; }\n");
  ASSERT_TRUE(p.start().ok());
  auto tick = p.fn<int()>("tick");
  for (int i = 1; i <= 5; ++i) ASSERT_EQ(tick(), i);

  auto e = p.edit("counter.cpp", "static int counter = 0;\nint tick() { counter += 1; return counter; }\n");
  ASSERT_TRUE(e.success) << e.message;
  for (int i = 6; i <= 10; ++i) EXPECT_EQ(tick(), i);
}
