// cli/: the `hot` command's subcommands. Each returns the process exit status.
#pragma once

#include <string>
#include <vector>

#include "hot/engine.h"

namespace hot::cli {

int runCommand(const std::vector<std::string> &args);   ///< hot run (cli/Run.cpp)
int benchCommand(const std::vector<std::string> &args); ///< hot bench (cli/Bench.cpp)
int callCommand(const std::vector<std::string> &args);  ///< hot call (cli/Call.cpp)
int cacheCommand(const std::vector<std::string> &args); ///< hot cache (cli/Cache.cpp)

/// Prints reload events and engine messages to stderr, human-readable or as JSON lines.
class EventPrinter : public hot::Listener {
public:
  explicit EventPrinter(bool json, bool quiet = false) : json_(json), quiet_(quiet) {}
  void onReload(const hot::ReloadEvent &e) override;
  void onTierChange(const hot::TierEvent &e) override;
  void onProgress(unsigned done, unsigned total) override;
  void onCompiling(const std::string &unit, unsigned done, unsigned total) override;
  void onMessage(hot::Severity s, const std::string &text) override;

private:
  bool json_, quiet_;
};

/// Applies the shared compile options (-I, -D, -std=, -O, --config, --compile-commands, ...) to
/// `config`. Consumes args[i] (and its value); returns false if args[i] is not such an option.
/// On a bad option sets `error`.
bool parseCompileOption(const std::vector<std::string> &args, size_t &i, hot::Config &config,
                        std::string &error);

} // namespace hot::cli
