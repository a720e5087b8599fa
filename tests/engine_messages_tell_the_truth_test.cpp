// What the engine says matches what happened: a failed first load says nothing runs, a failed
// transaction blames its culprit once and the other units say what they wait for, an empty
// folder says so, unreadable files say why, and a host without a listener still hears errors.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {
namespace fs = std::filesystem;
using hot::test::hotBinary;
using hot::test::runCommand;

TEST(EngineMessages, AFailedFirstLoadSaysNotStarted) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.cpp"), "int main() { return nope; }\n");
  auto o = runCommand(hotBinary() + " run " + dir.path().string() + " 2>&1");
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.out.find("hot: " + dir.file("main.cpp") + ": not started: compile error\n"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(o.out.find("keeps running"), std::string::npos) << o.out;
}

TEST(EngineMessages, AFailedTransactionBlamesOnlyItsCulprit) {
  hot::test::LiveProject p;
  p.write("inc.h", "#pragma once\nconstexpr int k = 1;\n");
  p.write("a.cpp", "#include \"inc.h\"\nint a() { return k; }\n");
  p.write("b.cpp", "#include \"inc.h\"\nint b() { return k + 1; }\n");
  ASSERT_TRUE(p.start().ok());
  size_t before = p.events.count();
  // One burst: the header edit is fine for both, the edit of a.cpp breaks it.
  p.write("inc.h", "#pragma once\nconstexpr int k = 2;\n");
  p.write("a.cpp", "#include \"inc.h\"\nint a() { return k + zz; }\n");
  ASSERT_TRUE(p.events.waitForReloads(before + 2, p.engine.get()));
  auto events = p.events.since(before);
  int blamed = 0;
  for (auto &e : events) {
    EXPECT_FALSE(e.success);
    if (e.waiting_for.empty()) {
      ++blamed;
      continue;
    }
    EXPECT_EQ(e.message, "not applied: waiting for " + e.waiting_for);
    EXPECT_TRUE(e.diagnostics.empty() || e.diagnostics[0].severity != hot::Severity::Error);
    EXPECT_EQ(hot::formatEvent(e), "hot: " + e.unit + ": not applied: waiting for " +
                                       e.waiting_for + "\n");
  }
  EXPECT_EQ(blamed, 1);
}

TEST(EngineMessages, EveryUnitWithItsOwnErrorReportsIt) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  p.write("b.cpp", "int b() { return 2; }\n");
  ASSERT_TRUE(p.start().ok());
  size_t before = p.events.count();
  p.write("inc.h", "#pragma once\nconstexpr int k = q;\n");
  p.write("a.cpp", "#include \"inc.h\"\nint a() { return k; }\n");
  p.write("b.cpp", "#include \"inc.h\"\nint b() { return k; }\n");
  ASSERT_TRUE(p.events.waitForReloads(before + 2, p.engine.get()));
  for (auto &e : p.events.since(before)) {
    EXPECT_FALSE(e.success);
    EXPECT_EQ(e.waiting_for, "") << e.unit << " has an error of its own";
    EXPECT_NE(e.message.find("use of undeclared identifier 'q'"), std::string::npos) << e.message;
  }
}

TEST(EngineMessages, AFolderWithoutUnitsSaysSo) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("notes.txt"), "nothing to compile\n");
  auto o = runCommand(hotBinary() + " run " + dir.path().string() + " 2>&1");
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.out, "hot run: " + dir.path().string() + ": no C++ or C units\n");
}

TEST(EngineMessages, NoExtensionsMeansNoUnits) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.cpp"), "int main() { return 0; }\n");
  hot::test::writeFile(dir.file("hot.json"), R"({"extensions": []})");
  auto o = runCommand(hotBinary() + " run --config " + dir.file("hot.json") + " " +
                      dir.path().string() + " 2>&1");
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.out.find(dir.path().string() + ": no C++ or C units"), std::string::npos) << o.out;
}

