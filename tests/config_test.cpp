// hot::Config from and to JSON: defaults, round trip, and errors that name the key or position.
#include "hot/config.h"

#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {

using hot::Config;
using hot::ErrorCode;
using hot::test::TempDir;
using hot::test::writeFile;

void expectSame(const Config &a, const Config &b) {
  EXPECT_EQ(a.std, b.std);
  EXPECT_EQ(a.opt_level, b.opt_level);
  EXPECT_EQ(a.debug_info, b.debug_info);
  EXPECT_EQ(a.include_dirs, b.include_dirs);
  EXPECT_EQ(a.defines, b.defines);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.extensions, b.extensions);
  EXPECT_EQ(a.exclude, b.exclude);
  EXPECT_EQ(a.compile_commands, b.compile_commands);
  EXPECT_EQ(a.libraries, b.libraries);
  EXPECT_EQ(a.library_dirs, b.library_dirs);
  EXPECT_EQ(a.debounce_ms, b.debounce_ms);
  EXPECT_EQ(a.apply_in_background, b.apply_in_background);
  EXPECT_EQ(a.header_cache, b.header_cache);
  EXPECT_EQ(a.cache_dir, b.cache_dir);
  EXPECT_EQ(a.history, b.history);
  EXPECT_EQ(a.compile_threads, b.compile_threads);
  EXPECT_EQ(a.track_system_headers, b.track_system_headers);
  EXPECT_EQ(a.tiering.enabled, b.tiering.enabled);
  EXPECT_EQ(a.tiering.tier0_opt, b.tiering.tier0_opt);
  EXPECT_EQ(a.tiering.tier1_opt, b.tiering.tier1_opt);
  EXPECT_EQ(a.tiering.call_threshold, b.tiering.call_threshold);
  EXPECT_EQ(a.tiering.native_cpu, b.tiering.native_cpu);
}

/// The error message of parsing `json` as "config.json"; fails the test if parsing succeeds.
std::string errorOf(const std::string &json) {
  auto result = Config::fromJson(json, "config.json");
  EXPECT_FALSE(result.ok()) << json;
  EXPECT_EQ(result.status().code(), ErrorCode::ConfigError) << json;
  return result.status().message();
}

#define EXPECT_CONTAINS(haystack, needle)                                                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)                                 \
      << "\"" << (haystack) << "\" lacks \"" << (needle) << "\""

TEST(Config, EmptyObjectGivesDefaults) {
  auto result = Config::fromJson("{}");
  ASSERT_TRUE(result.ok()) << result.status().message();
  expectSame(*result, Config{});
  EXPECT_EQ(result->std, "c++20");
  EXPECT_EQ(result->debounce_ms, 5u);
  EXPECT_EQ(result->tiering.tier1_opt, 2);
  EXPECT_EQ(result->tiering.call_threshold, 100000u);
  EXPECT_EQ(result->extensions.size(), 5u);
  EXPECT_EQ(result->extensions.back(), ".c") << "C units are units by default";
  EXPECT_EQ(result->c_std, "gnu17");
  EXPECT_FALSE(result->start_with_errors);
  EXPECT_TRUE(result->log_to_stderr);
}

TEST(Config, PartialConfigKeepsOtherDefaults) {
  auto result = Config::fromJson(R"({"opt_level": 2, "tiering": {"enabled": true}})");
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->opt_level, 2);
  EXPECT_TRUE(result->tiering.enabled);
  EXPECT_EQ(result->tiering.tier1_opt, 2);
  EXPECT_TRUE(result->header_cache);
}

TEST(Config, EveryFieldRoundTrips) {
  Config c;
  c.std = "c++23";
  c.opt_level = 3;
  c.debug_info = true;
  c.include_dirs = {"/inc/a", "rel/b"};
  c.defines = {"A", "B=2", "Q=\"quoted\""};
  c.flags = {"-Wall", "-fno-exceptions"};
  c.extensions = {".cc"};
  c.exclude = {"third_party/", "ünïcode"};
  c.compile_commands = "build/compile_commands.json";
  c.libraries = {"m", "/usr/lib/libz.so"};
  c.library_dirs = {"/opt/lib"};
  c.debounce_ms = 250;
  c.apply_in_background = true;
  c.header_cache = false;
  c.cache_dir = "/tmp/cache";
  c.history = 9;
  c.compile_threads = 3;
  c.track_system_headers = true;
  c.tiering.enabled = true;
  c.tiering.tier0_opt = 1;
  c.tiering.tier1_opt = 3;
  c.tiering.call_threshold = 1ull << 40;
  c.tiering.native_cpu = true;

  std::string json = c.toJson();
  EXPECT_CONTAINS(json, "\n  \"std\": \"c++23\"");         // pretty, two spaces
  EXPECT_CONTAINS(json, "\n    \"call_threshold\": ");     // nested one level deeper
  auto back = Config::fromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << json;
  expectSame(*back, c);
}

