// hot bench, section "latency": time from writing a file to the first call that returns the
// new value. The engine (inotify, debounce, in-process compile, link, update()) is measured next
// to the out-of-process way jet-live and cr.h work (clang++ -shared, dlopen a new file, dlsym,
// call), edit by edit in the same run so both see the same machine load.
#include "cli/Bench.h"

#include <algorithm>
#include <functional>

namespace hot::cli::bench {
namespace {

struct Case {
  const char *key, *label;
  std::vector<std::string> units;     ///< Units the out-of-process build compiles.
  std::string edited;                 ///< The file each edit rewrites.
  std::function<std::string(const std::string &file, int v)> text; ///< Content at value v.
  std::vector<std::string> functions; ///< extern "C" int name(); function k returns expect(v, k).
  int (*expect)(int v, size_t k);
};

Case singleUnitCase(const char *key, const char *label, std::string (*unit)(int)) {
  Case c{key, label, {"value.cpp"}, "value.cpp", nullptr, {"bench_value"}, nullptr};
  c.text = [unit](const std::string &, int v) { return unit(v); };
  c.expect = [](int v, size_t) { return v; };
  return c;
}

Case headerCase() {
  Case c{"header_10_units", "header edit, 10 units", {}, "common.h", nullptr, {}, nullptr};
  for (int k = 0; k < 10; ++k) {
    c.units.push_back("unit" + std::to_string(k) + ".cpp");
    c.functions.push_back("unit_" + std::to_string(k) + "_value");
  }
  c.text = [](const std::string &file, int v) {
    if (file == "common.h") return sharedHeader(v);
    return headerUnit(std::stoi(file.substr(4))); // "unit<k>.cpp"
  };
  c.expect = [](int v, size_t k) { return v * 100 + int(k); };
  return c;
}

std::vector<Case> cases() {
  return {singleUnitCase("no_includes", "unit without includes", noIncludeUnit),
          singleUnitCase("std_includes", "150-line unit, 7 std headers, edit a constant", stdIncludeUnit),
          singleUnitCase("std_includes_body_edit", "same unit, edit inside simulate()",
                         stdBodyEditUnit),
          singleUnitCase("regex_body_edit", "<regex> unit, edit the regex body", regexBodyEditUnit),
          singleUnitCase("json_body_edit", "<nlohmann/json.hpp> unit, edit a body",
                         jsonBodyEditUnit),
          headerCase()};
}

void writeAll(const TempDir &dir, const Case &c, int v) {
  for (auto &u : c.units) writeFile(dir.file(u), c.text(u, v));
  if (std::find(c.units.begin(), c.units.end(), c.edited) == c.units.end())
    writeFile(dir.file(c.edited), c.text(c.edited, v));
}

std::vector<int> expected(const Case &c, int v) {
  std::vector<int> out;
  for (size_t k = 0; k < c.functions.size(); ++k) out.push_back(c.expect(v, k));
  return out;
}

/// The engine's side: one engine watching its own folder for the whole case.
struct InProcess {
  TempDir dir{"latency"};
  std::unique_ptr<LiveEngine> live;
  std::vector<hot::Function<int()>> fns;

  InProcess(const Case &c, int v) {
    writeAll(dir, c, v);
    live = std::make_unique<LiveEngine>(dir.path().string());
    for (auto &name : c.functions) fns.push_back(live->function(name));
    live->waitForValues(fns, expected(c, v));
  }
  std::vector<double> compile_ms, link_ms;

  double edit(const Case &c, int v) {
    auto start = Clock::now();
    writeFile(dir.file(c.edited), c.text(c.edited, v));
    ReloadTimes t = live->waitForValues(fns, expected(c, v));
    double ms = msSince(start);
    compile_ms.push_back(t.compile_ms);
    link_ms.push_back(t.link_ms);
    return ms;
  }
};

/// The jet-live / cr.h side: a fresh shared library per edit, the old one closed afterwards.
struct OutOfProcess {
  TempDir dir{"latency-oop"};
  unsigned next = 0;
  std::unique_ptr<Library> library;

