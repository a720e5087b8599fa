// A burst of 20 saves compiles the newest content, and fewer than 20 times.
#include <gtest/gtest.h>

#include <thread>

#include "TestSupport.h"

TEST(Coalescing, BurstOfTwentySavesYieldsLastContent) {
  hot::test::LiveProject p;
  p.write("b.cpp", "int b() { return 0; }\n");
  ASSERT_TRUE(p.start().ok());
  auto b = p.fn<int()>("b");
  size_t before = p.events.count();
  for (int i = 1; i <= 20; ++i) p.write("b.cpp", "int b() { return " + std::to_string(i) + "; }\n");
  for (int i = 0; i < 6000 && b() != 20; ++i) {
    p.engine->update();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(b(), 20);
  p.engine->waitIdle();
  p.engine->update();
  size_t compiles = p.events.count() - before;
  EXPECT_GE(compiles, 1u);
  EXPECT_LT(compiles, 20u);
}
