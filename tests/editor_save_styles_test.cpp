// The watcher sees the three ways editors save: in place, write-temp-and-rename, and
// delete-then-recreate.
#include <gtest/gtest.h>

#include <filesystem>

#include "TestSupport.h"

TEST(EditorSaves, RenameOverAndDeleteRecreateAreSeen) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int v() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());
  auto v = p.fn<int()>("v");

  size_t n = p.events.count();
  hot::test::writeFileByRename(p.path("a.cpp"), "int v() { return 2; }\n");
  ASSERT_TRUE(p.waitEvents(n + 1).success);
  EXPECT_EQ(v(), 2);

  n = p.events.count();
  std::filesystem::remove(p.path("a.cpp"));
  hot::test::writeFile(p.path("a.cpp"), "int v() { return 3; }\n");
  ASSERT_TRUE(p.waitEvents(n + 1).success);
  EXPECT_EQ(v(), 3);

  n = p.events.count();
  hot::test::writeFile(p.path("a.cpp"), "int v() { return 4; }\n");
  ASSERT_TRUE(p.waitEvents(n + 1).success);
  EXPECT_EQ(v(), 4);
}