TEST(Config, DefaultsRoundTrip) {
  auto back = Config::fromJson(Config{}.toJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  expectSame(*back, Config{});
}

TEST(Config, UnknownKeyIsNamedWithSuggestion) {
  std::string message = errorOf(R"({"opt_level": 1, "debounc_ms": 5})");
  EXPECT_CONTAINS(message, "unknown key \"debounc_ms\" in config.json");
  EXPECT_CONTAINS(message, "did you mean \"debounce_ms\"");
  EXPECT_CONTAINS(errorOf(R"({"opt_levle": 1})"), "did you mean \"opt_level\"");
}

TEST(Config, UnknownNestedKeyIsNamedByFullPath) {
  std::string message = errorOf(R"({"tiering": {"treshold": 5}})");
  EXPECT_CONTAINS(message, "unknown key \"tiering.treshold\" in config.json");
  EXPECT_EQ(message.find("did you mean"), std::string::npos) << message; // nothing close

  message = errorOf(R"({"tiering": {"tier1opt": 2}})");
  EXPECT_CONTAINS(message, "unknown key \"tiering.tier1opt\"");
  EXPECT_CONTAINS(message, "did you mean \"tiering.tier1_opt\"");
}

TEST(Config, WrongTypeNamesKeyAndTypes) {
  EXPECT_CONTAINS(errorOf(R"({"debounce_ms": "10"})"),
                  "key \"debounce_ms\" in config.json: expected unsigned integer, got string");
  EXPECT_CONTAINS(errorOf(R"({"tiering": {"enabled": 1}})"),
                  "key \"tiering.enabled\" in config.json: expected boolean, got integer 1");
  EXPECT_CONTAINS(errorOf(R"({"include_dirs": ["a", 3]})"),
                  "key \"include_dirs[1]\" in config.json: expected string, got integer 3");
  EXPECT_CONTAINS(errorOf(R"({"defines": "A=1"})"), "expected array of strings, got string");
  EXPECT_CONTAINS(errorOf(R"({"tiering": 5})"), "key \"tiering\" in config.json: expected object");
  EXPECT_CONTAINS(errorOf(R"({"std": null})"),
                  "key \"std\" in config.json: expected string, got null");
  EXPECT_CONTAINS(errorOf(R"({"history": 2.5})"), "got floating-point number 2.5");
}

TEST(Config, NegativeUnsignedIsAnError) {
  EXPECT_CONTAINS(errorOf(R"({"history": -1})"),
                  "key \"history\" in config.json: "
                  "expected unsigned integer, got negative integer -1");
  EXPECT_CONTAINS(errorOf(R"({"debounce_ms": 4294967296})"), "must be at most 60000");
}

TEST(Config, NumbersPastWhatTheEngineCanUseAreErrors) {
  EXPECT_CONTAINS(errorOf(R"({"compile_threads": 4294967295})"),
                  "key \"compile_threads\" in config.json: must be at most 256, got 4294967295");
  EXPECT_CONTAINS(errorOf(R"({"history": 100000})"), "must be at most 1000");
  EXPECT_CONTAINS(errorOf(R"({"debounce_ms": 3600000})"), "must be at most 60000");
  EXPECT_TRUE(Config::fromJson(R"({"compile_threads": 256, "history": 1000})").ok());
}

TEST(Config, AFileThatIsNotRegularIsNeverRead) {
  auto result = Config::fromJsonFile("/dev/zero");
  ASSERT_FALSE(result.ok());
  EXPECT_CONTAINS(result.status().message(), "/dev/zero\": is a device, not a regular file");
}

TEST(Config, OptLevelMustBeZeroToThree) {
  EXPECT_CONTAINS(errorOf(R"({"opt_level": 4})"), "key \"opt_level\"");
  EXPECT_CONTAINS(errorOf(R"({"tiering": {"tier1_opt": -1}})"), "key \"tiering.tier1_opt\"");
  EXPECT_CONTAINS(errorOf(R"({"opt_level": "2"})"), "key \"opt_level\"");
  EXPECT_TRUE(Config::fromJson(R"({"opt_level": 3, "tiering": {"tier0_opt": 0}})").ok());
}

TEST(Config, TopLevelMustBeAnObject) {
  EXPECT_CONTAINS(errorOf("[1, 2]"), "config.json: the top level must be an object, got array");
}

TEST(Config, SyntaxErrorNamesFileLineAndColumn) {
  TempDir dir;
  std::string path = dir.file("config.json");
  writeFile(path, "{\n  \"std\": \"c++20\",\n  \"opt_level\": ,\n}\n");
  auto result = Config::fromJsonFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::ConfigError);
  // The stray ',' is on line 3, column 16.
  EXPECT_EQ(result.status().message().rfind(path + ":3:16: ", 0), 0u) << result.status().message();
}

TEST(Config, SyntaxErrorOnFirstLineAndAtEnd) {
  EXPECT_EQ(errorOf("{\"a\" 1}").rfind("config.json:1:6: ", 0), 0u) << errorOf("{\"a\" 1}");
  EXPECT_EQ(errorOf("").rfind("config.json:1:1: ", 0), 0u) << errorOf("");
}

TEST(Config, MissingFileNamesThePath) {
  TempDir dir;
  std::string path = dir.file("nope.json");
  auto result = Config::fromJsonFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::IoError);
  EXPECT_CONTAINS(result.status().message(), path);
  EXPECT_CONTAINS(result.status().message(), "no such file");
}

TEST(Config, DirectoryIsAnIoError) {
  TempDir dir;
  auto result = Config::fromJsonFile(dir.path().string());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::IoError);
}

TEST(Config, FileIsReadAndErrorsNameIt) {
  TempDir dir;
  std::string path = dir.file("hot.json");
  writeFile(path, R"({"history": 7, "tiering": {"enabled": true}})");
  auto result = Config::fromJsonFile(path);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->history, 7u);

  writeFile(path, R"({"histroy": 7})");
  result = Config::fromJsonFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_CONTAINS(result.status().message(), "unknown key \"histroy\" in " + path);
}

TEST(ErrorCode, HasReadableNames) {
  EXPECT_STREQ(hot::toString(ErrorCode::Ok), "ok");
  EXPECT_STREQ(hot::toString(ErrorCode::ConfigError), "config error");
  EXPECT_STREQ(hot::toString(ErrorCode::IoError), "I/O error");
}

} // namespace
