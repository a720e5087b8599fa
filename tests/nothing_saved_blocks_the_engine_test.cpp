// Nothing a user saves can wedge the engine: a device or FIFO include, a file of NUL bytes, a
// config that is a device, a program that closes the engine's descriptors. Each case ends with
// the engine still answering: a later good save is applied.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {
using hot::test::hotBinary;
using hot::test::runCommand;

/// After a bad save, a good one is still applied.
void expectStillAnswering(hot::test::LiveProject &p, int value) {
  hot::ReloadEvent e = p.edit("a.cpp", "int a() { return " + std::to_string(value) + "; }\n");
  EXPECT_TRUE(e.success) << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), value);
}

TEST(NothingSavedBlocks, IncludingADeviceIsALocatedError) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  hot::ReloadEvent e = p.edit("a.cpp", "#include \"/dev/zero\"\nint a() { return 2; }\n");
  EXPECT_FALSE(e.success);
  EXPECT_NE(e.message.find("/dev/zero is a device, not a regular file: hotengine never reads it"),
            std::string::npos)
      << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), 1);
  expectStillAnswering(p, 3);
}

TEST(NothingSavedBlocks, IncludingStdinThatIsAPipeIsRefused) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int saved = ::dup(0);
  ::dup2(fds[0], 0); // the program's stdin is an open pipe nobody writes to
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  hot::ReloadEvent e = p.edit("a.cpp", "#include \"/dev/stdin\"\nint a() { return 2; }\n");
  EXPECT_FALSE(e.success);
  EXPECT_NE(e.message.find("is a FIFO, not a regular file"), std::string::npos) << e.message;
  expectStillAnswering(p, 3);
  ::dup2(saved, 0);
  ::close(saved);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(NothingSavedBlocks, AFileOfNulBytesIsRefusedAtOnce) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  p.write("a.cpp", std::string(2 << 20, '\0'));
  bool said = false;
  for (int i = 0; i < 3000 && !said; ++i) { // the refusal is immediate; wait at most 30 s
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    p.engine->update();
    for (const std::string &m : p.events.messages())
      said |= m.find("contains NUL bytes: not a source file") != std::string::npos;
  }
  EXPECT_TRUE(said);
  expectStillAnswering(p, 4);
}

TEST(NothingSavedBlocks, AHeaderOfNulBytesDoesNotStallTheCompile) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  p.write("nul.h", std::string(2 << 20, '\0'));
  hot::ReloadEvent e = p.edit("a.cpp", "#include \"nul.h\"\nint a() { return 2; }\n");
  // Clang ignores NUL characters (one warning each); only the first warnings are kept.
  EXPECT_LE(e.diagnostics.size(), 1001u);
  expectStillAnswering(p, 5);
}

TEST(NothingSavedBlocks, AConfigThatIsADeviceIsRefused) {
  auto o = runCommand("timeout 20 " + hotBinary() + " run --config /dev/zero . 2>&1");
  EXPECT_EQ(o.status, 2) << o.out;
  EXPECT_NE(o.out.find("/dev/zero\": is a device, not a regular file"), std::string::npos)
      << o.out;
}

TEST(NothingSavedBlocks, AProgramThatClosesEveryDescriptorStillReloads) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("value.cpp"), "int value() { return 1; }\n");
  hot::test::writeFile(dir.file("main.cpp"), R"(#include <cstdio>
#include <unistd.h>
int value();
int main() {
  for (int fd = 3; fd < 1024; ++fd) close(fd); // what daemons do
  int last = 0;
  for (int i = 0; i < 3000 && last != 2; ++i) { // bounded: at most ~30 s
    int v = value();
    if (v != last) { std::printf("value %d\n", v); std::fflush(stdout); last = v; }
    usleep(10000);
  }
  return last;
}
)");
  int out = -1;
  pid_t pid = hot::test::startHotRun({"run", "--quiet", dir.path().string()}, out);
  ASSERT_GT(pid, 0);
  std::string got;
  ASSERT_TRUE(hot::test::readUntil(out, got, "value 1\n", 120)) << got;
  std::this_thread::sleep_for(std::chrono::milliseconds(300)); // the fds are closed by now
  hot::test::writeFile(dir.file("value.cpp"), "int value() { return 2; }\n");
  EXPECT_TRUE(hot::test::readUntil(out, got, "value 2\n", 60)) << got;
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out);
  EXPECT_TRUE(WIFEXITED(status)) << "hot run hung or crashed";
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

} // namespace
