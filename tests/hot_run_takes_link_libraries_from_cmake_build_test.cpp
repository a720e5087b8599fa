// `hot run --compile-commands build/compile_commands.json` of a real CMake project needs no
// hand-written -l: the libraries the build links into the executable (its link.txt with Unix
// Makefiles, its link statement in build.ninja with Ninja) are loaded, except the project's own
// static library, whose sources are units already. The project (units in several folders, a
// static library target, zlib by path through find_package, ncurses and libm by -l) is
// configured and built natively with cmake, and both runs print the same thing. When the static
// library's sources are not among the units, the archive the build made is linked instead (its
// objects as compiled natively, without -fPIC: static initializers and destructors run).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "HotProcess.h"
#include "TestSupport.h"

namespace fs = std::filesystem;
using hot::test::quote;
using hot::test::TempDir;
using hot::test::writeFile;

namespace {

/// Writes the project under `root`. `with_tool` adds a second executable linking the static
/// library (with its own main()).
void writeProject(const fs::path &root, bool with_tool) {
  auto at = [&](const std::string &rel) { return (root / rel).string(); };
  writeFile(at("CMakeLists.txt"), std::string(R"(cmake_minimum_required(VERSION 3.16)
project(shapes CXX)
find_package(ZLIB REQUIRED)
add_subdirectory(geometry)
add_executable(shapes app/main.cpp app/report.cpp)
target_include_directories(shapes PRIVATE include)
target_link_libraries(shapes PRIVATE geometry ZLIB::ZLIB ncurses m)
target_link_options(shapes PRIVATE -Wl,--as-needed -Wl,-z,relro -pthread)
)") + (with_tool ? "add_executable(shapes_tool tools/tool.cpp)\n"
                   "target_include_directories(shapes_tool PRIVATE include)\n"
                   "target_link_libraries(shapes_tool PRIVATE geometry)\n"
                 : ""));
  writeFile(at("include/shapes/shape.h"), R"(#pragma once
#include <memory>
#include <string>
#include <vector>
namespace shapes {
struct Shape {
  Shape();
  virtual ~Shape();
  virtual double area() const = 0;
  virtual std::string name() const = 0;
};
int made();   // shapes constructed so far (state in the library)
std::string library();  // a global std::string of the library: a static initializer
std::unique_ptr<Shape> circle(double r);
std::unique_ptr<Shape> square(double side);
std::string report(const std::vector<std::unique_ptr<Shape>> &all);
} // namespace shapes
)");
  writeFile(at("geometry/CMakeLists.txt"), R"(add_library(geometry STATIC shape.cpp circle.cpp square.cpp)
target_include_directories(geometry PUBLIC ../include)
)");
  writeFile(at("geometry/shape.cpp"), R"(#include "shapes/shape.h"
namespace shapes {
static int count = 0;
static const std::string kLibrary = std::string("geo") + "metry";
std::string library() { return kLibrary; }
Shape::Shape() { ++count; }
Shape::~Shape() = default;
int made() { return count; }
} // namespace shapes
)");
  writeFile(at("geometry/circle.cpp"), R"(#include "shapes/shape.h"
namespace {
struct Circle : shapes::Shape {
  explicit Circle(double r) : r(r) {}
  double area() const override { return 3.14159 * r * r; }
  std::string name() const override { return "circle"; }
  double r;
};
} // namespace
std::unique_ptr<shapes::Shape> shapes::circle(double r) { return std::make_unique<Circle>(r); }
)");
  writeFile(at("geometry/square.cpp"), R"(#include "shapes/shape.h"
namespace {
struct Square : shapes::Shape {
  explicit Square(double s) : s(s) {}
  double area() const override { return s * s; }
  std::string name() const override { return "square"; }
  double s;
};
} // namespace
std::unique_ptr<shapes::Shape> shapes::square(double s) { return std::make_unique<Square>(s); }
)");
  writeFile(at("app/report.cpp"), R"(#include <cmath>
#include <cstdio>
#include "shapes/shape.h"
namespace shapes {
std::string report(const std::vector<std::unique_ptr<Shape>> &all) {
  std::string out;
  for (auto &s : all) {
    char line[96];
    std::snprintf(line, sizeof line, "%s %.3f sqrt %.3f\n", s->name().c_str(), s->area(),
                  std::sqrt(s->area()));
    out += line;
  }
  return out;
}
} // namespace shapes
)");
  writeFile(at("app/main.cpp"), R"(#include <curses.h>
#include <zlib.h>
#include <cstdio>
#include "shapes/shape.h"
int main() {
  std::vector<std::unique_ptr<shapes::Shape>> all;
  all.push_back(shapes::circle(2.0));
  all.push_back(shapes::square(2.0));
  std::string text = shapes::report(all);
  text += std::to_string(shapes::made()) + " made by " + shapes::library() + "\n";
  std::fputs(text.c_str(), stdout);
  uLongf packed_size = compressBound(text.size());
  std::vector<Bytef> packed(packed_size);
  compress(packed.data(), &packed_size, reinterpret_cast<const Bytef *>(text.data()), text.size());
  std::vector<Bytef> back(text.size());
  uLongf back_size = back.size();
  uncompress(back.data(), &back_size, packed.data(), packed_size);
  std::printf("crc32 %lu round trip %s\n",
              crc32(0, reinterpret_cast<const Bytef *>(text.data()), text.size()),
              std::string(back.begin(), back.end()) == text ? "ok" : "broken");
  std::printf("set_escdelay %d\n", set_escdelay(40));
  return 0;
}
)");
  if (with_tool)
    writeFile(at("tools/tool.cpp"), R"(#include <cstdio>
#include "shapes/shape.h"
int main() { std::printf("%s\n", shapes::square(3.0)->name().c_str()); return 0; }
)");
}

