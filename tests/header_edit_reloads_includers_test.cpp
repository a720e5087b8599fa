// Saving a project header recompiles every unit that includes it, as one transaction.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(HeaderEdit, ReloadsEveryIncluderInOneTransaction) {
  hot::test::LiveProject p;
  p.write("inc/config.h", "#pragma once\nconstexpr int kScale = 2;\n");
  p.write("a.cpp", "#include \"inc/config.h\"\nint a() { return kScale * 10; }\n");
  p.write("b.cpp", "#include \"inc/config.h\"\nint b() { return kScale * 100; }\n");
  p.write("c.cpp", "int c() { return 7; }\n");
  ASSERT_TRUE(p.start().ok());
  auto a = p.fn<int()>("a");
  auto b = p.fn<int()>("b");
  EXPECT_EQ(a() + b(), 220);

  size_t before = p.events.count();
  p.write("inc/config.h", "#pragma once\nconstexpr int kScale = 3;\n");
  p.waitEvents(before + 2);
  EXPECT_EQ(a(), 30);
  EXPECT_EQ(b(), 300);
  ASSERT_EQ(p.events.count(), before + 2) << "c.cpp does not include the header";
  EXPECT_EQ(p.events.reloads[before].transaction, p.events.reloads[before + 1].transaction);
}
