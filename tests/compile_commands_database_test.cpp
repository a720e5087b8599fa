// compile_commands.json: entries become frontend flags (paths absolute, build-only flags gone),
// duplicates resolve to the first entry, and malformed databases name the line or the entry.
#include "engine/CompileCommands.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "TestSupport.h"
#include "frontend/Frontend.h"

using hot::ErrorCode;
using hot::eng::CompileCommand;
using hot::eng::CompileDatabase;
using hot::eng::splitCommandLine;
using hot::eng::translateArguments;
using hot::test::TempDir;
using hot::test::writeFile;
using Args = std::vector<std::string>;

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

bool has(const Args &args, const std::string &flag) {
  return std::find(args.begin(), args.end(), flag) != args.end();
}

/// JSON string literal for `s` (paths in these tests have no quotes or backslashes).
std::string q(const std::string &s) { return "\"" + s + "\""; }

/// Writes `json` as dir/compile_commands.json and loads it.
hot::Result<CompileDatabase> loadText(const TempDir &dir, const std::string &json) {
  writeFile(dir.file("compile_commands.json"), json);
  return CompileDatabase::load(dir.file("compile_commands.json"));
}

std::string joined(const std::vector<std::string> &v) {
  std::string out;
  for (const auto &s : v) out += s + "\n";
  return out;
}

TEST(CompileCommandsDatabase, CommandStringWithQuotesAndEscapesIsSplitLikeAShell) {
  TempDir dir;
  // JSON escapes: \" is a quote and \\ a backslash in the command string.
  auto db = loadText(dir, R"([{"directory": )" + q(dir.path().string()) + R"(, "file": "main.cpp",
    "command": "/usr/bin/g++ -DNAME=\"hello world\" '-DSQ=a b' -DESC=\\\"q\\\" -DBS=a\\ b -DLIT='x\\y' \"-DDQ=1\\\\2\" -DJOIN=ab\"c d\"'e f' -c main.cpp -o main.o"}])");
  ASSERT_TRUE(db.ok()) << db.status().message();
  const CompileCommand *cmd = db->find(dir.file("main.cpp"));
  ASSERT_NE(cmd, nullptr);
  EXPECT_EQ(cmd->args, (Args{"-DNAME=hello world", "-DSQ=a b", "-DESC=\"q\"", "-DBS=a b",
                                     "-DLIT=x\\y", "-DDQ=1\\2", "-DJOIN=abc de f"}))
      << joined(cmd->args);
  EXPECT_EQ(cmd->file, dir.file("main.cpp"));
  EXPECT_EQ(cmd->directory, dir.path().string());
  EXPECT_EQ(cmd->origin, dir.file("compile_commands.json") + " entry #1");
}

TEST(CompileCommandsDatabase, SplitCommandLineEdgeCases) {
  auto words = splitCommandLine("  a\t\"\" 'it''s' \"x\\ny\" b\\\nc  ");
  ASSERT_TRUE(words.ok());
  // "" is an empty word; '...' pieces join; \n inside "..." stays two characters;
  // backslash-newline outside quotes joins lines.
  EXPECT_EQ(words.value(), (Args{"a", "", "its", "x\\ny", "bc"}));

  auto open = splitCommandLine("g++ \"-DX=1");
  ASSERT_FALSE(open.ok());
  EXPECT_PRED2(contains, open.status().message(), "unterminated double quote");
  EXPECT_FALSE(splitCommandLine("g++ '-DX=1").ok());
  EXPECT_FALSE(splitCommandLine("g++ -DX\\").ok());
}

TEST(CompileCommandsDatabase, ArgumentsFormIsUsedAsIs) {
  TempDir dir;
  auto db = loadText(dir, R"([{"directory": )" + q(dir.path().string()) + R"(, "file": "src/a.cpp",
    "arguments": ["clang++", "-DX=1", "-DSPACE=a b", "-std=c++20", "-c", "src/a.cpp", "-o", "a.o"],
    "output": "a.o"}])");
  ASSERT_TRUE(db.ok()) << db.status().message();
  const CompileCommand *cmd = db->find(dir.file("src/a.cpp"));
  ASSERT_NE(cmd, nullptr);
  EXPECT_EQ(cmd->args, (Args{"-DX=1", "-DSPACE=a b", "-std=c++20"}));
  // The lookup normalizes its argument.
  EXPECT_EQ(db->find(dir.file("src/../src/./a.cpp")), cmd);
  EXPECT_EQ(db->find(dir.file("src/b.cpp")), nullptr);
  EXPECT_EQ(db->files(), (Args{dir.file("src/a.cpp")}));
}

