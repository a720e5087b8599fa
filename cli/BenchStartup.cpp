// hot bench, section "startup": the time from `hot run` to the first line of main() and to
// the program's exit for a program whose main() returns at once, cold (nothing cached) and
// warm (an earlier run filled the start-up cache, sources unchanged), next to the same program
// built natively with clang++ and started. Two programs: the load section's generated units,
// and three units that each include <nlohmann/json.hpp>. main() writes CLOCK_MONOTONIC (the
// clock of std::chrono::steady_clock here) to the file $HOT_BENCH_MAIN_AT names.
#include "cli/Bench.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace hot::cli::bench {
namespace {

/// Writes when main() began to $HOT_BENCH_MAIN_AT.
const char *kMainAt = "#include <cstdio>\n#include <cstdlib>\n#include <ctime>\n"
                      "static void mainAt() {\n"
                      "  timespec t;\n"
                      "  clock_gettime(CLOCK_MONOTONIC, &t);\n"
                      "  if (const char *p = std::getenv(\"HOT_BENCH_MAIN_AT\"))\n"
                      "    if (FILE *f = std::fopen(p, \"w\")) {\n"
                      "      std::fprintf(f, \"%lld\\n\", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);\n"
                      "      std::fclose(f);\n"
                      "    }\n"
                      "}\n";

/// The generated program: `units` load units and a main() that touches none of them.
void writeGenerated(const TempDir &dir, unsigned units) {
  std::filesystem::create_directories(dir.file("src"));
  for (unsigned k = 0; k < units; ++k)
    writeFile(dir.file("src/unit" + std::to_string(k) + ".cpp"), loadUnit(int(k)));
  writeFile(dir.file("src/main.cpp"), std::string(kMainAt) +
                                          "int main() { mainAt(); std::puts(\"ready\"); }\n");
}

/// Three units that each include nlohmann/json (a heavy header-only library).
void writeJsonProgram(const TempDir &dir) {
  std::filesystem::create_directories(dir.file("src"));
  for (int k = 0; k < 2; ++k)
    writeFile(dir.file("src/part" + std::to_string(k) + ".cpp"),
              "#include <nlohmann/json.hpp>\nstd::string part" + std::to_string(k) +
                  "() { nlohmann::json j = {{\"k\", " + std::to_string(k) +
                  "}}; return j.dump(); }\n");
  writeFile(dir.file("src/main.cpp"), std::string(kMainAt) + "#include <nlohmann/json.hpp>\n"
                                      "std::string part0();\nstd::string part1();\n"
                                      "int main(int argc, char **) {\n  mainAt();\n"
                                      "  if (argc > 5) std::puts((part0() + part1()).c_str());\n"
                                      "  std::puts(nlohmann::json::parse(\"[1]\").dump().c_str());\n}\n");
}

std::vector<std::string> sources(const TempDir &dir) {
  std::vector<std::string> out;
  for (const auto &e : std::filesystem::directory_iterator(dir.file("src")))
    out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Timing {
  double to_main = 0, to_exit = 0;
};

/// Runs `argv` (a program of this file's, under `env`) and times it to main() and to its exit.
Timing timeRun(const TempDir &dir, std::vector<std::string> argv) {
  std::string at = dir.file("main-at");
  std::filesystem::remove(at);
  if (argv[0] != "env") argv.insert(argv.begin(), "env");
  argv.insert(argv.begin() + 1, "HOT_BENCH_MAIN_AT=" + at);
  auto start = Clock::now();
  run(argv);
  Timing t;
  t.to_exit = msSince(start);
  long long ns = std::atoll(readAll(at).c_str());
  if (ns <= 0) throw Failure("the startup program did not say when main() began");
  t.to_main = double(ns - std::chrono::duration_cast<std::chrono::nanoseconds>(
                              start.time_since_epoch()).count()) / 1e6;
  return t;
}

std::string selfPath() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw Failure("cannot find the hot binary (/proc/self/exe)");
  return std::string(buf, size_t(n));
}

Json measure(const TempDir &dir, unsigned repeats) {
  std::string hot = selfPath(), cache = "XDG_CACHE_HOME=" + dir.file("cache");
  std::vector<std::string> native_build = {clangxx(), "-std=c++20", "-O0", "-o", dir.file("native")};
  for (const std::string &s : sources(dir)) native_build.push_back(s);
  run(native_build);
  std::vector<double> native, cold, warm, native_main, cold_main, warm_main;
  for (unsigned i = 0; i < repeats; ++i) {
    Timing t = timeRun(dir, {dir.file("native")});
    native.push_back(t.to_exit);
    native_main.push_back(t.to_main);
  }
  // Cold runs alternate with runs filling an empty cache of their own (the warm runs use the
  // last one): a machine getting busier shows in both, not in their ratio.
  std::vector<double> filling_runs;
  for (unsigned i = 0; i < repeats; ++i) {
    Timing t = timeRun(dir, {hot, "run", "--quiet", "--no-cache", dir.file("src")});
    cold.push_back(t.to_exit);
    cold_main.push_back(t.to_main);
    cache = "XDG_CACHE_HOME=" + dir.file("cache" + std::to_string(i));
    filling_runs.push_back(timeRun(dir, {"env", cache, hot, "run", "--quiet", dir.file("src")}).to_exit);
  }
  double filling = median(filling_runs);
  // Each filling run against the cold run just before it: the machine's drift cancels out.
  std::vector<double> pair_ratios;
  for (unsigned i = 0; i < repeats; ++i) pair_ratios.push_back(filling_runs[i] / cold[i]);
  for (unsigned i = 0; i < repeats; ++i) {
    Timing t = timeRun(dir, {"env", cache, hot, "run", "--quiet", dir.file("src")});
    warm.push_back(t.to_exit);
    warm_main.push_back(t.to_main);
  }
  double c = median(cold), w = median(warm), n = median(native);
  return Json{{"native_ms", n},
              {"cold_ms", c},
              {"filling_cache_ms", filling},
              {"warm_ms", w},
              {"warm_over_cold", w / c},
              {"warm_over_native", w / n},
              {"native_to_main_ms", median(native_main)},
              {"cold_to_main_ms", median(cold_main)},
              {"warm_to_main_ms", median(warm_main)},
              {"filling_over_cold", median(pair_ratios)}};
}

} // namespace

