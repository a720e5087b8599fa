// Differential check of function-level recompiles: one sequence of edits (bodies, a constant
// also used through a constexpr function, an enumerator, a member type and initializer, a
// virtual method, templates, a lambda, a comment, a new function, a signature) is applied twice, with Config::function_patches on and off; after every edit the
// same calls must give the same results.
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

const Edit kEdits[] = {
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

const char *kProbes[] = {"cartTotal", "shipping", "sorted", "boxes", "tiers",
                         "names",     "rated",    "defaults", "calls"};

/// Results of every probe after the first load and after each edit (-1: not callable).
struct EditRun {
  std::vector<std::vector<long>> results;
  std::vector<bool> partial;
  std::string failure;
};

std::vector<long> probe(hot::test::LiveProject &p) {
  std::vector<long> out;
  for (const char *name : kProbes) {
    auto fn = p.fn<int()>(name);
    out.push_back(fn ? fn() : -1);
  }
  auto withParam = p.fn<int(int)>("boxes"); // after the signature edit
  out.push_back(withParam ? withParam(0) : -1);
  return out;
}

EditRun runEdits(bool patches) {
  hot::Config config;
  config.function_patches = patches;
  hot::test::LiveProject p(config);
  std::string text = kUnit;
  p.write("shop.cpp", text);
  EditRun run;
  if (hot::Status st = p.start(); !st.ok()) {
    run.failure = st.message();
    return run;
  }
  run.results.push_back(probe(p));
  for (const Edit &e : kEdits) {
    size_t at = text.find(e.from);
    if (at == std::string::npos) {
      run.failure = std::string("test bug: '") + e.from + "' not found";
      return run;
    }
    text.replace(at, std::string(e.from).size(), e.to);
    hot::ReloadEvent ev = p.edit("shop.cpp", text);
    if (!ev.success) {
      run.failure = std::string(e.what) + ": " + ev.message;
      return run;
    }
    run.partial.push_back(ev.partial);
    run.results.push_back(probe(p));
  }
  return run;
}

TEST(FunctionPatchDifferential, SameResultsAsFullRecompiles) {
  EditRun full = runEdits(false);
  ASSERT_TRUE(full.failure.empty()) << full.failure;
  EditRun patched = runEdits(true);
  ASSERT_TRUE(patched.failure.empty()) << patched.failure;
  ASSERT_EQ(full.results.size(), patched.results.size());
  for (size_t i = 0; i < full.results.size(); ++i)
    EXPECT_EQ(full.results[i], patched.results[i])
        << (i == 0 ? "first load" : std::string("after edit: ") + kEdits[i - 1].what);
  size_t partial = 0;
  for (size_t i = 0; i < patched.partial.size(); ++i) {
    partial += patched.partial[i];
    EXPECT_FALSE(full.partial[i]) << "function_patches=false compiles whole units";
  }
  // Every edit but the new function and the signature change stays a function-level one.
  EXPECT_GE(partial, std::size(kEdits) - 2);
  EXPECT_FALSE(patched.partial[std::size(kEdits) - 2]) << "a new function is a full recompile";
}

} // namespace
