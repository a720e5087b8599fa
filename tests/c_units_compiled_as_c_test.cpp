// `.c` files are C units: compiled as C (gnu17 unless configured), linked with the C++ units of
// the same program, and reloaded like them (their functions are stubbed by their plain names).
#include <gtest/gtest.h>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

TEST(CUnits, MixedProgramLinksAndTheCUnitReloads) {
  hot::test::LiveProject p;
  p.write("include/util.h", R"(
#ifdef __cplusplus
extern "C" {
#endif
int c_add(int a, int b);
extern int c_calls;
int cpp_twice(int x);
#ifdef __cplusplus
}
#endif
)");
  // C only: a designated initializer of a compound literal, `new` and `class` as identifiers.
  p.write("util.c", R"(
#include "include/util.h"
int c_calls = 0;
struct pair { int new, class; };
int c_add(int a, int b) {
  struct pair p = (struct pair){.new = a, .class = b};
  c_calls++;
  return p.new + p.class + cpp_twice(0);
}
)");
  p.write("twice.cpp", R"(
#include "include/util.h"
extern "C" int cpp_twice(int x) { return 2 * x; }
int sum3(int a, int b, int c) { return c_add(c_add(a, b), c); }
)");
  hot::Status st = p.start();
  ASSERT_TRUE(st.ok()) << st.message();
  auto sum3 = p.fn<int(int, int, int)>("sum3");
  ASSERT_TRUE(sum3);
  EXPECT_EQ(sum3(1, 2, 3), 6);
  hot::ReloadEvent e = p.edit("util.c", R"(
#include "include/util.h"
int c_calls = 0;
struct pair { int new, class; };
int c_add(int a, int b) {
  struct pair p = (struct pair){.new = a, .class = b};
  c_calls++;
  return p.new + p.class + cpp_twice(1);
}
)");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(sum3(1, 2, 3), 10);
  auto calls = p.engine->function<int()>("c_calls");
  EXPECT_FALSE(calls.ok()) << "c_calls is data, not a function";
}

TEST(CUnits, AFolderOfCUnitsRunsUnderHotRun) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.c"), R"(#include <stdio.h>
int square(int);
int main(int argc, char **argv) { (void)argv; printf("%d\n", square(argc + 2)); return 0; }
)");
  hot::test::writeFile(dir.file("square.c"), "int square(int x) { return x * x; }\n");
  auto o = hot::test::runCommand(hot::test::hotBinary() + " run --quiet " +
                                 dir.path().string() + " 2>&1");
  EXPECT_EQ(o.out, "9\n");
  EXPECT_EQ(o.status, 0) << o.out;
}

} // namespace
