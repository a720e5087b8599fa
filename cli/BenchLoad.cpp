// hot bench, section "load": first-load throughput. The engine's watch() compiles every unit of
// a folder in-process on all cores and links them; the baseline is make -j2 building object
// files of the same units with clang++.
#include "cli/Bench.h"

#include <algorithm>
#include <sys/resource.h>
#include <thread>

namespace hot::cli::bench {
namespace {

std::string unitName(unsigned k) { return "unit" + std::to_string(k) + ".cpp"; }

void writeMakefile(const TempDir &dir, unsigned units) {
  std::string objects;
  for (unsigned k = 0; k < units; ++k) objects += " unit" + std::to_string(k) + ".o";
  writeFile(dir.file("Makefile"), std::string("CXX := ") + clangxx() + "\n" +
                                      "OBJS :=" + objects + "\n" +
                                      "all: $(OBJS)\n"
                                      "%.o: %.cpp\n"
                                      "\t$(CXX) -std=c++20 -O0 -fPIC -c $< -o $@\n");
}

/// CPU seconds used so far by this process (all threads) or by its waited-for children (make
/// and the compilers it ran). Unlike wall time, it barely changes when the machine is busy.
double cpuSeconds(int who) {
  rusage u{};
  ::getrusage(who, &u);
  auto secs = [](const timeval &t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

struct Timing {
  double ms = 0, cpu_s = 0;
};

Timing timeEngineLoad(const TempDir &dir, const std::string &cache_dir = "") {
  hot::Config config;
  config.cache_dir = cache_dir;
  auto created = hot::HotEngine::create(config);
  if (!created.ok()) throw Failure("HotEngine::create: " + created.status().message());
  std::unique_ptr<hot::HotEngine> engine = std::move(created.value());
  double cpu = cpuSeconds(RUSAGE_SELF);
  auto start = Clock::now();
  hot::Status st = engine->watch(dir.path().string());
  Timing t{msSince(start), cpuSeconds(RUSAGE_SELF) - cpu};
  if (!st.ok()) throw Failure("watch: " + st.message());
  return t;
}

Timing timeMake(const TempDir &dir) {
  double cpu = cpuSeconds(RUSAGE_CHILDREN);
  auto start = Clock::now();
  run({"make", "-j2", "-s", "-C", dir.path().string()});
  return {msSince(start), cpuSeconds(RUSAGE_CHILDREN) - cpu};
}

Json throughput(const Timing &t, unsigned units) {
  return Json{{"seconds", t.ms / 1000},
              {"units_per_second", units / (t.ms / 1000)},
              {"cpu_seconds", t.cpu_s},
              {"cpu_ms_per_unit", t.cpu_s * 1000 / units}};
}

} // namespace

Json runLoad(const Options &opts) {
  TempDir engine_dir("load"), make_dir("load-make");
  for (unsigned k = 0; k < opts.units; ++k) {
    writeFile(engine_dir.file(unitName(k)), loadUnit(int(k)));
    writeFile(make_dir.file(unitName(k)), loadUnit(int(k)));
  }
  writeMakefile(make_dir, opts.units);
  // Reads the system headers once so neither side pays for a cold page cache.
  run({clangxx(), "-std=c++20", "-fsyntax-only", make_dir.file(unitName(0))});
  std::fprintf(stderr, "hot bench: load: %u units...\n", opts.units);
  Timing engine_t = timeEngineLoad(engine_dir);
  Timing make_t = timeMake(make_dir);
  // Start-up with the persistent cache: the first start fills it, the next reads it back.
  TempDir cache("load-cache");
  Timing filling = timeEngineLoad(engine_dir, cache.path().string());
  Timing warm = timeEngineLoad(engine_dir, cache.path().string());
  Json engine = throughput(engine_t, opts.units), make = throughput(make_t, opts.units);
  engine["compile_threads"] = std::max(1u, std::thread::hardware_concurrency());
  make["command"] = "make -j2 -s (clang++-22 -std=c++20 -O0 -fPIC -c per unit)";
  return Json{{"units", opts.units},
              {"unit_includes", "<vector> <string>"},
              {"hotengine_watch", engine},
              {"make_j2", make},
              {"speedup", make_t.ms / engine_t.ms},
              {"cold_start_filling_cache", throughput(filling, opts.units)},
              {"warm_start", throughput(warm, opts.units)},
              {"warm_over_cold", warm.ms / engine_t.ms},
              {"filling_over_cold", filling.ms / engine_t.ms},
              {"cpu_ratio", make_t.cpu_s / engine_t.cpu_s}};
}

void printLoad(const Json &j, std::FILE *out) {
  const Json &e = j["hotengine_watch"], &m = j["make_j2"];
  std::fprintf(out, "  %u generated units, each including %s\n\n", j["units"].get<unsigned>(),
               j["unit_includes"].get<std::string>().c_str());
  std::fprintf(out, "  %-36s %8s %11s %15s\n", "", "wall", "units/s", "CPU per unit");
  auto row = [&](const char *label, const Json &r) {
    std::fprintf(out, "  %-36s %7.2fs %11.2f %12.0f ms\n", label, r["seconds"].get<double>(),
                 r["units_per_second"].get<double>(), r["cpu_ms_per_unit"].get<double>());
  };
  row("hotengine watch() (compile + link)", e);
  row("make -j2, clang++ -c -O0 -fPIC", m);
  row("hotengine, cold, filling cache_dir", j["cold_start_filling_cache"]);
  row("hotengine, warm (unchanged, cached)", j["warm_start"]);
  std::fprintf(out, "  hotengine: %.2fx the throughput of make -j2 (%.2fx less CPU)\n",
               j["speedup"].get<double>(), j["cpu_ratio"].get<double>());
  std::fprintf(out, "  warm start: %.2fx of the cold start's time (filling the cache: %.2fx)\n",
               j["warm_over_cold"].get<double>(), j["filling_over_cold"].get<double>());
}

} // namespace hot::cli::bench
