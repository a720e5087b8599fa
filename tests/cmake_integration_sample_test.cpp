// A user's CMake project can use hotengine: the already-built engine is installed into a temp
// prefix (`cmake --install`), samples/cmake-project is configured against it with
// find_package(hotengine CONFIG), built, and its host passes --self-check on a copy of its live
// folder (first load, an edit reloaded at a safe point, state kept). The same project also
// configures with add_subdirectory() of this source tree, with hotengine's tests, benchmarks and
// samples off. The sample, and the README's embedding snippets, compile without a warning under
// -Wall -Wextra -Werror (an ignored [[nodiscard]] hot::Status is one). Needs the top-level build
// to be complete (the install copies its outputs).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "TestSupport.h"

namespace fs = std::filesystem;

namespace {

struct Outcome {
  int status = -1;  // exit code, or -1 if the command did not exit normally
  std::string output;
};

/// Runs a shell command, capturing stdout and stderr.
Outcome run(const std::string &command) {
  Outcome r;
  FILE *pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  while (size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quote(const fs::path &p) { return "'" + p.string() + "'"; }

std::string readFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const fs::path kSample = fs::path(HOT_SOURCE_DIR) / "samples" / "cmake-project";

/// The first ```cpp block after the README line that starts with `heading`, or "".
std::string readmeSnippet(const std::string &heading) {
  std::string readme = readFile(fs::path(HOT_SOURCE_DIR) / "README.md");
  size_t at = readme.find("\n" + heading);
  if (at == std::string::npos) return "";
  size_t open = readme.find("```cpp\n", at);
  if (open == std::string::npos) return "";
  open += 7;
  size_t close = readme.find("```", open);
  return close == std::string::npos ? "" : readme.substr(open, close - open);
}

/// A README fragment as the body of main(), its #include lines hoisted to the top.
std::string asProgram(const std::string &snippet, const std::string &prelude) {
  std::string includes = "#include <cstdio>\n#include <hot/hot.h>\n", body;
  std::istringstream lines(snippet);
  for (std::string line; std::getline(lines, line);)
    (line.rfind("#include", 0) == 0 ? includes : body) += line + "\n";
  return includes + prelude + "int main() {\n" + body + "}\n";
}

} // namespace

TEST(CMakeIntegration, InstalledPackageBuildsAndRunsSample) {
  hot::test::TempDir tmp;
  const fs::path prefix = tmp.path() / "prefix", build = tmp.path() / "build";

  Outcome install = run("cmake --install " + quote(HOT_BINARY_DIR) + " --prefix " + quote(prefix));
  ASSERT_EQ(install.status, 0) << install.output;
  for (const char *file : {"lib/libhotengine.so", "include/hot/hot.h", "include/hot/unit.h",
                           "bin/hot", "lib/cmake/hotengine/hotengineConfig.cmake",
                           "lib/cmake/hotengine/hotengineTargets.cmake",
                           "lib/cmake/hotengine/HotEngine.cmake"})
    EXPECT_TRUE(fs::exists(prefix / file)) << file << " was not installed\n" << install.output;

  // The installed `hot` finds the installed engine library (its RPATH), and runs.
  Outcome help = run(quote(prefix / "bin" / "hot") + " run --help");
  EXPECT_EQ(help.status, 0) << help.output;

  Outcome configure = run("cmake -S " + quote(kSample) + " -B " + quote(build) +
                      " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + quote(prefix) +
                      " '-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror'");
  ASSERT_EQ(configure.status, 0) << configure.output;
  Outcome compile = run("cmake --build " + quote(build) + " -j 2");
  ASSERT_EQ(compile.status, 0) << compile.output;

  // The generated engine config carries the host target's settings, including the installed
  // include dir (for <hot/unit.h>) from hotengine::engine's usage requirements.
  std::string json = readFile(build / "greeter.hot.json");
  EXPECT_NE(json.find("\"std\": \"c++20\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"GREETER_SALUTATION=\\\"Hello\\\"\""), std::string::npos) << json;
  EXPECT_NE(json.find((kSample / "include").string()), std::string::npos) << json;
  EXPECT_NE(json.find((prefix / "include").string()), std::string::npos) << json;
  EXPECT_EQ(json.find("HOT_CONFIG_PATH"), std::string::npos) << json;

  // The host edits its own temp copy; this copy only proves --live is honoured.
  const fs::path live = tmp.path() / "live";
  fs::copy(kSample / "live", live, fs::copy_options::recursive);
  Outcome check = run(quote(build / "greeter") + " --live " + quote(live) + " --self-check");
  EXPECT_EQ(check.status, 0) << check.output;
  EXPECT_NE(check.output.find("self-check: PASS"), std::string::npos) << check.output;
  EXPECT_EQ(readFile(live / "greeter.cpp"), readFile(kSample / "live" / "greeter.cpp"));
}

TEST(CMakeIntegration, SubdirectoryBuildConfiguresWithoutTestsOrSamples) {
  hot::test::TempDir tmp;
  const fs::path build = tmp.path() / "build";
  Outcome configure = run("cmake -S " + quote(kSample) + " -B " + quote(build) +
                      " -DHOTENGINE_SOURCE_DIR=" + quote(HOT_SOURCE_DIR));
  ASSERT_EQ(configure.status, 0) << configure.output;
  std::string cache = readFile(build / "CMakeCache.txt");
  EXPECT_NE(cache.find("HOT_BUILD_TESTS:BOOL=OFF"), std::string::npos);
  EXPECT_NE(cache.find("HOT_BUILD_SAMPLES:BOOL=OFF"), std::string::npos);
  EXPECT_NE(cache.find("HOT_BUILD_BENCHMARKS:BOOL=OFF"), std::string::npos);
  EXPECT_FALSE(fs::exists(build / "hotengine" / "tests"));
  // A host links the engine's shared library only: LLVM and Clang stay the engine's own.
  std::string link = readFile(build / "CMakeFiles" / "greeter.dir" / "link.txt");
  EXPECT_NE(link.find("libhotengine.so"), std::string::npos) << link;
  EXPECT_EQ(link.find("libclang-cpp.so"), std::string::npos) << link;
  EXPECT_NE(link.find("-rdynamic"), std::string::npos) << link;
}

TEST(CMakeIntegration, ReadmeSnippetsCompileWithoutWarnings) {
  hot::test::TempDir tmp;
  const std::string include = (fs::path(HOT_SOURCE_DIR) / "host-api" / "include").string();
  struct Case {
    const char *heading, *prelude;
  } cases[] = {
      {"### 1. Embed", "struct World {};\nWorld world;\ndouble dt = 0.016;\nbool running = false;\n"},
      {"### 3. CMake", "#define HOT_CONFIG_PATH \"game.hot.json\"\n#define HOT_LIVE_DIR \"live\"\n"},
  };
  for (const Case &c : cases) {
    std::string snippet = readmeSnippet(c.heading);
    ASSERT_FALSE(snippet.empty()) << "no ```cpp block after '" << c.heading << "' in README.md";
    ASSERT_NE(snippet.find("hot::"), std::string::npos) << snippet;
    const fs::path source = tmp.path() / "snippet.cpp";
    std::ofstream(source) << asProgram(snippet, c.prelude);
    Outcome compile = run("c++ -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I " +
                          quote(include) + " " + quote(source));
    EXPECT_EQ(compile.status, 0) << c.heading << " snippet:\n"
                                 << readFile(source) << "\n" << compile.output;
  }
}