TEST(CompileCommandsDatabase, RelativeIncludePathsBecomeAbsolute) {
  TempDir dir;
  std::string build = dir.file("build");
  writeFile(dir.file("build/config.h"), "#define CONFIGURED 1\n");
  auto db = loadText(dir, R"([{"directory": )" + q(build) + R"(, "file": "../src/a.cpp",
    "arguments": ["g++", "-Iinc", "-I", "../include", "-I/abs/already", "-isystem", "../third_party",
                  "-isystem../sys2", "-iquote", "q", "-idirafter", "after", "-include", "config.h",
                  "-include", "not_here.h", "--sysroot=root", "-c", "../src/a.cpp"]}])");
  ASSERT_TRUE(db.ok()) << db.status().message();
  const CompileCommand *cmd = db->find(dir.file("src/a.cpp"));
  ASSERT_NE(cmd, nullptr) << joined(db->files());
  std::string d = dir.path().string();
  EXPECT_EQ(cmd->args, (Args{"-I" + d + "/build/inc", "-I" + d + "/include", "-I/abs/already",
                          "-isystem", d + "/third_party", "-isystem", d + "/sys2", "-iquote",
                          d + "/build/q", "-idirafter", d + "/build/after", "-include",
                          d + "/build/config.h", "-include", "not_here.h",
                          "--sysroot=" + d + "/build/root"}))
      << joined(cmd->args);
}

TEST(CompileCommandsDatabase, DefinesKeptBuildOnlyFlagsDropped) {
  TempDir dir;
  auto db = loadText(dir, R"([{"directory": )" + q(dir.path().string()) + R"(, "file": "a.cpp",
    "command": "ccache /usr/bin/c++ -DNDEBUG -D FOO=2 -UBAR -O2 -g -ggdb3 -Wall -Wextra -Werror -w -pedantic -o CMakeFiles/a.dir/a.cpp.o -c -MD -MF CMakeFiles/a.dir/a.cpp.o.d -MT x.o -MQ y.o -MMD -MP -fPIC -fpie -pipe -fdiagnostics-color=always -fcolor-diagnostics -flto=auto -fprofile-arcs -ftest-coverage -fsanitize=address -fno-omit-frame-pointer -fdebug-prefix-map=/a=/b -fuse-ld=lld -fmodules-ts -x c++ -fno-exceptions -fno-rtti -fvisibility=hidden -fno-strict-aliasing -fsigned-char -fno-threadsafe-statics -fstack-protector-strong -march=native -mtune=generic -pthread -fmax-errors=5 -fno-gnu-unique -fconcepts -Wl,--as-needed -lm -L/opt/lib --driver-mode=g++ -std=gnu++17 a.cpp -Wp,-D_FORTIFY_SOURCE=2 -fopenmp"}])");
  ASSERT_TRUE(db.ok()) << db.status().message();
  const CompileCommand *cmd = db->find(dir.file("a.cpp"));
  ASSERT_NE(cmd, nullptr);
  EXPECT_EQ(cmd->args, (Args{"-DNDEBUG", "-DFOO=2", "-UBAR", "-fno-omit-frame-pointer",
                          "-fno-exceptions", "-fno-rtti", "-fvisibility=hidden",
                          "-fno-strict-aliasing", "-fsigned-char", "-fno-threadsafe-statics",
                          "-fstack-protector-strong", "-march=native", "-mtune=generic",
                          "-pthread", "-ferror-limit=5", "-std=gnu++17",
                          "-D_FORTIFY_SOURCE=2"}))
      << joined(cmd->args);
  // Flags that change behaviour are not dropped silently.
  std::string notes = joined(db->notes());
  EXPECT_PRED2(contains, notes, "-fopenmp");
  EXPECT_PRED2(contains, notes, "-fsanitize=address");
  EXPECT_PRED2(contains, notes, "entry #1");
}

