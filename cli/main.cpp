// hot: run a C++ program with every function reloadable; benchmark the engine; poke a live run.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/Commands.h"

namespace {
const char *kUsage = R"(usage: hot <command> [options]

commands:
  run DIR|FILE... [options] [-- ARGS...]
                      compile the program's units in-process, run its main(ARGS) and
                      hot-reload every edit while it runs (hot run --help)
  call NAME [ARG...]  call a function of a running `hot run` by name (hot call --help)
  bench [options]     measure call costs and edit-to-effect latency (hot bench --help)
  cache path|stats|clear
                      the compiled units hot run reads back at start (hot cache --help)

options:
  -h, --help          this text
  --version           print the version
)";
} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::printf("hot %s\n", HOT_VERSION);
    return 0;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "run") return hot::cli::runCommand(args);
  if (cmd == "bench") return hot::cli::benchCommand(args);
  if (cmd == "call") return hot::cli::callCommand(args);
  if (cmd == "cache") return hot::cli::cacheCommand(args);
  std::fprintf(stderr, "hot: unknown command '%s'\n%s", cmd.c_str(), kUsage);
  return 2;
}
