// HOT_ON_UNLOAD runs in the old version, then HOT_ON_LOAD in the new one, in that order.
#include <gtest/gtest.h>

#include <string>

#include "TestSupport.h"

extern "C" char hot_test_hook_log[256] = {0};

namespace {
std::string unit(const char *tag) {
  return std::string("#include <hot/unit.h>\n#include <cstring>\n"
                     "extern \"C\" char hot_test_hook_log[256];\n"
                     "HOT_ON_LOAD() { std::strcat(hot_test_hook_log, \"load-") + tag + " \"); }\n"
                     "HOT_ON_UNLOAD() { std::strcat(hot_test_hook_log, \"unload-" + tag + " \"); }\n"
                     "int f() { return 1; }\n";
}
} // namespace

TEST(LifecycleHooks, UnloadOldThenLoadNew) {
  hot::Config c;
  c.include_dirs = {std::string(HOT_SOURCE_DIR) + "/host-api/include"};
  hot::test::LiveProject p(c);
  p.write("h.cpp", unit("v1"));
  ASSERT_TRUE(p.start().ok());
  EXPECT_STREQ(hot_test_hook_log, "load-v1 ");
  ASSERT_TRUE(p.edit("h.cpp", unit("v2")).success);
  EXPECT_STREQ(hot_test_hook_log, "load-v1 unload-v1 load-v2 ");
}