struct Built {
  bool ok = false;
  std::string log, native_out;
};

/// Configures (with `generator`, "" for the default) and builds `src` into `build`, then runs
/// the native `shapes`.
Built buildNatively(const fs::path &src, const fs::path &build, const std::string &generator) {
  Built b;
  std::string gen = generator.empty() ? "" : " -G " + quote(generator);
  auto o = hot::test::shell("cmake -S " + quote(src.string()) + " -B " + quote(build.string()) +
                                gen + " -DCMAKE_EXPORT_COMPILE_COMMANDS=ON 2>&1 && cmake --build " +
                                quote(build.string()) + " -j2 2>&1",
                            (build.parent_path() / "cmake.err").string());
  b.log = o.out + o.err;
  if (o.status != 0) return b;
  auto run = hot::test::shell(quote((build / "shapes").string()),
                              (build.parent_path() / "native.err").string());
  b.native_out = run.out;
  b.ok = run.status == 0;
  return b;
}

/// The zlib library CMake found (what the link line names), from the build's cache.
std::string zlibFromCache(const fs::path &build) {
  std::string cache = hot::test::readAll((build / "CMakeCache.txt").string());
  for (const char *key : {"ZLIB_LIBRARY_RELEASE:FILEPATH=", "ZLIB_LIBRARY:FILEPATH="}) {
    size_t at = cache.find(key);
    if (at == std::string::npos) continue;
    at += std::string(key).size();
    std::string v = cache.substr(at, cache.find('\n', at) - at);
    if (!v.empty() && v.find("NOTFOUND") == std::string::npos) return v;
  }
  return "";
}

const char *kExpectedOutput = "circle 12.566 sqrt 3.545\nsquare 4.000 sqrt 2.000\n2 made by geometry\n";

} // namespace

TEST(BuildLinkLibraries, MakefilesBuildRunsWithoutHandWrittenLibraries) {
  TempDir dir;
  fs::path src = dir.path() / "src", build = src / "build";
  writeProject(src, /*with_tool=*/false);
  Built b = buildNatively(src, build, "");
  ASSERT_TRUE(b.ok) << b.log;
  ASSERT_EQ(b.native_out.rfind(kExpectedOutput, 0), 0u) << b.native_out;
  std::string zlib = zlibFromCache(build);
  ASSERT_FALSE(zlib.empty());

  auto hot = hot::test::shell("cd " + quote(src.string()) + " && " + hot::test::kHot +
                                  " run --compile-commands build/compile_commands.json",
                              dir.file("hot.err"));
  EXPECT_EQ(hot.status, 0) << hot.err;
  EXPECT_EQ(hot.out, b.native_out) << hot.err;
  // One note: the link.txt used and what it added; the project's own archive is not loaded
  // (its sources are units), -pthread and the -Wl, flags are ignored without a word.
  EXPECT_EQ(hot.err, "hot: note: link libraries of target 'shapes' from " + build.string() +
                         "/CMakeFiles/shapes.dir/link.txt: loaded " + zlib +
                         ", -l ncurses, -l m; built from units, not loaded: "
                         "geometry/libgeometry.a\n");

  // The libraries did come from the build: without them ncurses is missing, and the error
  // says which library defines what is missing.
  auto without = hot::test::shell("cd " + quote(src.string()) + " && " + hot::test::kHot +
                                      " run --no-build-libraries --compile-commands "
                                      "build/compile_commands.json",
                                  dir.file("without.err"));
  EXPECT_EQ(without.status, 1);
  EXPECT_NE(without.err.find("error: unresolved symbol 'set_escdelay' (defined by "
                             "/usr/lib/x86_64-linux-gnu/libncurses.so.6: add -l ncurses)"),
            std::string::npos)
      << without.err;
}

