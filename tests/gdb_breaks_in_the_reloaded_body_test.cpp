// With debug_info (`hot run -g`), every version is registered through the GDB JIT interface:
// (gdb, and lldb-22 with its JIT loader plugin on)
// a breakpoint on a file:line set before the program starts stops in the body a reload brought
// in, `bt` names the JIT functions with their files and lines, and a breakpoint on a function
// name set after the reload stops in the newest body. Real gdb in batch mode on a real
// `hot run`; the program saves the new version of its own unit, as an editor would.
#include <gtest/gtest.h>

#include <string>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

// Version 1 of live.cpp: step() is lines 1-3, so nothing is at line 6 yet.
const char *kLiveV1 = "int step(int x) {\n"
                      "  return x + 1;\n"
                      "}\n";
// Version 2 moves step() down: its body's first line is 6.
const char *kLiveV2 = "// version 2\n"
                      "//\n"
                      "//\n"
                      "//\n"
                      "int step(int x) {\n"
                      "  int scaled = x * 100;\n"
                      "  return scaled;\n"
                      "}\n";

/// `text` as the inside of a C string literal.
std::string escaped(const std::string &text) {
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

/// program.cpp (not main.cpp: the hot binary has one of its own): calls step() until it
/// answers as version 2 (then once more), saving version 2
/// after a few calls.
std::string mainUnit(const std::string &live_path) {
  return R"(#include <cstdio>
#include <fstream>
#include <unistd.h>
int step(int x);
static void save(const char *path, const char *text) { std::ofstream(path) << text; }
int main() {
  for (int i = 1; i < 3000; ++i) {
    int r = step(i);
    if (r == i * 100) { std::printf("version 2 answered %d\n", r); return step(i + 1) > 0 ? 0 : 1; }
    if (i == 5) save(")" + live_path + R"(", ")" + escaped(kLiveV2) + R"(");
    usleep(10000);
  }
  std::printf("version 2 never answered\n");
  return 1;
}
)";
}

/// Writes version 1 of the program into `dir`/src; returns that folder.
std::string writeProgram(hot::test::TempDir &dir) {
  std::string live = dir.file("src/live.cpp");
  hot::test::writeFile(live, kLiveV1);
  hot::test::writeFile(dir.file("src/program.cpp"), mainUnit(live));
  return dir.file("src");
}

/// Whether the debugger was not allowed to trace (a container without ptrace).
bool traceDenied(const hot::test::Outcome &o) {
  return o.out.find("Operation not permitted") != std::string::npos;
}

bool gdbMissing() { return hot::test::runCommand("gdb --version >/dev/null 2>&1").status != 0; }

/// Runs `hot run -g DIR` under gdb with `commands` (one -ex each), at most 120 s.
hot::test::Outcome underGdb(const std::string &dir, const std::vector<std::string> &commands) {
  std::string cmd = "timeout 120 gdb -nx -batch -ex 'set pagination off' "
                    "-ex 'set breakpoint pending on' -ex 'set confirm off' "
                    // The engine's stack scans of the program's threads (docs/ARCHITECTURE.md).
                    "-ex 'handle SIG39 nostop noprint pass'";
  for (const std::string &c : commands) cmd += " -ex '" + c + "'";
  cmd += " --args " + hot::test::hotBinary() + " run -g --quiet " + dir + " 2>&1";
  return hot::test::runCommand(cmd);
}

} // namespace

