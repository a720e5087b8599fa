// hot run: the program's units are compiled in-process, its main() runs inside the JIT, and
// every save takes effect while it runs. stdout, stdin and the exit status are the program's;
// the engine speaks on stderr only.
#include "cli/Commands.h"
#include "cli/Control.h"
#include "cli/Supervisor.h"

#include <cstdio>
#include <filesystem>
#include <memory>

namespace hot::cli {
namespace fs = std::filesystem;

namespace {
const char *kRunUsage = R"(usage: hot run DIR|FILE... [options] [-- ARGS...]

Compiles every unit (each FILE, every .cpp/.cc/.cxx/.c under each DIR; .c as C), runs the program's
main(argc, argv) with ARGS, and hot-reloads every saved edit while it runs. The program's
stdin, stdout and exit status are its own; hotengine reports on stderr.

options:
  --config FILE            JSON config (see README: Configuration)
  --compile-commands FILE  take each file's flags from a compile_commands.json (in a CMake
                           build folder, also the libraries the executable links)
  --no-build-libraries     do not load the libraries named by the build's link line
  -I DIR, -D NAME[=VALUE]  include dir, define (also -IDIR, -DNAME)
  -std=c++NN, -O0..-O3, -g extra compile flags
  -l NAME, -L DIR          load a library for the program (also -lNAME, -LDIR)
  --json                   engine events as JSON lines on stderr
  --quiet                  only print errors
  --stats                  print each unit's version and tier when the program exits, and
                           how many units the cache answered
  --no-cache               compile every unit (default: units an earlier run compiled with
                           the same text, flags and headers are read back from
                           $XDG_CACHE_HOME/hotengine or ~/.cache/hotengine; see hot cache)
  --tiering                recompile hot units at -O2 in the background
  --perf                   name JIT functions for perf (/tmp/perf-PID.map)
  -h, --help               this text
)";

bool takeValue(const std::vector<std::string> &args, size_t &i, const std::string &flag,
               std::string &out) {
  const std::string &a = args[i];
  if (a == flag) {
    if (i + 1 >= args.size()) return false;
    out = args[++i];
    return true;
  }
  if (flag.size() == 2 && a.rfind(flag, 0) == 0 && a.size() > 2) { // -Ifoo
    out = a.substr(2);
    return true;
  }
  return false;
}
/// Failures of a unit's compile, link or initializers reach the EventPrinter as reload events
/// (with their diagnostics); everything else is only in the returned Status.
bool reportedByEvents(hot::ErrorCode code) {
  using hot::ErrorCode;
  return code == ErrorCode::CompileError || code == ErrorCode::LinkError ||
         code == ErrorCode::LayoutChanged || code == ErrorCode::SignatureChanged ||
         code == ErrorCode::InitializerFailed;
}
} // namespace

bool parseCompileOption(const std::vector<std::string> &args, size_t &i, hot::Config &config,
                        std::string &error) {
  const std::string &a = args[i];
  std::string v;
  if (a == "--config") { // loaded before every other option (loadConfigOption)
    if (i + 1 >= args.size()) return error = "--config needs a file", true;
    ++i;
    return true;
  }
  if (a == "--compile-commands") {
    if (i + 1 >= args.size()) return error = "--compile-commands needs a file", true;
    config.compile_commands = args[++i];
    return true;
  }
  if (a == "--no-build-libraries") return config.build_libraries = false, true;
  if (takeValue(args, i, "-I", v)) return config.include_dirs.push_back(v), true;
  if (takeValue(args, i, "-D", v)) return config.defines.push_back(v), true;
  if (takeValue(args, i, "-l", v)) return config.libraries.push_back(v), true;
  if (takeValue(args, i, "-L", v)) return config.library_dirs.push_back(v), true;
  if (a.rfind("-std=", 0) == 0) return config.std = a.substr(5), true;
  if (a.size() == 3 && a.rfind("-O", 0) == 0 && a[2] >= '0' && a[2] <= '3')
    return config.opt_level = a[2] - '0', true;
  if (a == "-g") return config.debug_info = true, true;
  if (a == "--tiering") return config.tiering.enabled = true, true;
  if (a == "--perf") return config.perf_map = true, true;
  return false;
}

/// The --config file's settings, so that options given on the command line, before or after
/// it, apply on top of them. Without one, `defaults`.
bool loadConfigOption(const std::vector<std::string> &args, hot::Config &config,
                      std::string &error) {
  for (size_t i = 0; i + 1 < args.size() && args[i] != "--"; ++i) {
    if (args[i] != "--config") continue;
    auto loaded = hot::Config::fromJsonFile(args[i + 1]);
    if (!loaded.ok()) return error = loaded.status().message(), false;
    config = loaded.value();
  }
  return true;
}

