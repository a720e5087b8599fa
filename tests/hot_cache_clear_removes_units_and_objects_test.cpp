// `hot cache stats|clear|path` on a cache a real `hot run` filled: stats counts the compiled
// units and the objects and replay records next to them; clear removes all of them, so the
// next run compiles every unit again (a cleared cache that kept objects would still link them).
#include <gtest/gtest.h>

#include <cstdio>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

struct Counts {
  unsigned long units = 0, objects = 0;
};

/// "DIR: U compiled units (X MB), O objects and replay records (Y MB)"
Counts stats(const std::string &xdg) {
  auto o = hot::test::runCommand("XDG_CACHE_HOME=" + xdg + " " + hot::test::hotBinary() +
                                 " cache stats");
  EXPECT_EQ(o.status, 0) << o.out;
  Counts c;
  size_t colon = o.out.find(": ");
  double mb1 = 0, mb2 = 0;
  EXPECT_EQ(std::sscanf(o.out.c_str() + colon,
                        ": %lu compiled units (%lf MB), %lu objects and replay records (%lf MB)",
                        &c.units, &mb1, &c.objects, &mb2),
            4)
      << o.out;
  return c;
}

} // namespace

TEST(HotCache, ClearRemovesUnitsObjectsAndRecordsSoTheNextRunCompilesEverything) {
  hot::test::TempDir dir;
  for (int i = 0; i < 3; ++i)
    hot::test::writeFile(dir.file("src/u" + std::to_string(i) + ".cpp"),
                         "int u" + std::to_string(i) + "() { return " + std::to_string(i) + "; }\n");
  hot::test::writeFile(dir.file("src/main.cpp"),
                       "#include <cstdio>\nint u0(); int u1(); int u2();\n"
                       "int main() { std::printf(\"%d\\n\", u0() + u1() + u2()); }\n");
  std::string xdg = dir.file("xdg");
  std::string run = "XDG_CACHE_HOME=" + xdg + " " + hot::test::hotBinary() + " run --quiet --stats " +
                    dir.file("src") + " 2>&1";

  auto path = hot::test::runCommand("XDG_CACHE_HOME=" + xdg + " " + hot::test::hotBinary() +
                                    " cache path");
  EXPECT_EQ(path.out, xdg + "/hotengine\n");

  auto first = hot::test::runCommand(run);
  ASSERT_NE(first.out.find("3\n"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("0 read back (0 linked from their objects), 4 compiled"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("MB written"), std::string::npos) << first.out;
  Counts filled = stats(xdg);
  EXPECT_EQ(filled.units, 4u);
  EXPECT_GE(filled.objects, 4u) << "each unit's code object (and its replay record)";

  auto warm = hot::test::runCommand(run);
  EXPECT_NE(warm.out.find("4 read back (4 linked from their objects), 0 compiled"), std::string::npos)
      << warm.out;

  auto clear = hot::test::runCommand("XDG_CACHE_HOME=" + xdg + " " + hot::test::hotBinary() +
                                     " cache clear");
  EXPECT_EQ(clear.status, 0) << clear.out;
  Counts cleared = stats(xdg);
  EXPECT_EQ(cleared.units, 0u);
  EXPECT_EQ(cleared.objects, 0u);

  auto again = hot::test::runCommand(run);
  EXPECT_NE(again.out.find("3\n"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("0 read back (0 linked from their objects), 4 compiled"), std::string::npos)
      << again.out;
}
