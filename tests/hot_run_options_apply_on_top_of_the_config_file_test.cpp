// `hot run --config FILE` loads the file first: options on the command line, before or after
// --config, apply on top of it instead of being replaced by it.
#include <gtest/gtest.h>

#include "RunProcess.h"
#include "TestSupport.h"

TEST(HotRunOptions, ApplyOnTopOfTheConfigFileWhereverTheyStand) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("src/main.cpp"),
                       "#include <cstdio>\nint main() { std::printf(\"%d\\n\", A + B + C); }\n");
  hot::test::writeFile(dir.file("hot.json"), R"({"defines": ["A=1"]})");
  auto o = hot::test::runCommand("timeout 120 " + hot::test::hotBinary() + " run --quiet -DB=20 --config " +
                                 dir.file("hot.json") + " -DC=300 " + dir.file("src") + " 2>&1");
  EXPECT_EQ(o.status, 0) << o.out;
  EXPECT_EQ(o.out, "321\n");
}

TEST(HotRunOptions, ABadConfigFileIsStillRefused) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("src/main.cpp"), "int main() { return 0; }\n");
  hot::test::writeFile(dir.file("hot.json"), R"({"history": "four"})");
  auto o = hot::test::runCommand("timeout 120 " + hot::test::hotBinary() + " run -DB=2 --config " +
                                 dir.file("hot.json") + " " + dir.file("src") + " 2>&1");
  EXPECT_EQ(o.status, 2) << o.out;
  EXPECT_NE(o.out.find("history"), std::string::npos) << o.out;
}
