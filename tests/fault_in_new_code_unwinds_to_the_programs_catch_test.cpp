// Under `hot run`, a fault in a unit's new version unwinds the faulting call as
// hot::CrashedInNewCode: destructors of the frames between run (a local's destructor, a
// std::lock_guard's unlock), the program's own catch handler sees it and carries on, and the
// unit is rolled back (the next call runs the previous version).
#include <gtest/gtest.h>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

const char *kMain = R"(#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <hot/crash.h>
std::mutex m;
bool destroyed = false;
int work(volatile int *p);
int probe();
int main() {
  std::printf("ready\n");
  std::fflush(stdout);
  for (int i = 0; i < 6000 && probe() != 2; ++i) usleep(10000); // wait for version 2
  std::printf("probe %d\n", probe());
  int x = 5;
  bool typed = false;
  try {
    std::printf("work returned %d\n", work(&x));
  } catch (const hot::CrashedInNewCode &e) {
    typed = true;
    std::printf("caught: %s\n", e.what());
  } catch (...) {
    std::printf("caught something else\n");
  }
  std::printf("typed %d, destroyed %d\n", typed, destroyed);
  bool locked = false; // another thread can take the mutex: the lock_guard released it
  std::thread([&] { locked = m.try_lock(); if (locked) m.unlock(); }).join();
  std::printf("mutex free %d\n", locked);
  std::printf("after rollback: probe %d, work %d\n", probe(), work(&x));
  return 0;
}
)";

// `poke` is declared before `work` and defined after it: a callee clang has already proved
// cannot throw (a body without calls, defined earlier in the unit) is called without a
// call-site entry, and the unwind could not pass that call (docs/ARCHITECTURE.md).
std::string work(int probe, bool faults) {
  return std::string("#include <cstdio>\n#include <mutex>\nextern std::mutex m;\n"
                     "extern bool destroyed;\n"
                     "struct Flag { ~Flag() { destroyed = true; std::puts(\"~Flag ran\"); } };\n"
                     "int poke(volatile int *p);\n"
                     "int work(volatile int *p) {\n"
                     "  Flag f;\n"
                     "  std::lock_guard<std::mutex> g(m);\n"
                     "  return poke(p) + 1;\n"
                     "}\n"
                     "int poke(volatile int *p) {\n") +
         (faults ? "  p = nullptr;\n" : "") + "  return *p;\n}\nint probe() { return " +
         std::to_string(probe) + "; }\n";
}

TEST(FaultUnwind, ReachesTheProgramsCatchWithDestructorsRun) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("src/main.cpp"), kMain);
  hot::test::writeFile(dir.file("src/work.cpp"), work(1, false));
  int out = -1;
  pid_t pid = hot::test::startHotRun({"run", dir.file("src")}, out, dir.file("stderr.txt"));
  ASSERT_GT(pid, 0);
  std::string got;
  ASSERT_TRUE(hot::test::readUntil(out, got, "ready\n", 120)) << hot::test::readText(dir.file("stderr.txt"));
  hot::test::writeFile(dir.file("src/work.cpp"), work(2, true));
  ASSERT_TRUE(hot::test::readUntil(out, got, "after rollback:", 60))
      << got << hot::test::readText(dir.file("stderr.txt"));
  ASSERT_TRUE(hot::test::readUntil(out, got, "\n", 10)) << got;
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out);
  std::string err = hot::test::readText(dir.file("stderr.txt"));
  EXPECT_NE(got.find("~Flag ran\n"), std::string::npos) << got << err;
  size_t caught = got.find("caught: ");
  EXPECT_NE(got.find("work.cpp: version 2 crashed with SIGSEGV (address 0x0) in "
                     "'int poke(volatile int *)' (work.cpp:12); rolled back to version 1", caught),
            std::string::npos)
      << got << err;
  EXPECT_NE(got.find("typed 1, destroyed 1\n"), std::string::npos) << got << err;
  EXPECT_NE(got.find("mutex free 1\n"), std::string::npos) << got << err;
  EXPECT_NE(got.find("after rollback: probe 1, work 6\n"), std::string::npos) << got << err;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << err;
}

} // namespace
