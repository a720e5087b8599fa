// A build's link line is read the way the linker reads it: objects, -l names (also -l:FILE and
// -Wl,-l), library paths (.a, .so, .so.N), -L and -Wl,-rpath dirs ($ORIGIN expanded), -Bstatic
// and --whole-archive regions, -Xlinker pairs and @response files; flags that link nothing are
// ignored. CMake's link.txt and build.ninja targets are found, with their kinds and objects.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "TestSupport.h"
#include "engine/BuildLinkLibraries.h"

using hot::eng::BuildTarget;
using hot::eng::LinkInput;
using hot::test::TempDir;
using hot::test::writeFile;

namespace {
LinkInput name(const std::string &n, bool st = false, bool whole = false) {
  return {LinkInput::Kind::Name, n, st, whole};
}
LinkInput path(const std::string &p, bool whole = false) {
  return {LinkInput::Kind::Path, p, false, whole};
}
} // namespace

TEST(LinkLine, LibrariesDirsAndObjectsInOrder) {
  TempDir dir;
  std::string d = dir.path().string();
  writeFile(dir.file("b/libs.rsp"), "-lfromrsp \"sub dir/libq.a\"\n");
  auto line = hot::eng::parseLinkCommand(
      {"ccache", "/usr/bin/c++", "-O2", "-g", "-fPIC", "-rdynamic", "-pthread",
       "CMakeFiles/app.dir/main.cpp.o", "CMakeFiles/app.dir/x.cpp.obj", "-o", "app",
       "-Wl,-rpath,/opt/a:$ORIGIN/../lib", "-Xlinker", "-rpath", "-Xlinker", "/opt/b",
       "-Wl,--as-needed", "-Wl,-z,relro", "-Wl,-soname,libx.so", "-L/opt/lib", "-L", "rel",
       "core/libcore.a", "/usr/lib/x86_64-linux-gnu/libz.so", "libfoo.so.1.2", "-lm", "-l", "dl",
       "-l:libexact.so.3", "-Wl,-Bstatic", "-lstat", "-Wl,-Bdynamic", "-Wl,--whole-archive",
       "libwhole.a", "-Wl,--no-whole-archive", "-Wl,-lviawl", "-T", "script.ld", "@libs.rsp",
       "-fuse-ld=lld", "-Wl,--gc-sections"},
      d + "/b");
  EXPECT_EQ(line.output, d + "/b/app");
  EXPECT_EQ(line.objects, (std::vector<std::string>{d + "/b/CMakeFiles/app.dir/main.cpp.o",
                                                     d + "/b/CMakeFiles/app.dir/x.cpp.obj"}));
  EXPECT_EQ(line.library_dirs, (std::vector<std::string>{"/opt/lib", d + "/b/rel"}));
  EXPECT_EQ(line.rpath, (std::vector<std::string>{"/opt/a", d + "/lib", "/opt/b"}));
  EXPECT_FALSE(line.shared);
  std::vector<LinkInput> want = {path(d + "/b/core/libcore.a"),
                                 path("/usr/lib/x86_64-linux-gnu/libz.so"),
                                 path(d + "/b/libfoo.so.1.2"),
                                 name("m"),
                                 name("dl"),
                                 name(":libexact.so.3"),
                                 name("stat", /*static=*/true),
                                 path(d + "/b/libwhole.a", /*whole=*/true),
                                 name("viawl"),
                                 name("fromrsp"),
                                 path(d + "/b/sub dir/libq.a")};
  EXPECT_EQ(line.inputs, want);
}

TEST(LinkLine, MakefilesTargetsFromLinkTxt) {
  TempDir dir;
  std::string b = dir.path().string();
  writeFile(dir.file("CMakeFiles/TargetDirectories.txt"),
            b + "/CMakeFiles/app.dir\n" + b + "/CMakeFiles/edit_cache.dir\n" + b +
                "/lib/CMakeFiles/core.dir\n" + b + "/CMakeFiles/plug.dir\n");
  writeFile(dir.file("CMakeFiles/app.dir/link.txt"),
            "/usr/bin/c++ -O2 CMakeFiles/app.dir/main.cpp.o -o app  lib/libcore.a libplug.so "
            "-lm \n");
  writeFile(dir.file("lib/CMakeFiles/core.dir/link.txt"),
            "/usr/bin/ar qc libcore.a CMakeFiles/core.dir/a.cpp.o\n/usr/bin/ar q libcore.a "
            "CMakeFiles/core.dir/b.cpp.o\n/usr/bin/ranlib libcore.a\n");
  writeFile(dir.file("CMakeFiles/plug.dir/link.txt"),
            "/usr/bin/c++ -fPIC -shared -Wl,-soname,libplug.so.1 -o libplug.so.1.0 "
            "CMakeFiles/plug.dir/p.cpp.o \n/usr/bin/cmake -E cmake_symlink_library "
            "libplug.so.1.0 libplug.so.1 libplug.so\n");
  std::vector<std::string> notes;
  auto targets = hot::eng::readBuildTargets(b, &notes);
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0].name, "app");
  EXPECT_EQ(targets[0].kind, BuildTarget::Kind::Executable);
  EXPECT_EQ(targets[0].origin, b + "/CMakeFiles/app.dir/link.txt");
  EXPECT_EQ(targets[0].link.inputs,
            (std::vector<LinkInput>{path(b + "/lib/libcore.a"), path(b + "/libplug.so"),
                                    name("m")}));
  EXPECT_EQ(targets[1].name, "core");
  EXPECT_EQ(targets[1].kind, BuildTarget::Kind::StaticLibrary);
  EXPECT_EQ(targets[1].link.output, b + "/lib/libcore.a");
  EXPECT_EQ(targets[1].link.objects,
            (std::vector<std::string>{b + "/lib/CMakeFiles/core.dir/a.cpp.o",
                                      b + "/lib/CMakeFiles/core.dir/b.cpp.o"}));
  EXPECT_EQ(targets[2].name, "plug");
  EXPECT_EQ(targets[2].kind, BuildTarget::Kind::SharedLibrary);
  EXPECT_EQ(targets[2].link.output, b + "/libplug.so.1.0");
  EXPECT_EQ(targets[2].aliases,
            (std::vector<std::string>{b + "/libplug.so", b + "/libplug.so.1"}));
  EXPECT_TRUE(notes.empty());
}

