// hot bench, section "memory": resident memory as one small unit is reloaded over and over,
// alternating between two bodies; every reload is applied and checked before the next edit.
#include "cli/Bench.h"

#include <algorithm>

namespace hot::cli::bench {
namespace {

std::string memoryUnit(int v) {
  return "extern \"C\" int bench_memory() { return " + std::to_string(v) + "; }\n";
}

constexpr unsigned kFirstReading = 10;

} // namespace

Json runMemory(const Options &opts) {
  TempDir dir("memory");
  std::string unit = dir.file("memory.cpp");
  writeFile(unit, memoryUnit(1));
  LiveEngine live(dir.path().string());
  std::vector<hot::Function<int()>> fn = {live.function("bench_memory")};
  const unsigned total = std::max(opts.reloads, kFirstReading + 1);
  std::fprintf(stderr, "hot bench: memory: %u reloads...\n", total);
  std::uint64_t loaded = residentBytes(), first = 0;
  for (unsigned i = 1; i <= total; ++i) {
    int v = i % 2 ? 2 : 1;
    writeFile(unit, memoryUnit(v));
    live.waitForValues(fn, {v});
    if (i == kFirstReading) first = residentBytes();
  }
  std::uint64_t last = residentBytes();
  double per_reload = (double(last) - double(first)) / double(total - kFirstReading);
  return Json{{"reloads", total},
              {"rss_after_load_bytes", loaded},
              {"first_reading_after", kFirstReading},
              {"rss_after_first_bytes", first},
              {"rss_after_all_bytes", last},
              {"growth_bytes_per_reload", per_reload}};
}

void printMemory(const Json &j, std::FILE *out) {
  auto mb = [&](const char *key) { return j[key].get<double>() / (1024.0 * 1024.0); };
  std::fprintf(out, "  one unit reloaded %u times (return 1; / return 2;)\n\n",
               j["reloads"].get<unsigned>());
  std::fprintf(out, "  %-32s %10.1f MB\n", "RSS after first load", mb("rss_after_load_bytes"));
  std::fprintf(out, "  %-32s %10.1f MB\n",
               ("RSS after " + std::to_string(j["first_reading_after"].get<unsigned>()) +
                " reloads").c_str(),
               mb("rss_after_first_bytes"));
  std::fprintf(out, "  %-32s %10.1f MB\n",
               ("RSS after " + std::to_string(j["reloads"].get<unsigned>()) + " reloads").c_str(),
               mb("rss_after_all_bytes"));
  std::fprintf(out, "  %-32s %10.0f bytes/reload\n", "growth between the two",
               j["growth_bytes_per_reload"].get<double>());
}

} // namespace hot::cli::bench
