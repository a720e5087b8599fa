// Saves are never silently ignored: a watched folder that is renamed and replaced by a new
// one (`mv src src.old && mkdir src && cp ...`) is reported and the new folder is watched; a
// unit that is a symlink reloads when the file it points to changes.
#include <gtest/gtest.h>

#include <filesystem>

#include "TestSupport.h"

namespace {
namespace fs = std::filesystem;

bool saidSomething(hot::test::RecordingListener &events, const std::string &text) {
  for (auto &m : events.messages())
    if (m.find(text) != std::string::npos) return true;
  return false;
}

TEST(WatchedFolderReplaced, TheNewFolderIsWatched) {
  hot::test::TempDir root;
  std::string src = root.file("src");
  hot::test::writeFile(src + "/a.cpp", "int a() { return 1; }\n");
  hot::test::writeFile(src + "/b.cpp", "int b() { return 10; }\n");
  auto engine = std::move(hot::HotEngine::create().value());
  hot::test::RecordingListener events;
  engine->setListener(&events);
  ASSERT_TRUE(engine->watch(src).ok());
  auto a = engine->function<int()>("a").value();
  auto b = engine->function<int()>("b").value();
  size_t first = events.count();

  fs::rename(src, root.file("src.old"));
  fs::create_directory(src);
  fs::copy_file(root.file("src.old/b.cpp"), src + "/b.cpp");
  hot::test::writeFile(src + "/a.cpp", "int a() { return 2; }\n");
  ASSERT_TRUE(events.waitForReloads(first + 1, engine.get())) << "the new folder is not watched";
  EXPECT_TRUE(events.last().success) << events.last().message;
  EXPECT_EQ(a(), 2);
  EXPECT_EQ(b(), 10);
  std::string all;
  for (auto &m : events.messages()) all += m + "\n";
  EXPECT_TRUE(saidSomething(events, src + ": the watched folder was moved or deleted")) << all;
  // Later saves in the new folder keep working.
  size_t before = events.count();
  hot::test::writeFile(src + "/b.cpp", "int b() { return 20; }\n");
  ASSERT_TRUE(events.waitForReloads(before + 1, engine.get()));
  EXPECT_EQ(b(), 20);
}

TEST(WatchedFolderReplaced, SymlinkedUnitReloadsWhenItsTargetChanges) {
  hot::test::TempDir root;
  hot::test::writeFile(root.file("shared/impl.cpp"), "int impl() { return 1; }\n");
  fs::create_directories(root.file("src"));
  fs::create_symlink(root.file("shared/impl.cpp"), root.file("src/impl.cpp"));
  auto engine = std::move(hot::HotEngine::create().value());
  hot::test::RecordingListener events;
  engine->setListener(&events);
  ASSERT_TRUE(engine->watch(root.file("src")).ok());
  auto impl = engine->function<int()>("impl").value();
  EXPECT_EQ(impl(), 1);
  size_t first = events.count();
  hot::test::writeFile(root.file("shared/impl.cpp"), "int impl() { return 2; }\n");
  ASSERT_TRUE(events.waitForReloads(first + 1, engine.get()));
  EXPECT_TRUE(events.last().success) << events.last().message;
  EXPECT_EQ(impl(), 2);
}

} // namespace
