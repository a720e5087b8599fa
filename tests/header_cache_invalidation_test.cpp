// Header cache invalidation: a cached prefix is used only while everything it covers is
// unchanged (headers: content, size, mtime, identity; the prefix text; the flags). A stale
// cache must never be used, however the header was edited.
#include "frontend/Frontend.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "FrontendSupport.h"
#include "llvm/IR/Function.h"

using hot::Severity;
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
using hot::test::writeFileByRename;

namespace {

bool hasFunction(const CompileResult &r, const std::string &qualified) {
  for (const auto &[mangled, info] : r.functions)
    if (info.qualified_name == qualified) return true;
  return false;
}

/// The unit's own preamble was stale and the shared PCH of its system headers stood in.
bool shared(HeaderCacheUse u) {
  return u == HeaderCacheUse::SharedBuilt || u == HeaderCacheUse::SharedReused;
}

/// main.cpp includes <string> and config.h; value() returns config.h's kValue.
struct Unit {
  TempDir dir;
  CompileJob job;
  std::string header = dir.file("inc/config.h");
  explicit Unit(std::string cache_dir = "") {
    job.path = dir.file("main.cpp");
    job.args = {"-I" + dir.file("inc")};
    job.cache_dir = std::move(cache_dir);
    setHeader(1);
    setBody("return kValue;");
  }
  void setHeader(int v, const std::string &extra = "") {
    writeFile(header, "#pragma once\nconstexpr int kValue = " + std::to_string(v) + ";\n" + extra);
  }
  void setBody(const std::string &body) {
    job.contents = "#include <string>\n#include \"config.h\"\nint value() { " + body + " }\n";
    writeFile(job.path, job.contents);
  }
};

} // namespace

TEST(HeaderCacheInvalidation, HeaderEditIsSeenByTheNextCompile) {
  Unit u;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileResult first = fe->compile(u.job);
  ASSERT_TRUE(first.ok()) << allDiagnostics(first);
  EXPECT_EQ(first.header_cache, HeaderCacheUse::Built);
  EXPECT_EQ(returnedConstant(first), 1);

  // The preamble covers config.h: stale. <string> comes from the shared PCH (built now),
  // config.h is parsed again.
  u.setHeader(2);
  CompileResult second = fe->compile(u.job);
  ASSERT_TRUE(second.ok()) << allDiagnostics(second);
  EXPECT_EQ(second.header_cache, HeaderCacheUse::SharedBuilt);
  EXPECT_EQ(returnedConstant(second), 2);

  CompileResult third = fe->compile(u.job);
  EXPECT_EQ(third.header_cache, HeaderCacheUse::SharedReused);
  EXPECT_EQ(returnedConstant(third), 2);

  // A header edit that adds a function: it appears.
  u.setHeader(2, "inline int added() { return 3; }\n");
  u.setBody("return kValue + added();");
  CompileResult fourth = fe->compile(u.job);
  ASSERT_TRUE(fourth.ok()) << allDiagnostics(fourth);
  EXPECT_EQ(fourth.header_cache, HeaderCacheUse::SharedReused);
  EXPECT_TRUE(hasFunction(fourth, "added"));
}

TEST(HeaderCacheInvalidation, SameSizeEditWithTheOldMtimeIsStillSeen) {
  // The worst case for stamp checks: same size, same (restored) modification time, same inode.
  Unit u;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  ASSERT_EQ(returnedConstant(fe->compile(u.job)), 1);
  auto mtime = std::filesystem::last_write_time(u.header);
  for (int v : {7, 3, 9}) {
    u.setHeader(v);
    std::filesystem::last_write_time(u.header, mtime);
    CompileResult r = fe->compile(u.job);
    ASSERT_TRUE(r.ok()) << allDiagnostics(r);
    EXPECT_EQ(returnedConstant(r), v);
    EXPECT_NE(r.header_cache, HeaderCacheUse::Reused) << "the stale preamble was used";
  }
}

TEST(HeaderCacheInvalidation, ImmediateEditsAndRenameSavesAreSeen) {
  Unit u;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  for (int v = 1; v <= 4; ++v) {
    if (v % 2) u.setHeader(v);
    else writeFileByRename(u.header, "#pragma once\nconstexpr int kValue = " + std::to_string(v) + ";\n");
    CompileResult r = fe->compile(u.job);
    ASSERT_TRUE(r.ok()) << allDiagnostics(r);
    EXPECT_EQ(returnedConstant(r), v);
  }
}

TEST(HeaderCacheInvalidation, TouchWithoutChangeRebuilds) {
  Unit u;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  ASSERT_TRUE(fe->compile(u.job).ok());
  std::filesystem::last_write_time(u.header, std::filesystem::last_write_time(u.header) +
                                                 std::chrono::seconds(1));
  EXPECT_TRUE(shared(fe->compile(u.job).header_cache)) << "the touched preamble is not reused";
}

