// An edit inside one function body recompiles only that body (ReloadEvent::partial); every
// other function keeps its running code and its state, and the result behaves exactly like a
// full recompile: statics survive, skipped static helpers are still callable, rollback works,
// code does not pile up. A constant edit recompiles the bodies that name it; a new declaration
// is a full recompile.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "TestSupport.h"

using hot::test::LiveProject;

namespace {
std::string unit(const std::string &value_body, const std::string &decls = "") {
  return "#include <string>\n#include <vector>\n" + decls +
         "static int helper(int x) { return x * 2; }\n"
         "namespace {\n"
         "int hidden() { return 5; }\n"
         "}\n"
         "struct Bag {\n"
         "  std::vector<std::string> items;\n"
         "  int count() const { return int(items.size()); }\n"
         "  int unusedSoFar() const { return 77; }\n"
         "};\n"
         "int calls() { static int n = 0; return ++n; }\n"
         "int bag() { Bag b; b.items.push_back(\"x\"); return b.count(); }\n"
         "int uses() { return helper(1) + hidden(); }\n"
         "int value() {\n" + value_body + "\n}\n";
}
} // namespace

TEST(FunctionPatch, BodyEditKeepsOtherFunctionsAndTheirState) {
  LiveProject p;
  p.write("unit.cpp", unit("  static int seen = 0; ++seen; return seen * 1000 + 1;"));
  ASSERT_TRUE(p.start().ok());
  auto value = p.fn<int()>("value");
  auto calls = p.fn<int()>("calls");
  auto bag = p.fn<int()>("bag");
  ASSERT_TRUE(value && calls && bag);
  EXPECT_EQ(value(), 1001);
  EXPECT_EQ(calls(), 1);
  EXPECT_EQ(calls(), 2);

  auto e = p.edit("unit.cpp", unit("  static int seen = 0; ++seen; return seen * 1000 + 2;"));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_TRUE(e.partial) << "an edit inside one body compiles only that body";
  EXPECT_EQ(value(), 2002) << "the edited function's static kept its value";
  EXPECT_EQ(calls(), 3) << "a skipped function keeps its code and its static";
  EXPECT_EQ(bag(), 1);

  // The edited body now calls skipped functions: a static one and one in an anonymous
  // namespace (both keep their running bodies, reached through their stubs).
  e = p.edit("unit.cpp", unit("  return helper(10) + hidden();"));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_TRUE(e.partial);
  EXPECT_EQ(value(), 25);
  EXPECT_EQ(calls(), 4);
}

TEST(FunctionPatch, FunctionTheRunningVersionNeverEmittedMeansFullRecompile) {
  LiveProject p;
  p.write("unit.cpp", unit("  return 1;"));
  ASSERT_TRUE(p.start().ok());
  auto value = p.fn<int()>("value");
  ASSERT_TRUE(value);
  // Bag::unusedSoFar is inline and was never used, so no running code exists for it.
  auto e = p.edit("unit.cpp", unit("  Bag b; return b.unusedSoFar();"));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_FALSE(e.partial);
  EXPECT_EQ(value(), 77);
}

TEST(FunctionPatch, ConstantEditRecompilesItsUsersNewDeclarationEverything) {
  LiveProject p;
  p.write("unit.cpp", unit("  return kBase + calls() * 0;", "constexpr int kBase = 1;\n"));
  ASSERT_TRUE(p.start().ok());
  auto value = p.fn<int()>("value");
  auto calls = p.fn<int()>("calls");
  ASSERT_TRUE(value && calls);
  EXPECT_EQ(value(), 1);
  EXPECT_EQ(calls(), 2);
  auto e = p.edit("unit.cpp", unit("  return kBase + calls() * 0;", "constexpr int kBase = 2;\n"));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_TRUE(e.partial) << "only value() names kBase";
  EXPECT_EQ(value(), 2);
  EXPECT_EQ(calls(), 4);

  e = p.edit("unit.cpp", unit("  return kBase + kMore;",
                              "constexpr int kBase = 2;\nconstexpr int kMore = 5;\n"));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_FALSE(e.partial) << "a new declaration may change what unchanged code calls";
  EXPECT_EQ(value(), 7);
  EXPECT_EQ(calls(), 5) << "state survives the full recompile too";
}

