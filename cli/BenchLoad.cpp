// hot bench, section "load": first-load throughput. The engine's watch() compiles every unit of
// a folder in-process on all cores and links them; the baseline is make -j2 building object
// files of the same units with clang++.
#include "cli/Bench.h"

#include <algorithm>
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

double timeEngineLoad(const TempDir &dir) {
  auto created = hot::HotEngine::create();
  if (!created.ok()) throw Failure("HotEngine::create: " + created.status().message());
  std::unique_ptr<hot::HotEngine> engine = std::move(created.value());
  auto start = Clock::now();
  hot::Status st = engine->watch(dir.path().string());
  double ms = msSince(start);
  if (!st.ok()) throw Failure("watch: " + st.message());
  return ms;
}

double timeMake(const TempDir &dir) {
  auto start = Clock::now();
  run({"make", "-j2", "-s", "-C", dir.path().string()});
  return msSince(start);
}

Json throughput(double ms, unsigned units) {
  return Json{{"seconds", ms / 1000}, {"units_per_second", units / (ms / 1000)}};
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
  double engine_ms = timeEngineLoad(engine_dir);
  double make_ms = timeMake(make_dir);
  Json engine = throughput(engine_ms, opts.units), make = throughput(make_ms, opts.units);
  engine["compile_threads"] = std::max(1u, std::thread::hardware_concurrency());
  make["command"] = "make -j2 -s (clang++-22 -std=c++20 -O0 -fPIC -c per unit)";
  return Json{{"units", opts.units},
              {"unit_includes", "<vector> <string>"},
              {"hotengine_watch", engine},
              {"make_j2", make},
              {"speedup", make_ms / engine_ms}};
}

void printLoad(const Json &j, std::FILE *out) {
  const Json &e = j["hotengine_watch"], &m = j["make_j2"];
  std::fprintf(out, "  %u generated units, each including %s\n\n", j["units"].get<unsigned>(),
               j["unit_includes"].get<std::string>().c_str());
  std::fprintf(out, "  %-44s %8.2f s %8.1f units/s\n", "hotengine watch() (compile + link)",
               e["seconds"].get<double>(), e["units_per_second"].get<double>());
  std::fprintf(out, "  %-44s %8.2f s %8.1f units/s\n", "make -j2, clang++ -c -O0 -fPIC",
               m["seconds"].get<double>(), m["units_per_second"].get<double>());
  std::fprintf(out, "  hotengine: %.2fx the throughput of make -j2\n", j["speedup"].get<double>());
}

} // namespace hot::cli::bench
