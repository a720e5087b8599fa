// `hot run` started in a directory it cannot write serves `hot call` from a private folder
// elsewhere: $XDG_RUNTIME_DIR/hot/<key>/<pid>.sock, or /tmp/hot-<uid>/<key>/<pid>.sock when
// that cannot be used (<key>: the FNV-1a 64-bit hash of the directory's path, in hex). It says
// where on stderr, and `hot call --dir` finds it there, looking in both places.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <cinttypes>
#include <filesystem>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "HotProcess.h"
#include "TestSupport.h"

namespace {
namespace fs = std::filesystem;
using hot::test::HotRun;
using hot::test::kHot;
using hot::test::Outcome;
using hot::test::quote;
using hot::test::readAll;
using hot::test::RunOptions;
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

std::string keyOf(const std::string &dir) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : dir) h = (h ^ c) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

/// Root writes anywhere; a child that drops these from its bounding set before exec is
/// bound by permission bits like anyone else. Async-signal-safe (runs between fork and exec).
bool dropRootOverrides() {
  if (geteuid() != 0) return true;
  for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER})
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return false;
  return true;
}

/// Whether a child started like `hot run` is kept out of `dir` (mode 0555).
bool unwritableForRun(const std::string &dir) {
  pid_t child = fork();
  if (child == 0) {
    if (!dropRootOverrides()) _exit(3);
    std::string probe = dir + "/probe";
    execl("/bin/mkdir", "mkdir", probe.c_str(), static_cast<char *>(nullptr));
    _exit(4);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 1; // mkdir: Permission denied
}

/// A work directory `hot run` cannot write, with the program's source outside it.
struct UnwritableWork {
  hot::test::TempDir dir;
  std::string src = dir.file("main.cpp"), work;
  UnwritableWork() {
    hot::test::writeFile(src, kProgram);
    fs::create_directories(dir.file("work"));
    work = fs::canonical(dir.file("work")).string(); // as getcwd() in hot run sees it
    chmod(work.c_str(), 0555);
  }
};

/// Runs the program in `s.work`, calls add 2 3 through the socket expected at `sock`, ends it.
void runAndCall(UnwritableWork &s, const RunOptions &options, const std::string &sock,
                const std::string &call_env) {
  HotRun run(s.work, {"--quiet", s.src}, s.dir.file("run.out"), s.dir.file("run.err"), options);
  ASSERT_GT(run.pid(), 0);
  std::string at = sock + std::to_string(run.pid()) + ".sock";
  ASSERT_TRUE(hot::test::waitForFile(at, run, std::chrono::seconds(240)))
      << "no socket at " << at << "; hot run stderr:\n"
      << readAll(s.dir.file("run.err"));
  // The notice is printed once the socket is bound: it may land just after the socket does.
  std::string err = readAll(s.dir.file("run.err"));
  for (int i = 0; i < 3000 && err.find("hot call reaches this run through") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    err = readAll(s.dir.file("run.err"));
  }
  EXPECT_NE(err.find("cannot create " + s.work + "/.hot: Permission denied"), std::string::npos)
      << err;
  EXPECT_NE(err.find("hot call reaches this run through " + at), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(s.work + "/.hot"));
  EXPECT_EQ(fs::status(at).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(fs::path(at).parent_path()).permissions() & fs::perms::all,
            fs::perms::owner_all);

  Outcome sum = shell(call_env + " " + kHot + " call --dir " + quote(s.work) + " add 2 3",
                      s.dir.file("call.err"));
  EXPECT_EQ(sum.status, 0) << sum.err;
  EXPECT_EQ(sum.out, "5\n") << sum.err;

  run.closeStdin();
  ASSERT_TRUE(run.wait(std::chrono::seconds(120)));
  EXPECT_EQ(run.exitCode(), 0) << readAll(s.dir.file("run.err"));
  EXPECT_FALSE(fs::exists(at));
  EXPECT_FALSE(fs::exists(fs::path(at).parent_path())) << "the empty key folder is removed";
}

#define REQUIRE_UNWRITABLE(dir)                                                                \
  if (!unwritableForRun(dir))                                                                  \
  GTEST_SKIP() << "cannot make a directory unwritable for hot run here (root without "         \
                  "CAP_SETPCAP?)"

TEST(HotRunUnwritableDir, ServesFromXdgRuntimeDir) {
  UnwritableWork s;
  REQUIRE_UNWRITABLE(s.work);
  std::string xdg = s.dir.file("xdg");
  fs::create_directories(xdg);
  chmod(xdg.c_str(), 0700);
  RunOptions options{{{"XDG_RUNTIME_DIR", xdg}}, dropRootOverrides};
  runAndCall(s, options, xdg + "/hot/" + keyOf(s.work) + "/", "XDG_RUNTIME_DIR=" + quote(xdg));
  EXPECT_TRUE(fs::is_directory(xdg + "/hot")) << "the root folder stays";
}

TEST(HotRunUnwritableDir, ServesFromTmpWhenTheRuntimeDirIsUnusable) {
  UnwritableWork s;
  REQUIRE_UNWRITABLE(s.work);
  // $XDG_RUNTIME_DIR/hot is taken by a file: the run goes on to /tmp/hot-<uid>.
  std::string xdg = s.dir.file("xdg");
  hot::test::writeFile(xdg + "/hot", "not a folder");
  chmod(xdg.c_str(), 0700);
  RunOptions options{{{"XDG_RUNTIME_DIR", xdg}}, dropRootOverrides};
  std::string tmp_root = "/tmp/hot-" + std::to_string(geteuid());
  // The client, in an environment without XDG_RUNTIME_DIR, still looks in /tmp.
  runAndCall(s, options, tmp_root + "/" + keyOf(s.work) + "/", "env -u XDG_RUNTIME_DIR");
  EXPECT_NE(readAll(s.dir.file("run.err")).find(xdg + "/hot: exists and is not a folder"),
            std::string::npos)
      << readAll(s.dir.file("run.err"));
}

} // namespace
