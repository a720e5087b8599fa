// An embedded host may start with the units that work (Config::start_with_errors): the broken
// unit is reported and left out, as are units that cannot link without it, and all of them
// load with the edit that fixes it. Without the key the first load is all or nothing.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {

void writeProject(hot::test::LiveProject &p) {
  p.write("good.cpp", "int good() { return 1; }\n");
  p.write("broken.cpp", "int fixed() { return 2 +; }\n");
  p.write("user.cpp", "int fixed();\nint user() { return fixed() * 10; }\n");
}

TEST(StartWithABrokenUnit, LoadsTheRestAndTheBrokenUnitWhenFixed) {
  hot::Config config;
  config.start_with_errors = true;
  hot::test::LiveProject p(config);
  writeProject(p);
  hot::Status st = p.start();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(p.fn<int()>("good")(), 1);
  EXPECT_FALSE(p.engine->function<int()>("user").ok()) << "user() needs fixed()";
  bool compile_error_reported = false;
  for (auto &e : p.events.reloads)
    compile_error_reported |= !e.success && e.unit == p.path("broken.cpp") &&
                              e.code == hot::ErrorCode::CompileError;
  EXPECT_TRUE(compile_error_reported);
  bool said = false;
  for (auto &m : p.events.messages()) said |= m.find("started without") != std::string::npos;
  EXPECT_TRUE(said);

  size_t before = p.events.count();
  p.write("broken.cpp", "int fixed() { return 2; }\n");
  ASSERT_TRUE(p.events.waitForReloads(before + 2, p.engine.get()));
  for (auto &e : p.events.since(before)) EXPECT_TRUE(e.success) << e.unit << ": " << e.message;
  auto user = p.engine->function<int()>("user");
  ASSERT_TRUE(user.ok()) << user.status().message();
  EXPECT_EQ(user.value()(), 20);
}

TEST(StartWithABrokenUnit, WithoutTheKeyTheFirstLoadFails) {
  hot::test::LiveProject p;
  writeProject(p);
  hot::Status st = p.start();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), hot::ErrorCode::CompileError);
}

} // namespace
