// hot bench: measures, in one process and one run, what hotengine costs and saves: call cost,
// edit-to-effect latency, first-load throughput and memory per reload. Sections live in
// cli/Bench<Section>.cpp; this file parses options, runs the chosen sections and reports.
#include "cli/Bench.h"
#include "cli/Commands.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace hot::cli {
namespace {
using namespace bench;

const char *kBenchUsage = R"(usage: hot bench [options]

Measures, in this process, in one run:
  calls    ns per call to int f(int x) { return x + 1; }: direct, function pointer,
           virtual, std::function, dlsym'ed .so, hotengine handle, hotengine stub,
           plain pointer to the JIT body, JIT -> JIT through the slot; each as a ratio
           to the direct call
  latency  file write -> first call returning the new value, for a unit without includes,
           a 150-line unit with 7 std headers, body edits in <regex> and
           <nlohmann/json.hpp> units, and a header edit reaching 10 units; next to
           clang++ -shared + dlopen (the jet-live / cr.h way)
  load     first load of generated units with watch() vs make -j2 with clang++
  startup  hot run to exit of a program whose main() returns at once: cold, warm (start-up
           cache filled by an earlier run), and the native binary; a generated program of
           --units units and a 3-unit nlohmann/json program
  memory   RSS after 10 and after N reloads of one small unit; growth per reload
  tiering  a matmul kernel: AOT (-O2 in this binary) vs tier 0 vs after tier-up, the time
           from first call to tier-up, and the tier-0 call-counter cost
Figures are medians over repetitions; compare ratios, not absolute times.

options:
  --only SECTION[,SECTION]  run only these sections (repeatable)
  --edits N                 edits per latency case (default 20)
  --reloads N               reloads for the memory section (default 1000)
  --units N                 units for the load section (default 40)
  --quick                   fewer iterations: 2 edits, 50 reloads, 8 units (for tests)
  --json FILE               also write every figure as JSON to FILE ('-': stdout, and the
                            table goes to stderr)
  -h, --help                this text
)";

/// The sections, in the order they run. A new one is one line here.
const std::vector<Section> &sections() {
  static const std::vector<Section> all = {
      {"calls", "call cost", runCalls, printCalls},
      {"latency", "edit-to-effect latency", runLatency, printLatency},
      {"load", "first-load throughput", runLoad, printLoad},
      {"startup", "start-up: cold, warm (cache), native", runStartup, printStartup},
      {"memory", "memory per reload", runMemory, printMemory},
      {"tiering", "tiered compilation (matmul)", runTiering, printTiering},
  };
  return all;
}

bool knownSection(const std::string &name) {
  for (const Section &s : sections())
    if (name == s.name) return true;
  return false;
}

std::string sectionNames() {
  std::string names;
  for (const Section &s : sections()) names += (names.empty() ? "" : ", ") + std::string(s.name);
  return names;
}

bool parseCount(const std::string &text, unsigned &out) {
  try {
    size_t used = 0;
    long v = std::stol(text, &used);
    if (used != text.size() || v <= 0) return false;
    out = unsigned(v);
    return true;
  } catch (...) {
    return false;
  }
}

/// Adds each name of a comma list to `only`; returns the first unknown name, or "".
std::string addSections(const std::string &list, std::set<std::string> &only) {
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    if (!knownSection(name)) return name.empty() ? "(empty)" : name;
    only.insert(name);
  }
  return "";
}

struct Parsed {
  Options options;
  bool help = false;
  std::string error;
};

