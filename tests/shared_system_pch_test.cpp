// A project-header edit makes the preamble of every unit that includes it stale. Instead of
// rebuilding one preamble per unit, the units take their system headers from one shared PCH
// (per flag set and header list) and parse the project headers again. A system header that a
// unit includes after its own #define is never taken from the shared PCH, and an edit that
// puts a #define in front of a shared header makes that compile run from source.
#include "frontend/Frontend.h"

#include <gtest/gtest.h>

#include "FrontendSupport.h"
#include "llvm/IR/Function.h"

using hot::fe::CompileJob;
using hot::fe::CompileResult;
using hot::fe::Frontend;
using hot::fe::HeaderCacheUse;
using hot::test::TempDir;
using hot::test::makeFrontend;
using hot::test::allDiagnostics;
using hot::test::jobFor;
using hot::test::returnedConstant;
using hot::test::writeFile;

namespace {

/// A project: inc/proj.h (project header), sys/cfg.h (a system header, -isystem, whose
/// meaning depends on USE_BIG), and units that include them.
struct Project {
  TempDir dir;
  Project() {
    setProj(1);
    writeFile(dir.file("sys/cfg.h"), "#pragma once\n#include <string>\n#ifdef USE_BIG\n"
                                     "constexpr int kSize = 100;\n#else\nconstexpr int kSize = 10;\n#endif\n");
  }
  void setProj(int v) {
    writeFile(dir.file("inc/proj.h"), "#ifndef PROJ_H\n#define PROJ_H\n#include <vector>\n"
                                      "constexpr int kProj = " + std::to_string(v) + ";\n#endif\n");
  }
  CompileJob unit(const std::string &name, const std::string &text) {
    CompileJob job;
    job.path = dir.file(name);
    job.contents = text;
    job.args = {"-I" + dir.file("inc"), "-isystem", dir.file("sys")};
    writeFile(job.path, text);
    return job;
  }
};

const char *kPlain = "#include \"proj.h\"\n#include <cfg.h>\nint value() { return kSize + kProj; }\n";
const char *kDefined = "#include \"proj.h\"\n#define USE_BIG\n#include <cfg.h>\n"
                       "int value() { return kSize + kProj; }\n";

} // namespace

TEST(SharedSystemPch, HeaderEditReachesUnitsThroughOneSharedPch) {
  Project p;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob a = p.unit("a.cpp", kPlain), b = p.unit("b.cpp", kPlain);
  EXPECT_EQ(fe->compile(a).header_cache, HeaderCacheUse::Built);
  EXPECT_EQ(fe->compile(b).header_cache, HeaderCacheUse::Built);

  p.setProj(2);
  CompileResult ra = fe->compile(a), rb = fe->compile(b);
  ASSERT_TRUE(ra.ok() && rb.ok()) << allDiagnostics(ra) << allDiagnostics(rb);
  EXPECT_EQ(ra.header_cache, HeaderCacheUse::SharedBuilt);
  EXPECT_EQ(rb.header_cache, HeaderCacheUse::SharedReused) << "one PCH for both units";
  EXPECT_EQ(returnedConstant(ra), 12);
  EXPECT_EQ(returnedConstant(rb), 12);
  EXPECT_EQ(ra.dependencies, (std::vector<std::string>{p.dir.file("inc/proj.h")}));
}

TEST(SharedSystemPch, SystemHeaderAfterAProjectDefineIsNotShared) {
  Project p;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob big = p.unit("big.cpp", kDefined), small = p.unit("small.cpp", kPlain);
  EXPECT_EQ(returnedConstant(fe->compile(big)), 101);
  EXPECT_EQ(returnedConstant(fe->compile(small)), 11);
  p.setProj(3);
  CompileResult rb = fe->compile(big), rs = fe->compile(small);
  ASSERT_TRUE(rb.ok() && rs.ok()) << allDiagnostics(rb) << allDiagnostics(rs);
  EXPECT_EQ(returnedConstant(rb), 103) << "cfg.h parsed after USE_BIG";
  EXPECT_EQ(returnedConstant(rs), 13);
}

TEST(SharedSystemPch, DefineAddedInFrontOfASharedHeaderCompilesFromSource) {
  Project p;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob u = p.unit("u.cpp", kPlain);
  ASSERT_EQ(returnedConstant(fe->compile(u)), 11);
  p.setProj(4); // the preamble goes stale: the next compile would take cfg.h from a shared PCH
  u = p.unit("u.cpp", kDefined);
  CompileResult r = fe->compile(u);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  EXPECT_EQ(returnedConstant(r), 104) << "the shared cfg.h (kSize 10) must not stand in";
  EXPECT_EQ(r.header_cache, HeaderCacheUse::None);
  CompileResult next = fe->compile(u);
  EXPECT_EQ(returnedConstant(next), 104);
  // Now only <vector> (proj.h includes it before the #define) comes from a shared PCH.
  EXPECT_EQ(next.header_cache, HeaderCacheUse::SharedBuilt);
}

TEST(SharedSystemPch, FirstCompileCanShareTheLeadingSystemIncludes) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  auto job = [&](const std::string &name, const std::string &text) {
    CompileJob j;
    j.path = dir.file(name);
    j.contents = text;
    j.share_system_headers = true;
    writeFile(j.path, text);
    return j;
  };
  const std::string body = "int value() { return int(std::string(\"abc\").size()); }\n";
  CompileResult a = fe->compile(job("a.cpp", "// a\n#include <string>\n#include <vector>\n" + body));
  CompileResult b = fe->compile(job("b.cpp", "/* b */\n#include <string>\n#include <vector>\n" + body));
  ASSERT_TRUE(a.ok() && b.ok()) << allDiagnostics(a) << allDiagnostics(b);
  EXPECT_EQ(a.header_cache, HeaderCacheUse::SharedBuilt);
  EXPECT_EQ(b.header_cache, HeaderCacheUse::SharedReused) << "one PCH for both first compiles";

  // A forced include (-include cfg.h) is part of the flag set: the PCH of those flags has
  // it too (a macro it defines reaches the system headers as in an uncached compile).
  writeFile(dir.file("cfg.h"), "#pragma once\n#define HOT_TEST_CONFIGURED 1\n");
  CompileJob forced = job("c.cpp", "#include <string>\n#include <vector>\n" + body +
                                       "int configured() { return HOT_TEST_CONFIGURED; }\n");
  forced.args = {"-include", dir.file("cfg.h")};
  CompileResult c = fe->compile(forced);
  ASSERT_TRUE(c.ok()) << allDiagnostics(c);
  EXPECT_EQ(c.header_cache, HeaderCacheUse::SharedBuilt);
  EXPECT_NE(c.module->getFunction("_Z10configuredv"), nullptr);
}