TEST(CompileCommandsDatabase, ResponseFilesAreExpandedRelativeToTheDirectory) {
  TempDir dir;
  writeFile(dir.file("rsp/flags.rsp"), "-Iinc \"-DMSG=\\\"hi there\\\"\"\n-O3 @more.rsp\n");
  writeFile(dir.file("more.rsp"), "-DMORE");
  auto db = loadText(dir, R"([{"directory": )" + q(dir.path().string()) + R"(, "file": "a.cpp",
    "arguments": ["g++", "@rsp/flags.rsp", "@missing.rsp", "-c", "a.cpp"]},
    {"directory": )" + q(dir.path().string()) + R"(, "file": "b.cpp",
    "arguments": ["g++", "@missing.rsp", "-c", "b.cpp"]}])");
  ASSERT_TRUE(db.ok()) << db.status().message();
  const CompileCommand *cmd = db->find(dir.file("a.cpp"));
  ASSERT_NE(cmd, nullptr);
  EXPECT_EQ(cmd->args, (Args{"-I" + dir.file("inc"), "-DMSG=\"hi there\"", "-DMORE"}));
  // The same note from two entries is reported once, with a count.
  ASSERT_EQ(db->notes().size(), 1u) << joined(db->notes());
  EXPECT_PRED2(contains, db->notes()[0], "missing.rsp");
  EXPECT_PRED2(contains, db->notes()[0], "entry #1");
  EXPECT_PRED2(contains, db->notes()[0], "1 more entry");
}

TEST(CompileCommandsDatabase, DuplicatedFileUsesTheFirstEntryAndSaysSo) {
  TempDir dir;
  std::string d = q(dir.path().string());
  auto db = loadText(dir, R"([
    {"directory": )" + d + R"(, "file": "other.cpp", "arguments": ["g++", "-c", "other.cpp"]},
    {"directory": )" + d + R"(, "file": "a.cpp", "arguments": ["g++", "-DTARGET=1", "-c", "a.cpp"]},
    {"directory": )" + d + R"(, "file": "a.cpp", "arguments": ["g++", "-DTARGET=2", "-fopenmp", "-c", "a.cpp"]},
    {"directory": )" + d + R"(, "file": "./a.cpp", "arguments": ["g++", "-DTARGET=3", "-c", "a.cpp"]}
  ])");
  ASSERT_TRUE(db.ok()) << db.status().message();
  const CompileCommand *cmd = db->find(dir.file("a.cpp"));
  ASSERT_NE(cmd, nullptr);
  EXPECT_EQ(cmd->args, (Args{"-DTARGET=1"}));
  EXPECT_PRED2(contains, cmd->origin, "entry #2");
  EXPECT_EQ(db->files(), (Args{dir.file("a.cpp"), dir.file("other.cpp")}));
  // One note: the duplicate. The ignored entry's own notes (-fopenmp) are not reported.
  ASSERT_EQ(db->notes().size(), 1u) << joined(db->notes());
  EXPECT_PRED2(contains, db->notes()[0], "'" + dir.file("a.cpp") + "' appears 3 times");
  EXPECT_PRED2(contains, db->notes()[0], "using entry #2");
  EXPECT_PRED2(contains, db->notes()[0], "#3, #4");
}

TEST(CompileCommandsDatabase, JsonSyntaxErrorNamesLineAndColumn) {
  TempDir dir;
  auto db = loadText(dir, "[\n  {\"directory\": \"/x\",\n   \"file\": \"a.cpp\" \"command\": \"g++\"}\n]\n");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::ConfigError);
  EXPECT_PRED2(contains, db.status().message(), "compile_commands.json:3:20:")
      << db.status().message();
}