TEST(HeaderCacheInvalidation, NestedHeaderEditIsSeen) {
  Unit u;
  writeFile(u.dir.file("inc/deep.h"), "#pragma once\nconstexpr int kDeep = 10;\n");
  u.setHeader(1, "#include \"deep.h\"\n");
  u.setBody("return kValue + kDeep;");
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  EXPECT_EQ(returnedConstant(fe->compile(u.job)), 11);
  EXPECT_EQ(returnedConstant(fe->compile(u.job)), 11);
  writeFile(u.dir.file("inc/deep.h"), "#pragma once\nconstexpr int kDeep = 20;\n");
  CompileResult r = fe->compile(u.job);
  EXPECT_TRUE(shared(r.header_cache));
  EXPECT_EQ(returnedConstant(r), 21);
}

TEST(HeaderCacheInvalidation, FlagChangeUsesAnotherCache) {
  Unit u;
  u.setHeader(1, "#ifdef BOOST\nconstexpr int kBoost = 100;\n#else\nconstexpr int kBoost = 0;\n#endif\n");
  u.setBody("return kValue + kBoost;");
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  EXPECT_EQ(returnedConstant(fe->compile(u.job)), 1);
  u.job.args.push_back("-DBOOST");
  CompileResult boosted = fe->compile(u.job);
  EXPECT_EQ(boosted.header_cache, HeaderCacheUse::Built);
  EXPECT_EQ(returnedConstant(boosted), 101);
  u.job.args.pop_back();
  CompileResult back = fe->compile(u.job);
  EXPECT_EQ(back.header_cache, HeaderCacheUse::Reused); // the first flag set's cache is still valid
  EXPECT_EQ(returnedConstant(back), 1);
  u.job.opt_level = 2; // __OPTIMIZE__ differs: a preamble built at -O0 must not be used
  CompileResult o2 = fe->compile(u.job);
  ASSERT_TRUE(o2.ok()) << allDiagnostics(o2);
  EXPECT_EQ(o2.header_cache, HeaderCacheUse::Built);
}

TEST(HeaderCacheInvalidation, PrefixEditRebuilds) {
  Unit u;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  ASSERT_TRUE(fe->compile(u.job).ok());
  writeFile(u.dir.file("inc/extra.h"), "#pragma once\ninline int extra() { return 40; }\n");
  u.job.contents = "#include <string>\n#include \"config.h\"\n#include \"extra.h\"\n"
                   "int value() { return kValue + extra(); }\n";
  CompileResult r = fe->compile(u.job);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  EXPECT_TRUE(shared(r.header_cache));
  EXPECT_TRUE(hasFunction(r, "extra"));
  EXPECT_EQ(r.dependencies, (std::vector<std::string>{u.header, u.dir.file("inc/extra.h")}));
  // A #define in front of the system includes: the shared PCH (built without it) must not
  // stand in, the compile runs from source; the next one builds the unit's own preamble.
  u.job.contents = "#define kValue 5\n" + u.job.contents;
  writeFile(u.dir.file("inc/config.h"), "#pragma once\n#ifndef kValue\nconstexpr int kValue = 1;\n#endif\n");
  CompileResult d = fe->compile(u.job);
  ASSERT_TRUE(d.ok()) << allDiagnostics(d);
  EXPECT_EQ(d.header_cache, HeaderCacheUse::None);
  std::string ir;
  llvm::raw_string_ostream os(ir);
  d.module->getFunction("_Z5valuev")->print(os);
  EXPECT_NE(ir.find("i32 5,"), std::string::npos) << "kValue is the #define's 5:\n" << ir;
  EXPECT_EQ(fe->compile(u.job).header_cache, HeaderCacheUse::Built);
}

TEST(HeaderCacheInvalidation, BrokenHeaderReportsErrorsAndRecovers) {
  Unit u;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  ASSERT_TRUE(fe->compile(u.job).ok());
  writeFile(u.header, "#pragma once\nconstexpr int kValue = ;\n");
  for (int i = 0; i < 2; ++i) { // the second attempt knows the prefix fails and skips the build
    CompileResult bad = fe->compile(u.job);
    EXPECT_FALSE(bad.ok());
    EXPECT_TRUE(shared(bad.header_cache)) << "<string> from the shared PCH, config.h parsed";
    ASSERT_FALSE(bad.diagnostics.empty());
    EXPECT_EQ(bad.diagnostics[0].severity, Severity::Error);
    EXPECT_EQ(bad.diagnostics[0].file, u.header);
    EXPECT_EQ(bad.diagnostics[0].line, 2u);
    EXPECT_NE(bad.diagnostics[0].formatted.find("In file included from " + u.job.path + ":2:"),
              std::string::npos) << bad.diagnostics[0].formatted;
    EXPECT_EQ(bad.dependencies, std::vector<std::string>{u.header});
  }
  u.setHeader(6);
  CompileResult fixed = fe->compile(u.job);
  ASSERT_TRUE(fixed.ok()) << allDiagnostics(fixed);
  EXPECT_TRUE(shared(fixed.header_cache));
  EXPECT_EQ(returnedConstant(fixed), 6);
}

