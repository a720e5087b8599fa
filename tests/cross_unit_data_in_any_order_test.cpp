// Data one unit defines and another uses (a vtable whose key function is elsewhere, an extern
// global, a static data member, typeinfo caught by reference, an extern const object with a
// dynamic initializer) links whatever order the units load in, in a cycle too, on the first
// load and on every reload.
#include <gtest/gtest.h>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

const char *kHeader = R"(
#pragma once
struct Sphere { Sphere(int r) : r(r) {} virtual int f() const; int r; };
struct S { static int n; };
struct E { virtual ~E(); int code = 0; };
struct Cfg { Cfg(); int v; };
extern const Cfg config;
extern int counter;
void throwE();
int use();
)";

const char *kUser = R"(
#include "shape.h"
int use() {
  Sphere *b = new Sphere(3);
  int r = b->f();
  delete b;
  counter += 1;
  S::n += 10;
  try { throwE(); } catch (E &e) { r += e.code; }
  return r + counter * 100 + S::n * 1000 + config.v * 100000;
}
)";

std::string definer(int code) {
  return R"(
#include "shape.h"
int Sphere::f() const { return r; }
int counter = 1;
int S::n = 2;
E::~E() {}
void throwE() { E e; e.code = )" + std::to_string(code) + R"(; throw e; }
Cfg::Cfg() : v(5) {}
const Cfg config;
)";
}

/// The user unit sorts before (param true) or after the defining unit: the load order.
class CrossUnitData : public ::testing::TestWithParam<bool> {};

TEST_P(CrossUnitData, LinksInEitherOrderAndAfterReloads) {
  hot::test::LiveProject p;
  std::string user = GetParam() ? "a_user.cpp" : "z_user.cpp";
  std::string def = GetParam() ? "b_def.cpp" : "m_def.cpp";
  p.write("shape.h", kHeader);
  p.write(user, kUser);
  p.write(def, definer(4));
  hot::Status st = p.start();
  ASSERT_TRUE(st.ok()) << st.message();
  auto use = p.fn<int()>("use");
  ASSERT_TRUE(use);
  // 3 + 4, counter 2, S::n 12, config.v 5
  EXPECT_EQ(use(), 7 + 200 + 12000 + 500000);

  // Reload the definer: state is kept (counter stays 2, S::n 12), the new throw is seen.
  hot::ReloadEvent e = p.edit(def, definer(6));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(use(), 3 + 6 + 300 + 22000 + 500000);

  // Reload the user: still links against the definer's data.
  std::string edited = kUser;
  edited.replace(edited.find("r + counter"), 11, "r + 1 + counter");
  e = p.edit(user, edited);
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(use(), 3 + 6 + 1 + 400 + 32000 + 500000);
}

INSTANTIATE_TEST_SUITE_P(Order, CrossUnitData, ::testing::Values(true, false),
                         [](const auto &info) { return info.param ? "UserFirst" : "DefinerFirst"; });

TEST(CrossUnitData, UnitsUsingEachOthersDataInACycleLink) {
  hot::test::LiveProject p;
  p.write("shapes.h", R"(
#pragma once
struct Circle { virtual int area() const; int r = 2; };
struct Square { virtual int area() const; int s = 3; };
extern int a_val, b_val;
int a_total(); int b_total();
)");
  p.write("a.cpp", R"(
#include "shapes.h"
int a_val = 10;
int Circle::area() const { return 3 * r * r; }
int a_total() { Square sq; const Circle *c = new Circle; int t = c->area() + sq.area() + b_val; delete c; return t; }
)");
  p.write("b.cpp", R"(
#include "shapes.h"
int b_val = 20;
int Square::area() const { return s * s; }
int b_total() { Circle c; return c.area() + a_val; }
)");
  hot::Status st = p.start();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(p.fn<int()>("a_total")(), 12 + 9 + 20);
  EXPECT_EQ(p.fn<int()>("b_total")(), 12 + 10);
  hot::ReloadEvent e = p.edit("b.cpp", R"(
#include "shapes.h"
int b_val = 20;
int Square::area() const { return s * s + 1; }
int b_total() { Circle c; return c.area() + a_val + 1; }
)");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(p.fn<int()>("a_total")(), 12 + 10 + 20);
  EXPECT_EQ(p.fn<int()>("b_total")(), 12 + 10 + 1);
}

/// The issue's reproducer, under `hot run`: main.cpp sorts before sphere.cpp.
TEST(CrossUnitData, HotRunLoadsAVtableDefinedInALaterUnit) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("shape.h"),
                       "struct Sphere { Sphere(int r) : r(r) {} virtual int f() const; int r; };\n");
  hot::test::writeFile(dir.file("main.cpp"), R"(#include <cstdio>
#include "shape.h"
int main() { Sphere *b = new Sphere(3); std::printf("%d\n", b->f()); return 0; }
)");
  hot::test::writeFile(dir.file("sphere.cpp"),
                       "#include \"shape.h\"\nint Sphere::f() const { return r; }\n");
  auto o = hot::test::runCommand(hot::test::hotBinary() + " run --quiet " +
                                 dir.path().string() + " 2>&1");
  EXPECT_EQ(o.out, "3\n");
  EXPECT_EQ(o.status, 0) << o.out;
}

} // namespace