TEST(BuildLinkLibraries, NinjaBuildRunsWithoutHandWrittenLibraries) {
  if (hot::test::shell("command -v ninja", "/dev/null").status != 0)
    GTEST_SKIP() << "ninja is not installed";
  TempDir dir;
  fs::path src = dir.path() / "src", build = src / "build";
  writeProject(src, /*with_tool=*/false);
  Built b = buildNatively(src, build, "Ninja");
  ASSERT_TRUE(b.ok) << b.log;
  std::string zlib = zlibFromCache(build);

  auto hot = hot::test::shell("cd " + quote(src.string()) + " && " + hot::test::kHot +
                                  " run --compile-commands build/compile_commands.json",
                              dir.file("hot.err"));
  EXPECT_EQ(hot.status, 0) << hot.err;
  EXPECT_EQ(hot.out, b.native_out) << hot.err;
  std::string head = "hot: note: link libraries of target 'shapes' from " + build.string() +
                     "/build.ninja:";
  std::string tail = ": loaded " + zlib + ", -l ncurses, -l m; built from units, not loaded: "
                                          "geometry/libgeometry.a\n";
  EXPECT_EQ(hot.err.rfind(head, 0), 0u) << hot.err;
  ASSERT_GT(hot.err.size(), tail.size());
  EXPECT_EQ(hot.err.substr(hot.err.size() - tail.size()), tail) << hot.err;
}

TEST(BuildLinkLibraries, TheExecutableWithMainIsChosenAndGivenLibrariesAreNotLoadedTwice) {
  TempDir dir;
  fs::path src = dir.path() / "src", build = src / "build";
  writeProject(src, /*with_tool=*/true);
  Built b = buildNatively(src, build, "");
  ASSERT_TRUE(b.ok) << b.log;
  std::string zlib = zlibFromCache(build);

  // The units of `shapes` (not the tool's), named as folders; zlib also given by hand.
  auto hot = hot::test::shell("cd " + quote(src.string()) + " && " + hot::test::kHot +
                                  " run app geometry --compile-commands build/compile_commands.json"
                                  " -l z",
                              dir.file("hot.err"));
  EXPECT_EQ(hot.status, 0) << hot.err;
  EXPECT_EQ(hot.out, b.native_out) << hot.err;
  EXPECT_EQ(hot.err, "hot: note: link libraries of target 'shapes' from " + build.string() +
                         "/CMakeFiles/shapes.dir/link.txt: loaded -l ncurses, -l m; already "
                         "loaded " + zlib + "; built from units, not loaded: "
                         "geometry/libgeometry.a (chosen over 'shapes_tool': it links the unit "
                         "that defines main())\n");
}

TEST(BuildLinkLibraries, ArchiveWhoseSourcesAreNoUnitsIsLinkedFromTheBuild) {
  TempDir dir;
  fs::path src = dir.path() / "src", build = src / "build";
  writeProject(src, /*with_tool=*/false);
  Built b = buildNatively(src, build, "");
  ASSERT_TRUE(b.ok) << b.log;
  std::string zlib = zlibFromCache(build);

  // Only app/ is hot-reloaded: geometry comes from build/geometry/libgeometry.a.
  auto hot = hot::test::shell("cd " + quote(src.string()) + " && " + hot::test::kHot +
                                  " run app --compile-commands build/compile_commands.json",
                              dir.file("hot.err"));
  EXPECT_EQ(hot.status, 0) << hot.err;
  EXPECT_EQ(hot.out, b.native_out) << hot.err;
  EXPECT_EQ(hot.err, "hot: note: link libraries of target 'shapes' from " + build.string() +
                         "/CMakeFiles/shapes.dir/link.txt: loaded geometry/libgeometry.a, " + zlib +
                         ", -l ncurses, -l m\n");
}
