// HotEngine::locate() and `hot call --where NAME` list every mapped body of a function: the unit
// and version that compiled it, its tier, its code address range, its file:line in that
// version, and which body calls reach now. A debugger's pc inside a range names the version.
#include <gtest/gtest.h>

#include <filesystem>

#include "HotProcess.h"
#include "TestSupport.h"

TEST(Where, ListsEachVersionsBodyWithItsRangeAndLine) {
  hot::test::LiveProject p;
  p.write("calc.cpp", "int other() { return 7; }\nint calc(int x) { return x + 1; }\n");
  ASSERT_TRUE(p.start().ok());
  auto calc = p.fn<int(int)>("calc");
  auto v1 = reinterpret_cast<std::uintptr_t>(calc.target());
  // Version 2 moves calc() from line 2 to 3 and changes its body: other() keeps version 1's.
  ASSERT_TRUE(p.edit("calc.cpp", "int other() { return 7; }\n\nint calc(int x) { return x + 2; }\n")
                  .success);
  ASSERT_EQ(calc(1), 3);
  auto v2 = reinterpret_cast<std::uintptr_t>(calc.target());

  auto places = p.engine->locate("calc");
  ASSERT_TRUE(places.ok()) << places.status().message();
  ASSERT_EQ(places.value().size(), 2u);
  const hot::FunctionPlace &old = places.value()[0], &now = places.value()[1];
  EXPECT_EQ(old.version, 1u);
  EXPECT_EQ(now.version, 2u);
  EXPECT_FALSE(old.running);
  EXPECT_TRUE(now.running);
  EXPECT_EQ(old.begin, v1);
  EXPECT_EQ(now.begin, v2);
  EXPECT_GT(now.end, now.begin);
  EXPECT_EQ(old.line, 2u);
  EXPECT_EQ(now.line, 3u);
  EXPECT_EQ(now.unit, p.path("calc.cpp"));
  EXPECT_NE(now.name.find("calc"), std::string::npos) << now.name;

  // A body the recompile kept is listed once, under the version that compiled it.
  auto kept = p.engine->locate("other");
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept.value().size(), 1u);
  EXPECT_EQ(kept.value()[0].version, 1u);
  EXPECT_TRUE(kept.value()[0].running);

  auto missing = p.engine->locate("nothing_here");
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), hot::ErrorCode::NotFound);
}

TEST(Where, HotCallWherePrintsThemForARunningProgram) {
  hot::test::TempDir dir;
  std::string src = dir.file("src"), work = dir.file("work");
  hot::test::writeFile(src + "/main.cpp", R"(#include <cstdio>
int twice(int x) { return 2 * x; }
int main() {
  char buf[64];
  while (std::fgets(buf, sizeof buf, stdin)) {}
  return twice(0);
}
)");
  std::filesystem::create_directories(work);
  hot::test::HotRun run(work, {"--quiet", src}, dir.file("run.out"), dir.file("run.err"));
  ASSERT_GT(run.pid(), 0);
  std::string sock = work + "/.hot/" + std::to_string(run.pid()) + ".sock";
  ASSERT_TRUE(hot::test::waitForFile(sock, run, std::chrono::seconds(240)))
      << hot::test::readAll(dir.file("run.err"));
  std::string call = hot::test::kHot + " call --dir " + hot::test::quote(work) + " ";
  auto o = hot::test::shell(call + "--where twice", dir.file("call.err"));
  EXPECT_EQ(o.status, 0) << o.err;
  // "twice(int)  SRC/main.cpp v1 tier 0  0xBEGIN-0xEND  SRC/main.cpp:2  running"
  EXPECT_NE(o.out.find("main.cpp v1 tier 0  0x"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("main.cpp:2  running\n"), std::string::npos) << o.out;
  auto none = hot::test::shell(call + "--where nothing_here", dir.file("call.err"));
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("no reloadable function named 'nothing_here'"), std::string::npos)
      << none.err;
  auto extra = hot::test::shell(call + "--where twice 3", dir.file("call.err"));
  EXPECT_EQ(extra.status, 2) << extra.err;
}