Json runStartup(const Options &opts) {
  // Five: a few percent between cold and filling runs is the question, and three medians of
  // three moved by more than that from one sitting to the next.
  unsigned repeats = opts.quick ? 1 : 5;
  TempDir generated("startup-gen"), json("startup-json");
  writeGenerated(generated, opts.units);
  writeJsonProgram(json);
  std::fprintf(stderr, "hot bench: startup: %u-unit program...\n", opts.units);
  Json g = measure(generated, repeats);
  std::fprintf(stderr, "hot bench: startup: 3 units with nlohmann/json...\n");
  Json j = measure(json, repeats);
  return Json{{"generated", g}, {"generated_units", opts.units + 1}, {"json_units", j}};
}

void printStartup(const Json &j, std::FILE *out) {
  std::fprintf(out, "  from `hot run` to the first line of main() / to the exit of a main() that "
                    "returns at once (median;\n  filling/cold: median of each filling run over the cold run just before it)\n\n");
  std::fprintf(out, "  %-34s %14s %14s %14s %14s %10s %12s\n", "", "native", "cold", "filling cache",
               "warm", "warm/cold", "filling/cold");
  auto row = [&](const std::string &label, const Json &r) {
    std::fprintf(out, "  %-34s %5.0f /%5.0fms %5.0f /%5.0fms %12.0fms %5.0f /%5.0fms %9.2fx %11.3fx\n",
                 label.c_str(), r["native_to_main_ms"].get<double>(), r["native_ms"].get<double>(),
                 r["cold_to_main_ms"].get<double>(), r["cold_ms"].get<double>(),
                 r["filling_cache_ms"].get<double>(), r["warm_to_main_ms"].get<double>(),
                 r["warm_ms"].get<double>(), r["warm_over_cold"].get<double>(),
                 r["filling_over_cold"].get<double>());
  };
  row(std::to_string(j["generated_units"].get<unsigned>()) + " generated units", j["generated"]);
  row("3 units including nlohmann/json", j["json_units"]);
}

} // namespace hot::cli::bench
