// A program that calls a library it was not given (-l missing) fails to link, and the error
// names the library on this system that defines the missing symbol and the -l to add: found
// in the dynamic symbol tables of the system library folders and the -L folders. A symbol no
// library defines keeps the plain message.
#include <gtest/gtest.h>

#include <string>

#include "HotProcess.h"
#include "TestSupport.h"
#include "engine/LibraryHint.h"

using hot::test::quote;
using hot::test::TempDir;
using hot::test::writeFile;

namespace {
// ncurses is not one of hot's own libraries (zlib is: libLLVM needs it, so a program calling
// zlib links under `hot run` even without -l z). libncurses-dev comes with llvm-22-dev.
const char *kCursesProgram = R"(#include <curses.h>
#include <cstdio>
int main() {
  std::printf("escdelay %d\n", set_escdelay(25));
  return 0;
}
)";
} // namespace

TEST(LibraryHint, MissingDashLNamesTheSystemLibrary) {
  TempDir dir;
  writeFile(dir.file("main.cpp"), kCursesProgram);
  auto native = hot::test::shell("cd " + quote(dir.path().string()) +
                                     " && c++ main.cpp -o native -lncurses && ./native",
                                 dir.file("native.err"));
  ASSERT_EQ(native.status, 0) << native.err;

  auto o = hot::test::shell("cd " + quote(dir.path().string()) + " && " + hot::test::kHot +
                                " run main.cpp",
                            dir.file("hot.err"));
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, dir.file("main.cpp") +
                       ":4:32: error: unresolved symbol 'set_escdelay' (defined by "
                       "/usr/lib/x86_64-linux-gnu/libncurses.so.6: add -l ncurses): no unit, "
                       "loaded library or host function defines it; the running version is kept\n"
                       "hot: " + dir.file("main.cpp") + ": not started: link error\n");

  // Following the advice: the same output as the native build.
  auto fixed = hot::test::shell("cd " + quote(dir.path().string()) + " && " + hot::test::kHot +
                                    " run main.cpp -l ncurses",
                                dir.file("fixed.err"));
  EXPECT_EQ(fixed.status, 0) << fixed.err;
  EXPECT_EQ(fixed.out, native.out);
}

TEST(LibraryHint, ZlibSymbolsAreFoundWithTheirDashL) {
  EXPECT_EQ(hot::eng::libraryHint("deflate"),
            " (defined by /usr/lib/x86_64-linux-gnu/libz.so: add -l z)");
  EXPECT_EQ(hot::eng::libraryHint("crc32"),
            " (defined by /usr/lib/x86_64-linux-gnu/libz.so: add -l z)");
  EXPECT_EQ(hot::eng::libraryHint("hot_defined_by_no_library_at_all"), "");
}

TEST(LibraryHint, LibraryInADashLFolderIsNamed) {
  TempDir dir;
  writeFile(dir.file("greet.cpp"), "extern \"C\" int hot_greet_twice(int x) { return 2 * x; }\n");
  std::filesystem::create_directories(dir.file("lib"));
  auto lib = hot::test::shell(std::string(HOT_CLANGXX_PATH) + " -fPIC -shared -o " +
                                  quote(dir.file("lib/libhotgreet.so")) + " " +
                                  quote(dir.file("greet.cpp")),
                              dir.file("lib.err"));
  ASSERT_EQ(lib.status, 0) << lib.out << lib.err;
  writeFile(dir.file("src/main.cpp"), R"(#include <cstdio>
extern "C" int hot_greet_twice(int);
int main() { std::printf("%d\n", hot_greet_twice(21)); return 0; }
)");
  // -L given, -l forgotten.
  auto o = hot::test::shell(hot::test::kHot + " run " + quote(dir.file("src/main.cpp")) + " -L " +
                                quote(dir.file("lib")),
                            dir.file("hot.err"));
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.err.find("error: unresolved symbol 'hot_greet_twice' (defined by " +
                       dir.file("lib/libhotgreet.so") + ": add -l hotgreet): "),
            std::string::npos)
      << o.err;
  auto fixed = hot::test::shell(hot::test::kHot + " run " + quote(dir.file("src/main.cpp")) +
                                    " -L " + quote(dir.file("lib")) + " -l hotgreet",
                                dir.file("fixed.err"));
  EXPECT_EQ(fixed.out, "42\n") << fixed.err;
}

TEST(LibraryHint, SymbolNoLibraryDefinesKeepsThePlainMessage) {
  TempDir dir;
  writeFile(dir.file("main.cpp"), "int hot_nowhere();\nint main() { return hot_nowhere(); }\n");
  auto o = hot::test::shell(hot::test::kHot + " run " + quote(dir.file("main.cpp")),
                            dir.file("hot.err"));
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err, dir.file("main.cpp") +
                       ":1:5: error: unresolved symbol 'hot_nowhere()': no unit, loaded library or "
                       "host function defines it; the running version is kept\nhot: " +
                       dir.file("main.cpp") + ": not started: link error\n");
}
