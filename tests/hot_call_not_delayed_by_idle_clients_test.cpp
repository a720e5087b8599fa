// Clients that connect to a running program's control socket and send nothing do not delay
// anyone else's `hot call`: each connection is served on its own, and an idle one is
// disconnected by the server after the request timeout.
#include <gtest/gtest.h>

#include <filesystem>
#include <poll.h>

#include "HotProcess.h"
#include "TestSupport.h"

namespace {
namespace fs = std::filesystem;
using hot::test::Clock;
using hot::test::HotRun;
using hot::test::kHot;
using hot::test::Outcome;
using hot::test::quote;
using hot::test::readAll;
using hot::test::shell;

const char *kProgram = R"(
#include <cstdio>
int add(int a, int b) { return a + b; }
int main() {
  char buf[64];
  while (std::fgets(buf, sizeof buf, stdin)) {}
  return 0;
}
)";

/// Whether the server closed `fd` within `timeout` (recv sees the end of the stream).
bool closedByServer(int fd, std::chrono::seconds timeout) {
  pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, int(std::chrono::milliseconds(timeout).count())) <= 0) return false;
  char c;
  return recv(fd, &c, 1, 0) == 0;
}

TEST(HotCallIdleClients, DoNotDelayACall) {
  hot::test::TempDir dir;
  std::string src = dir.file("main.cpp"), work = dir.file("work");
  hot::test::writeFile(src, kProgram);
  fs::create_directories(work);
  HotRun run(work, {"--quiet", src}, dir.file("run.out"), dir.file("run.err"));
  ASSERT_GT(run.pid(), 0);
  std::string sock = hot::test::socketIn(work, run.pid());
  ASSERT_TRUE(hot::test::waitForFile(sock, run, std::chrono::seconds(240)))
      << readAll(dir.file("run.err"));

  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(hot::test::connectUnix(sock));
  for (int fd : idle) ASSERT_GE(fd, 0);

  // Generous: the bound is for a loaded machine; a served-in-turn call waits for every idle
  // client's timeout instead.
  auto start = Clock::now();
  Outcome sum = shell(kHot + " call --dir " + quote(work) + " add 1 2", dir.file("call.err"));
  auto took = Clock::now() - start;
  EXPECT_EQ(sum.status, 0) << sum.err;
  EXPECT_EQ(sum.out, "3\n") << sum.err;
  EXPECT_LT(took, std::chrono::seconds(5))
      << "the call waited "
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
      << " ms behind idle clients";

  // The idle clients are not kept forever.
  for (int fd : idle) {
    EXPECT_TRUE(closedByServer(fd, std::chrono::seconds(60)));
    close(fd);
  }

  run.closeStdin();
  ASSERT_TRUE(run.wait(std::chrono::seconds(120)));
  EXPECT_EQ(run.exitCode(), 0) << readAll(dir.file("run.err"));
}

} // namespace
