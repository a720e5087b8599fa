// `hot call` on a program running under `hot run`: the call reaches the live program through
// <dir>/.hot/<pid>.sock and prints the function's result; bad arguments fail with a message;
// when the program ends, hot run exits normally and removes its socket (and the folder).
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "TestSupport.h"

namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kHot = std::string(HOT_BINARY_DIR) + "/cli/hot";

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs a shell command; stdout and stderr captured separately.
Outcome shell(const std::string &cmd, const std::string &err_file) {
  Outcome o;
  FILE *p = popen((cmd + " 2>" + err_file).c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  int st = pclose(p);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  o.err = readAll(err_file);
  return o;
}

std::string quote(const std::string &s) { return "'" + s + "'"; }

/// `hot run` as a child process: started in `cwd`, its stdin a pipe this object holds open (the
/// program reads it until EOF), its stdout and stderr in files.
class HotRun {
public:
  HotRun(const std::string &cwd, const std::vector<std::string> &args, const std::string &out,
         const std::string &err) {
    int fds[2];
    if (pipe(fds) != 0) return;
    std::vector<std::string> argv_s = {kHot, "run"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls from here on.
      if (chdir(cwd.c_str()) != 0) _exit(126);
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (o < 0 || e < 0) _exit(126);
      dup2(fds[0], 0);
      dup2(o, 1);
      dup2(e, 2);
      close(fds[0]);
      close(fds[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[0]);
    stdin_ = fds[1];
  }
  ~HotRun() {
    closeStdin();
    if (pid_ > 0 && !reaped_) {
      if (!wait(std::chrono::seconds(60))) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
  }
  pid_t pid() const { return pid_; }
  void closeStdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }
  bool running() {
    if (reaped_) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      reaped_ = true;
      status_ = st;
      return false;
    }
    return true;
  }
  /// Waits for the process to exit; false on timeout.
  bool wait(std::chrono::seconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (!running()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return !running();
  }
  int exitCode() const { return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }

private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

/// Polls until `path` exists, the process died, or the (generous) timeout passed.
bool waitForFile(const std::string &path, HotRun &run, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (fs::exists(path)) return true;
    if (!run.running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return fs::exists(path);
}

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
