// Differential check of function-level recompiles. Each scenario is a unit and a sequence of
// edits (bodies, constants, enumerators, member types and initializers, virtuals in and out of
// class, templates, lambdas, overloads, linkage kinds, macros, a comment, a new function, a
// signature) applied three times: with Config::function_patches off, on, and on with
// Config::reuse_inline_code (inline functions and template instantiations taken from the
// running version): after every edit the same calls must give the same results.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "TestSupport.h"

namespace {

const char *kUnit = R"(#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace shop {
constexpr int kTax = 10;
constexpr int rate() { return kTax * 2; }
enum class Tier { Basic = 1, Gold = 3 };
struct Item {
  std::string name;
  int price = 0;
  int qty = 1;
};
static int clampPrice(int p) { return std::max(0, p); }
namespace {
int discount(Tier t) { return t == Tier::Gold ? 20 : 5; }
} // namespace
class Cart {
public:
  explicit Cart(Tier t) : tier_(t) {}
  virtual ~Cart() = default;
  void add(Item i) { items_.push_back(std::move(i)); }
  int subtotal() const {
    int s = 0;
    for (const auto &i : items_) s += clampPrice(i.price) * i.qty;
    return s;
  }
  int total() const {
    int s = subtotal();
    return s + s * kTax / 100 - s * discount(tier_) / 100;
  }
  virtual int shipping() const { return 7; }

private:
  Tier tier_;
  std::vector<Item> items_;
};
struct Express : Cart {
  using Cart::Cart;
  int shipping() const override { return 15; }
};
template <typename T> T twice(T v) { return v + v; }
template <typename T> struct Box {
  T v;
  T get() const { return v; }
};
int counter() {
  static int n = 0;
  return ++n;
}
std::unique_ptr<Cart> makeCart(bool express) {
  if (express) return std::make_unique<Express>(Tier::Basic);
  return std::make_unique<Cart>(Tier::Basic);
}
} // namespace shop

// Probes
int cartTotal() {
  shop::Cart c(shop::Tier::Gold);
  c.add({"a", 100, 2});
  c.add({"b", -5, 1});
  return c.total();
}
int shipping() { return shop::makeCart(true)->shipping() * 100 + shop::makeCart(false)->shipping(); }
int sorted() {
  std::vector<int> v{3, 1, 2};
  std::sort(v.begin(), v.end(), [](int a, int b) { return a > b; });
  return v[0] * 100 + v[1] * 10 + v[2];
}
int boxes() {
  shop::Box<int> b{21};
  return shop::twice(b.get());
}
int rated() { return shop::rate(); }
int defaults() {
  shop::Item i;
  return i.price * 10 + int(i.qty);
}
int tiers() { return int(shop::Tier::Gold) * 10 + int(shop::Tier::Basic); }
int calls() { return shop::counter(); }
int names() {
  std::map<std::string, int> m;
  m["x"] = 1;
  m["yy"] = 2;
  int s = 0;
  for (const auto &[k, v] : m) s += int(k.size()) * v;
  return s;
}
)";

struct Edit {
  const char *what, *from, *to;
};

const std::vector<Edit> kShopEdits = {
    {"constant", "kTax = 10;", "kTax = 25;"},
    {"enumerator", "Gold = 3 }", "Gold = 4 }"},
    {"static function body", "std::max(0, p)", "std::max(1, p)"},
    {"anonymous-namespace body", "? 20 : 5", "? 30 : 5"},
    {"in-class method body", "* i.qty;", "* i.qty * 2;"},
    {"virtual override body", "return 15;", "return 16;"},
    {"function template body", "return v + v;", "return v + v + v;"},
    {"class template method body", "T get() const { return v; }",
     "T get() const { return v + 1; }"},
    {"lambda in a body", "return a > b;", "return a < b;"},
    {"member type", "int qty = 1;", "long qty = 1;"},
    {"default member initializer", "int price = 0;", "int price = 3;"},
    {"comment", "// Probes", "// Probes (the functions the test calls)"},
    {"body using state", "int calls() { return shop::counter(); }",
     "int calls() { return shop::counter() * 10; }"},
    {"new function", "int tiers()", "int extra() { return 5; }\nint tiers()"},
    {"signature", "int boxes() {", "int boxes(int k = 0) {\n  (void)k;"},
};

// Virtual functions defined out of line (the vtable goes with the key function), a class in an
// anonymous namespace, overloads, extern "C", a function-try-block, a namespace-scope lambda,
// a static data member and a static member function with a local static.
const char *kZoo = R"(#include <string>
#include <vector>

