// The program's link needs are met: a shared library named by -l/-L is loaded into the process,
// a static archive is linked into the JIT, and a missing library is an error naming it.
// The libraries are built here with the system's clang++ and ar, as a real build would.
#include <gtest/gtest.h>

#include <cstdlib>

#include "TestSupport.h"

namespace {

using hot::test::TempDir;
using hot::test::writeFile;

/// Runs a shell command; returns its exit status.
int run(const std::string &cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

std::string clangxx() { return HOT_CLANGXX_PATH; }

/// Builds lib<name>.so from `source` in `dir`.
bool buildShared(const TempDir &dir, const std::string &name, const std::string &source) {
  writeFile(dir.file(name + ".cpp"), source);
  return run(clangxx() + " -O1 -fPIC -shared -o " + dir.file("lib" + name + ".so") + " " +
             dir.file(name + ".cpp")) == 0;
}

/// Builds lib<name>.a (one object) from `source` in `dir`.
bool buildArchive(const TempDir &dir, const std::string &name, const std::string &source) {
  writeFile(dir.file(name + ".cpp"), source);
  return run(clangxx() + " -O1 -fPIC -c -o " + dir.file(name + ".o") + " " + dir.file(name + ".cpp")) == 0 &&
         run("ar rcs " + dir.file("lib" + name + ".a") + " " + dir.file(name + ".o")) == 0;
}

} // namespace

TEST(Libraries, SharedLibraryFromLibraryDirs) {
  TempDir libs;
  ASSERT_TRUE(buildShared(libs, "hotscale", "namespace lib { int scale(int x) { return x * 7; } }\n"));
  hot::Config c;
  c.libraries = {"hotscale"};
  c.library_dirs = {libs.path().string()};
  hot::test::LiveProject p(c);
  p.write("use.cpp", "namespace lib { int scale(int); }\nint use(int x) { return lib::scale(x) + 1; }\n");
  ASSERT_TRUE(p.start().ok());
  auto use = p.fn<int(int)>("use");
  ASSERT_TRUE(use);
  EXPECT_EQ(use(6), 43);
  auto e = p.edit("use.cpp", "namespace lib { int scale(int); }\nint use(int x) { return lib::scale(x) - 1; }\n");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(use(6), 41) << "the reloaded version still links against the library";
}

TEST(Libraries, StaticArchiveLinkedIntoTheJit) {
  TempDir libs;
  // The archive has state: it is linked once and shared by every version of the unit.
  ASSERT_TRUE(buildArchive(libs, "hottally",
                           "static int total = 0;\nint tally_add(int x) { return total += x; }\n"));
  hot::Config c;
  c.libraries = {"-lhottally"};
  c.library_dirs = {libs.path().string()};
  hot::test::LiveProject p(c);
  p.write("t.cpp", "int tally_add(int);\nint step() { return tally_add(1); }\n");
  ASSERT_TRUE(p.start().ok());
  auto step = p.fn<int()>("step");
  ASSERT_TRUE(step);
  EXPECT_EQ(step(), 1);
  EXPECT_EQ(step(), 2);
  auto e = p.edit("t.cpp", "int tally_add(int);\nint step() { return tally_add(10); }\n");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(step(), 12) << "the archive's state survives the reload of its caller";
}

TEST(Libraries, LibraryByPath) {
  TempDir libs;
  ASSERT_TRUE(buildShared(libs, "hotbypath", "extern \"C\" int hot_by_path() { return 99; }\n"));
  hot::Config c;
  c.libraries = {libs.file("libhotbypath.so")};
  hot::test::LiveProject p(c);
  p.write("u.cpp", "extern \"C\" int hot_by_path();\nint u() { return hot_by_path(); }\n");
  ASSERT_TRUE(p.start().ok());
  EXPECT_EQ(p.fn<int()>("u")(), 99);
}

TEST(Libraries, MissingLibraryIsAnErrorNamingIt) {
  TempDir empty;
  hot::Config c;
  c.libraries = {"hot_no_such_library"};
  c.library_dirs = {empty.path().string()};
  auto e = hot::HotEngine::create(c);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), hot::ErrorCode::LinkError);
  EXPECT_NE(e.status().message().find("hot_no_such_library"), std::string::npos)
      << e.status().message();
}

TEST(Libraries, SymbolNoLibraryProvidesKeepsTheOldVersion) {
  TempDir libs;
  ASSERT_TRUE(buildShared(libs, "hotpartial", "int provided() { return 5; }\n"));
  hot::Config c;
  c.libraries = {"hotpartial"};
  c.library_dirs = {libs.path().string()};
  hot::test::LiveProject p(c);
  p.write("m.cpp", "int provided();\nint m() { return provided(); }\n");
  ASSERT_TRUE(p.start().ok());
  auto m = p.fn<int()>("m");
  EXPECT_EQ(m(), 5);
  auto e = p.edit("m.cpp", "int provided(); int absent();\nint m() { return provided() + absent(); }\n");
  EXPECT_FALSE(e.success);
  EXPECT_NE(e.message.find("absent"), std::string::npos) << e.message;
  EXPECT_EQ(m(), 5) << "the previous version keeps running";
}
