// hot bench internals: options, the section table and helpers shared by the sections.
// Each section (cli/Bench<Section>.cpp) measures one thing and returns its figures as one JSON
// object under its name in the report; the table printer reads only that object back. To add a
// section, write its run and print functions and list them in benchSections() (cli/Bench.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hot/engine.h"

namespace hot::cli::bench {

using Json = nlohmann::ordered_json;

struct Options {
  bool quick = false;
  unsigned edits = 20;     ///< Edits per latency case.
  unsigned reloads = 1000; ///< Reloads before the second memory reading.
  unsigned units = 40;     ///< Units for the first-load section.
  std::set<std::string> only; ///< Section names to run; empty runs all.
  std::string json_path;   ///< "" = no JSON, "-" = stdout.
};

/// A section failed in a way the figures cannot hide (a reload failed, a compiler is missing).
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Section {
  const char *name;  ///< --only key and the report's key.
  const char *title; ///< Table heading.
  Json (*run)(const Options &);
  void (*print)(const Json &, std::FILE *);
};

Json runCalls(const Options &);
void printCalls(const Json &, std::FILE *);
Json runLatency(const Options &);
void printLatency(const Json &, std::FILE *);
Json runLoad(const Options &);
void printLoad(const Json &, std::FILE *);
Json runStartup(const Options &);
void printStartup(const Json &, std::FILE *);
Json runMemory(const Options &);
void printMemory(const Json &, std::FILE *);
Json runTiering(const Options &);
void printTiering(const Json &, std::FILE *);

// ---- helpers (cli/BenchSupport.cpp) ----------------------------------------------------------

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point start);

/// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
public:
  explicit TempDir(const std::string &tag);
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::filesystem::path &path() const { return path_; }
  std::string file(const std::string &rel) const { return (path_ / rel).string(); }

private:
  std::filesystem::path path_;
};

/// Open, truncate, write, close: what most editors do on save.
void writeFile(const std::string &path, const std::string &text);

/// The clang++ the engine's driver uses; the out-of-process baselines use it too.
const char *clangxx();
/// Runs argv[0] (searched in PATH) and waits; throws Failure unless it exits with 0.
void run(const std::vector<std::string> &argv);
/// Runs each command, at most `jobs` at a time (make -jN); throws Failure if any fails.
void runParallel(const std::vector<std::vector<std::string>> &commands, unsigned jobs);

/// Opens a shared library with RTLD_NOW | RTLD_LOCAL; dlclose on destruction.
class Library {
public:
  explicit Library(const std::string &path);
  ~Library();
  Library(const Library &) = delete;
  Library &operator=(const Library &) = delete;
  void *symbol(const std::string &name) const;

private:
  void *handle_ = nullptr;
};

/// Resident set size of this process in bytes (/proc/self/statm).
std::uint64_t residentBytes();

/// Median, p90 (nearest rank), min and max of `samples`, plus the samples themselves.
Json summarize(std::vector<double> samples, const std::string &unit);

/// compile_ms and link_ms of the reload events a wait saw, summed over units (units of one
/// transaction compile in parallel, so the sum is work, not elapsed time).
struct ReloadTimes {
  double compile_ms = 0, link_ms = 0;
  unsigned events = 0;
};

/// An engine watching a folder of generated units, fed edits through update() on this thread.
class LiveEngine {
public:
  /// Creates the engine and watches `dir`; throws Failure naming the reason if that fails.
  LiveEngine(const std::string &dir, hot::Config config = {});
  ~LiveEngine();
  hot::HotEngine &engine() { return *engine_; }
  hot::Function<int()> function(const std::string &name);
  /// Calls update() and every function until function i returns expected[i], pausing briefly
  /// between polls. Throws Failure on a failed reload or after `timeout_ms`. Returns the
  /// engine's own account of the reloads seen meanwhile.
  ReloadTimes waitForValues(const std::vector<hot::Function<int()>> &fns,
                     const std::vector<int> &expected, unsigned timeout_ms = 120000);

private:
  struct Events;
  std::unique_ptr<Events> events_;
  std::unique_ptr<hot::HotEngine> engine_;
};

// ---- generated sources (cli/BenchSources.cpp) -----------------------------------------------

/// extern "C" int bench_value() { return v; } and nothing else.
std::string noIncludeUnit(int v);
/// About 150 lines using <vector> <string> <unordered_map> <algorithm> <iostream> <memory>
/// <functional>: classes, templates, lambdas. bench_value() returns v.
std::string stdIncludeUnit(int v);
/// The same unit, where the edit changes the body of simulate() (the function that uses every
/// class and template of the file) and nothing else.
std::string stdBodyEditUnit(int v);
/// A unit including <regex> <chrono> <map>: the edit changes the body that builds and matches
/// a regex. bench_value() returns v.
std::string regexBodyEditUnit(int v);
/// A unit including <nlohmann/json.hpp>: the edit changes the body that parses, modifies and
/// dumps a document. bench_value() returns v.
std::string jsonBodyEditUnit(int v);
/// A project header included by headerUnit(k): its kVersion constant is v.
std::string sharedHeader(int v);
/// extern "C" int unit_<k>_value() returns kVersion * 100 + k from sharedHeader().
std::string headerUnit(int k);
/// A small realistic unit including <vector> and <string>; symbols are unique per k.
std::string loadUnit(int k);

} // namespace hot::cli::bench
