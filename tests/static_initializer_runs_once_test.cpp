// Dynamic initializers run once per global: never again for a kept global, once for a new one.
#include <gtest/gtest.h>

#include "TestSupport.h"

extern "C" int hot_test_init_count = 0; // the JIT code increments the host's counter

TEST(StaticInitializer, RunsOncePerNewGlobal) {
  hot::test::LiveProject p;
  const char *v1 = R"(
extern "C" int hot_test_init_count;
struct Counted { int v; Counted() : v(7) { ++hot_test_init_count; } };
Counted a;
int get() { return a.v; }
)";
  p.write("g.cpp", v1);
  ASSERT_TRUE(p.start().ok());
  EXPECT_EQ(hot_test_init_count, 1);
  for (int i = 0; i < 3; ++i) {
    std::string body = std::string(v1) + "int extra" + std::to_string(i) + "() { return " +
                       std::to_string(i) + "; }\n";
    ASSERT_TRUE(p.edit("g.cpp", body).success);
  }
  EXPECT_EQ(hot_test_init_count, 1) << "a kept global is not constructed again";

  std::string v2 = std::string(v1) + "Counted b;\nint get_b() { return b.v; }\n";
  ASSERT_TRUE(p.edit("g.cpp", v2).success);
  EXPECT_EQ(hot_test_init_count, 2) << "the new global is constructed once";
  EXPECT_EQ(p.fn<int()>("get_b")(), 7);
}