TEST(EngineMessages, ASymlinkLoopIsSkippedWithAWarning) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.cpp"), "int main() { return 4; }\n");
  fs::create_symlink(dir.file("loop.cpp"), dir.file("loop.cpp"));
  auto o = runCommand(hotBinary() + " run " + dir.path().string() + " 2>&1");
  EXPECT_EQ(o.status, 4) << o.out;
  EXPECT_NE(o.out.find(dir.file("loop.cpp") + ": skipped: is a symlink loop"), std::string::npos)
      << o.out;
}

TEST(EngineMessages, AFifoUnitIsRefusedWithoutBlocking) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  ASSERT_EQ(::mkfifo(p.path("x.cpp").c_str(), 0600), 0);
  // A later good save is still applied: the engine did not block in open().
  hot::ReloadEvent e = p.edit("a.cpp", "int a() { return 2; }\n");
  EXPECT_TRUE(e.success) << e.message;
  EXPECT_EQ(p.fn<int()>("a")(), 2);
  bool said = false;
  for (auto &m : p.events.messages())
    said |= m.find(p.path("x.cpp") + ": is a FIFO, not a regular file") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(EngineMessages, FormattedDiagnosticsEndWithANewline) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  hot::ReloadEvent e = p.edit("a.cpp", "int a() { return 1 +; }\n");
  ASSERT_FALSE(e.success);
  ASSERT_FALSE(e.diagnostics.empty());
  EXPECT_EQ(e.diagnostics[0].formatted.back(), '\n');
  EXPECT_EQ(hot::formatEvent(e).find("\n\n"), std::string::npos) << hot::formatEvent(e);
}

/// Redirects this process's stderr into a file for the scope's lifetime.
class CapturedStderr {
public:
  CapturedStderr() : path_(dir_.file("stderr.txt")) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~CapturedStderr() { restore(); }
  std::string text() {
    restore();
    std::string out;
    hot::test::writeFile(path_ + ".keep", "");
    FILE *f = std::fopen(path_.c_str(), "r");
    char buf[4096];
    for (size_t n; f && (n = fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    if (f) std::fclose(f);
    return out;
  }

private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  hot::test::TempDir dir_;
  std::string path_;
  int saved_ = -1;
};

TEST(EngineMessages, AHostWithoutAListenerSeesErrorsOnStderr) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("a.cpp"), "int a() { return 1; }\n");
  CapturedStderr captured;
  {
    auto engine = std::move(hot::HotEngine::create().value());
    ASSERT_TRUE(engine->watch(dir.path().string()).ok());
    hot::test::writeFile(dir.file("a.cpp"), "int a() { return 1 +; }\n");
    // No listener to wait on: wait for the engine to have compiled the save.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!engine->units()[0].failed && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      engine->update();
    }
    engine->waitIdle();
  }
  std::string text = captured.text();
  EXPECT_NE(text.find(dir.file("a.cpp") + ":1:21: error: expected expression"), std::string::npos)
      << text;
  EXPECT_NE(text.find("compile error; version 1 keeps running"), std::string::npos) << text;
}

TEST(EngineMessages, PluginFlagsAndAnUnusableCacheDirAreReported) {
  CapturedStderr captured;
  hot::Config config;
  config.flags = {"-fplugin=/opt/x/plugin.so"};
  config.cache_dir = "/proc/hot-cannot-be-here";
  {
    auto engine = hot::HotEngine::create(config);
    ASSERT_TRUE(engine.ok()) << engine.status().message();
  }
  std::string text = captured.text();
  EXPECT_NE(text.find("flag '-fplugin=/opt/x/plugin.so': compiler plugins"), std::string::npos)
      << text;
  EXPECT_NE(text.find("cache_dir '/proc/hot-cannot-be-here' cannot be written"), std::string::npos)
      << text;
}

TEST(EngineMessages, LogToStderrOffIsSilent) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("a.cpp"), "int a() { return 1 +; }\n");
  CapturedStderr captured;
  hot::Config config;
  config.log_to_stderr = false;
  {
    auto engine = std::move(hot::HotEngine::create(config).value());
    EXPECT_FALSE(engine->watch(dir.path().string()).ok());
  }
  EXPECT_EQ(captured.text(), "");
}

} // namespace
