// The engine compiles each unit with its own flags from compile_commands.json: an #ifdef chosen
// by a define, an include dir; a duplicated entry resolves to the first; a malformed database
// is an error naming the entry.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {
std::string entry(const std::string &dir, const std::string &file, const std::string &flags) {
  return "{\"directory\": \"" + dir + "\", \"file\": \"" + file +
         "\", \"command\": \"g++ -std=c++20 -O2 -Wall " + flags + " -c " + file + " -o x.o\"}";
}
} // namespace

TEST(CompileCommands, DefinesAndIncludeDirsAreHonoured) {
  hot::test::TempDir dir;
  std::string d = dir.path().string();
  hot::test::writeFile(dir.file("inc/limits.h"), "#pragma once\nconstexpr int kLimit = 9;\n");
  hot::test::writeFile(dir.file("src/a.cpp"), R"(#include "limits.h"
#ifdef FAST_MODE
int mode() { return 1; }
#else
int mode() { return 2; }
#endif
int limit() { return kLimit; }
)");
  hot::test::writeFile(dir.file("src/b.cpp"), "int bee() { return MULT * 3; }\n");
  hot::test::writeFile(dir.file("compile_commands.json"),
                       "[" + entry(d, "src/a.cpp", "-DFAST_MODE -Iinc") + ",\n" +
                           entry(d, "src/b.cpp", "-DMULT=5") + ",\n" +
                           entry(d, "src/b.cpp", "-DMULT=7") + "]");
  hot::Config c;
  c.compile_commands = dir.file("compile_commands.json");
  auto engine = hot::HotEngine::create(c);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  hot::test::RecordingListener events;
  (*engine)->setListener(&events);
  hot::Status st = (*engine)->load({});
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ((*engine)->function<int()>("mode")->operator()(), 1) << "-DFAST_MODE honoured";
  EXPECT_EQ((*engine)->function<int()>("limit")->operator()(), 9) << "-Iinc honoured";
  EXPECT_EQ((*engine)->function<int()>("bee")->operator()(), 15) << "first duplicate wins";
  bool noted = false;
  for (auto &m : events.messages()) noted |= m.find("appears 2 times") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(CompileCommands, MalformedDatabaseNamesTheEntry) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("compile_commands.json"),
                       "[" + entry(dir.path().string(), "a.cpp", "") +
                           ",\n{\"file\": \"b.cpp\", \"command\": \"g++ -c b.cpp\"}]");
  hot::Config c;
  c.compile_commands = dir.file("compile_commands.json");
  auto engine = hot::HotEngine::create(c);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), hot::ErrorCode::ConfigError);
  EXPECT_NE(engine.status().message().find("entry #2"), std::string::npos)
      << engine.status().message();
  EXPECT_NE(engine.status().message().find("directory"), std::string::npos);
}
