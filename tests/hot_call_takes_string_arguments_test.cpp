// hot call (HotEngine::callByName) converts text arguments to std::string (by value, const&, &&)
// and std::string_view (by value, const&); a returned std::string comes back as its text; and no
// message, overload listing or error shows libstdc++'s internal spelling of a string type
// (std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char>>): the user
// sees std::string, std::wstring, std::string_view.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {

const char *kFunctions = R"(
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

std::size_t count_a(std::string s) {
  std::size_t n = 0;
  for (char c : s) n += c == 'a';
  return n;
}
std::string shout(const std::string &s) {
  std::string out = s;
  for (char &c : out) if (c >= 'a' && c <= 'z') c -= 32;
  return out + "!";
}
std::string join(std::string_view a, std::string b, const std::string &c, const char *d, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += std::string(a) + b + c + d;
  return out;
}
std::size_t view_length(const std::string_view &v) { return v.size(); }

// The callee takes the temporary's contents: the caller still destroys the moved-from object.
static std::string kept;
void keep(std::string s) { kept = std::move(s); }
void keep_rvalue(std::string &&s) { kept = std::move(s) + "&&"; }
std::string kept_text() { return kept; }
const std::string &kept_ref() { return kept; }
std::size_t kept_size() { return kept.size(); }

std::string empty_text() { return std::string(); }
bool same(std::string a, std::string b) { return a == b; }

// Spelled as its template: shown as std::string anyway.
std::size_t spelled(std::basic_string<char> s) { return s.size(); }

namespace text {
int size(std::string s) { return int(s.size()); }
int size(std::string s, std::string t) { return int(s.size() + t.size()); }
int wide(std::wstring w) { return int(w.size()); }
std::size_t names(std::vector<std::string> v) { return v.size(); }
std::map<std::string, int> table() { return {}; }
}
)";

class CallWithStrings : public ::testing::Test {
protected:
  void SetUp() override {
    project.write("text.cpp", kFunctions);
    hot::Status st = project.start();
    ASSERT_TRUE(st.ok()) << st.message();
  }
  std::string call(const std::string &name, const std::vector<std::string> &args = {}) {
    auto r = project.engine->callByName(name, args);
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().message();
    return r.ok() ? r.value() : "<error>";
  }
  std::string fail(const std::string &name, const std::vector<std::string> &args = {}) {
    auto r = project.engine->callByName(name, args);
    EXPECT_FALSE(r.ok()) << name << " returned " << (r.ok() ? r.value() : "");
    std::string m = r.ok() ? "" : r.status().message();
    // Overload listings end each line with the mangled name to call it by, in brackets: the one
    // place a symbol (not a type name) is shown.
    std::string names = m;
    for (size_t open; (open = names.find('[')) != std::string::npos;)
      names.erase(open, names.find(']', open) - open + 1);
    EXPECT_EQ(names.find("__cxx11"), std::string::npos) << m;
    EXPECT_EQ(names.find("basic_string"), std::string::npos) << m;
    EXPECT_EQ(names.find("char_traits"), std::string::npos) << m;
    return m;
  }
  hot::test::LiveProject project;
};

const std::string kLong = "a text far longer than the small-string buffer of std::string, abracadabra";

TEST_F(CallWithStrings, StringArgumentsByValueAndByReference) {
  EXPECT_EQ(call("count_a", {"banana"}), "3");
  EXPECT_EQ(call("count_a", {""}), "0");
  EXPECT_EQ(call("count_a", {kLong}), "9");
  EXPECT_EQ(call("shout", {"hot"}), "HOT!");
  EXPECT_EQ(call("shout", {kLong}).size(), kLong.size() + 1);
  EXPECT_EQ(call("spelled", {"four"}), "4");
  EXPECT_EQ(call("same", {"x y", "x y"}), "true");
  EXPECT_EQ(call("same", {"x y", "x z"}), "false");
}

TEST_F(CallWithStrings, StringViewsAndMixedArguments) {
  EXPECT_EQ(call("view_length", {"hotengine"}), "9");
  EXPECT_EQ(call("join", {"a", "b", "c", "d", "2"}), "abcdabcd");
  EXPECT_EQ(call("join", {"", kLong, "", "", "1"}), kLong);
}

TEST_F(CallWithStrings, ReturnedStringIsItsText) {
  EXPECT_EQ(call("empty_text"), "");
  EXPECT_EQ(call("kept_text"), "");
  EXPECT_EQ(call("keep", {kLong}), "");
  EXPECT_EQ(call("kept_text"), kLong) << "the callee moved the argument out of the temporary";
  EXPECT_EQ(call("kept_ref"), kLong);
  EXPECT_EQ(call("keep_rvalue", {"moved"}), "");
  EXPECT_EQ(call("kept_text"), "moved&&");
  EXPECT_EQ(call("kept_size"), "7");
  // Many calls: temporaries and returned strings are destroyed, the program's own string is not.
  for (int i = 0; i < 200; ++i) ASSERT_EQ(call("shout", {kLong + std::to_string(i)}).back(), '!');
  EXPECT_EQ(call("kept_text"), "moved&&");
}

TEST_F(CallWithStrings, MessagesNameStringTypesAsWritten) {
  EXPECT_EQ(fail("shout", {"a", "b"}), "'std::string shout(const std::string &)' takes 1 argument, got 2");
  EXPECT_EQ(fail("spelled"), "'std::size_t spelled(std::string)' takes 1 argument, got 0");

  std::string none = fail("text::size", {"1", "2", "3"});
  EXPECT_NE(none.find("'text::size' has 2 overloads and none takes 3 arguments:"),
            std::string::npos) << none;
  EXPECT_NE(none.find("int text::size(std::string)"), std::string::npos) << none;
  EXPECT_NE(none.find("int text::size(std::string, std::string)"), std::string::npos) << none;
  EXPECT_EQ(call("text::size", {"ab", "cde"}), "5");

  EXPECT_EQ(fail("text::wide", {"w"}),
            "cannot call 'int text::wide(std::wstring)': parameter 1 has type std::wstring "
            "which hot call does not support");
  EXPECT_EQ(fail("text::names", {"n"}),
            "cannot call 'std::size_t text::names(std::vector<std::string>)': parameter 1 has type "
            "std::vector<std::string, std::allocator<std::string>> which hot call does not support");
  std::string table = fail("text::table");
  EXPECT_NE(table.find("it returns std::map<std::string, int, std::less<std::string>, "
                       "std::allocator<std::pair<std::string const, int>>> which hot call does "
                       "not support"),
            std::string::npos)
      << table;
}

} // namespace
