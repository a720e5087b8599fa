// Two files saved together form one transaction: if one fails to compile neither changes; once
// it is fixed both change at once.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(Transaction, TwoFilesAllOrNothing) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  p.write("b.cpp", "int b() { return 10; }\n");
  ASSERT_TRUE(p.start().ok());
  auto a = p.fn<int()>("a");
  auto b = p.fn<int()>("b");

  size_t n = p.events.count();
  p.write("a.cpp", "int a() { return 2; }\n");
  p.write("b.cpp", "int b() { return 20 }\n"); // missing ';'
  auto failed = p.waitEvents(n + 2);
  EXPECT_FALSE(failed.success);
  EXPECT_EQ(p.events.reloads[n].transaction, p.events.reloads[n + 1].transaction);
  EXPECT_EQ(a(), 1) << "a.cpp compiled, but its transaction failed";
  EXPECT_EQ(b(), 10);

  n = p.events.count();
  p.write("b.cpp", "int b() { return 20; }\n");
  auto fixed = p.waitEvents(n + 2);
  EXPECT_TRUE(fixed.success) << fixed.message;
  EXPECT_EQ(a(), 2);
  EXPECT_EQ(b(), 20);
  EXPECT_EQ(p.events.reloads[n].transaction, p.events.reloads[n + 1].transaction);
}
