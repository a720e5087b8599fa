// Config::cache_dir: a unit an earlier engine compiled with the same text, flags and header
// contents is read back at the next start instead of compiled (ReloadEvent::from_cache,
// EngineStats::cache_hits); an edited unit, an edited header and a changed define each
// recompile exactly the units they affect; a truncated entry is a compile with a warning;
// processes share the cache safely; reloads and state work the same on units read back.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {
namespace fs = std::filesystem;

/// One start of an engine on `src` with the cache in `cache`: which units were read back.
struct Start {
  hot::test::RecordingListener events; // outlives the engine, which reports to it
  std::unique_ptr<hot::HotEngine> engine;
  std::set<std::string> cached, compiled; ///< File names.
  std::vector<std::string> warnings;
};

std::unique_ptr<Start> start(const std::string &src, const std::string &cache,
                             std::vector<std::string> defines = {}) {
  auto s = std::make_unique<Start>();
  hot::Config c;
  c.cache_dir = cache;
  c.defines = std::move(defines);
  auto e = hot::HotEngine::create(c);
  if (!e.ok()) return nullptr;
  s->engine = std::move(e.value());
  s->engine->setListener(&s->events);
  if (!s->engine->watch(src).ok()) return nullptr;
  for (const hot::ReloadEvent &r : s->events.since(0)) {
    (r.from_cache ? s->cached : s->compiled).insert(fs::path(r.unit).filename().string());
    for (const hot::Diagnostic &d : r.diagnostics)
      if (d.severity == hot::Severity::Warning) s->warnings.push_back(d.message);
  }
  return s;
}

/// A project in the shape of a small real one: a header several units include, a define.
void writeProject(hot::test::TempDir &dir, int header_value) {
  hot::test::writeFile(dir.file("src/include/config.h"),
                       "#pragma once\ninline int configured() { return " +
                           std::to_string(header_value) + "; }\n");
  hot::test::writeFile(dir.file("src/a.cpp"), "#include \"include/config.h\"\n"
                                              "int a() { return configured() + 1; }\n");
  hot::test::writeFile(dir.file("src/b.cpp"), "#include \"include/config.h\"\n"
                                              "int b() { return configured() + 2; }\n");
  hot::test::writeFile(dir.file("src/c.cpp"), "#include <string>\n"
                                              "#ifndef EXTRA\n#define EXTRA 0\n#endif\n"
                                              "static int calls = 0;\n"
                                              "int c() { return int(std::to_string(++calls).size()) + EXTRA; }\n"
                                              "int c_calls() { return calls; }\n");
}

const std::set<std::string> kAll = {"a.cpp", "b.cpp", "c.cpp"};

} // namespace

TEST(UnitCache, SecondStartCompilesNothingAndAnswersTheSame) {
  hot::test::TempDir dir;
  writeProject(dir, 10);
  auto first = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->compiled, kAll);
  EXPECT_TRUE(first->cached.empty());
  int a1 = first->engine->function<int()>("a").value()();
  first.reset();

  auto second = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->cached, kAll);
  EXPECT_TRUE(second->compiled.empty());
  EXPECT_EQ(second->engine->stats().cache_hits >= 3, true);
  EXPECT_EQ(second->engine->function<int()>("a").value()(), a1);
  EXPECT_EQ(second->engine->function<int()>("b").value()(), 12);
  // Entries are the user's alone.
  for (const fs::directory_entry &e : fs::directory_iterator(dir.file("cache/units")))
    EXPECT_EQ(fs::status(e.path()).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << e.path();
  EXPECT_EQ(fs::status(dir.file("cache")).permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST(UnitCache, EachChangeRecompilesExactlyTheUnitsItAffects) {
  hot::test::TempDir dir;
  writeProject(dir, 10);
  ASSERT_TRUE(start(dir.file("src"), dir.file("cache")));

  // An edited unit: that unit.
  hot::test::writeFile(dir.file("src/b.cpp"), "#include \"include/config.h\"\n"
                                              "int b() { return configured() + 3; }\n");
  auto edited = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->compiled, (std::set<std::string>{"b.cpp"}));
  EXPECT_EQ(edited->engine->function<int()>("b").value()(), 13);
  edited.reset();

  // An edited header: its includers, never a stale hit.
  writeProject(dir, 20);
  hot::test::writeFile(dir.file("src/b.cpp"), "#include \"include/config.h\"\n"
                                              "int b() { return configured() + 3; }\n");
  auto header = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(header);
  EXPECT_EQ(header->compiled, (std::set<std::string>{"a.cpp", "b.cpp"}));
  EXPECT_EQ(header->cached, (std::set<std::string>{"c.cpp"}));
  EXPECT_EQ(header->engine->function<int()>("a").value()(), 21);
  header.reset();

  // A changed define: every unit (flags are part of the key).
  auto defined = start(dir.file("src"), dir.file("cache"), {"EXTRA=100"});
  ASSERT_TRUE(defined);
  EXPECT_EQ(defined->compiled, kAll);
  EXPECT_EQ(defined->engine->function<int()>("c").value()(), 101);
}

TEST(UnitCache, ATruncatedEntryIsACompileWithAWarning) {
  hot::test::TempDir dir;
  writeProject(dir, 10);
  ASSERT_TRUE(start(dir.file("src"), dir.file("cache")));
  for (const fs::directory_entry &e : fs::directory_iterator(dir.file("cache/units")))
    fs::resize_file(e.path(), fs::file_size(e.path()) / 2);
  auto again = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->compiled, kAll);
  ASSERT_FALSE(again->warnings.empty());
  EXPECT_NE(again->warnings[0].find("is unusable (truncated or its digest does not match): compiling instead"),
            std::string::npos)
      << again->warnings[0];
  EXPECT_EQ(again->engine->function<int()>("a").value()(), 11);
  EXPECT_GE(again->engine->stats().cache_corrupt, 3u);
  // The compile stored whole entries again.
  EXPECT_EQ(start(dir.file("src"), dir.file("cache"))->cached, kAll);
}

