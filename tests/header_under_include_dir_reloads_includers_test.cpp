// A project header outside the watched folder (under an -I include dir, as in `hot run src/
// -I include`) is watched too: saving it reloads every includer in one transaction, so no
// two units ever run against different versions of it.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {

TEST(HeaderUnderIncludeDir, EditReloadsEveryIncluderInOneTransaction) {
  hot::test::TempDir root;
  hot::test::writeFile(root.file("include/app.h"), "#pragma once\nconstexpr int factor = 2;\n");
  hot::test::writeFile(root.file("src/mul.cpp"),
                       "#include \"app.h\"\nint mul(int a, int b) { return a * b * factor; }\n");
  hot::test::writeFile(root.file("src/show.cpp"),
                       "#include \"app.h\"\nint shown_factor() { return factor; }\n");
  hot::Config config;
  config.include_dirs = {root.file("include")};
  auto created = hot::HotEngine::create(config);
  ASSERT_TRUE(created.ok());
  auto &engine = *created.value();
  hot::test::RecordingListener events;
  engine.setListener(&events);
  hot::Status st = engine.watch(root.file("src"));
  ASSERT_TRUE(st.ok()) << st.message();
  auto mul = engine.function<int(int, int)>("mul").value();
  auto shown = engine.function<int()>("shown_factor").value();
  EXPECT_EQ(mul(3, 4), 24);
  EXPECT_EQ(shown(), 2);

  size_t before = events.count();
  hot::test::writeFile(root.file("include/app.h"), "#pragma once\nconstexpr int factor = 3;\n");
  ASSERT_TRUE(events.waitForReloads(before + 2, &engine)) << "the header edit was not seen";
  EXPECT_EQ(mul(3, 4), 36);
  EXPECT_EQ(shown(), 3);
  auto after = events.since(before);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_TRUE(after[0].success && after[1].success) << after[0].message << after[1].message;
  EXPECT_EQ(after[0].transaction, after[1].transaction);

  // A header edit that breaks one includer applies to neither; the next good save applies to
  // both: never a mix of two versions of the header.
  before = events.count();
  hot::test::writeFile(root.file("include/app.h"),
                       "#pragma once\nconstexpr int factor = 5;\n#define factor oops(\n");
  ASSERT_TRUE(events.waitForReloads(before + 2, &engine));
  EXPECT_EQ(mul(3, 4), 36);
  EXPECT_EQ(shown(), 3);
  before = events.count();
  hot::test::writeFile(root.file("include/app.h"), "#pragma once\nconstexpr int factor = 4;\n");
  ASSERT_TRUE(events.waitForReloads(before + 2, &engine));
  EXPECT_EQ(mul(3, 4), 48);
  EXPECT_EQ(shown(), 4);
}

TEST(HeaderUnderIncludeDir, AUnitFileNextToAHeaderIsNotLoaded) {
  hot::test::TempDir root;
  hot::test::writeFile(root.file("include/app.h"), "#pragma once\nconstexpr int factor = 2;\n");
  hot::test::writeFile(root.file("src/a.cpp"), "#include \"app.h\"\nint a() { return factor; }\n");
  hot::Config config;
  config.include_dirs = {root.file("include")};
  auto engine = std::move(hot::HotEngine::create(config).value());
  hot::test::RecordingListener events;
  engine->setListener(&events);
  ASSERT_TRUE(engine->watch(root.file("src")).ok());
  size_t first = events.count();
  // A .cpp appearing in the header's folder is not part of the program.
  hot::test::writeFile(root.file("include/tool.cpp"), "int tool() { return 1; }\n");
  hot::test::writeFile(root.file("src/b.cpp"), "int b() { return 2; }\n");
  ASSERT_TRUE(events.waitForReloads(first + 1, engine.get()));
  ASSERT_TRUE(engine->waitIdle());
  engine->update();
  for (const hot::UnitInfo &u : engine->units())
    EXPECT_EQ(u.path.find("tool.cpp"), std::string::npos) << u.path;
  EXPECT_EQ(engine->units().size(), 2u);
}

} // namespace
