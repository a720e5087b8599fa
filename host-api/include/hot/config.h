// hotengine public API: configuration. Every field has a default; a JSON file may set any of them
// under the same key name. Unknown keys and wrong types are errors that name the key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hot/status.h"

namespace hot {

/// Tiered compilation (JVM-style): tier 0 compiles fast, hot units are recompiled at tier 1.
struct TieringConfig {
  bool enabled = false;              ///< "tiering.enabled": recompile hot units in the background.
  int tier0_opt = 0;                 ///< "tiering.tier0_opt": -O level of a fresh edit.
  int tier1_opt = 2;                 ///< "tiering.tier1_opt": -O level after tier-up.
  std::uint64_t call_threshold = 100000; ///< "tiering.call_threshold": calls into a unit before tier-up.
  bool native_cpu = false;           ///< "tiering.native_cpu": -march=native at tier 1.
};

struct Config {
  std::string std = "c++20";              ///< "std": language standard of C++ units (-std=).
  std::string c_std = "gnu17";            ///< "c_std": language standard of C units (.c files).
  int opt_level = 0;                      ///< "opt_level": -O level when tiering is off.
  bool debug_info = false;                ///< "debug_info": -g instead of -g0.
  std::vector<std::string> include_dirs;  ///< "include_dirs": -I paths.
  std::vector<std::string> defines;       ///< "defines": "NAME" or "NAME=VALUE" (-D).
  std::vector<std::string> flags;         ///< "flags": extra clang++ flags, verbatim.
  /// "extensions": which files are units. ".c" files are compiled as C, the others as C++.
  std::vector<std::string> extensions = {".cpp", ".cc", ".cxx", ".c++", ".c"};
  std::vector<std::string> exclude;       ///< "exclude": skip paths containing any of these.
  std::string compile_commands;           ///< "compile_commands": compile_commands.json to use.
  std::vector<std::string> libraries;     ///< "libraries": -l names or paths to load for JIT code.
  std::vector<std::string> library_dirs;  ///< "library_dirs": -L search paths for "libraries".
  /// "build_libraries": when compile_commands sits in a CMake build folder, also load the
  /// libraries the build links into the executable the units make up (its link.txt, or
  /// build.ninja), except those built from the units themselves. A note says what was taken.
  bool build_libraries = true;
  unsigned debounce_ms = 5;               ///< "debounce_ms" (at most 60000): quiet time that ends a burst of saves (it overlaps the compile: no fixed delay).
  bool apply_in_background = false;       ///< "apply_in_background": apply reloads on the engine's
                                          ///< thread instead of waiting for update().
  bool header_cache = true;               ///< "header_cache": reuse parsed headers (PCH).
  /// "function_patches": when an edit stays inside function bodies (declarations, flags and
  /// project headers unchanged), compile only the edited bodies; the other functions keep
  /// their running code. Anything else is a full recompile of the unit.
  bool function_patches = true;
  /// "reuse_inline_code": in such a body-only recompile, inline functions and template
  /// instantiations the running version already has (same mangled name, and by the
  /// one-definition rule the same code, since no declaration changed) are not generated
  /// again: the new code calls the running version's copies.
  bool reuse_inline_code = true;
  /// "perf_map": append every JIT function of every version to /tmp/perf-<pid>.map (perf's
  /// JIT symbol file: `perf report` then names them, "f(int) [a.cpp v2]"). `hot run --perf`.
  bool perf_map = false;
  /// "register_with_debugger": with debug_info, every version is registered through the GDB
  /// JIT interface as it links (gdb and lldb then set breakpoints in it, name its frames and
  /// lines) and unregistered when it is retired. false leaves debuggers blind to JIT code.
  bool register_with_debugger = true;
  /// "crash_report": a fault (or abort()) that nothing catches, on any thread, is reported
  /// before the process ends as it would have: the signal, then the unit, version, function
  /// and file:line of each JIT frame, the host frames, and the version loaded last. Installs
  /// SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT handlers that chain to the host's (a host whose own
  /// handler recovers from such faults should leave this off). `hot run` turns it on.
  bool crash_report = false;
  /// "cache_dir": keep compiled units (and units' own preambles) on disk, so that a unit
  /// whose text, flags and included files are what an earlier run compiled is read back
  /// instead of compiled ("" = memory only; `hot run` defaults to $XDG_CACHE_HOME/hotengine
  /// or ~/.cache/hotengine). The shared system-header PCHs (one per flag set, see
  /// docs/ARCHITECTURE.md) stay in memory.
  std::string cache_dir;
  /// "cache_max_mb" (1 to 1000000): size bound of the compiled units in cache_dir; the least
  /// recently used are evicted past it.
  unsigned cache_max_mb = 1024;
  unsigned history = 4;                   ///< "history" (at most 1000): versions kept per unit (rollback depth).
  unsigned compile_threads = 0;           ///< "compile_threads" (at most 256): first-load parallelism (0 = cores).
  bool track_system_headers = false;      ///< "track_system_headers": reload on system header edits.
  /// "start_with_errors": watch()/load() succeed even if some units fail to compile or link:
  /// those are reported and left out, and loaded as soon as an edit makes them work. Off: the
  /// first load is all or nothing.
  bool start_with_errors = false;
  /// "log_to_stderr": without a Listener, errors, warnings and reload lines go to stderr (so a
  /// host that sets no listener still sees why an edit did not apply). Off: silent.
  bool log_to_stderr = true;
  /// "init_timeout_ms" (at most 3600000): a unit's static initializers and lifecycle hooks run
  /// on a thread of their own; one that has not returned after this long is abandoned (left
  /// running) and its change is not applied, so the engine never waits forever. 0: no limit.
  unsigned init_timeout_ms = 10000;
  /// "compile_budget_ms" (at most 3600000; 0: none): a unit's compile (parsing, templates, IR)
  /// that runs longer is cancelled: its change fails with a message and the running version
  /// stays. Compiles are cancelled too when the engine stops.
  unsigned compile_budget_ms = 120000;
  TieringConfig tiering;                  ///< "tiering": see TieringConfig.

  /// Parses JSON text. `origin` names the source in error messages.
  static Result<Config> fromJson(const std::string &text, const std::string &origin = "<json>");
  /// Reads and parses a JSON file.
  static Result<Config> fromJsonFile(const std::string &path);
  /// Serializes every field (for `hot config --dump` and generated configs).
  std::string toJson() const;
  /// Where `hot run` keeps compiled units: $XDG_CACHE_HOME/hotengine, else
  /// $HOME/.cache/hotengine ("" if neither is set).
  static std::string defaultCacheDir();
};

} // namespace hot
