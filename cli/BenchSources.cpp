// hot bench: the generated C++ units the latency, load and memory sections compile.
#include "cli/Bench.h"

namespace hot::cli::bench {
namespace {

std::string replaceAll(std::string text, const std::string &from, const std::string &to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// Realistic game-ish code: the kind of file people edit while a program runs.
const char *kStdUnit = R"(// Inventory and event handling for a small game.
#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace game {

constexpr int kValue = @VALUE@;
bool debugOutput = false;

struct Item {
  std::string name;
  int weight = 0;
  int value = 0;
};

class Inventory {
public:
  void add(const Item &item) {
    auto it = index_.find(item.name);
    if (it != index_.end()) {
      items_[it->second].weight += item.weight;
      return;
    }
    index_.emplace(item.name, items_.size());
    items_.push_back(item);
  }
  int totalWeight() const {
    int total = 0;
    for (const Item &i : items_) total += i.weight;
    return total;
  }
  std::vector<Item> heaviest(size_t n) const {
    std::vector<Item> sorted = items_;
    std::sort(sorted.begin(), sorted.end(),
              [](const Item &a, const Item &b) { return a.weight > b.weight; });
    if (sorted.size() > n) sorted.resize(n);
    return sorted;
  }
  const Item *find(const std::string &name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &items_[it->second];
  }
  size_t size() const { return items_.size(); }

private:
  std::vector<Item> items_;
  std::unordered_map<std::string, size_t> index_;
};

template <typename T, size_t N> class RingBuffer {
public:
  void push(const T &value) {
    data_[head_] = value;
    head_ = (head_ + 1) % N;
    if (count_ < N) ++count_;
  }
  template <typename F> void forEach(F &&fn) const {
    for (size_t i = 0; i < count_; ++i) fn(data_[(head_ + N - count_ + i) % N]);
  }
  size_t size() const { return count_; }

private:
  T data_[N] = {};
  size_t head_ = 0, count_ = 0;
};

class EventBus {
public:
  using Handler = std::function<void(const std::string &, int)>;
  void subscribe(const std::string &topic, Handler handler) {
    handlers_[topic].push_back(std::move(handler));
  }
  int publish(const std::string &topic, int payload) const {
    auto it = handlers_.find(topic);
    if (it == handlers_.end()) return 0;
    for (const Handler &h : it->second) h(topic, payload);
    return int(it->second.size());
  }

private:
  std::unordered_map<std::string, std::vector<Handler>> handlers_;
};

struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
  virtual std::string name() const = 0;
};
struct Rect : Shape {
  double w, h;
  Rect(double w, double h) : w(w), h(h) {}
  double area() const override { return w * h; }
  std::string name() const override { return "rect"; }
};
struct Circle : Shape {
  double r;
  explicit Circle(double r) : r(r) {}
  double area() const override { return 3.14159 * r * r; }
  std::string name() const override { return "circle"; }
};

template <typename Range, typename Pred> int countIf(const Range &range, Pred pred) {
  return int(std::count_if(std::begin(range), std::end(range), pred));
}

double totalArea(const std::vector<std::unique_ptr<Shape>> &shapes) {
  double sum = 0;
  for (const auto &s : shapes) sum += s->area();
  return sum;
}

void debugPrint(const Inventory &inv) {
  for (const Item &i : inv.heaviest(3))
    std::cerr << i.name << " weighs " << i.weight << " (worth " << i.value << ")\n";
}

int simulate() {
  Inventory inv;
  inv.add({"sword", 12, 100});
  inv.add({"shield", 20, 80});
  inv.add({"potion", 1, 25});
  inv.add({"sword", 3, 100});
  RingBuffer<int, 8> recent;
  EventBus bus;
  int received = 0;
  bus.subscribe("pickup", [&](const std::string &, int w) { received += w; recent.push(w); });
  for (const Item &i : inv.heaviest(inv.size())) bus.publish("pickup", i.weight);
  std::vector<std::unique_ptr<Shape>> shapes;
  shapes.push_back(std::make_unique<Rect>(2.0, 3.0));
  shapes.push_back(std::make_unique<Circle>(1.0));
  int big = countIf(shapes, [](const auto &s) { return s->area() > 3.0; });
  int sum = 0;
  recent.forEach([&](int w) { sum += w; });
  if (debugOutput) debugPrint(inv);
  return @RESULT@;
}

} // namespace game

extern "C" int bench_value() {
  @CALL@
}
)";