/// --quick only lowers the counts the user did not set, whatever the order of the flags.
Parsed parseArgs(const std::vector<std::string> &args) {
  Parsed p;
  bool set_edits = false, set_reloads = false, set_units = false;
  auto value = [&](size_t &i) -> const std::string * {
    if (i + 1 >= args.size()) return p.error = args[i] + " needs a value", nullptr;
    return &args[++i];
  };
  for (size_t i = 0; i < args.size() && p.error.empty(); ++i) {
    const std::string &a = args[i];
    const std::string *v = nullptr;
    if (a == "-h" || a == "--help") p.help = true;
    else if (a == "--quick") p.options.quick = true;
    else if (a == "--json") {
      if ((v = value(i))) p.options.json_path = *v;
    } else if (a == "--only") {
      if ((v = value(i)))
        if (std::string bad = addSections(*v, p.options.only); !bad.empty())
          p.error = "unknown section '" + bad + "' (" + sectionNames() + ")";
    } else if (a == "--edits" || a == "--reloads" || a == "--units") {
      unsigned &target = a == "--edits" ? p.options.edits
                         : a == "--reloads" ? p.options.reloads : p.options.units;
      (a == "--edits" ? set_edits : a == "--reloads" ? set_reloads : set_units) = true;
      if ((v = value(i)) && !parseCount(*v, target)) p.error = a + " needs a positive number";
    } else p.error = "unknown option '" + a + "'";
  }
  if (p.options.quick) {
    if (!set_edits) p.options.edits = 2;
    if (!set_reloads) p.options.reloads = 50;
    if (!set_units) p.options.units = 8;
  }
  return p;
}

/// The 1-minute load average: tells a reader of the JSON how busy the machine was.
double loadAverage() {
  double one = 0;
  std::ifstream("/proc/loadavg") >> one;
  return one;
}

Json header(const Options &o) {
  return Json{{"hot_version", HOT_VERSION},
              {"clangxx", clangxx()},
              {"cores", std::thread::hardware_concurrency()},
              {"quick", o.quick},
              {"load_average_at_start", loadAverage()}};
}

/// Runs each chosen section; a failing one reports its error and the others still run.
bool runSections(const Options &o, Json &report, std::FILE *table) {
  bool ok = true;
  for (const Section &s : sections()) {
    if (!o.only.empty() && !o.only.count(s.name)) continue;
    std::fprintf(table, "\n== %s ==\n", s.title);
    std::fflush(table);
    try {
      report[s.name] = s.run(o);
      s.print(report[s.name], table);
    } catch (const std::exception &e) {
      report[s.name] = Json{{"error", e.what()}};
      std::fprintf(table, "  FAILED: %s\n", e.what());
      ok = false;
    }
    std::fflush(table);
  }
  return ok;
}

bool writeJson(const std::string &path, const Json &report) {
  if (path == "-") {
    std::cout << report.dump(2) << std::endl;
    return true;
  }
  std::ofstream out(path);
  out << report.dump(2) << "\n";
  if (!out) std::fprintf(stderr, "hot bench: cannot write %s\n", path.c_str());
  return bool(out);
}

} // namespace

int benchCommand(const std::vector<std::string> &args) {
  Parsed p = parseArgs(args);
  if (p.help) return std::fputs(kBenchUsage, stdout), 0;
  if (!p.error.empty())
    return std::fprintf(stderr, "hot bench: %s\n%s", p.error.c_str(), kBenchUsage), 2;
  const Options &o = p.options;
  // With JSON on stdout the table moves to stderr so stdout stays parseable.
  std::FILE *table = o.json_path == "-" ? stderr : stdout;
  Json report = header(o);
  std::fprintf(table, "hot bench: hotengine %s, %s, %u cores%s\n", HOT_VERSION, clangxx(),
               std::thread::hardware_concurrency(), o.quick ? " (quick)" : "");
  bool ok = runSections(o, report, table);
  report["load_average_at_end"] = loadAverage();
  std::fprintf(table, "\nload average: %.2f at start, %.2f at end\n",
               report["load_average_at_start"].get<double>(),
               report["load_average_at_end"].get<double>());
  if (!o.json_path.empty() && !writeJson(o.json_path, report)) ok = false;
  return ok ? 0 : 1;
}

} // namespace hot::cli