int runCommand(const std::vector<std::string> &args) {
  hot::Config config;
  if (std::string error; !loadConfigOption(args, config, error))
    return std::fprintf(stderr, "hot run: %s\n", error.c_str()), 2;
  // A fault nothing catches (on a thread the program made without pthread_create) is still
  // reported; supervised threads report their own.
  config.crash_report = true;
  if (config.cache_dir.empty()) config.cache_dir = hot::Config::defaultCacheDir(); // --no-cache: ""
  std::vector<std::string> inputs, program_args;
  bool json = false, quiet = false, stats = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    std::string error;
    if (a == "--") {
      program_args.assign(args.begin() + long(i) + 1, args.end());
      break;
    }
    if (a == "-h" || a == "--help") return std::fputs(kRunUsage, stdout), 0;
    if (a == "--json") json = true;
    else if (a == "--quiet") quiet = true;
    else if (a == "--stats") stats = true;
    else if (a == "--no-cache") config.cache_dir.clear();
    else if (parseCompileOption(args, i, config, error)) {
      if (!error.empty()) return std::fprintf(stderr, "hot run: %s\n", error.c_str()), 2;
    } else if (!a.empty() && a[0] == '-')
      return std::fprintf(stderr, "hot run: unknown option '%s'\n%s", a.c_str(), kRunUsage), 2;
    else inputs.push_back(a);
  }
  if (inputs.empty() && config.compile_commands.empty()) return std::fputs(kRunUsage, stderr), 2;
  // main() runs on this thread inside JIT code and never calls update(): apply from the
  // engine's thread.
  config.apply_in_background = true;

  auto created = hot::HotEngine::create(config);
  if (!created.ok()) {
    std::fprintf(stderr, "hot run: %s\n", created.status().message().c_str());
    return 2;
  }
  std::unique_ptr<hot::HotEngine> engine = std::move(created.value());
  EventPrinter printer(json, quiet);
  engine->setListener(&printer);

  // Every input in one first load: units in different folders may use each other's data.
  bool from_database = inputs.empty(); // every unit of --compile-commands
  if (Status st = engine->load(inputs); !st.ok()) {
    if (!reportedByEvents(st.code()))
      std::fprintf(stderr, "hot run: %s\n", st.message().c_str());
    return 1;
  }
  if (hot::EngineStats st = engine->stats(); !quiet && !json && st.cache_hits > 0)
    std::fprintf(stderr,
                 "hot: %llu of %zu units read back from %s (unchanged since a run compiled "
                 "them), %llu linked from their objects\n",
                 (unsigned long long)st.cache_hits, st.units, config.cache_dir.c_str(),
                 (unsigned long long)st.cache_replayed);

  // `hot call` reaches this run through <cwd>/.hot/<pid>.sock (or the fallback folder when
  // the working directory cannot hold it) while main runs (cli/Control.h).
  std::string control_error;
  auto control = ControlServer::start(*engine, control_error);
  if (!control) // even with --quiet: a call that cannot reach the program must not be a mystery
    std::fprintf(stderr, "hot run: hot call disabled: %s\n", control_error.c_str());

  std::vector<std::string> argv = {from_database ? config.compile_commands : inputs.front()};
  argv.insert(argv.end(), program_args.begin(), program_args.end());
  // Every thread the program starts is supervised, and so is main(): a fault in a unit's new
  // version rolls it back (the faulting thread's call is abandoned); any other fault ends the
  // program with the signal's status after a message naming where it happened.
  superviseThreads(engine.get());
  hot::Result<int> status = hot::Status(hot::ErrorCode::Crashed, "main() crashed");
  hot::Status crash = engine->supervise([&] { status = engine->runMain(argv); });
  superviseThreads(nullptr);
  if (!crash.ok()) {
    std::fprintf(stderr, "hot run: main() was abandoned after the crash above (the main thread "
                         "cannot resume a call that faulted); the program ends\n");
    return 128 + 11;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "hot run: %s\n", status.status().message().c_str());
    return 1;
  }
  std::fflush(stdout);
  if (stats) {
    for (const hot::UnitInfo &u : engine->units())
      std::fprintf(stderr, "hot: %s: version %u, tier %d%s\n", u.path.c_str(), u.version, u.tier,
                   u.failed ? " (last edit failed)" : "");
    hot::EngineStats st = engine->stats();
    if (!config.cache_dir.empty())
      std::fprintf(stderr,
                   "hot: cache %s: %llu read back (%llu linked from their objects), %llu "
                   "compiled, %llu corrupt; %.1f MB read, %.1f MB written\n",
                   config.cache_dir.c_str(), (unsigned long long)st.cache_hits,
                   (unsigned long long)st.cache_replayed, (unsigned long long)st.cache_misses,
                   (unsigned long long)st.cache_corrupt, double(st.cache_bytes_read) / (1 << 20),
                   double(st.cache_bytes_written) / (1 << 20));
  }
  return status.value();
}

} // namespace hot::cli
