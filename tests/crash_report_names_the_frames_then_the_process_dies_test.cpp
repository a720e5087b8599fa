// Config::crash_report for embedded hosts: a fault in JIT code that nothing catches (no
// guarded()) is reported on stderr — unit, version, function and line of the JIT frames, and
// the version loaded last — and then the process ends as it would have natively (the same
// signal). The host under test is a forked child, so the test can watch it die.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

struct Death {
  int signal = 0;
  std::string err;
  std::string unit; ///< The crashing unit's path.
};

/// In a child: loads crash.cpp, edits it to `v2` (taking `arg`), calls crash(arg) unguarded.
/// `close_fds`: first closes every descriptor above stderr, as daemons do after start-up.
Death crashInChild(const std::string &v2, bool report, int arg, bool close_fds = false) {
  hot::test::TempDir dir;
  std::string err_path = dir.file("stderr.txt");
  Death d;
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    hot::Config c;
    c.crash_report = report;
    hot::test::LiveProject p(c);
    dprintf(2, "unit %s\n", p.path("crash.cpp").c_str()); // for the parent
    p.write("crash.cpp", "int crash(int x) { return x; }\n");
    if (!p.start().ok()) ::_exit(3);
    if (!p.edit("crash.cpp", v2).success) ::_exit(4);
    auto crash = p.fn<int(int)>("crash");
    if (!crash) ::_exit(5);
    for (int fd = 3; close_fds && fd < 4096; ++fd) ::close(fd);
    ::_exit(crash(arg) == 12345 ? 6 : 7);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  d.signal = WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
  d.err = hot::test::readText(err_path);
  size_t nl = d.err.find('\n');
  if (d.err.rfind("unit ", 0) == 0 && nl != std::string::npos) {
    d.unit = d.err.substr(5, nl - 5);
    std::error_code ec; // the child's project folder: it died before removing it
    std::filesystem::remove_all(std::filesystem::path(d.unit).parent_path(), ec);
  }
  return d;
}

const char *kNullWrite = "#include <cstdio>\n"
                         "static void store(int *p, int v) {\n"
                         "  *p = v;\n"
                         "}\n"
                         "int crash(int x) {\n"
                         "  store(x ? nullptr : &x, x);\n"
                         "  return x;\n"
                         "}\n";

/// How a SIGSEGV the engine passes on ends the process natively: by the signal, or under
/// AddressSanitizer (whose handler was there first) by its report and exit status 1.
void expectEndedBySegv(const Death &d) {
#if defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(d.signal, -1) << d.err;
#else
  EXPECT_EQ(d.signal, SIGSEGV) << d.err;
#endif
}

} // namespace

TEST(CrashReport, AnUncaughtFaultInJitCodeIsReportedThenEndsTheProcessWithItsSignal) {
  Death d = crashInChild(kNullWrite, true, 1);
  expectEndedBySegv(d);
  EXPECT_NE(d.err.find("hotengine: fatal: " + d.unit +
                       ": version 2 crashed with SIGSEGV (address 0x0) in 'void store(int *, int)' "
                       "(crash.cpp:2)"),
            std::string::npos)
      << d.err;
  size_t bt = d.err.find("backtrace:");
  ASSERT_NE(bt, std::string::npos) << d.err;
  EXPECT_NE(d.err.find("'int crash(int)' (crash.cpp:5) [crash.cpp version 2]", bt), std::string::npos)
      << d.err;
  EXPECT_NE(d.err.find("last loaded: " + d.unit + " version 2 at "), std::string::npos) << d.err;
}

TEST(CrashReport, IsStillWrittenAfterTheProgramClosedEveryDescriptorItDidNotOpen) {
  Death d = crashInChild(kNullWrite, true, 1, /*close_fds=*/true);
  expectEndedBySegv(d);
  EXPECT_NE(d.err.find("hotengine: fatal: " + d.unit + ": version 2 crashed with SIGSEGV"),
            std::string::npos)
      << d.err;
  EXPECT_NE(d.err.find("'int crash(int)' (crash.cpp:5) [crash.cpp version 2]"), std::string::npos)
      << d.err;
}

TEST(CrashReport, AbortInJitCodeIsReportedAndStillAborts) {
  Death d = crashInChild("#include <cstdlib>\nint crash(int x) {\n  if (x) std::abort();\n"
                         "  return x;\n}\n",
                         true, 1);
  EXPECT_EQ(d.signal, SIGABRT) << d.err;
  EXPECT_NE(d.err.find(": version 2 called abort() (SIGABRT)"), std::string::npos) << d.err;
  EXPECT_NE(d.err.find("'int crash(int)' (crash.cpp:2) [crash.cpp version 2]"), std::string::npos)
      << d.err;
}

TEST(CrashReport, OffByDefaultTheFaultEndsTheProcessUnreported) {
  Death d = crashInChild(kNullWrite, false, 1);
  expectEndedBySegv(d);
  EXPECT_EQ(d.err.find("hotengine: fatal"), std::string::npos) << d.err;
}
