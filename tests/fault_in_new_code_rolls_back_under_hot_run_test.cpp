// `hot run` survives a fault in a unit's new version on any thread: the unit is rolled back,
// the faulting thread's call is abandoned (the thread ends), the other threads keep running
// with the program's state, and the next save of the fixed file is applied. A fault that is
// not in new code ends the program with the signal's status and a message.
#include <gtest/gtest.h>

#include <csignal>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

const char *kMain = R"(#include <atomic>
#include <cstdio>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>
int handle(int request);
int probe();
std::atomic<long> served{0};
std::atomic<int> seen{0}; // the last probe() main printed
int main(int argc, char **argv) {
  std::atomic<bool> quit{false};
  std::vector<std::thread> pool;
  // Worker 0 serves the rarely used route (request -1) once main has seen a new version
  // answer (so that its "probe N" line is out before the route can fault); the others serve
  // ordinary requests.
  for (int t = 0; t < 3; ++t)
    pool.emplace_back([&, t] {
      for (int i = 1; !quit; ++i) { handle(t == 0 && seen > 1 ? -1 : i); ++served; usleep(1000); }
    });
  int last = -1;
  long served_at_change = 0;
  for (int i = 0; i < 6000; ++i) { // bounded: at most about 60 s
    int p = probe();
    if (p != last) {
      std::printf("probe %d\n", p);
      std::fflush(stdout);
      last = p;
      seen = p;
      served_at_change = served;
    }
    struct stat st;
    if (argc > 1 && stat(argv[1], &st) == 0) break;
    usleep(10000);
  }
  quit = true;
  for (auto &t : pool) t.join();
  std::printf("served more after the last change: %d\n", served > served_at_change);
  return 0;
}
)";

std::string handler(int probe, bool bad_route_faults) {
  return std::string("int handle(int r) {\n") +
         (bad_route_faults ? "  if (r < 0) { volatile int *p = nullptr; *p = 1; }\n" : "") +
         "  return r % 7;\n}\nint probe() { return " + std::to_string(probe) + "; }\n";
}

TEST(FaultInNewCode, RollsBackAndTheProgramKeepsServing) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("src/main.cpp"), kMain);
  hot::test::writeFile(dir.file("src/handler.cpp"), handler(1, false));
  int out = -1;
  pid_t pid = hot::test::startHotRun({"run", dir.file("src"), "--", dir.file("stop")}, out,
                                     dir.file("stderr.txt"));
  ASSERT_GT(pid, 0);
  std::string got;
  ASSERT_TRUE(hot::test::readUntil(out, got, "probe 1\n", 120)) << got;
  hot::test::writeFile(dir.file("src/handler.cpp"), handler(2, true));
  // Version 2 answers probe() until its bad route faults and rolls it back to version 1.
  ASSERT_TRUE(hot::test::readUntil(out, got, "probe 2\nprobe 1\n", 60))
      << got << hot::test::readText(dir.file("stderr.txt"));
  std::string err = hot::test::readText(dir.file("stderr.txt"));
  EXPECT_NE(err.find("handler.cpp: version 2 crashed with SIGSEGV"), std::string::npos) << err;
  EXPECT_NE(err.find("in 'int handle(int)' (handler.cpp:1); rolled back to version 1"), std::string::npos) << err;
  // The backtrace names the faulting body and the program's own thread function that called it.
  size_t bt = err.find("backtrace:\n    #0 0x");
  EXPECT_NE(bt, std::string::npos) << err;
  size_t caller = err.find("'int handle(int)' (handler.cpp:1) [handler.cpp version 2]", bt);
  EXPECT_NE(caller, std::string::npos) << err;
  EXPECT_NE(err.find("[main.cpp version 1]", caller), std::string::npos) << err;
  // The fixed file is applied.
  hot::test::writeFile(dir.file("src/handler.cpp"), handler(3, false));
  EXPECT_TRUE(hot::test::readUntil(out, got, "probe 3\n", 60)) << got;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  hot::test::writeFile(dir.file("stop"), "");
  EXPECT_TRUE(hot::test::readUntil(out, got, "served more after the last change: 1\n", 60))
      << got;
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << status << hot::test::readText(dir.file("stderr.txt"));
}

TEST(FaultInNewCode, AFaultInTheFirstVersionEndsTheProgramWithItsSignal) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.cpp"), R"(#include <thread>
int main() {
  std::thread t([] { volatile int *p = nullptr; *p = 1; });
  t.join();
  return 0;
}
)");
  auto o = hot::test::runCommand(hot::test::hotBinary() + " run " + dir.path().string() +
                                 " 2>&1; echo status=$?");
  EXPECT_NE(o.out.find("version 1 crashed with SIGSEGV"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("the fault cannot be recovered from: the program ends"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("status=139"), std::string::npos) << o.out;
}

TEST(FaultInNewCode, GuardedSurvivesAStackOverflow) {
  hot::test::LiveProject p;
  p.write("deep.cpp", "int deep(int n) { volatile char pad[256]; pad[0] = char(n); "
                      "return n + 1; }\n");
  ASSERT_TRUE(p.start().ok());
  hot::ReloadEvent e = p.edit("deep.cpp", "int deep(int n) { volatile char pad[256]; pad[0] = "
                                          "char(n); return deep(n + 1) + pad[0]; }\n");
  ASSERT_TRUE(e.success) << e.message;
  auto deep = p.fn<int(int)>("deep");
  int result = 0;
  hot::Status st = p.engine->guarded([&] { result = deep(1); });
  EXPECT_EQ(st.code(), hot::ErrorCode::Crashed) << st.message();
  EXPECT_NE(st.message().find("rolled back to version 1"), std::string::npos) << st.message();
  EXPECT_EQ(deep(1), 2) << "version 1 runs again";
}

} // namespace