namespace zoo {
struct Animal {
  virtual ~Animal();
  virtual int legs() const;
  virtual std::string name() const { return "animal"; }
  static int created;
};
int Animal::created = 0;
Animal::~Animal() {}
int Animal::legs() const { return 4; }
namespace {
struct Bird : Animal {
  int legs() const override { return 2; }
  std::string name() const override { return "bird"; }
};
int secret(int x) { return x * 3; }
} // namespace
struct Snake final : Animal {
  Snake();
  int legs() const override;
};
Snake::Snake() { ++created; }
int Snake::legs() const { return 0; }
int area(int w) { return w * w; }
int area(int w, int h) { return w * h; }
extern "C" int c_api(int v) { return v + 1; }
int safeDiv(int a, int b) try {
  if (!b) throw 1;
  return a / b;
} catch (...) {
  return -1;
}
auto square = [](int v) { return v * v; };
struct Pen {
  explicit Pen(int c);
  int cap;
};
Pen::Pen(int c) : cap(c * 2) {}
struct Counter {
  static int next() {
    static int n = 0;
    return ++n;
  }
};
} // namespace zoo

int legsTotal() {
  std::vector<zoo::Animal *> v{new zoo::Animal, new zoo::Bird, new zoo::Snake};
  int s = 0;
  for (auto *a : v) s += a->legs();
  for (auto *a : v) delete a;
  return s;
}
int nameLen() { return int(zoo::Bird().name().size()) * 10 + int(zoo::Animal().name().size()); }
int created() { return zoo::Animal::created; }
int math() { return zoo::area(3) * 100 + zoo::area(2, 5) + zoo::secret(1) * 1000; }
int misc() { return zoo::c_api(1) * 100 + zoo::safeDiv(7, 0) + 10 * zoo::square(2); }
int counter() { return zoo::Counter::next(); }
int pen() { return zoo::Pen(5).cap; }
)";

const std::vector<Edit> kZooEdits = {
    {"out-of-line virtual (key-function class)", "return 4; }", "return 5; }"},
    {"override in an anonymous-namespace class", "return 2; }", "return 3; }"},
    {"anonymous-namespace function", "return x * 3;", "return x * 4;"},
    {"out-of-line constructor", "{ ++created; }", "{ created += 2; }"},
    {"one overload", "return w * h;", "return w * h + 1;"},
    {"extern \"C\" function", "return v + 1;", "return v + 2;"},
    {"function-try-block", "return -1;", "return -2;"},
    {"namespace-scope lambda", "return v * v;", "return v * v * v;"},
    {"static data member initializer", "created = 0;", "created = 10;"},
    {"static member function with a static", "return ++n;", "return n += 2;"},
    {"in-class virtual of a local class", "return \"bird\";", "return \"birdie\";"},
    {"constructor member initializer", "cap(c * 2)", "cap(c * 3)"},
};

// C-style code: a using-directive, a macro, a typedef, a const global, an inline function in a
// namespace reached through a using-declaration, a member function defined out of line.
const char *kPlain = R"(#include <string>
#include <vector>
using namespace std;
#define SCALE 3
const int kLimit = 4;
typedef vector<int> Ints;
static Ints make() {
  Ints v;
  for (int i = 0; i < kLimit; ++i) v.push_back(i * SCALE);
  return v;
}
namespace util {
inline int total(const Ints &v) {
  int s = 0;
  for (int x : v) s += x;
  return s;
}
} // namespace util
using util::total;
struct Acc {
  int base = 1;
  int add(int v) const;
};
int Acc::add(int v) const { return base + v; }
int probeA() { return total(make()); }
int probeB() { Acc a; return a.add(10); }
int probeC() { string s = "abc"; return int(s.size()) * kLimit; }
)";

const std::vector<Edit> kPlainEdits = {
    {"const global", "kLimit = 4", "kLimit = 5"},
    {"default member initializer", "int base = 1;", "int base = 7;"},
    {"out-of-line member function", "return base + v;", "return base * v;"},
    {"inline function behind a using-declaration", "s += x;", "s += 2 * x;"},
    {"body using a macro", "i * SCALE", "i * SCALE + 1"},
    {"string literal", "\"abc\"", "\"abcd\""},
};

struct Scenario {
  const char *file, *text;
  const std::vector<Edit> &edits;
  std::vector<const char *> probes; ///< int() functions; "name(int)" calls name(0).
};

/// Results of every probe after the first load and after each edit (-1: not callable).
struct EditRun {
  std::vector<std::vector<long>> results;
  std::vector<bool> partial;
  unsigned reused = 0; ///< Functions taken from the running version, over all edits.
  std::string failure;
};

