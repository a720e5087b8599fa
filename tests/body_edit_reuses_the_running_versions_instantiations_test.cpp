// A body edit in a template-heavy unit (<regex>, <nlohmann/json.hpp>) does not instantiate and
// compile again what the running version already has: its template instantiations and inline
// functions are taken from the running version's code (ReloadEvent::reused_functions). The
// edit takes effect, statics are kept, repeated and alternating edits give the same results
// as full compiles, a changed template or header still reaches its users, and the code kept
// alive for reuse stays bounded.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "TestSupport.h"

namespace {

std::string regexUnit(const std::string &pattern, int bonus) {
  return R"(#include <map>
#include <regex>
#include <string>
static int calls = 0;
int matches(const std::string &text) {
  ++calls;
  std::regex re(")" + pattern + R"(");
  int n = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) ++n;
  return n + )" + std::to_string(bonus) + R"(;
}
int callCount() { return calls; }
)";
}

const char *kText = "ab@cd.com, x@y.org, ef@gh.com";

} // namespace

TEST(ReuseInstantiations, RegexBodyEditsReuseTheRunningCodeAndMatchFullCompiles) {
  hot::test::LiveProject p;
  p.write("rx.cpp", regexUnit("[a-z]+@[a-z]+\\\\.com", 0));
  ASSERT_TRUE(p.start().ok());
  auto matches = p.fn<int(const std::string &)>("matches");
  auto callCount = p.fn<int()>("callCount");
  ASSERT_EQ(matches(kText), 2);
  int calls = 1;
  // Two bodies alternately, 20 edits: each is a body-only patch that reuses the regex
  // machinery, gives what a full compile gives, and keeps the call counter.
  for (int i = 1; i <= 20; ++i) {
    bool org = i % 2 == 1;
    hot::ReloadEvent e =
        p.edit("rx.cpp", regexUnit(org ? "[a-z]+@[a-z]+\\\\.(com|org)" : "[a-z]+@[a-z]+\\\\.com", i));
    ASSERT_TRUE(e.success) << e.message;
    EXPECT_TRUE(e.partial) << "edit " << i;
    EXPECT_GT(e.reused_functions, 20u) << "edit " << i << ": the regex code is reused";
    EXPECT_EQ(matches(kText), (org ? 3 : 2) + i) << "edit " << i;
    EXPECT_EQ(callCount(), ++calls) << "the static counter survives edit " << i;
  }
  // The code kept for reuse does not pile up: the history, the first version (whose regex code
  // every later one reuses), and up to two that stale stack words may pin (the scan is
  // conservative: this thread's and the engine thread's stacks) — not one per edit.
  const unsigned bound = hot::Config{}.history + 3;
  EXPECT_LE(p.settleLiveVersions(bound, 5000).live_versions, bound);

  // With reuse off, the same text compiles everything and answers the same.
  hot::Config off;
  off.reuse_inline_code = false;
  hot::test::LiveProject q(off);
  q.write("rx.cpp", regexUnit("[a-z]+@[a-z]+\\\\.com", 0));
  ASSERT_TRUE(q.start().ok());
  hot::ReloadEvent e = q.edit("rx.cpp", regexUnit("[a-z]+@[a-z]+\\\\.(com|org)", 1));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_TRUE(e.partial);
  EXPECT_EQ(e.reused_functions, 0u);
  EXPECT_EQ(q.fn<int(const std::string &)>("matches")(kText), 4);
}

TEST(ReuseInstantiations, JsonBodyEditReusesAndKeepsState) {
  hot::test::LiveProject p;
  auto unit = [](const std::string &key) {
    return "#include <nlohmann/json.hpp>\n#include <string>\nstatic int edits_seen = 0;\n"
           "std::string rewrite(const std::string &in) {\n"
           "  ++edits_seen;\n  nlohmann::json j = nlohmann::json::parse(in);\n"
           "  j[\"" + key + "\"] = j[\"n\"].get<int>() * 2;\n  return j.dump();\n}\n"
           "int seen() { return edits_seen; }\n";
  };
  p.write("js.cpp", unit("double"));
  ASSERT_TRUE(p.start().ok());
  auto rewrite = p.fn<std::string(const std::string &)>("rewrite");
  EXPECT_EQ(rewrite("{\"n\":2}"), "{\"double\":4,\"n\":2}");
  hot::ReloadEvent e = p.edit("js.cpp", unit("twice"));
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_TRUE(e.partial);
  EXPECT_GT(e.reused_functions, 20u);
  EXPECT_EQ(rewrite("{\"n\":3}"), "{\"n\":3,\"twice\":6}");
  EXPECT_EQ(p.fn<int()>("seen")(), 2);
}

TEST(ReuseInstantiations, AnEditUsingNewInstantiationsCompilesThem) {
  hot::test::LiveProject p;
  p.write("m.cpp", "#include <map>\n#include <string>\n"
                   "int f() { std::map<std::string, int> m{{\"a\", 1}}; return m[\"a\"]; }\n");
  ASSERT_TRUE(p.start().ok());
  // The new body uses std::map<std::string, int> (reused) and std::map<int, double> (new).
  hot::ReloadEvent e = p.edit("m.cpp", "#include <map>\n#include <string>\n"
                                       "int f() { std::map<std::string, int> m{{\"a\", 1}};\n"
                                       "  std::map<int, double> d{{1, 2.5}};\n"
                                       "  return m[\"a\"] + int(d[1] * 2); }\n");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_TRUE(e.partial);
  EXPECT_GT(e.reused_functions, 0u);
  EXPECT_EQ(p.fn<int()>("f")(), 6);
}

TEST(ReuseInstantiations, ChangedTemplatesAndHeadersStillReachTheirUsers) {
  hot::test::LiveProject p;
  p.write("inc/scale.h", "#pragma once\ntemplate <typename T> T scale(T v) { return v * 2; }\n");
  p.write("t.cpp", "#include <vector>\n#include \"inc/scale.h\"\n"
                   "template <typename T> T offset(T v) { return v + 1; }\n"
                   "int g() { std::vector<int> v{1, 2}; return scale(v[1]) + offset(v[0]); }\n");
  ASSERT_TRUE(p.start().ok());
  auto g = p.fn<int()>("g");
  ASSERT_EQ(g(), 4 + 2);
  // A template defined in the unit changes: its instantiation is not taken from the old code.
  hot::ReloadEvent e = p.edit("t.cpp", "#include <vector>\n#include \"inc/scale.h\"\n"
                                       "template <typename T> T offset(T v) { return v + 10; }\n"
                                       "int g() { std::vector<int> v{1, 2}; return scale(v[1]) + offset(v[0]); }\n");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(g(), 4 + 11);
  // A header's template changes: likewise.
  e = p.edit("inc/scale.h", "#pragma once\ntemplate <typename T> T scale(T v) { return v * 3; }\n");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(g(), 6 + 11);
  // And a body edit after both reuses the new instantiations, not the first ones.
  e = p.edit("t.cpp", "#include <vector>\n#include \"inc/scale.h\"\n"
                      "template <typename T> T offset(T v) { return v + 10; }\n"
                      "int g() { std::vector<int> v{1, 2}; return scale(v[1]) + offset(v[0]) + 100; }\n");
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_TRUE(e.partial);
  EXPECT_EQ(g(), 6 + 11 + 100);
}
