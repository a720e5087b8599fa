// Constructors and destructors defined outside their class: clang emits the complete-object
// variant (C1/D1) as an alias of the base-object one (C2/D2). Both load, run, and reload.
#include <gtest/gtest.h>

#include <string>

#include "TestSupport.h"

namespace {
std::string unit(int ctor_step, int dtor_step) {
  return "int constructed = 0, destroyed = 0;\n"
         "struct Base {\n"
         "  Base();\n"
         "  virtual ~Base();\n"
         "};\n"
         "Base::Base() { constructed += " + std::to_string(ctor_step) + "; }\n"
         "Base::~Base() { destroyed += " + std::to_string(dtor_step) + "; }\n"
         "struct Derived : Base {};\n"
         "int cycle() {\n"
         "  { Base b; }\n"
         "  Base *d = new Derived;\n"
         "  delete d;\n"
         "  return constructed * 100 + destroyed;\n"
         "}\n";
}
} // namespace

TEST(OutOfLineConstructor, LoadsRunsAndReloads) {
  hot::test::LiveProject p;
  p.write("objects.cpp", unit(1, 1));
  hot::Status st = p.start();
  ASSERT_TRUE(st.ok()) << st.message();
  auto cycle = p.fn<int()>("cycle");
  ASSERT_TRUE(cycle);
  EXPECT_EQ(cycle(), 202) << "two objects built and destroyed (one through the base, virtually)";

  auto e = p.edit("objects.cpp", unit(10, 5));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(cycle(), 2212) << "the new constructor and destructor bodies run";
}
