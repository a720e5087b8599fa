// A function-local static's constructor runs exactly once over 20 reloads (its guard variable
// is kept with it), and its value carries on.
#include <gtest/gtest.h>

#include "TestSupport.h"

extern "C" int hot_test_local_ctor_count = 0;

TEST(FunctionLocalStatic, ConstructedOnceOverTwentyReloads) {
  hot::test::LiveProject p;
  auto unit = [](int bias) {
    return "extern \"C\" int hot_test_local_ctor_count;\n"
           "struct Box { int n; Box() : n(0) { ++hot_test_local_ctor_count; } };\n"
           "int next() { static Box box; return ++box.n + " + std::to_string(bias) + "; }\n";
  };
  p.write("l.cpp", unit(0));
  ASSERT_TRUE(p.start().ok());
  auto next = p.fn<int()>("next");
  EXPECT_EQ(next(), 1);
  for (int i = 1; i <= 20; ++i) {
    auto e = p.edit("l.cpp", unit(i * 1000));
    ASSERT_TRUE(e.success) << e.message;
    EXPECT_EQ(next(), i + 1 + i * 1000);
  }
  EXPECT_EQ(hot_test_local_ctor_count, 1);
}
