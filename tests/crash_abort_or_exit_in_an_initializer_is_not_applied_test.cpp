// A new version whose static initializer crashes, calls abort() (a failed assert()) or calls
// exit() is not applied: the message names the unit, what happened and where, the running
// version stays, and the next good save is applied. At start-up (the first load) the program
// ends as it would natively, with the native status, after the engine's message.
#include <gtest/gtest.h>

#include <csignal>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

struct Case {
  const char *body;      ///< The new version's initializer.
  const char *expected;  ///< In the failure message.
};

class BadInitializer : public ::testing::TestWithParam<Case> {};

TEST_P(BadInitializer, IsNotAppliedAndTheNextSaveIs) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  hot::ReloadEvent e = p.edit("a.cpp", std::string("#include <cassert>\n#include <cstdlib>\n") +
                                           GetParam().body + "\nint a() { return 2; }\n");
  EXPECT_FALSE(e.success);
  EXPECT_NE(e.message.find(p.path("a.cpp") + ": the static initializer" + GetParam().expected),
            std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("the change is not applied"), std::string::npos) << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), 1) << "version 1 keeps running";
  e = p.edit("a.cpp", "int a() { return 3; }\n");
  EXPECT_TRUE(e.success) << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), 3);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, BadInitializer,
    ::testing::Values(
        Case{"static int *nowhere() { return nullptr; }\n"
             "static int boom() { return *nowhere(); }\nstatic int x = boom();",
             " crashed with SIGSEGV (address 0x0) in 'int boom()' (a.cpp:4)"},
        Case{"static int check() { assert(1 + 1 == 3); return 0; }\nstatic int x = check();",
             " called abort() (SIGABRT)"},
        Case{"static int leave() { std::exit(3); }\nstatic int x = leave();", " called exit(3)"},
        Case{"static int leave() { std::_Exit(4); }\nstatic int x = leave();", " called _Exit(4)"}));

/// Start-up: `hot run` of a program whose initializer calls exit(3) or abort() ends as the
/// native program would (status 3; killed by SIGABRT), saying why.
TEST(BadInitializerAtStartUp, EndsTheProgramAsNatively) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.cpp"), R"(#include <cstdio>
#include <cstdlib>
static int leave() { std::puts("leaving"); std::fflush(stdout); std::exit(3); }
static int x = leave();
int main() { std::puts("main"); return 0; }
)");
  std::string err_file = dir.file("stderr.txt");
  std::string cmd = "exec " + hot::test::hotBinary() + " run " + dir.file("main.cpp") + " 2>" + err_file;
  auto r = hot::test::runCommand(cmd);
  std::string err = hot::test::readText(err_file);
  EXPECT_EQ(r.status, 3) << r.out << err;
  EXPECT_NE(r.out.find("leaving"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("main"), std::string::npos) << r.out;
  EXPECT_NE(err.find("main.cpp: the static initializer called exit(3): the program ends"),
            std::string::npos)
      << err;

  hot::test::writeFile(dir.file("main.cpp"), R"(#include <cstdlib>
static int stop() { std::abort(); }
static int x = stop();
int main() { return 0; }
)");
  r = hot::test::runCommand(cmd);
  err = hot::test::readText(err_file);
  EXPECT_EQ(r.signal, SIGABRT) << r.status << err;
  EXPECT_NE(err.find("main.cpp: the static initializer called abort() (SIGABRT)"),
            std::string::npos)
      << err;
}

} // namespace