TEST(HeaderCacheInvalidation, MissingHeaderThatAppearsLater) {
  Unit u;
  u.job.contents = "#include <string>\n#include \"later.h\"\nint value() { return kLater; }\n";
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileResult missing = fe->compile(u.job);
  EXPECT_FALSE(missing.ok());
  ASSERT_FALSE(missing.diagnostics.empty());
  EXPECT_EQ(missing.diagnostics[0].file, u.job.path);
  EXPECT_EQ(missing.diagnostics[0].line, 2u);
  EXPECT_NE(missing.diagnostics[0].message.find("'later.h' file not found"), std::string::npos);
  writeFile(u.dir.file("inc/later.h"), "#pragma once\nconstexpr int kLater = 12;\n");
  CompileResult found = fe->compile(u.job);
  ASSERT_TRUE(found.ok()) << allDiagnostics(found);
  EXPECT_EQ(returnedConstant(found), 12);
  CompileResult next = fe->compile(u.job); // cached again once the prefix compiles
  EXPECT_NE(next.header_cache, HeaderCacheUse::None);
  EXPECT_EQ(returnedConstant(next), 12);
}

TEST(HeaderCacheInvalidation, DiskCacheSurvivesClearAndIsValidatedToo) {
  TempDir cache;
  Unit u(cache.file("hc"));
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileResult built = fe->compile(u.job);
  ASSERT_TRUE(built.ok()) << allDiagnostics(built);
  EXPECT_EQ(built.header_cache, HeaderCacheUse::Built);
  EXPECT_FALSE(std::filesystem::is_empty(cache.file("hc")));

  hot::fe::clearHeaderCache(); // as in a new process
  CompileResult loaded = fe->compile(u.job);
  ASSERT_TRUE(loaded.ok()) << allDiagnostics(loaded);
  EXPECT_EQ(loaded.header_cache, HeaderCacheUse::Loaded);
  EXPECT_EQ(returnedConstant(loaded), 1);
  EXPECT_EQ(loaded.dependencies, std::vector<std::string>{u.header});
  EXPECT_EQ(fe->compile(u.job).header_cache, HeaderCacheUse::Reused);

  // A header edit while "the process was gone": the file on disk is stale and not used.
  hot::fe::clearHeaderCache();
  auto mtime = std::filesystem::last_write_time(u.header);
  u.setHeader(8);
  std::filesystem::last_write_time(u.header, mtime);
  CompileResult rebuilt = fe->compile(u.job);
  EXPECT_EQ(rebuilt.header_cache, HeaderCacheUse::Built);
  EXPECT_EQ(returnedConstant(rebuilt), 8);

  // A damaged cache file is ignored.
  hot::fe::clearHeaderCache();
  for (const auto &e : std::filesystem::directory_iterator(cache.file("hc")))
    std::filesystem::resize_file(e.path(), std::filesystem::file_size(e.path()) / 2);
  CompileResult damaged = fe->compile(u.job);
  ASSERT_TRUE(damaged.ok()) << allDiagnostics(damaged);
  EXPECT_EQ(damaged.header_cache, HeaderCacheUse::Built);
  EXPECT_EQ(returnedConstant(damaged), 8);
}

TEST(HeaderCacheInvalidation, DisabledCacheIsNeverConsulted) {
  Unit u;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  ASSERT_TRUE(fe->compile(u.job).ok());
  u.job.use_header_cache = false;
  u.setHeader(5);
  CompileResult r = fe->compile(u.job);
  EXPECT_EQ(r.header_cache, HeaderCacheUse::None);
  EXPECT_EQ(returnedConstant(r), 5);
}

TEST(HeaderCacheInvalidation, BudgetEvictsLeastRecentlyUsed) {
  Unit a, b;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  hot::fe::setHeaderCacheBudget(1); // keeps only the entry just built or used
  EXPECT_EQ(fe->compile(a.job).header_cache, HeaderCacheUse::Built);
  EXPECT_EQ(fe->compile(b.job).header_cache, HeaderCacheUse::Built);
  EXPECT_EQ(fe->compile(b.job).header_cache, HeaderCacheUse::Reused);
  // a's preamble was evicted by b: the shared PCH of its system headers stands in.
  EXPECT_TRUE(shared(fe->compile(a.job).header_cache));
  hot::fe::setHeaderCacheBudget(size_t(1) << 30);
  EXPECT_EQ(fe->compile(a.job).header_cache, HeaderCacheUse::SharedReused);
}
