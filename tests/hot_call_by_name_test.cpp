// HotEngine::callByName: a JIT function called by name with its arguments as text, converted by
// its recorded signature (libffi); results come back as text. Wrong argument counts and types,
// overload ambiguity and unsupported signatures are refused with messages that name them.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {

const char *kFunctions = R"(
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

int add(int a, int b) { return a + b; }
double scale(double x, int n) { return x * n; }
float tenth(float x) { return x / 10; }
bool is_even(long long v) { return v % 2 == 0; }
bool negate(bool b) { return !b; }
unsigned char wrap(unsigned char c) { return c + 1; }
short shorty(short s) { return s; }
unsigned long long big() { return 18446744073709551615ull; }
char upper(char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }
const char *greet() { return "hello"; }
const char *nothing() { return nullptr; }
std::size_t length(const char *s) { std::size_t n = 0; while (s[n]) ++n; return n; }
std::size_t count(std::string_view s, char c) {
  std::size_t n = 0;
  for (char x : s) n += x == c;
  return n;
}
std::string_view tail(std::string_view s, int n) { return s.substr(s.size() - n); }
std::intptr_t address_of(const void *p) { return reinterpret_cast<std::intptr_t>(p); }
int *offset(int *p, long n) { return p + n; }
void *fixed() { return reinterpret_cast<void *>(0x1234); }
int deref(const int *p) { return *p; }

static int calls = 0;
void bump() { ++calls; }
int bumped() { return calls; }

namespace game {
int score(int lives, int coins) { return lives * 100 + coins; }
int over(int a) { return a; }
int over(int a, int b) { return a + b; }
int pick(int a) { return a; }
int pick(double a) { return int(a * 2); }
std::size_t total(std::vector<int> v) { return v.size(); }
std::vector<int> make() { return {}; }
int sum(int n, ...) { return n; }
}

extern "C" int c_twice(int x) { return 2 * x; }

struct Counter {
  Counter() : n(0) {}
  int get() { return n; }
  int peek() const { return n; }
  int n;
};
int use_counter() { Counter c; return c.get() + c.peek(); }

// Nothing but a plain member function and a static one: the class is known only from the
// declarations, not from constructors, vtables or const qualifiers.
struct Bare {
  int twice() { return 2 * v; }
  static int triple(int x) { return 3 * x; }
  int v;
};
int use_bare() { Bare b{4}; return b.twice() + Bare::triple(1); }
)";

class CallByName : public ::testing::Test {
protected:
  void SetUp() override {
    project.write("functions.cpp", kFunctions);
    hot::Status st = project.start();
    ASSERT_TRUE(st.ok()) << st.message();
  }
  std::string call(const std::string &name, const std::vector<std::string> &args = {}) {
    auto r = project.engine->callByName(name, args);
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().message();
    return r.ok() ? r.value() : "<error>";
  }
  hot::Status fail(const std::string &name, const std::vector<std::string> &args = {}) {
    auto r = project.engine->callByName(name, args);
    EXPECT_FALSE(r.ok()) << name << " returned " << (r.ok() ? r.value() : "");
    return r.status();
  }
  hot::test::LiveProject project;
};

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST_F(CallByName, IntegersFloatingPointAndBool) {
  EXPECT_EQ(call("add", {"3", "4"}), "7");
  EXPECT_EQ(call("add", {"-3", "0x10"}), "13");
  EXPECT_EQ(call("scale", {"1.25", "3"}), "3.75");
  EXPECT_EQ(call("tenth", {"1"}), "0.1"); // shortest text of the float result
  EXPECT_EQ(call("is_even", {"10"}), "true");
  EXPECT_EQ(call("is_even", {"-7"}), "false");
  EXPECT_EQ(call("negate", {"true"}), "false");
  EXPECT_EQ(call("negate", {"0"}), "true");
  EXPECT_EQ(call("wrap", {"255"}), "0");
  EXPECT_EQ(call("shorty", {"-32768"}), "-32768");
  EXPECT_EQ(call("big"), "18446744073709551615");
  EXPECT_EQ(call("upper", {"q"}), "Q");
}

TEST_F(CallByName, TextAndPointers) {
  EXPECT_EQ(call("greet"), "hello");
  EXPECT_EQ(call("nothing"), "(null)");
  EXPECT_EQ(call("length", {"hotengine"}), "9");
  EXPECT_EQ(call("length", {""}), "0");
  EXPECT_EQ(call("count", {"banana", "a"}), "3");
  EXPECT_EQ(call("tail", {"hot reload", "6"}), "reload");
  EXPECT_EQ(call("address_of", {"0x1234"}), "4660");
  EXPECT_EQ(call("address_of", {"0"}), "0");
  EXPECT_EQ(call("address_of", {"null"}), "0");
  EXPECT_EQ(call("offset", {"0x1000", "4"}), "0x1010");
  EXPECT_EQ(call("fixed"), "0x1234");
  int value = 42;
  char addr[32];
  std::snprintf(addr, sizeof addr, "%p", static_cast<void *>(&value));
  EXPECT_EQ(call("deref", {addr}), "42");
}

TEST_F(CallByName, VoidFunctionsRunForTheirEffect) {
  EXPECT_EQ(call("bumped"), "0");
  EXPECT_EQ(call("bump"), "");
  EXPECT_EQ(call("bump"), "");
  EXPECT_EQ(call("bumped"), "2");
}