const char *kSharedHeader = R"(// Shared by every unit of the project: a version constant and common types.
#pragma once
#include <string>
#include <vector>

namespace proj {
constexpr int kVersion = @VALUE@;

struct Record {
  std::string name;
  int score = 0;
};

inline int sumScores(const std::vector<Record> &records) {
  int sum = 0;
  for (const Record &r : records) sum += r.score;
  return sum;
}
} // namespace proj
)";

const char *kHeaderUnit = R"(#include "common.h"

namespace {
std::vector<proj::Record> records_@K@() {
  return {{"alpha", @K@}, {"beta", 2 * @K@}, {"gamma", 3}};
}
} // namespace

extern "C" int unit_@K@_value() {
  static int scores = proj::sumScores(records_@K@());
  (void)scores;
  return proj::kVersion * 100 + @K@;
}
)";

const char *kLoadUnit = R"(// Module @K@: a small component with its own state.
#include <string>
#include <vector>

namespace module_@K@ {

struct Entry {
  std::string key;
  std::vector<int> values;
};

class Table {
public:
  void put(const std::string &key, int value) {
    for (Entry &e : entries_)
      if (e.key == key) {
        e.values.push_back(value);
        return;
      }
    entries_.push_back({key, {value}});
  }
  int sum(const std::string &key) const {
    for (const Entry &e : entries_)
      if (e.key == key) {
        int s = 0;
        for (int v : e.values) s += v;
        return s;
      }
    return 0;
  }
  std::string describe() const {
    std::string out;
    for (const Entry &e : entries_) out += e.key + "=" + std::to_string(e.values.size()) + ";";
    return out;
  }

private:
  std::vector<Entry> entries_;
};

Table &table() {
  static Table t;
  return t;
}

} // namespace module_@K@

int module_@K@_run(int n) {
  for (int i = 0; i < n; ++i) module_@K@::table().put(i % 2 ? "odd" : "even", i);
  return module_@K@::table().sum("odd") + int(module_@K@::table().describe().size());
}
)";

} // namespace

std::string noIncludeUnit(int v) {
  return "extern \"C\" int bench_value() { return " + std::to_string(v) + "; }\n";
}
const char *kResult = "received + sum + big + int(totalArea(shapes)) + inv.totalWeight()";

std::string stdIncludeUnit(int v) {
  std::string text = replaceAll(kStdUnit, "@VALUE@", std::to_string(v));
  text = replaceAll(text, "@RESULT@", kResult);
  return replaceAll(text, "@CALL@", "static int warm = game::simulate(); // runs the code once\n"
                                    "  (void)warm;\n  return game::kValue;");
}
std::string stdBodyEditUnit(int v) {
  std::string text = replaceAll(kStdUnit, "@VALUE@", "0");
  text = replaceAll(text, "@RESULT@",
                    "(" + std::string(kResult) + ") * 0 + " + std::to_string(v));
  return replaceAll(text, "@CALL@", "return game::simulate();");
}
std::string regexBodyEditUnit(int v) {
  return R"(#include <chrono>
#include <map>
#include <regex>
#include <string>
static std::map<std::string, int> seen;
extern "C" int bench_value() {
  std::regex re("([a-z]+)@([a-z]+)\\.com");
  std::string text = "ab@cd.com, x@y.org, ef@gh.com";
  int n = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
    seen[(*it)[1]] += ++n;
  auto t = std::chrono::steady_clock::now().time_since_epoch().count();
  return (n + int(t & 1)) * 0 + )" + std::to_string(v) + R"(;
}
)";
}
std::string jsonBodyEditUnit(int v) {
  return R"(#include <nlohmann/json.hpp>
#include <string>
extern "C" int bench_value() {
  nlohmann::json j = nlohmann::json::parse(R"J({"v": )" + std::to_string(v) + R"(, "list": [1, 2, 3]})J");
  j["list"].push_back(j["v"]);
  j["copy"] = j["v"];
  std::string out = j.dump();
  return j["copy"].get<int>() + int(out.size()) * 0;
}
)";
}
std::string sharedHeader(int v) { return replaceAll(kSharedHeader, "@VALUE@", std::to_string(v)); }
std::string headerUnit(int k) { return replaceAll(kHeaderUnit, "@K@", std::to_string(k)); }
std::string loadUnit(int k) { return replaceAll(kLoadUnit, "@K@", std::to_string(k)); }

} // namespace hot::cli::bench
