// A compile that runs past Config::compile_budget_ms is cancelled: the change fails with a
// message naming the unit and the budget, the running version stays, the engine keeps
// watching and applies the next save.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {

// Tens of thousands of distinct function templates to instantiate and compile: seconds of
// work at any speed, far past a 300 ms budget.
const char *kHeavy = R"(#include <cstddef>
#include <utility>
template <std::size_t I> int f() { int s = 0; for (std::size_t k = 0; k < I % 7; ++k) s += int(k * I); return s; }
template <std::size_t... I> int sum(std::index_sequence<I...>) {
  int (*t[])() = {&f<I>...};
  int s = 0;
  for (auto *p : t) s += p();
  return s;
}
int heavy() { return sum(std::make_index_sequence<60000>{}); }
int a() { return 2; }
)";

TEST(CompileBudget, AnOverlongCompileIsCancelledAndTheNextSaveApplied) {
  hot::Config config;
  config.compile_budget_ms = 300;
  hot::test::LiveProject p(config);
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  auto start = std::chrono::steady_clock::now();
  hot::ReloadEvent e = p.edit("a.cpp", kHeavy);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(e.success);
  std::string all = e.message;
  for (auto &d : e.diagnostics) all += "\n" + d.formatted;
  EXPECT_NE(all.find(p.path("a.cpp") + ": error: compiling took longer than compile_budget_ms "
                                        "(300 ms): cancelled, the running version stays"),
            std::string::npos)
      << all;
  EXPECT_EQ(p.fn<int()>("a")(), 1) << "version 1 keeps running";
  e = p.edit("a.cpp", "int a() { return 3; }\n");
  EXPECT_TRUE(e.success) << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), 3);
  std::printf("cancelled after %.2f s\n", seconds);
}

} // namespace
