// A new .cpp file in a watched folder is loaded; a deleted one keeps running and is reported.
#include <gtest/gtest.h>

#include <filesystem>

#include "TestSupport.h"

TEST(Files, NewFileLoadsDeletedFileKeepsRunning) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int a() { return 1; }\n");
  ASSERT_TRUE(p.start().ok());

  auto e = p.edit("sub/new_unit.cpp", "int fresh() { return 5; }\n");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(p.fn<int()>("fresh")(), 5);

  ASSERT_FALSE(p.events.messages().empty());
  EXPECT_EQ(p.events.messages().back(), p.path("sub/new_unit.cpp") + ": new unit");

  size_t before = p.events.messages().size();
  std::filesystem::remove(p.path("a.cpp"));
  for (int i = 0; i < 400 && p.events.messages().size() == before; ++i) {
    p.engine->update();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(p.events.messages().size(), before);
  EXPECT_NE(p.events.messages().back().find("deleted"), std::string::npos);
  EXPECT_EQ(p.fn<int()>("a")(), 1) << "its last version keeps running";
}