TEST(UnitCache, ABodyEditOfAUnitReadBackIsAFunctionLevelRecompileThatKeepsState) {
  hot::test::TempDir dir;
  writeProject(dir, 10);
  ASSERT_TRUE(start(dir.file("src"), dir.file("cache")));
  auto s = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(s);
  ASSERT_EQ(s->cached, kAll);
  auto c = s->engine->function<int()>("c").value();
  auto calls = s->engine->function<int()>("c_calls").value();
  c();
  c();
  ASSERT_EQ(calls(), 2);
  size_t before = s->events.count();
  hot::test::writeFile(dir.file("src/c.cpp"), "#include <string>\n"
                                              "#ifndef EXTRA\n#define EXTRA 0\n#endif\n"
                                              "static int calls = 0;\n"
                                              "int c() { return int(std::to_string(++calls).size()) + EXTRA + 50; }\n"
                                              "int c_calls() { return calls; }\n");
  ASSERT_TRUE(s->events.waitForReloads(before + 1, s->engine.get()));
  hot::ReloadEvent e = s->events.last();
  EXPECT_TRUE(e.success) << e.message;
  EXPECT_TRUE(e.partial) << "the outline came back with the unit";
  EXPECT_EQ(c(), 51);
  EXPECT_EQ(calls(), 3) << "the static kept its value";
}

TEST(UnitCache, TwoProcessesFillingOneCacheAtOnceBothRun) {
  hot::test::TempDir dir;
  for (int i = 0; i < 12; ++i)
    hot::test::writeFile(dir.file("src/u" + std::to_string(i) + ".cpp"),
                         "#include <vector>\n#include <string>\nint u" + std::to_string(i) +
                             "() { std::vector<std::string> v(" + std::to_string(i) +
                             "); return int(v.size()); }\n");
  std::string main = "#include <cstdio>\n";
  std::string sum;
  for (int i = 0; i < 12; ++i) {
    main += "int u" + std::to_string(i) + "();\n";
    sum += (i ? " + u" : "u") + std::to_string(i) + "()";
  }
  hot::test::writeFile(dir.file("src/main.cpp"), main + "int main() { std::printf(\"%d\\n\", " + sum + "); }\n");
  std::string cmd = "XDG_CACHE_HOME=" + dir.file("xdg") + " " + hot::test::hotBinary() +
                    " run --quiet --stats " + dir.file("src");
  auto both = hot::test::runCommand("(" + cmd + " > " + dir.file("one.out") + " 2>&1 & " + cmd +
                                    " > " + dir.file("two.out") + " 2>&1; wait) 2>&1");
  for (const char *out : {"one.out", "two.out"}) {
    std::string text = hot::test::readText(dir.file(out));
    EXPECT_EQ(text.substr(0, 3), "66\n") << text;
  }
  auto third = hot::test::runCommand(cmd + " 2>&1");
  EXPECT_NE(third.out.find("66\n"), std::string::npos) << third.out;
  EXPECT_NE(third.out.find(": 13 read back (13 linked from their objects), 0 compiled, 0 corrupt"),
            std::string::npos)
      << third.out;
}

TEST(UnitCache, EvictionKeepsTheCacheUnderItsBound) {
  hot::test::TempDir dir;
  hot::Config c;
  c.cache_dir = dir.file("cache");
  c.cache_max_mb = 1;
  // Units big enough that 1 MB holds a few; each text is a new entry.
  for (int i = 1; i <= 40; ++i) {
    auto e = hot::HotEngine::create(c);
    ASSERT_TRUE(e.ok());
    std::string unit = dir.file("src" + std::to_string(i) + "/u.cpp");
    hot::test::writeFile(unit, "#include <map>\n#include <string>\nint u" + std::to_string(i) +
                                   "() { std::map<std::string, int> m; m[\"" + std::to_string(i) +
                                   "\"] = 1; return int(m.size()); }\n");
    ASSERT_TRUE(e.value()->load({unit}).ok());
  }
  std::uintmax_t total = 0;
  for (const char *sub : {"/units", "/objects"})
    for (const fs::directory_entry &e : fs::directory_iterator(dir.file("cache") + sub))
      total += e.file_size();
  // Eviction runs after every eighth of the bound written and trims to 80%.
  EXPECT_LT(total, (3u << 20) / 2) << total << " bytes";
  EXPECT_GT(hot::HotEngine::create(c).value()->stats().cache_misses, 0u);
}
