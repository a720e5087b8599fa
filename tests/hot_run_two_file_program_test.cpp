// `hot run` on a two-file program: arguments reach main, stdout is the program's, and the exit
// status is main's return value.
#include <gtest/gtest.h>

#include <cstdio>
#include <sys/wait.h>

#include "TestSupport.h"

namespace {
struct Outcome {
  int status = -1;
  std::string out;
};
Outcome run(const std::string &cmd) {
  Outcome o;
  FILE *p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  int st = pclose(p);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}
} // namespace

TEST(HotRun, TwoFileProgramGetsArgumentsAndReturnsItsExitCode) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.cpp"), R"(
#include <cstdio>
#include <cstdlib>
int score(int argc, const char *last);
int main(int argc, char **argv) {
  std::printf("argc=%d last=%s\n", argc, argv[argc - 1]);
  return score(argc, argv[argc - 1]);
}
)");
  hot::test::writeFile(dir.file("score.cpp"), R"(
#include <cstdlib>
int score(int argc, const char *last) { return argc * 10 + std::atoi(last); }
)");
  std::string hot = std::string(HOT_BINARY_DIR) + "/cli/hot";
  Outcome o = run(hot + " run --quiet " + dir.path().string() + " -- a 7 2>/dev/null");
  EXPECT_EQ(o.out, "argc=3 last=7\n");
  EXPECT_EQ(o.status, 37);

  Outcome bad = run(hot + " run --quiet " + dir.file("main.cpp") + " 2>&1");
  EXPECT_NE(bad.status, 0) << "score() is missing: link error";
  EXPECT_NE(bad.out.find("score(int, char const*)"), std::string::npos) << bad.out;
}
