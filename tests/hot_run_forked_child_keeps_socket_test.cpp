// A program under `hot run` forks: a child that returns from main() and a child that calls
// exit() both end without removing (or stopping) the parent's control socket; `hot call` still
// reaches the parent, and the socket goes only when the parent itself exits.
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

const char *kProgram = R"(
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

int ping() { return 1; }

/// Waits for `child` to end; a child still there after a minute is killed and reported.
static const char *outcome(pid_t child) {
  for (int i = 0; i < 3000; ++i) {
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child)
      return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "exited" : "failed";
    usleep(20000);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return "hung";
}

int main() {
  std::fflush(stdout); // the children must not write the parent's buffered output again
  pid_t returning = fork();
  if (returning == 0) return 0;
  std::printf("child returning from main: %s\n", outcome(returning));
  std::fflush(stdout);
  pid_t exiting = fork();
  if (exiting == 0) std::exit(0);
  std::printf("child calling exit: %s\n", outcome(exiting));
  std::printf("children done\n");
  std::fflush(stdout);
  char buf[64];
  while (std::fgets(buf, sizeof buf, stdin)) {}
  return 0;
}
)";

TEST(HotRunForkedChild, KeepsTheParentsSocket) {
  hot::test::TempDir dir;
  std::string src = dir.file("main.cpp"), work = dir.file("work");
  hot::test::writeFile(src, kProgram);
  fs::create_directories(work);
  HotRun run(work, {"--quiet", src}, dir.file("run.out"), dir.file("run.err"));
  ASSERT_GT(run.pid(), 0);
  std::string sock = hot::test::socketIn(work, run.pid());
  ASSERT_TRUE(hot::test::waitForText(dir.file("run.out"), "children done", run,
                                     std::chrono::seconds(300)))
      << readAll(dir.file("run.out")) << readAll(dir.file("run.err"));

  std::string out = readAll(dir.file("run.out"));
  EXPECT_NE(out.find("child returning from main: exited"), std::string::npos) << out;
  EXPECT_NE(out.find("child calling exit: exited"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(sock)) << "a child removed its parent's socket";
  Outcome ping = shell(kHot + " call --dir " + quote(work) + " ping", dir.file("call.err"));
  EXPECT_EQ(ping.status, 0) << ping.err;
  EXPECT_EQ(ping.out, "1\n") << "the parent no longer serves calls: " << ping.err;

  run.closeStdin();
  ASSERT_TRUE(run.wait(std::chrono::seconds(120)));
  EXPECT_EQ(run.exitCode(), 0) << readAll(dir.file("run.err"));
  EXPECT_FALSE(fs::exists(sock)) << "the parent removes its socket when it exits";
}

} // namespace
