// Config::cache_dir, beyond reading compiles back: a unit an earlier run loaded is linked from
// that run's objects without parsing its IR (the engine's rewrite of it is replayed from a
// record), unless this run's engine answers a question that rewrite asked differently — a
// constant another unit defined then and not now — in which case it is rewritten and compiled
// as usual. Either way the program behaves as a compile from source.
#include <gtest/gtest.h>

#include <filesystem>

#include "TestSupport.h"

namespace {
namespace fs = std::filesystem;

struct Started {
  hot::test::RecordingListener events;
  std::unique_ptr<hot::HotEngine> engine;
  hot::EngineStats before; ///< Process-wide counters before this start.
  std::uint64_t replayed() const { return engine->stats().cache_replayed - before.cache_replayed; }
  /// Units this start compiled from their text (not read back, or read back without IR).
  std::uint64_t compiled() const { return engine->stats().cache_misses - before.cache_misses; }
  std::uint64_t refused() const {
    return engine->stats().cache_replays_refused - before.cache_replays_refused;
  }
};

std::unique_ptr<Started> start(const std::string &src, const std::string &cache) {
  auto s = std::make_unique<Started>();
  hot::Config c;
  c.cache_dir = cache;
  auto e = hot::HotEngine::create(c);
  if (!e.ok()) return nullptr;
  s->engine = std::move(e.value());
  s->before = s->engine->stats();
  s->engine->setListener(&s->events);
  if (!s->engine->watch(src).ok()) return nullptr;
  return s;
}

const char *kLiteral = "a literal both units spell the same way";

void writeProject(hot::test::TempDir &dir) {
  std::string lit = std::string("\"") + kLiteral + "\"";
  hot::test::writeFile(dir.file("src/a.cpp"), "const char *a() { return " + lit + "; }\n");
  hot::test::writeFile(dir.file("src/b.cpp"), "#include <string>\n"
                                              "static int calls = 0;\n"
                                              "std::string b() { ++calls; return " + lit + "; }\n"
                                              "int b_calls() { return calls; }\n");
  hot::test::writeFile(dir.file("src/c.cpp"), "#include <vector>\n"
                                              "struct Shape { virtual ~Shape() = default; virtual int sides() const = 0; };\n"
                                              "struct Square : Shape { int sides() const override { return 4; } };\n"
                                              "static std::vector<int> made;\n"
                                              "int c() { Square s; const Shape &sh = s; made.push_back(sh.sides()); return int(made.size()) * 10 + sh.sides(); }\n");
}

} // namespace

TEST(CachedObjects, ASecondStartLinksEveryUnitWithoutItsIrAndAnswersTheSame) {
  hot::test::TempDir dir;
  writeProject(dir);
  auto first = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->replayed(), 0u);
  std::string a1 = first->engine->function<const char *()>("a").value()();
  first.reset();

  auto second = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->replayed(), 3u);
  EXPECT_EQ(second->refused(), 0u);
  EXPECT_EQ(a1, kLiteral);
  EXPECT_EQ(std::string(second->engine->function<const char *()>("a").value()()), kLiteral);
  auto b = second->engine->function<std::string()>("b").value();
  EXPECT_EQ(b(), kLiteral);
  auto c = second->engine->function<int()>("c").value();
  EXPECT_EQ(c(), 14) << "vtables and statics of a linked unit work";
  EXPECT_EQ(c(), 24);

  // A body edit of a linked unit is a function-level recompile that keeps its state.
  size_t n = second->events.count();
  hot::test::writeFile(dir.file("src/b.cpp"), "#include <string>\n"
                                              "static int calls = 0;\n"
                                              "std::string b() { ++calls; return \"edited\"; }\n"
                                              "int b_calls() { return calls; }\n");
  ASSERT_TRUE(second->events.waitForReloads(n + 1, second->engine.get()));
  EXPECT_TRUE(second->events.last().success) << second->events.last().message;
  EXPECT_TRUE(second->events.last().partial);
  EXPECT_EQ(b(), "edited");
  EXPECT_EQ(second->engine->function<int()>("b_calls").value()(), 2);
}

