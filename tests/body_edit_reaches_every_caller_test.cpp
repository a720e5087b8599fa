// A body edit is seen through a typed handle, through a call from another unit, through a
// function pointer saved before the reload and through a virtual call on an object made before
// the reload.
#include <gtest/gtest.h>

#include "TestSupport.h"

using hot::test::LiveProject;

// The host's view of the class the JIT code defines (same name, so the same mangled type).
struct Shape { virtual ~Shape() = default; virtual int sides() const = 0; };

namespace {
const char *kShape = R"(
struct Shape { virtual ~Shape() = default; virtual int sides() const = 0; };
)";
std::string shapes(int triangle) {
  return std::string("#include \"shape.h\"\n") +
         "struct Tri : Shape { int sides() const override { return " + std::to_string(triangle) +
         "; } };\n"
         "Shape *make_shape() { return new Tri(); }\n"
         "int value() { return " + std::to_string(triangle * 10) + "; }\n";
}
const char *kCaller = R"(
int value();
int call_value_from_other_unit() { return value() + 1; }
using Fn = int (*)();
Fn value_pointer() { return &value; }
)";
} // namespace

TEST(BodyEdit, ReachesHandleOtherUnitSavedPointerAndVirtualCall) {
  LiveProject p;
  p.write("shape.h", kShape);
  p.write("shapes.cpp", shapes(3));
  p.write("caller.cpp", kCaller);
  ASSERT_TRUE(p.start().ok());

  auto value = p.fn<int()>("value");
  auto other = p.fn<int()>("call_value_from_other_unit");
  auto pointer = p.fn<int (*())()>("value_pointer");
  auto make = p.fn<Shape *()>("make_shape");
  ASSERT_TRUE(value && other && pointer && make);

  EXPECT_EQ(value(), 30);
  EXPECT_EQ(other(), 31);
  int (*saved)() = pointer();
  EXPECT_EQ(saved(), 30);
  Shape *old_object = make();
  EXPECT_EQ(old_object->sides(), 3);

  auto e = p.edit("shapes.cpp", shapes(4));
  ASSERT_TRUE(e.success) << e.message;

  EXPECT_EQ(value(), 40);
  EXPECT_EQ(other(), 41);
  EXPECT_EQ(saved(), 40) << "a function pointer taken before the reload reaches the new body";
  EXPECT_EQ(saved, pointer()) << "the function's address does not change";
  EXPECT_EQ(old_object->sides(), 4) << "virtual call on an object made by version 1";
  delete old_object;
}