TEST(CompileCommandsDatabase, MalformedEntriesNameTheEntryAndFile) {
  TempDir dir;
  struct Case {
    std::string json;
    std::string expected;
  } cases[] = {
      {R"({"directory": "/x"})", "top level, got object"},
      {R"([{"directory": "/x", "file": "a.cpp", "command": "g++"}, 7])",
       "compile_commands.json entry #2: expected an object, got number"},
      {R"([{"directory": "/x", "file": "a.cpp", "command": "g++"}, {"file": "b.cpp", "command": "g++"}])",
       "compile_commands.json entry #2 (file 'b.cpp'): missing \"directory\""},
      {R"([{"directory": "/x", "command": "g++"}])", "entry #1: missing \"file\""},
      {R"([{"directory": "/x", "file": 3, "command": "g++"}])",
       "entry #1: \"file\" must be a string, got number"},
      {R"([{"directory": "/x", "file": "a.cpp"}])",
       "entry #1 (file 'a.cpp'): neither \"arguments\" nor \"command\""},
      {R"([{"directory": "/x", "file": "a.cpp", "arguments": "g++ -c a.cpp"}])",
       "entry #1 (file 'a.cpp'): \"arguments\" must be an array of strings, got string"},
      {R"([{"directory": "/x", "file": "a.cpp", "arguments": ["g++", 1]}])",
       "entry #1 (file 'a.cpp'): \"arguments\"[1] must be a string, got number"},
      {R"([{"directory": ["/x"], "file": "a.cpp", "command": "g++"}])",
       "entry #1 (file 'a.cpp'): \"directory\" must be a string, got array"},
      {R"([{"directory": "/x", "file": "a.cpp", "command": false}])",
       "entry #1 (file 'a.cpp'): \"command\" must be a string, got boolean"},
      {R"([{"directory": "/x", "file": "a.cpp", "command": "g++ \"-DX=1 -c a.cpp"}])",
       "entry #1 (file 'a.cpp'): unterminated double quote"},
  };
  for (const Case &c : cases) {
    auto db = loadText(dir, c.json);
    ASSERT_FALSE(db.ok()) << c.json;
    EXPECT_EQ(db.status().code(), ErrorCode::ConfigError) << c.json;
    EXPECT_PRED2(contains, db.status().message(), c.expected) << c.json;
  }
}

