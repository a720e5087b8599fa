// A global removed from the source is left alone (not destroyed under running code) and
// reported.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(RemovedGlobal, IsKeptAndReported) {
  hot::test::LiveProject p;
  p.write("g.cpp", "int total = 5;\nint *total_ptr() { return &total; }\n");
  ASSERT_TRUE(p.start().ok());
  int *total = p.fn<int *()>("total_ptr")();
  *total = 9;
  ASSERT_TRUE(p.edit("g.cpp", "int other() { return 1; }\n").success);
  EXPECT_EQ(*total, 9) << "storage still valid";
  bool reported = false;
  for (auto &m : p.events.messages()) reported |= m.find("total") != std::string::npos;
  EXPECT_TRUE(reported);
}
