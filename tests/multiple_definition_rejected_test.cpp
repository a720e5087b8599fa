// Two units defining the same external function or variable is an error naming both
// definitions, as a native link says "multiple definition of 'value()'; first defined in ...":
// never a silent takeover by the newer unit. Inline functions, templates and vtables are not.
#include <gtest/gtest.h>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

TEST(MultipleDefinition, TwoUnitsDefiningOneFunctionFailTheFirstLoad) {
  hot::test::LiveProject p;
  p.write("a.cpp", "inline int shared() { return 1; }\nint a() { return shared(); }\n"
                   "int value() { return 1; }\n");
  p.write("b.cpp", "inline int shared() { return 1; }\nint b() { return shared(); }\n"
                   "int value() { return 2; }\n");
  hot::Status st = p.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), hot::ErrorCode::LinkError);
  EXPECT_NE(st.message().find(p.path("b.cpp") + ":3:5: error: multiple definition of 'int value()'; "
                              "first defined in " + p.path("a.cpp") + ":3:5"),
            std::string::npos)
      << st.message();
}

TEST(MultipleDefinition, TwoUnitsDefiningOneVariableFail) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int counter = 1;\n");
  p.write("b.cpp", "int counter = 2;\nint get() { return counter; }\n");
  hot::Status st = p.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("multiple definition of 'counter'"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find(p.path("a.cpp") + ":1:5"), std::string::npos) << st.message();
}

TEST(MultipleDefinition, ANewDefinitionWhileRunningIsRefusedUntilTheOldOneGoes) {
  hot::test::LiveProject p;
  p.write("a.cpp", "int value() { return 1; }\n");
  p.write("b.cpp", "int other() { return 5; }\n");
  ASSERT_TRUE(p.start().ok());
  auto value = p.fn<int()>("value");
  hot::ReloadEvent e = p.edit("b.cpp", "int other() { return 5; }\nint value() { return 2; }\n");
  EXPECT_FALSE(e.success);
  EXPECT_NE(e.message.find("first defined in " + p.path("a.cpp") + ":1:5"), std::string::npos)
      << e.message;
  EXPECT_EQ(value(), 1) << "the running definition is kept";
  // Removing the first definition lets the waiting unit in, without saving it again.
  size_t before = p.events.count();
  p.write("a.cpp", "int unused_now() { return 0; }\n");
  ASSERT_TRUE(p.events.waitForReloads(before + 2, p.engine.get()));
  for (auto &ev : p.events.since(before)) EXPECT_TRUE(ev.success) << ev.unit << ": " << ev.message;
  EXPECT_EQ(value(), 2);
}

TEST(MultipleDefinition, TwoMainsUnderHotRunSayWhere) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("a.cpp"), "int main() { return 0; }\n");
  hot::test::writeFile(dir.file("b.cpp"), "int main() { return 3; }\n");
  auto o = hot::test::runCommand(hot::test::hotBinary() + " run " + dir.path().string() + " 2>&1");
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.out.find("multiple definition of 'int main()'; first defined in " +
                       dir.file("a.cpp") + ":1:5"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("not started"), std::string::npos) << o.out;
}

} // namespace
