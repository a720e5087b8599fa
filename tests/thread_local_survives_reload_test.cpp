// thread_local variables in JIT code work per thread and keep their values across a reload.
#include <gtest/gtest.h>

#include <thread>

#include "TestSupport.h"

TEST(ThreadLocal, PerThreadAndKeptAcrossReload) {
  hot::test::LiveProject p;
  auto unit = [](int step) {
    return "thread_local int tl_count = 0;\nint bump() { tl_count += " + std::to_string(step) +
           "; return tl_count; }\n";
  };
  p.write("t.cpp", unit(1));
  ASSERT_TRUE(p.start().ok());
  auto bump = p.fn<int()>("bump");
  EXPECT_EQ(bump(), 1);
  EXPECT_EQ(bump(), 2);
  int other = 0;
  std::thread([&] { other = bump(); }).join();
  EXPECT_EQ(other, 1) << "another thread has its own copy";
  ASSERT_TRUE(p.edit("t.cpp", unit(10)).success);
  EXPECT_EQ(bump(), 12);
}
