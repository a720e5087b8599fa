// Guarded mode: version 2 dereferences null; the guarded call reports the fault naming the unit
// and function, version 1 answers the next call, and the faulty version is not reapplied until
// the file changes again.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(GuardedCrash, RollsBackToPreviousVersion) {
  hot::test::LiveProject p;
  p.write("c.cpp", "int compute(int x) { return x + 1; }\n");
  ASSERT_TRUE(p.start().ok());
  auto compute = p.fn<int(int)>("compute");
  ASSERT_EQ(compute(1), 2);

  const std::string crashing = "int compute(int x) { int *p = nullptr; return *p + x; }\n";
  ASSERT_TRUE(p.edit("c.cpp", crashing).success);
  int result = 0;
  hot::Status st = p.engine->guarded([&] { result = compute(1); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), hot::ErrorCode::Crashed);
  EXPECT_NE(st.message().find("c.cpp"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("compute(int)"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("SIGSEGV"), std::string::npos) << st.message();
  EXPECT_EQ(compute(1), 2) << "version 1 answers the next call";

  // Saving the same faulty text again does not bring it back.
  size_t before = p.events.count();
  hot::test::writeFile(p.path("c.cpp"), crashing);
  for (int i = 0; i < 50; ++i) {
    p.engine->update();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(p.events.count(), before);
  EXPECT_EQ(compute(1), 2);

  ASSERT_TRUE(p.edit("c.cpp", "int compute(int x) { return x + 100; }\n").success);
  EXPECT_EQ(compute(1), 101);
  EXPECT_TRUE(p.engine->guarded([&] { result = compute(2); }).ok());
  EXPECT_EQ(result, 102);
}