  OutOfProcess(const Case &c, int v) { writeAll(dir, c, v); }
  void build(const Case &c, const std::string &so) {
    if (c.units.size() == 1) {
      run({clangxx(), "-std=c++20", "-O0", "-fPIC", "-shared", "-o", so, dir.file(c.units[0])});
      return;
    }
    std::vector<std::vector<std::string>> compiles;
    std::vector<std::string> link = {clangxx(), "-shared", "-o", so};
    for (auto &u : c.units) {
      compiles.push_back({clangxx(), "-std=c++20", "-O0", "-fPIC", "-c", "-o", dir.file(u + ".o"),
                          dir.file(u)});
      link.push_back(dir.file(u + ".o"));
    }
    runParallel(compiles, 2); // like make -j2 on this 2-core machine
    run(link);
  }
  double edit(const Case &c, int v) {
    auto start = Clock::now();
    writeFile(dir.file(c.edited), c.text(c.edited, v));
    std::string so = dir.file("lib" + std::to_string(next++) + ".so"); // dlopen caches by name
    build(c, so);
    auto fresh = std::make_unique<Library>(so);
    for (size_t k = 0; k < c.functions.size(); ++k) {
      auto fn = reinterpret_cast<int (*)()>(fresh->symbol(c.functions[k]));
      if (fn() != c.expect(v, k)) throw Failure(c.functions[k] + " returned a stale value");
    }
    double ms = msSince(start);
    library = std::move(fresh);
    return ms;
  }
};

std::string oopCommand(const Case &c) {
  if (c.units.size() == 1)
    return "clang++-22 -std=c++20 -O0 -fPIC -shared -o libN.so value.cpp; dlopen; dlsym; call";
  return "10 x clang++-22 -std=c++20 -O0 -fPIC -c (2 at a time), clang++-22 -shared -o libN.so; "
         "dlopen; dlsym x10; call x10";
}

Json runCase(const Case &c, unsigned edits) {
  InProcess engine(c, 1);
  OutOfProcess oop(c, 1);
  std::vector<double> engine_ms, oop_ms;
  for (unsigned i = 0; i < edits; ++i) {
    int v = int(i) + 2;
    engine_ms.push_back(engine.edit(c, v));
    oop_ms.push_back(oop.edit(c, v));
  }
  Json in = summarize(engine_ms, "ms"), out = summarize(oop_ms, "ms");
  in["compile_ms_sum_over_units"] = summarize(engine.compile_ms, "ms");
  in["link_ms_sum_over_units"] = summarize(engine.link_ms, "ms");
  out["command"] = oopCommand(c);
  double speedup = out["median_ms"].get<double>() / in["median_ms"].get<double>();
  return Json{{"label", c.label},
              {"units", c.units.size()},
              {"edited", c.edited},
              {"hotengine", in},
              {"out_of_process", out},
              {"speedup_median", speedup}};
}

} // namespace

Json runLatency(const Options &opts) {
  Json result = Json::object();
  for (const Case &c : cases()) {
    std::fprintf(stderr, "hot bench: latency: %s (%u edits)...\n", c.label, opts.edits);
    result[c.key] = runCase(c, opts.edits);
  }
  hot::Config defaults;
  return Json{{"edits", opts.edits},
              {"engine_opt_level", defaults.opt_level},
              {"debounce_ms", defaults.debounce_ms},
              {"cases", result}};
}

void printLatency(const Json &j, std::FILE *out) {
  std::fprintf(out, "  write -> first call returning the new value; %u edits per case, engine at "
                    "-O%d, debounce %u ms\n\n",
               j["edits"].get<unsigned>(), j["engine_opt_level"].get<int>(),
               j["debounce_ms"].get<unsigned>());
  std::fprintf(out, "  %-30s %22s %25s %9s\n", "case", "hotengine median/p90",
               "clang++/dlopen median/p90", "speedup");
  for (auto &[key, c] : j["cases"].items()) {
    const Json &in = c["hotengine"], &oop = c["out_of_process"];
    std::fprintf(out, "  %-30s %9.1f / %7.1f ms %12.1f / %7.1f ms %8.1fx\n",
                 c["label"].get<std::string>().c_str(), in["median_ms"].get<double>(),
                 in["p90_ms"].get<double>(), oop["median_ms"].get<double>(),
                 oop["p90_ms"].get<double>(), c["speedup_median"].get<double>());
    std::fprintf(out, "  %-30s   engine compile %.1f ms + link %.1f ms (medians, summed over "
                      "units)\n",
                 "", in["compile_ms_sum_over_units"]["median_ms"].get<double>(),
                 in["link_ms_sum_over_units"]["median_ms"].get<double>());
  }
  std::fprintf(out, "  (speedup: clang++ + dlopen median / hotengine median)\n");
}

} // namespace hot::cli::bench