TEST(CompileCommandsDatabase, UnreadableFileIsAnIoErrorNamingThePath) {
  TempDir dir;
  auto db = CompileDatabase::load(dir.file("nope/compile_commands.json"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::IoError);
  EXPECT_PRED2(contains, db.status().message(), dir.file("nope/compile_commands.json"));

  // A directory is searched for compile_commands.json.
  writeFile(dir.file("build/compile_commands.json"), "[]");
  auto empty = CompileDatabase::load(dir.file("build"));
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_TRUE(empty->files().empty());
}

TEST(CompileCommandsDatabase, SymlinkedPathFindsTheSameEntry) {
  TempDir dir;
  writeFile(dir.file("real/a.cpp"), "int a;\n");
  std::filesystem::create_directory_symlink(dir.file("real"), dir.file("link"));
  auto db = loadText(dir, R"([{"directory": )" + q(dir.file("real")) +
                              R"(, "file": "a.cpp", "arguments": ["g++", "-DA", "-c", "a.cpp"]}])");
  ASSERT_TRUE(db.ok()) << db.status().message();
  const CompileCommand *cmd = db->find(dir.file("link/a.cpp"));
  ASSERT_NE(cmd, nullptr);
  EXPECT_EQ(cmd->file, dir.file("real/a.cpp"));
}

TEST(CompileCommandsDatabase, TranslatesClangPchAndLauncherForms) {
  Args out = translateArguments(
      {"sccache", "clang++", "-Xclang", "-include-pch", "-Xclang", "/b/cmake_pch.hxx.pch",
       "-Xclang", "-include", "-Xclang", "/b/cmake_pch.hxx", "-mllvm", "-x", "-target",
       "x86_64-linux-gnu", "-Ofast", "-g0", "-gcc-toolchain", "/opt/gcc", "-c", "/s/a.cpp",
       "other.o", "-m32", "-std=c11"},
      "/b", "/s/a.cpp", nullptr);
  EXPECT_EQ(out, (Args{"-Xclang", "-include", "-Xclang", "/b/cmake_pch.hxx", "-mllvm",
                               "-x", "-target", "x86_64-linux-gnu", "-ffast-math",
                               "-gcc-toolchain", "/opt/gcc"}))
      << joined(out);
  std::vector<std::string> notes;
  (void)translateArguments({"g++", "-c", "a.cpp", "other.o", "-m32", "-std=c11"}, "/b",
                           "/b/a.cpp", &notes);
  std::string all = joined(notes);
  EXPECT_PRED2(contains, all, "other.o");
  EXPECT_PRED2(contains, all, "-m32");
  EXPECT_PRED2(contains, all, "-std=c11");
}

// A real CMake export: configure a tiny project with g++ and compile its file with the
// in-process frontend using exactly the translated flags.
TEST(CompileCommandsDatabase, RealCMakeExportLoadsAndCompiles) {
  TempDir dir;
  std::string src = dir.file("proj"), build = dir.file("build");
  writeFile(src + "/CMakeLists.txt", R"(cmake_minimum_required(VERSION 3.16)
project(tiny CXX)
add_executable(app src/main.cpp src/util.cpp)
set_target_properties(app PROPERTIES CXX_STANDARD 17 CXX_EXTENSIONS OFF)
target_compile_definitions(app PRIVATE GREETING="hello world" ANSWER=42)
target_include_directories(app PRIVATE include)
target_compile_options(app PRIVATE -Wall -fno-exceptions)
)");
  writeFile(src + "/include/tiny/answer.h",
            "#pragma once\ninline int answer() { return ANSWER; }\n");
  std::string mainText = "#include <tiny/answer.h>\n#include <cstring>\n"
                         "static_assert(__cplusplus == 201703L, \"c++17\");\n"
                         "int main() { return answer() == 42 && std::strlen(GREETING) == 11 ? 0 : 1; }\n";
  writeFile(src + "/src/main.cpp", mainText);
  writeFile(src + "/src/util.cpp", "#include <tiny/answer.h>\nint twice() { return 2 * answer(); }\n");

  std::string cmd = "cmake -S '" + src + "' -B '" + build +
                    "' -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCMAKE_CXX_COMPILER=g++"
                    " -DCMAKE_BUILD_TYPE=RelWithDebInfo > '" + dir.file("cmake.log") + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  auto db = CompileDatabase::load(build + "/compile_commands.json");
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_EQ(db->files(), (Args{src + "/src/main.cpp", src + "/src/util.cpp"}));
  const CompileCommand *main = db->find(src + "/src/main.cpp");
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->directory, build);
  EXPECT_TRUE(has(main->args, "-DGREETING=\"hello world\"")) << joined(main->args);
  EXPECT_TRUE(has(main->args, "-DANSWER=42")) << joined(main->args);
  EXPECT_TRUE(has(main->args, "-I" + src + "/include")) << joined(main->args);
  EXPECT_TRUE(has(main->args, "-std=c++17")) << joined(main->args);
  EXPECT_TRUE(has(main->args, "-fno-exceptions")) << joined(main->args);
  EXPECT_TRUE(has(main->args, "-DNDEBUG")) << joined(main->args);
  for (const std::string &a : main->args) {
    EXPECT_NE(a, "-c");
    EXPECT_NE(a, "-o");
    EXPECT_NE(a, "-Wall");
    EXPECT_FALSE(a.rfind("-O", 0) == 0 || a.rfind("-g", 0) == 0) << a;
    EXPECT_EQ(a.find("main.cpp"), std::string::npos) << a;
  }
  EXPECT_TRUE(db->notes().empty()) << joined(db->notes());

  auto fe = hot::fe::Frontend::create();
  ASSERT_TRUE(static_cast<bool>(fe)) << llvm::toString(fe.takeError());
  hot::fe::CompileJob job;
  job.path = main->file;
  job.contents = mainText;
  job.args = main->args;
  hot::fe::CompileResult r = (*fe)->compile(job);
  std::string diags;
  for (const auto &d : r.diagnostics) diags += d.formatted + "\n";
  EXPECT_TRUE(r.ok()) << diags;
}

} // namespace
