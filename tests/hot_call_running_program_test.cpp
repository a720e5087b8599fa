// `hot call` on a program running under `hot run`: the call reaches the live program through
// <dir>/.hot/<pid>.sock and prints the function's result; bad arguments fail with a message;
// when the program ends, hot run exits normally and removes its socket (and the folder).
#include <gtest/gtest.h>

#include <filesystem>

#include "HotProcess.h"
#include "TestSupport.h"

namespace {
namespace fs = std::filesystem;
using hot::test::HotRun;
using hot::test::kHot;
using hot::test::Outcome;
using hot::test::quote;
using hot::test::readAll;
using hot::test::shell;
using hot::test::waitForFile;

const char *kProgram = R"(
#include <cstdio>
#include <cstring>

static int g_lines = 0;
int add(int a, int b) { return a + b; }
double area(double w, double h) { return w * h; }
const char *name() { return "live program"; }
int lines() { return g_lines; }
namespace shop { int price(int items, bool member) { return items * (member ? 8 : 10); } }

int main() {
  char buf[256];
  while (std::fgets(buf, sizeof buf, stdin)) ++g_lines;
  std::printf("main done after %d lines\n", g_lines);
  return 0;
}
)";

TEST(HotCallRunningProgram, CallsAFunctionOfTheLiveProgram) {
  hot::test::TempDir dir;
  std::string src = dir.file("src");
  std::string work = dir.file("work");
  hot::test::writeFile(src + "/main.cpp", kProgram);
  fs::create_directories(work);

  HotRun run(work, {"--quiet", src}, dir.file("run.out"), dir.file("run.err"));
  ASSERT_GT(run.pid(), 0);
  std::string sock = work + "/.hot/" + std::to_string(run.pid()) + ".sock";
  ASSERT_TRUE(waitForFile(sock, run, std::chrono::seconds(240)))
      << "no control socket; hot run stderr:\n"
      << readAll(dir.file("run.err"));

  // The control folder and socket are private to the user.
  EXPECT_EQ(fs::status(work + "/.hot").permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(fs::status(sock).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  std::string err = dir.file("call.err");
  std::string call = kHot + " call --dir " + quote(work) + " ";
  Outcome sum = shell(call + "add 3 4", err);
  EXPECT_EQ(sum.status, 0) << sum.err;
  EXPECT_EQ(sum.out, "7\n");
  EXPECT_EQ(sum.err, "");

  Outcome neg = shell(call + "-- add -3 1", err); // "--" is optional: "-3" is an argument
  EXPECT_EQ(neg.out, "-2\n") << neg.err;
  EXPECT_EQ(shell(call + "add -5 1", err).out, "-4\n");
  EXPECT_EQ(shell(call + "area 2.5 4", err).out, "10\n");
  EXPECT_EQ(shell(call + "name", err).out, "live program\n");
  EXPECT_EQ(shell(call + "shop::price 3 true", err).out, "24\n");
  Outcome by_pid = shell(kHot + " call --pid " + std::to_string(run.pid()) + " --dir " +
                             quote(work) + " add 1 1",
                         err);
  EXPECT_EQ(by_pid.out, "2\n") << by_pid.err;

  Outcome bad = shell(call + "add 3 four", err);
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err.find("argument 2"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("'four'"), std::string::npos) << bad.err;

  Outcome count = shell(call + "add 3", err);
  EXPECT_EQ(count.status, 1);
  EXPECT_NE(count.err.find("'int add(int, int)' takes 2 arguments, got 1"), std::string::npos)
      << count.err;

  Outcome missing = shell(call + "no_such_function", err);
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("no_such_function"), std::string::npos) << missing.err;

  Outcome units = shell(call + "--units", err);
  EXPECT_EQ(units.status, 0) << units.err;
  EXPECT_NE(units.out.find("main.cpp: version 1, tier 0"), std::string::npos) << units.out;

  // The program is unaffected: it still runs, then ends normally; hot run exits with its status
  // and removes the socket.
  EXPECT_TRUE(run.running());
  run.closeStdin();
  ASSERT_TRUE(run.wait(std::chrono::seconds(120))) << "hot run did not exit after main returned";
  EXPECT_EQ(run.exitCode(), 0) << readAll(dir.file("run.err"));
  EXPECT_EQ(readAll(dir.file("run.out")), "main done after 0 lines\n");
  EXPECT_FALSE(fs::exists(sock));
  EXPECT_FALSE(fs::exists(work + "/.hot")) << "the empty control folder is removed too";

  Outcome gone = shell(call + "add 1 2", err);
  EXPECT_EQ(gone.status, 1);
  EXPECT_NE(gone.err.find("no running `hot run`"), std::string::npos) << gone.err;
}

TEST(HotCallRunningProgram, ExitFromMainRemovesTheSocket) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.cpp"), R"(
#include <cstdio>
#include <cstdlib>
int twice(int x) { return 2 * x; }
int main() {
  char buf[64];
  while (std::fgets(buf, sizeof buf, stdin)) {}
  std::exit(3);
}
)");
  HotRun run(dir.path().string(), {"--quiet", dir.file("main.cpp")}, dir.file("run.out"),
             dir.file("run.err"));
  ASSERT_GT(run.pid(), 0);
  std::string sock = dir.file(".hot/" + std::to_string(run.pid()) + ".sock");
  ASSERT_TRUE(waitForFile(sock, run, std::chrono::seconds(240))) << readAll(dir.file("run.err"));
  // No --dir: the current directory is searched.
  Outcome o = shell("cd " + quote(dir.path().string()) + " && " + kHot + " call twice 21",
                    dir.file("call.err"));
  EXPECT_EQ(o.out, "42\n") << o.err;
  run.closeStdin();
  ASSERT_TRUE(run.wait(std::chrono::seconds(120)));
  EXPECT_EQ(run.exitCode(), 3);
  EXPECT_FALSE(fs::exists(sock));
}

TEST(HotCallRunningProgram, NoRunningProgramIsAClearError) {
  hot::test::TempDir dir;
  // A stale socket of a process that is gone is ignored.
  hot::test::writeFile(dir.file(".hot/999999999.sock"), "");
  Outcome o = shell(kHot + " call --dir " + quote(dir.path().string()) + " add 1 2",
                    dir.file("call.err"));
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_NE(o.err.find("no running `hot run` found in"), std::string::npos) << o.err;

  Outcome help = shell(kHot + " call --help", dir.file("call.err"));
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("usage: hot call"), std::string::npos);
  EXPECT_EQ(shell(kHot + " call", dir.file("call.err")).status, 2);
}

} // namespace
