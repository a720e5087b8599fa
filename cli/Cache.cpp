// hot cache: where `hot run` keeps compiled units, how much is there, and clearing it.
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "cli/Commands.h"
#include "hot/config.h"

namespace hot::cli {
namespace {

namespace fs = std::filesystem;

const char *kCacheUsage = R"(usage: hot cache path|stats|clear [--dir DIR]

The compiled units `hot run` reads back instead of compiling again (one file per unit text,
flag set and header contents; see README: "Start-up cache").
  path    print the cache folder
  stats   print how many compiled units, objects and replay records it holds, and their size
  clear   remove them all (the running programs compile what they need again)
options:
  --dir DIR   this cache folder instead of the default ($XDG_CACHE_HOME/hotengine, else
              ~/.cache/hotengine; a config's "cache_dir")
)";

struct Entries {
  std::vector<fs::path> files;
  std::uintmax_t bytes = 0;
};

/// The entries of one of the cache's folders ("units" holds *.unit, "objects" *.o: machine
/// code and replay records).
Entries entriesIn(const std::string &dir, const char *folder, const char *extension) {
  Entries out;
  std::error_code ec;
  for (const fs::directory_entry &e : fs::directory_iterator(dir + "/" + folder, ec)) {
    if (e.path().extension() != extension) continue;
    std::error_code sec;
    std::uintmax_t size = e.file_size(sec);
    if (sec) continue;
    out.files.push_back(e.path());
    out.bytes += size;
  }
  return out;
}

} // namespace

int cacheCommand(const std::vector<std::string> &args) {
  std::string what, dir = hot::Config::defaultCacheDir();
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-h" || args[i] == "--help") return std::fputs(kCacheUsage, stdout), 0;
    if (args[i] == "--dir" && i + 1 < args.size()) dir = args[++i];
    else if (what.empty() && args[i][0] != '-') what = args[i];
    else return std::fprintf(stderr, "hot cache: unexpected '%s'\n%s", args[i].c_str(), kCacheUsage), 2;
  }
  if (dir.empty()) return std::fprintf(stderr, "hot cache: no cache folder (HOME is not set)\n"), 1;
  if (what == "path") return std::printf("%s\n", dir.c_str()), 0;
  Entries units = entriesIn(dir, "units", ".unit"), objects = entriesIn(dir, "objects", ".o");
  if (what == "stats") {
    std::printf("%s: %zu compiled units (%.1f MB), %zu objects and replay records (%.1f MB)\n",
                dir.c_str(), units.files.size(), double(units.bytes) / (1 << 20),
                objects.files.size(), double(objects.bytes) / (1 << 20));
    return 0;
  }
  if (what == "clear") {
    std::size_t removed = 0, all = units.files.size() + objects.files.size();
    for (const Entries *e : {&units, &objects})
      for (const fs::path &p : e->files) {
        std::error_code ec;
        removed += fs::remove(p, ec) ? 1 : 0;
      }
    std::printf("%s: removed %zu compiled units, objects and replay records\n", dir.c_str(),
                removed);
    return removed == all ? 0 : 1;
  }
  std::fputs(kCacheUsage, stderr);
  return 2;
}

} // namespace hot::cli