TEST_F(CallByName, QualifiedMangledAndExternCNames) {
  EXPECT_EQ(call("game::score", {"3", "42"}), "342");
  EXPECT_EQ(call("_ZN4game5scoreEii", {"1", "2"}), "102");
  EXPECT_EQ(call("c_twice", {"21"}), "42");
  hot::Status st = fail("score", {"1", "2"});
  EXPECT_EQ(st.code(), hot::ErrorCode::NotFound);
  EXPECT_TRUE(contains(st.message(), "no reloadable function named 'score'")) << st.message();
}

TEST_F(CallByName, OverloadChosenByArgumentCount) {
  EXPECT_EQ(call("game::over", {"5"}), "5");
  EXPECT_EQ(call("game::over", {"5", "6"}), "11");
  hot::Status none = fail("game::over", {"1", "2", "3"});
  EXPECT_EQ(none.code(), hot::ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(none.message(), "none takes 3 arguments")) << none.message();
  EXPECT_TRUE(contains(none.message(), "int game::over(int)")) << none.message();
  EXPECT_TRUE(contains(none.message(), "int game::over(int, int)")) << none.message();

  hot::Status ambiguous = fail("game::pick", {"2"});
  EXPECT_TRUE(contains(ambiguous.message(), "ambiguous")) << ambiguous.message();
  EXPECT_TRUE(contains(ambiguous.message(), "_ZN4game4pickEd")) << ambiguous.message();
  EXPECT_EQ(call("_ZN4game4pickEd", {"2.5"}), "5");
  EXPECT_EQ(call("_ZN4game4pickEi", {"2"}), "2");
}

TEST_F(CallByName, WrongArgumentCountIsRefused) {
  hot::Status st = fail("add", {"1", "2", "3"});
  EXPECT_EQ(st.code(), hot::ErrorCode::InvalidArgument);
  EXPECT_EQ(st.message(), "'int add(int, int)' takes 2 arguments, got 3");
  EXPECT_EQ(fail("greet", {"x"}).message(), "'const char * greet()' takes 0 arguments, got 1");
}

TEST_F(CallByName, WrongArgumentTypeNamesTheArgument) {
  hot::Status st = fail("add", {"1", "two"});
  EXPECT_EQ(st.code(), hot::ErrorCode::InvalidArgument);
  EXPECT_TRUE(contains(st.message(), "argument 2")) << st.message();
  EXPECT_TRUE(contains(st.message(), "'two'")) << st.message();
  EXPECT_TRUE(contains(st.message(), "expected int")) << st.message();
  EXPECT_EQ(st.message(),
            "argument 2 of 'int add(int, int)': expected int, got 'two' (not a number)");

  EXPECT_TRUE(contains(fail("add", {"1.5", "2"}).message(), "argument 1")); // no silent rounding
  EXPECT_TRUE(contains(fail("add", {"4000000000", "2"}).message(), "out of range"));
  EXPECT_TRUE(contains(fail("add", {" 1", "2"}).message(), "argument 1"));
  EXPECT_TRUE(contains(fail("wrap", {"256"}).message(), "out of range"));
  EXPECT_TRUE(contains(fail("wrap", {"-1"}).message(), "expected unsigned char"));
  EXPECT_TRUE(contains(fail("negate", {"yes"}).message(), "expected bool"));
  EXPECT_TRUE(contains(fail("scale", {"1.5x", "2"}).message(), "expected double"));
  EXPECT_TRUE(contains(fail("upper", {"ab"}).message(), "expected char"));
  EXPECT_TRUE(contains(fail("address_of", {"here"}).message(), "argument 1"));
}

TEST_F(CallByName, UnsupportedSignaturesAreRefusedBeforeCalling) {
  hot::Status param = fail("game::total", {"1"});
  EXPECT_EQ(param.code(), hot::ErrorCode::InvalidArgument);
  EXPECT_EQ(param.message(),
            "cannot call 'std::size_t game::total(std::vector<int>)': parameter 1 has type "
            "std::vector<int, std::allocator<int>> which hot call does not support");

  hot::Status ret = fail("game::make");
  EXPECT_TRUE(contains(ret.message(), "returns std::vector<int")) << ret.message();
  EXPECT_TRUE(contains(fail("game::sum", {"1"}).message(), "variadic"));

  hot::Status method = fail("Counter::get");
  EXPECT_TRUE(contains(method.message(), "member function of 'Counter'")) << method.message();
  EXPECT_TRUE(contains(fail("Counter::peek").message(), "member function"));
  EXPECT_TRUE(contains(fail("Bare::twice").message(), "member function of 'Bare'"));
  EXPECT_EQ(call("Bare::triple", {"5"}), "15") << "a static member function needs no object";
}

TEST_F(CallByName, ReachesTheNewestBodyAfterAnEdit) {
  EXPECT_EQ(call("add", {"2", "2"}), "4");
  std::string edited = kFunctions;
  edited.replace(edited.find("return a + b;"), 13, "return a * b + 1;");
  hot::ReloadEvent e = project.edit("functions.cpp", edited);
  ASSERT_TRUE(e.success) << e.message;
  EXPECT_EQ(call("add", {"2", "3"}), "7");
}

} // namespace