TEST(CachedObjects, AUnitWhoseRecordedAnswersNoLongerHoldIsRewrittenNotLinkedStale) {
  hot::test::TempDir dir;
  writeProject(dir);
  ASSERT_TRUE(start(dir.file("src"), dir.file("cache")));
  // b.cpp's rewrite found the shared literal already defined by a.cpp: its code only refers
  // to it. Once a.cpp no longer spells it nobody defines it, so b.cpp's recorded rewrite must
  // not be used.
  hot::test::writeFile(dir.file("src/a.cpp"), "const char *a() { return \"another text\"; }\n");
  auto again = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->refused(), 1u);
  EXPECT_EQ(again->replayed(), 1u) << "c.cpp asked nothing that changed";
  EXPECT_EQ(again->engine->function<std::string()>("b").value()(), kLiteral);
  EXPECT_EQ(std::string(again->engine->function<const char *()>("a").value()()), "another text");
  EXPECT_EQ(again->engine->function<int()>("c").value()(), 14);
  again.reset();
  // That rewrite was recorded in turn: the next start links b.cpp from its objects again.
  auto third = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->replayed(), 3u);
  EXPECT_EQ(third->engine->function<std::string()>("b").value()(), kLiteral);
}

TEST(CachedObjects, ARecordWhoseObjectWasEvictedIsACompileOfTheModule) {
  hot::test::TempDir dir;
  writeProject(dir);
  ASSERT_TRUE(start(dir.file("src"), dir.file("cache")));
  size_t removed = 0;
  for (const fs::directory_entry &e : fs::directory_iterator(dir.file("cache/objects")))
    if (e.path().filename().string().rfind("rec-", 0) != 0) removed += fs::remove(e.path());
  ASSERT_GE(removed, 3u);
  auto again = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->replayed(), 0u);
  EXPECT_EQ(std::string(again->engine->function<const char *()>("a").value()()), kLiteral);
  EXPECT_EQ(again->engine->function<int()>("c").value()(), 14);
}

TEST(CachedObjects, AddingOrRemovingAUnitKeepsTheOthersLinkedFromTheirObjects) {
  hot::test::TempDir dir;
  writeProject(dir);
  ASSERT_TRUE(start(dir.file("src"), dir.file("cache")));
  // Found before the others (name order) and in a folder of its own.
  hot::test::writeFile(dir.file("src/0/added.cpp"), "static int n = 5;\nint added() { return ++n; }\n");
  auto grown = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(grown);
  EXPECT_EQ(grown->replayed(), 3u) << "the units that did not change keep their code";
  EXPECT_EQ(grown->engine->function<int()>("added").value()(), 6);
  EXPECT_EQ(grown->engine->function<int()>("c").value()(), 14);
  grown.reset();
  std::filesystem::remove(dir.file("src/a.cpp"));
  auto shrunk = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(shrunk);
  // b.cpp shared a.cpp's literal (see above): it is rewritten; the others are linked.
  EXPECT_EQ(shrunk->replayed(), 2u);
  EXPECT_EQ(shrunk->refused(), 1u);
  EXPECT_EQ(shrunk->engine->function<std::string()>("b").value()(), kLiteral);
  EXPECT_EQ(shrunk->engine->function<int()>("added").value()(), 6);
}

TEST(CachedObjects, AUnitKeptWithoutItsIrIsCompiledAgainOnceWhenItsObjectsAreGoneThenKeepsIt) {
  // A first start keeps no unit's IR (its record and objects are its code). When those cannot
  // be used the unit is compiled from its text, and from then on its IR is kept: losing its
  // objects again costs the backend only.
  hot::test::TempDir dir;
  writeProject(dir);
  auto first = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->compiled(), 3u);
  first.reset();
  auto dropObjects = [&] {
    size_t removed = 0;
    for (const fs::directory_entry &e : fs::directory_iterator(dir.file("cache/objects")))
      removed += fs::remove(e.path());
    return removed;
  };
  ASSERT_GE(dropObjects(), 6u); // three records, three code objects
  auto again = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->replayed(), 0u);
  EXPECT_EQ(again->compiled(), 3u) << "read back without IR and without objects: compiled";
  EXPECT_EQ(again->engine->function<int()>("c").value()(), 14);
  EXPECT_EQ(again->engine->function<std::string()>("b").value()(), kLiteral);
  again.reset();
  ASSERT_GE(dropObjects(), 6u);
  auto third = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->compiled(), 0u) << "their IR was kept: only the backend ran";
  EXPECT_EQ(third->engine->function<int()>("c").value()(), 14);
  third.reset();
  auto fourth = start(dir.file("src"), dir.file("cache"));
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->replayed(), 3u);
  EXPECT_EQ(fourth->compiled(), 0u);
}