TEST(Gdb, BreakpointOnALineStopsInTheReloadedBodyAndBacktraceNamesIt) {
  if (gdbMissing()) GTEST_SKIP() << "gdb is not installed";
  hot::test::TempDir dir;
  std::string src = writeProgram(dir);
  auto o = underGdb(src, {"break live.cpp:6", "run", "bt", "print x", "kill"});
  if (traceDenied(o)) GTEST_SKIP() << "gdb cannot trace processes here: " << o.out;
  // Stopped in version 2's body (version 1 has no line 6), with its argument.
  EXPECT_NE(o.out.find("Breakpoint 1, step (x="), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("live.cpp:6"), std::string::npos) << o.out;
  // The caller is JIT code too: named, with its file and line.
  EXPECT_NE(o.out.find(" main () at "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("program.cpp:8"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("$1 = "), std::string::npos) << o.out;
}

TEST(Gdb, BreakpointOnAFunctionSetAfterTheReloadStopsInTheNewestBody) {
  if (gdbMissing()) GTEST_SKIP() << "gdb is not installed";
  hot::test::TempDir dir;
  std::string src = writeProgram(dir);
  // First stop: version 2 is running. Then a breakpoint by name: the next call of step()
  // is version 2's body (line 6), not version 1's (line 2), though both are registered.
  auto o = underGdb(src, {"break live.cpp:7", "run", "delete", "break step",
                                      "continue", "info frame", "kill"});
  if (traceDenied(o)) GTEST_SKIP() << "gdb cannot trace processes here: " << o.out;
  size_t first = o.out.find("live.cpp:7");
  ASSERT_NE(first, std::string::npos) << o.out;
  size_t second = o.out.find("step (x=", first);
  ASSERT_NE(second, std::string::npos) << o.out;
  EXPECT_NE(o.out.find("live.cpp:6", second), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("live.cpp:2", second), std::string::npos) << o.out;
}

TEST(Gdb, StepIntoACallGoesThroughTheStubIntoTheBody) {
  if (gdbMissing()) GTEST_SKIP() << "gdb is not installed";
  hot::test::TempDir dir;
  std::string src = writeProgram(dir);
  // program.cpp:8 calls step() through its stub (code without line information).
  auto o = underGdb(src, {"break program.cpp:8", "run", "step", "kill"});
  if (traceDenied(o)) GTEST_SKIP() << "gdb cannot trace processes here: " << o.out;
  size_t stop = o.out.find("main () at ");
  ASSERT_NE(stop, std::string::npos) << o.out;
  EXPECT_NE(o.out.find("step (x=1) at ", stop), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("live.cpp:2", stop), std::string::npos) << o.out;
}

TEST(Gdb, WithoutRegistrationGdbCannotPlaceTheBreakpoint) {
  if (gdbMissing()) GTEST_SKIP() << "gdb is not installed";
  hot::test::TempDir dir;
  std::string src = writeProgram(dir);
  hot::test::writeFile(dir.file("hot.json"), R"({"register_with_debugger": false})");
  auto o = underGdb("--config " + dir.file("hot.json") + " " + src,
                    {"break live.cpp:6", "run"});
  if (traceDenied(o)) GTEST_SKIP() << "gdb cannot trace processes here: " << o.out;
  // The program runs to its end: nothing told gdb where step() is.
  EXPECT_NE(o.out.find("version 2 answered"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("Breakpoint 1, step"), std::string::npos) << o.out;
}

TEST(Lldb, BreakpointOnALineStopsInTheReloadedBody) {
  if (hot::test::runCommand("lldb-22 --version >/dev/null 2>&1").status != 0)
    GTEST_SKIP() << "lldb-22 is not installed";
  hot::test::TempDir dir;
  std::string src = writeProgram(dir);
  std::string cmd = "timeout 120 lldb-22 -b -o 'settings set plugin.jit-loader.gdb.enable on' "
                    "-o 'breakpoint set -f live.cpp -l 6' -o 'process launch --stop-at-entry' "
                    // The engine's stack scans of the program's threads (docs/ARCHITECTURE.md).
                    "-o 'process handle SIGRTMIN+5 --stop false --notify false --pass true' "
                    "-o continue -o bt -o 'frame variable x' "
                    "-o kill -- " +
                    hot::test::hotBinary() + " run -g --quiet " + src + " 2>&1";
  auto o = hot::test::runCommand(cmd);
  if (traceDenied(o)) GTEST_SKIP() << "lldb cannot trace processes here: " << o.out;
  EXPECT_NE(o.out.find("`step(x="), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("at live.cpp:6"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("`main at program.cpp:8"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("(int) x = "), std::string::npos) << o.out;
}

TEST(Gdb, EveryUnitOfAManyUnitStartHasItsLinesKnownToGdb) {
  // Units linked at start register their debug objects one after another: gdb read some
  // registrations made by several threads at once twice and others never, and then had no
  // line for a unit's functions (`step` stepped over them).
  if (gdbMissing()) GTEST_SKIP() << "gdb is not installed";
  hot::test::TempDir dir;
  constexpr int kUnits = 12;
  std::string decls, calls;
  for (int k = 0; k < kUnits; ++k) {
    std::string name = "unit_fn_" + std::to_string(k);
    hot::test::writeFile(dir.file("src/unit" + std::to_string(k) + ".cpp"),
                         "int " + name + "(int x) {\n  return x + " + std::to_string(k) + ";\n}\n");
    decls += "int " + name + "(int);\n";
    calls += "  s += " + name + "(s);\n";
  }
  hot::test::writeFile(dir.file("src/program.cpp"),
                       decls + "int main() {\n  int s = 1;\n" + calls + "  return s > 0 ? 0 : 1;\n}\n");
  // program.cpp's first call: every unit is linked by then.
  std::vector<std::string> commands = {"break program.cpp:" + std::to_string(kUnits + 3), "run"};
  for (int k = 0; k < kUnits; ++k) commands.push_back("info line unit_fn_" + std::to_string(k));
  commands.push_back("kill");
  auto o = underGdb(dir.file("src"), commands);
  if (traceDenied(o)) GTEST_SKIP() << "gdb cannot trace processes here: " << o.out;
  ASSERT_NE(o.out.find("Breakpoint 1, main () at"), std::string::npos) << o.out;
  for (int k = 0; k < kUnits; ++k) {
    std::string unit = "unit" + std::to_string(k) + ".cpp\"";
    EXPECT_NE(o.out.find(unit), std::string::npos) << "no line for unit_fn_" << k << ":\n" << o.out;
  }
}