TEST(FunctionPatch, CompileErrorThenFixAndRollback) {
  LiveProject p;
  p.write("unit.cpp", unit("  return 1;"));
  ASSERT_TRUE(p.start().ok());
  auto value = p.fn<int()>("value");
  ASSERT_TRUE(value);

  auto bad = p.edit("unit.cpp", unit("  return undefined_name;"));
  EXPECT_FALSE(bad.success);
  EXPECT_NE(bad.message.find("unit.cpp:16:"), std::string::npos) << bad.message;
  EXPECT_EQ(value(), 1) << "the running version stays";

  auto fixed = p.edit("unit.cpp", unit("  return 2;"));
  ASSERT_TRUE(fixed.success) << fixed.message;
  EXPECT_TRUE(fixed.partial) << "the outline of the running version is still the base";
  EXPECT_EQ(value(), 2);

  ASSERT_TRUE(p.engine->rollback(p.path("unit.cpp")).ok());
  EXPECT_EQ(value(), 1);
  auto again = p.edit("unit.cpp", unit("  return 3;"));
  ASSERT_TRUE(again.success) << again.message;
  EXPECT_TRUE(again.partial);
  EXPECT_EQ(value(), 3);
}

TEST(FunctionPatch, ManyPatchesDoNotAccumulateCode) {
  hot::Config config;
  config.history = 2;
  LiveProject p(config);
  p.write("unit.cpp", unit("  return 0;"));
  ASSERT_TRUE(p.start().ok());
  auto value = p.fn<int()>("value");
  auto bag = p.fn<int()>("bag");
  ASSERT_TRUE(value && bag);
  size_t after_first = 0;
  for (int i = 1; i <= 40; ++i) {
    auto e = p.edit("unit.cpp", unit("  return " + std::to_string(i) + ";"));
    ASSERT_TRUE(e.success) << e.message;
    ASSERT_TRUE(e.partial);
    ASSERT_EQ(value(), i);
    ASSERT_EQ(bag(), 1);
    // A scan a busy thread did not answer defers retirement for a second: wait past that.
    for (int tries = 0; tries < 600 && p.engine->stats().retiring > 0; ++tries) {
      p.engine->update();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (i == 5) after_first = p.engine->stats().code_bytes;
  }
  // The first version (with every body) stays mapped while patches borrow from it; each patch
  // leaves with the history, so 35 more patches add nothing but what is still retiring (a
  // superseded patch a stale word on a thread's stack points into: one small body, tens of
  // bytes; 35 accumulated patches would be hundreds).
  hot::EngineStats st = p.engine->stats();
  EXPECT_LE(st.code_bytes, after_first + 64 * st.retiring) << st.retiring << " retiring";
  // Held: the two versions of the history and the first version they borrow from (plus any
  // superseded version a thread's stack may still point into, which is retiring).
  EXPECT_EQ(st.live_versions - st.retiring, 3u);
}

// Planning a function-level recompile must not cost more than the compile it saves: an edit
// that rewrites most of a large unit (here it shrinks thousands of functions to one) is
// compiled whole and applied, and one body edit in the large unit is still a patch.
TEST(FunctionPatch, AnEditThatEmptiesALargeUnitIsCompiledWhole) {
  LiveProject p;
  std::string big;
  for (int i = 0; i < 4000; ++i)
    big += "int f" + std::to_string(i) + "(int x) { return x + " + std::to_string(i) + "; }\n";
  p.write("big.cpp", big + "int keep() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  auto e = p.edit("big.cpp", big + "int keep() { return 2; }\n");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_TRUE(e.partial) << "one body of a large unit is a patch";
  EXPECT_EQ(p.fn<int()>("keep")(), 2);
  e = p.edit("big.cpp", "int keep() {\n  return 3;\n}\n");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_FALSE(e.partial) << "an edit removing most of the unit is compiled whole";
  EXPECT_EQ(p.fn<int()>("keep")(), 3);
}