std::vector<long> probe(hot::test::LiveProject &p, const Scenario &sc) {
  std::vector<long> out;
  for (std::string name : sc.probes) {
    bool one_int = name.size() > 5 && name.substr(name.size() - 5) == "(int)";
    if (one_int) {
      auto fn = p.fn<int(int)>(name.substr(0, name.size() - 5));
      out.push_back(fn ? fn(0) : -1);
    } else {
      auto fn = p.fn<int()>(name);
      out.push_back(fn ? fn() : -1);
    }
  }
  return out;
}

EditRun runEdits(const Scenario &sc, bool patches, bool reuse) {
  hot::Config config;
  config.function_patches = patches;
  config.reuse_inline_code = reuse;
  hot::test::LiveProject p(config);
  std::string text = sc.text;
  p.write(sc.file, text);
  EditRun run;
  if (hot::Status st = p.start(); !st.ok()) {
    run.failure = st.message();
    return run;
  }
  run.results.push_back(probe(p, sc));
  for (const Edit &e : sc.edits) {
    size_t at = text.find(e.from);
    if (at == std::string::npos) {
      run.failure = std::string("test bug: '") + e.from + "' not found";
      return run;
    }
    text.replace(at, std::string(e.from).size(), e.to);
    hot::ReloadEvent ev = p.edit(sc.file, text);
    if (!ev.success) {
      run.failure = std::string(e.what) + ": " + ev.message;
      return run;
    }
    run.partial.push_back(ev.partial);
    run.reused += ev.reused_functions;
    run.results.push_back(probe(p, sc));
  }
  return run;
}

/// Runs `sc` with patches off, on without reuse and on with it; returns how many edits were
/// function-level. `reuses`: some edited body instantiates what the running version has.
size_t expectSameResults(const Scenario &sc, bool reuses) {
  EditRun full = runEdits(sc, false, false);
  EXPECT_TRUE(full.failure.empty()) << "patches off: " << full.failure;
  EditRun plain = runEdits(sc, true, false);
  EXPECT_TRUE(plain.failure.empty()) << "patches on, no reuse: " << plain.failure;
  EditRun patched = runEdits(sc, true, true);
  EXPECT_TRUE(patched.failure.empty()) << "patches on: " << patched.failure;
  if (!full.failure.empty() || !patched.failure.empty() || !plain.failure.empty()) return 0;
  EXPECT_EQ(plain.reused, 0u) << "reuse_inline_code=false reuses nothing";
  if (reuses) EXPECT_GT(patched.reused, 0u) << "body edits reuse the running version's code";
  for (size_t i = 0; i < std::min(full.results.size(), plain.results.size()); ++i)
    EXPECT_EQ(full.results[i], plain.results[i])
        << "no reuse, " << (i == 0 ? "first load" : std::string("after edit: ") + sc.edits[i - 1].what);
  EXPECT_EQ(full.results.size(), patched.results.size());
  for (size_t i = 0; i < std::min(full.results.size(), patched.results.size()); ++i)
    EXPECT_EQ(full.results[i], patched.results[i])
        << (i == 0 ? "first load" : std::string("after edit: ") + sc.edits[i - 1].what);
  size_t partial = 0;
  for (size_t i = 0; i < patched.partial.size(); ++i) {
    partial += patched.partial[i];
    EXPECT_FALSE(full.partial[i]) << "function_patches=false compiles whole units";
  }
  return partial;
}

TEST(FunctionPatchDifferential, ClassesTemplatesConstantsAndState) {
  Scenario sc{"shop.cpp", kUnit, kShopEdits,
              {"cartTotal", "shipping", "sorted", "boxes", "tiers", "names", "rated", "defaults",
               "calls", "boxes(int)"}};
  // Every edit but the new function stays a function-level one.
  EXPECT_EQ(expectSameResults(sc, true), kShopEdits.size() - 1);
}

TEST(FunctionPatchDifferential, UsingDirectiveMacrosTypedefs) {
  Scenario sc{"plain.cpp", kPlain, kPlainEdits, {"probeA", "probeB", "probeC"}};
  EXPECT_EQ(expectSameResults(sc, true), kPlainEdits.size());
}

TEST(FunctionPatchDifferential, VirtualsLinkageOverloadsAndLambdas) {
  Scenario sc{"zoo.cpp", kZoo, kZooEdits,
              {"legsTotal", "nameLen", "created", "math", "misc", "counter", "pen"}};
  // Its edited bodies instantiate nothing the running version has: nothing to reuse.
  EXPECT_EQ(expectSameResults(sc, false), kZooEdits.size());
}

} // namespace
