// Every reload event says where its time went: header cache, frontend, the engine's
// transform, optimization, machine code and link; the compile phases add up to compile_ms.
// `hot run --json` prints them as "phases".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

TEST(ReloadPhases, AddUpToTheCompileTime) {
  hot::test::LiveProject p;
  p.write("a.cpp", "#include <string>\nint a() { return int(std::string(\"ab\").size()); }\n");
  ASSERT_TRUE(p.start().ok());
  hot::ReloadEvent e =
      p.edit("a.cpp", "#include <string>\nint a() { return int(std::string(\"abc\").size()); }\n");
  ASSERT_TRUE(e.success) << e.message;
  const auto &ph = e.phases;
  EXPECT_GT(ph.frontend, 0);
  EXPECT_GT(ph.transform, 0);
  EXPECT_GT(ph.optimize, 0); // -O0 still runs the always-inliner pipeline
  EXPECT_GT(ph.codegen, 0);
  EXPECT_GT(ph.link, 0);
  EXPECT_GE(ph.frontend, ph.header_cache);
  EXPECT_DOUBLE_EQ(ph.link, e.link_ms);
  double sum = ph.frontend + ph.transform + ph.optimize + ph.codegen;
  EXPECT_LE(sum, e.compile_ms + 0.01);
  EXPECT_GE(sum, e.compile_ms * 0.8) << "the phases leave little of compile_ms unexplained";
  EXPECT_EQ(p.fn<int()>("a")(), 3);
}

TEST(ReloadPhases, HotRunJsonPrintsThem) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.cpp"), "int main() { return 0; }\n");
  auto r = hot::test::runCommand(hot::test::hotBinary() + " run --json " + dir.file("main.cpp") +
                                 " 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  std::istringstream lines(r.out);
  bool seen = false;
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || j.value("event", "") != "reload") continue;
    seen = true;
    ASSERT_TRUE(j.contains("phases")) << line;
    for (const char *k : {"header_cache_ms", "frontend_ms", "transform_ms", "optimize_ms",
                          "codegen_ms", "link_ms"})
      EXPECT_TRUE(j["phases"].contains(k)) << k << " in " << line;
    EXPECT_GT(j["phases"]["frontend_ms"].get<double>(), 0) << line;
  }
  EXPECT_TRUE(seen) << r.out;
}

} // namespace
