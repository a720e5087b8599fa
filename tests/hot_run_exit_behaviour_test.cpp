// Under `hot run`, exit() from JIT code, a non-zero return from main, an uncaught exception and
// Ctrl-C behave as they do natively, and static destructors run exactly once.
#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "TestSupport.h"

namespace {
const char *kProgram = R"(#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>
struct Noisy { ~Noisy() { std::printf("dtor\n"); std::fflush(stdout); } };
Noisy noisy;
[[noreturn]] void quit(int code) { std::exit(code); }
int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "return";
  std::printf("start %s\n", mode);
  std::fflush(stdout);
  if (!std::strcmp(mode, "exit")) quit(7);
  if (!std::strcmp(mode, "throw")) throw std::runtime_error("boom");
  if (!std::strcmp(mode, "wait")) for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return 5;
}
)";

struct Outcome {
  std::string out, err;
  int exit_code = -1, signal = 0;
};

Outcome runHot(const std::string &src, const std::string &mode, bool interrupt = false) {
  std::string out_file = src + ".out", err_file = src + ".err";
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    std::string hot = std::string(HOT_BINARY_DIR) + "/cli/hot";
    execl(hot.c_str(), hot.c_str(), "run", "--quiet", src.c_str(), "--", mode.c_str(),
          (char *)nullptr);
    _exit(127);
  }
  if (interrupt) {
    std::string text;
    for (int i = 0; i < 6000 && text.find("start") == std::string::npos; ++i) {
      usleep(10000);
      std::ifstream in(out_file);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    kill(pid, SIGINT);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  Outcome o;
  std::ifstream out(out_file), err(err_file);
  o.out.assign(std::istreambuf_iterator<char>(out), {});
  o.err.assign(std::istreambuf_iterator<char>(err), {});
  if (WIFEXITED(st)) o.exit_code = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) o.signal = WTERMSIG(st);
  return o;
}

size_t count(const std::string &s, const std::string &what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}
} // namespace

class HotRunExit : public ::testing::Test {
protected:
  void SetUp() override { hot::test::writeFile(dir.file("p.cpp"), kProgram); }
  hot::test::TempDir dir;
};

TEST_F(HotRunExit, ReturnFromMainGivesItsStatusAndRunsDestructorsOnce) {
  Outcome o = runHot(dir.file("p.cpp"), "return");
  EXPECT_EQ(o.exit_code, 5);
  EXPECT_EQ(o.out, "start return\ndtor\n");
}

TEST_F(HotRunExit, ExitFromJitCodeGivesItsStatusAndRunsDestructorsOnce) {
  Outcome o = runHot(dir.file("p.cpp"), "exit");
  EXPECT_EQ(o.exit_code, 7);
  EXPECT_EQ(count(o.out, "dtor"), 1u) << o.out;
}

TEST_F(HotRunExit, UncaughtExceptionTerminatesLikeANativeProgram) {
  Outcome o = runHot(dir.file("p.cpp"), "throw");
  EXPECT_EQ(o.signal, SIGABRT);
  EXPECT_NE(o.err.find("terminate called after throwing an instance of 'std::runtime_error'"),
            std::string::npos) << o.err;
  EXPECT_NE(o.err.find("boom"), std::string::npos) << o.err;
}

TEST_F(HotRunExit, CtrlCInterruptsLikeANativeProgram) {
  Outcome o = runHot(dir.file("p.cpp"), "wait", /*interrupt=*/true);
  EXPECT_EQ(o.signal, SIGINT);
  EXPECT_EQ(o.out, "start wait\n");
}
