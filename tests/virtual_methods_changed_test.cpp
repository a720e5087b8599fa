// A virtual method body edit reaches old objects; adding (or reordering) virtual methods of a
// class whose vtable the running program holds is refused with the class named.
#include <gtest/gtest.h>

#include "TestSupport.h"

struct Animal {
  virtual ~Animal() = default;
  virtual int legs() const = 0;
};

namespace {
std::string v(int legs, bool extra) {
  std::string s = "struct Animal { virtual ~Animal() = default; virtual int legs() const = 0;";
  if (extra) s += " virtual int eyes() const { return 2; }";
  s += " };\nstruct Dog : Animal { int legs() const override { return " + std::to_string(legs) +
       "; } };\nAnimal *make_dog() { return new Dog(); }\n";
  return s;
}
} // namespace

TEST(VirtualMethods, BodyEditReachesOldObjectsShapeChangeIsRefused) {
  hot::test::LiveProject p;
  p.write("d.cpp", v(4, false));
  ASSERT_TRUE(p.start().ok());
  Animal *dog = p.fn<Animal *()>("make_dog")();
  ASSERT_EQ(dog->legs(), 4);
  ASSERT_TRUE(p.edit("d.cpp", v(3, false)).success);
  EXPECT_EQ(dog->legs(), 3);

  auto e = p.edit("d.cpp", v(5, true));
  EXPECT_FALSE(e.success);
  EXPECT_EQ(e.code, hot::ErrorCode::LayoutChanged);
  EXPECT_NE(e.message.find("vtable for Dog"), std::string::npos) << e.message;
  EXPECT_EQ(dog->legs(), 3);
  delete dog;
}