TEST(LinkLine, NinjaTargetsFromBuildNinja) {
  TempDir dir;
  std::string b = dir.path().string();
  writeFile(dir.file("build.ninja"), R"(include CMakeFiles/rules.ninja
build CMakeFiles/my$ app.dir/main.cpp.o: CXX_COMPILER__my_app_ /src/main.cpp
  FLAGS = -O2
build my$ app: CXX_EXECUTABLE_LINKER__my_app_Debug CMakeFiles/my$ app.dir/main.cpp.o $
    CMakeFiles/my$ app.dir/b.cpp.o | lib/libcore.a || lib/libcore.a
  FLAGS = -O2
  LINK_FLAGS = -rdynamic -Wl,--as-needed
  LINK_LIBRARIES = -Wl,-rpath,$$ORIGIN/lib  lib/libcore.a  /usr/lib/x86_64-linux-gnu/libz.so  -lm
  LINK_PATH = -L/opt/lib
  OBJECT_DIR = CMakeFiles/my$ app.dir
  TARGET_FILE = my$ app
include more.ninja
)");
  writeFile(dir.file("more.ninja"), R"(build lib/libcore.a: CXX_STATIC_LIBRARY_LINKER__core_ lib/CMakeFiles/core.dir/a.cpp.o
  TARGET_FILE = lib/libcore.a
build libm.so: CXX_MODULE_LIBRARY_LINKER__plugin_ CMakeFiles/plugin.dir/p.cpp.o
)");
  auto targets = hot::eng::readBuildTargets(b, nullptr);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].name, "my_app");
  EXPECT_EQ(targets[0].kind, BuildTarget::Kind::Executable);
  EXPECT_EQ(targets[0].origin, b + "/build.ninja:4");
  EXPECT_EQ(targets[0].link.output, b + "/my app");
  EXPECT_EQ(targets[0].link.objects,
            (std::vector<std::string>{b + "/CMakeFiles/my app.dir/main.cpp.o",
                                      b + "/CMakeFiles/my app.dir/b.cpp.o"}));
  EXPECT_EQ(targets[0].link.inputs,
            (std::vector<LinkInput>{path(b + "/lib/libcore.a"),
                                    path("/usr/lib/x86_64-linux-gnu/libz.so"), name("m")}));
  EXPECT_EQ(targets[0].link.library_dirs, (std::vector<std::string>{"/opt/lib"}));
  EXPECT_EQ(targets[0].link.rpath, (std::vector<std::string>{b + "/lib"}));
  EXPECT_EQ(targets[1].name, "core");
  EXPECT_EQ(targets[1].kind, BuildTarget::Kind::StaticLibrary);
  EXPECT_EQ(targets[1].link.objects,
            (std::vector<std::string>{b + "/lib/CMakeFiles/core.dir/a.cpp.o"}));
}

TEST(LinkLine, DefinesMainSeesDefinitionsOnly) {
  EXPECT_TRUE(hot::eng::definesMain("int main() { return 0; }"));
  EXPECT_TRUE(hot::eng::definesMain("#include <x>\nint\nmain (int argc, char **argv) {}"));
  EXPECT_TRUE(hot::eng::definesMain("auto main() -> int { return 0; }"));
  EXPECT_FALSE(hot::eng::definesMain("// int main() {}\nint helper();"));
  EXPECT_FALSE(hot::eng::definesMain("/* int main() */ const char *s = \"int main()\";"));
  EXPECT_FALSE(hot::eng::definesMain("int domain(); void f() { remain(); }"));
  EXPECT_FALSE(hot::eng::definesMain("struct S { int main; }; int x = s.main;"));
}
