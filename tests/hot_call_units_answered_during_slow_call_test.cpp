// A `hot call` whose function takes its time does not hold up other requests: while one call
// is still running inside the program, `hot call --units` and another call are answered, and
// the slow call still gets its result once its function returns.
#include <gtest/gtest.h>

#include <filesystem>

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
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

static std::atomic<bool> g_released{false};
static std::atomic<bool> g_waiting{false};

/// Returns once release() was called (or after two minutes, so a failed test cannot hang).
int wait_for_release() {
  g_waiting = true;
  for (int i = 0; i < 12000 && !g_released; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return g_released ? 42 : -1;
}
bool waiting() { return g_waiting; }
void release() { g_released = true; }

int main() {
  char buf[64];
  while (std::fgets(buf, sizeof buf, stdin)) {}
  return 0;
}
)";

TEST(HotCallSlowCall, DoesNotBlockOtherRequests) {
  hot::test::TempDir dir;
  std::string src = dir.file("main.cpp"), work = dir.file("work");
  hot::test::writeFile(src, kProgram);
  fs::create_directories(work);
  HotRun run(work, {"--quiet", src}, dir.file("run.out"), dir.file("run.err"));
  ASSERT_GT(run.pid(), 0);
  ASSERT_TRUE(hot::test::waitForFile(hot::test::socketIn(work, run.pid()), run,
                                     std::chrono::seconds(240)))
      << readAll(dir.file("run.err"));
  std::string call = kHot + " call --dir " + quote(work) + " ";

  Outcome slow;
  std::thread slow_client([&] { slow = shell(call + "wait_for_release", dir.file("slow.err")); });
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (shell(call + "waiting", dir.file("call.err")).out != "true\n" && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));

  // Generous bound for a loaded machine; a server that serves in turn never answers here.
  auto start = Clock::now();
  Outcome units = shell(call + "--units", dir.file("call.err"));
  auto took = Clock::now() - start;
  EXPECT_EQ(units.status, 0) << units.err;
  EXPECT_NE(units.out.find("main.cpp: version 1"), std::string::npos) << units.out;
  EXPECT_LT(took, std::chrono::seconds(5));

  Outcome released = shell(call + "release", dir.file("call.err"));
  EXPECT_EQ(released.status, 0) << released.err;
  slow_client.join();
  EXPECT_EQ(slow.status, 0) << slow.err;
  EXPECT_EQ(slow.out, "42\n") << slow.err;

  run.closeStdin();
  ASSERT_TRUE(run.wait(std::chrono::seconds(120)));
  EXPECT_EQ(run.exitCode(), 0) << readAll(dir.file("run.err"));
}

} // namespace
