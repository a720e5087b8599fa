// Inline functions, templates and lambdas (with and without captures) defined in a reloaded
// unit are really replaced: a linkonce definition never keeps its first version.
#include <gtest/gtest.h>

#include <functional>

#include "TestSupport.h"

namespace {
std::string unit(int k) {
  std::string n = std::to_string(k);
  return "#include <functional>\n"
         "inline int inl(int x) { return x + " + n + "; }\n"
         "template <typename T> T tmpl(T x) { return x * " + n + "; }\n"
         "int use_inline(int x) { return inl(x); }\n"
         "int use_template(int x) { return tmpl<int>(x); }\n"
         "using Fp = int (*)(int);\n"
         "Fp plain_lambda() { return [](int x) { return x - " + n + "; }; }\n"
         "std::function<int(int)> saved;\n"
         "void save_capturing(int base) { saved = [base](int x) { return base + x * " + n + "; }; }\n"
         "int call_saved(int x) { return saved(x); }\n";
}
} // namespace

TEST(InlineTemplateLambda, AreReplacedOnReload) {
  hot::test::LiveProject p;
  p.write("t.cpp", unit(1));
  ASSERT_TRUE(p.start().ok());
  auto use_inline = p.fn<int(int)>("use_inline");
  auto use_template = p.fn<int(int)>("use_template");
  auto call_saved = p.fn<int(int)>("call_saved");
  int (*lambda)(int) = p.fn<int (*())(int)>("plain_lambda")();
  p.fn<void(int)>("save_capturing")(100);
  EXPECT_EQ(use_inline(10), 11);
  EXPECT_EQ(use_template(10), 10);
  EXPECT_EQ(lambda(10), 9);
  EXPECT_EQ(call_saved(10), 110);

  ASSERT_TRUE(p.edit("t.cpp", unit(2)).success);
  EXPECT_EQ(use_inline(10), 12) << "inline function replaced";
  EXPECT_EQ(use_template(10), 20) << "template instantiation replaced";
  EXPECT_EQ(lambda(10), 8) << "capture-less lambda converted to a pointer before the reload";
  EXPECT_EQ(call_saved(10), 120) << "std::function made by version 1 runs version 2's lambda";
}
