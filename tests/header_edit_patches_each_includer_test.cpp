// A project header edit reaches every unit that includes it, as one transaction, and in each
// unit compiles only the bodies that name what the edit changed: a constant, an inline
// function's body. The other functions keep their code and their state.
#include <gtest/gtest.h>

#include <string>

#include "TestSupport.h"

namespace {
std::string header(int version, int bonus) {
  return "#pragma once\nnamespace proj {\nconstexpr int kVersion = " + std::to_string(version) +
         ";\ninline int bonus() { return " + std::to_string(bonus) + "; }\n}\n";
}
const char *kA = R"(#include "common.h"
int a_version() { return proj::kVersion; }
int a_calls() { static int n = 0; return ++n; }
int a_bonus() { return proj::bonus(); }
)";
const char *kB = R"(#include "common.h"
int b_version() { return proj::kVersion * 2; }
int b_other() { return 5; }
)";
} // namespace

TEST(HeaderEditPatch, EachIncluderCompilesOnlyWhatNamesTheEdit) {
  hot::test::LiveProject p;
  p.write("common.h", header(1, 10));
  p.write("a.cpp", kA);
  p.write("b.cpp", kB);
  ASSERT_TRUE(p.start().ok());
  auto a_version = p.fn<int()>("a_version");
  auto a_calls = p.fn<int()>("a_calls");
  auto a_bonus = p.fn<int()>("a_bonus");
  auto b_version = p.fn<int()>("b_version");
  auto b_other = p.fn<int()>("b_other");
  ASSERT_TRUE(a_version && a_calls && a_bonus && b_version && b_other);
  EXPECT_EQ(a_calls(), 1);

  size_t before = p.events.count();
  p.write("common.h", header(3, 10));
  ASSERT_TRUE(p.events.waitForReloads(before + 2, p.engine.get()));
  for (const hot::ReloadEvent &e : p.events.since(before)) {
    EXPECT_TRUE(e.success) << e.message;
    EXPECT_TRUE(e.partial) << e.unit;
  }
  EXPECT_EQ(a_version(), 3);
  EXPECT_EQ(b_version(), 6);
  EXPECT_EQ(a_calls(), 2) << "a skipped function keeps its static";
  EXPECT_EQ(b_other(), 5);

  before = p.events.count();
  p.write("common.h", header(3, 20));
  ASSERT_TRUE(p.events.waitForReloads(before + 2, p.engine.get()));
  for (const hot::ReloadEvent &e : p.events.since(before)) {
    EXPECT_TRUE(e.success) << e.message;
    EXPECT_TRUE(e.partial) << e.unit;
  }
  EXPECT_EQ(a_bonus(), 20) << "the inline function's new body is reached";
  EXPECT_EQ(a_version(), 3);
  EXPECT_EQ(a_calls(), 3);
}
