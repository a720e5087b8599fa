// Exceptions thrown in JIT code are caught in JIT code, before and after reloads, and the
// standard library (string, vector, unordered_map, function, lambdas, iostream) works.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {
std::string unit(int bias) {
  return R"(
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>
int risky(int x) {
  try {
    if (x > 2) throw std::runtime_error("too big: " + std::to_string(x));
    return x;
  } catch (const std::exception &e) {
    return -int(std::string(e.what()).size());
  }
}
int library_mix() {
  std::vector<int> v{1, 2, 3};
  std::unordered_map<std::string, int> m{{"a", 1}};
  std::function<int(int)> f = [&](int k) { return k + m["a"]; };
  int sum = 0;
  for (int x : v) sum += f(x);
  std::cout << "sum=" << sum << std::endl;
  return sum + )" + std::to_string(bias) + R"(;
}
)";
}
} // namespace

TEST(Exceptions, ThrownAndCaughtInJitCodeAcrossReloads) {
  hot::test::LiveProject p;
  p.write("e.cpp", unit(0));
  ASSERT_TRUE(p.start().ok());
  auto risky = p.fn<int(int)>("risky");
  auto mix = p.fn<int()>("library_mix");
  EXPECT_EQ(risky(1), 1);
  EXPECT_EQ(risky(5), -10);
  EXPECT_EQ(mix(), 9);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(p.edit("e.cpp", unit(i * 100)).success);
    EXPECT_EQ(risky(7), -10) << "after reload " << i;
    EXPECT_EQ(mix(), 9 + i * 100);
  }
}
