// hotengine public API: the engine. Include this (and only this) from a host program.
//
//   auto engine = hot::HotEngine::create(config);       // Result<std::unique_ptr<HotEngine>>
//   if (auto st = (*engine)->watch("live/"); !st.ok()) ...// compile every unit, then watch
//   auto update = (*engine)->function<void(float)>("game::update");
//   for (;;) { (*engine)->update(); (*update)(dt); }     // update(): apply reloads here
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "hot/config.h"
#include "hot/status.h"

namespace hot {

/// One unit's reload (or first load), successful or not.
struct ReloadEvent {
  std::string unit;            ///< Path of the translation unit.
  unsigned version = 0;        ///< Version now running (unchanged on failure).
  bool success = false;
  ErrorCode code = ErrorCode::Ok;
  std::string message;         ///< Empty on success; names file:line:col on failure.
  std::vector<Diagnostic> diagnostics; ///< Compiler diagnostics (warnings too).
  double compile_ms = 0;       ///< Frontend + optimization + codegen.
  double link_ms = 0;          ///< JIT link + symbol resolution + stub redirection.
  std::uint64_t transaction = 0; ///< Units applied together share this id.
  int tier = 0;                ///< Tier of the code now running.
  /// Only the edited function bodies were compiled (Config::function_patches); the unit's
  /// other functions kept their running code.
  bool partial = false;
  /// With `partial`: inline functions and template instantiations taken from the running
  /// version's code instead of being instantiated and compiled again
  /// (Config::reuse_inline_code).
  unsigned reused_functions = 0;
  /// The compile was read back from Config::cache_dir (an earlier run compiled this text with
  /// these flags and headers): nothing was compiled.
  bool from_cache = false;
  /// On failure: this unit was fine, but the unit named here failed in the same transaction
  /// (its own event carries the error). Empty when this unit is the one that failed.
  std::string waiting_for;
  /// Where the time of this unit's reload went, in ms (`hot run --json`: "phases").
  struct Phases {
    double header_cache = 0; ///< Checking, loading or building the unit's header cache.
    double frontend = 0;     ///< Parsing, templates and IR generation (header_cache included).
    double transform = 0;    ///< The engine's rewrite (stubs, state, initializers).
    double optimize = 0;     ///< LLVM's optimization pipeline.
    double codegen = 0;      ///< Machine code.
    double link = 0;         ///< JIT link and symbol resolution (= link_ms).
  } phases;
};

/// A unit moved between tiers (tiered compilation).
struct TierEvent {
  std::string unit;
  std::vector<std::string> functions; ///< Hot functions that triggered it.
  int from_tier = 0, to_tier = 0;
  double compile_ms = 0;
};

/// Callbacks from the engine. Every method has a no-op default; called on the thread that applies
/// the change (update()'s caller, or the engine thread when apply_in_background is set).
class Listener {
public:
  virtual ~Listener() = default;
  virtual void onReload(const ReloadEvent &) {}
  virtual void onTierChange(const TierEvent &) {}
  /// First-load progress: `done` of `total` units compiled.
  virtual void onProgress(unsigned /*done*/, unsigned /*total*/) {}
  /// A unit of a multi-unit load starts compiling (`done` of `total` are compiled already).
  virtual void onCompiling(const std::string & /*unit*/, unsigned /*done*/, unsigned /*total*/) {}
  /// Engine notices that are not reload results (removed globals, kept deleted functions, ...).
  virtual void onMessage(Severity, const std::string &) {}
};

/// The text `hot run` prints for `e`, ending in a newline: the diagnostics of a failure, then
/// "hot: a.cpp: compile error; version 2 keeps running" ("not started: ..." for a failed first
/// load; "not applied: waiting for b.cpp" for a unit held back by another); "version 3 live
/// (...)" for a reload; "" for a successful first load.
std::string formatEvent(const ReloadEvent &e);
/// "hot: warning: <text>\n" and so on.
std::string formatMessage(Severity severity, const std::string &text);

namespace detail {
/// Per-symbol record shared by handles; owned by the engine for its whole lifetime.
struct SymbolCell {
  void *const *slot = nullptr;   ///< Current body address, updated atomically on reload.
  void *stub = nullptr;          ///< Canonical address: never changes.
  std::atomic<bool> current{true}; ///< False once the symbol's signature changed or it was removed.
};
} // namespace detail

template <typename Sig> class Function;

/// A typed handle to a reloadable function. Stays valid for the engine's lifetime; every call
/// reaches the newest body (one atomic load + an indirect call).
template <typename R, typename... A> class Function<R(A...)> {
public:
  using Pointer = R (*)(A...);
  Function() = default;
  explicit Function(const detail::SymbolCell *cell) : cell_(cell) {}

  R operator()(A... args) const { return target()(static_cast<A &&>(args)...); }
  /// The body a call would reach now.
  Pointer target() const {
    return reinterpret_cast<Pointer>(__atomic_load_n(cell_->slot, __ATOMIC_ACQUIRE));
  }
  /// The stub: the function's address as JIT code sees it; equal across reloads.
  Pointer address() const { return reinterpret_cast<Pointer>(cell_->stub); }
  /// False once the function was removed or changed its signature (calls then still reach the
  /// last body with this signature).
  bool current() const { return cell_ && cell_->current.load(std::memory_order_acquire); }
  explicit operator bool() const { return cell_ != nullptr; }

private:
  const detail::SymbolCell *cell_ = nullptr;
};

/// What the engine knows about one unit.
struct UnitInfo {
  std::string path;
  unsigned version = 0;
  int tier = 0;
  bool failed = false;             ///< Last compile/link failed (older version still runs).
  std::uint64_t calls = 0;         ///< Calls counted at tier 0 (profiling).
  std::vector<std::string> dependencies; ///< Project headers the unit includes.
};

/// One version in a unit's history.
struct VersionInfo {
  unsigned version = 0;
  std::string content_hash;  ///< Hex hash of the unit's source text.
  std::int64_t loaded_at_ms = 0; ///< Unix time in milliseconds.
  int tier = 0;
  bool live = false;         ///< Its code is still mapped (rollback possible without recompiling).
};

/// One loaded body of a function: where its code is and where it came from (hot call --where).
struct FunctionPlace {
  std::string name;                  ///< As written, with parameter types ("game::update(float)").
  std::string symbol;                ///< Mangled name (the stub's).
  std::string unit;                  ///< Path of the unit whose version compiled this body.
  unsigned version = 0;              ///< That version's number.
  int tier = 0;
  bool running = false;              ///< Calls reach this body now.
  std::uintptr_t begin = 0, end = 0; ///< Its machine code: [begin, end).
  std::string file;                  ///< The function's definition in that version.
  unsigned line = 0;
};

/// Engine-wide counters (for tools, tests and the memory benchmark).
struct EngineStats {
  std::size_t units = 0;
  std::size_t live_versions = 0;  ///< Versions whose code is mapped (run or borrowed from by a
                                  ///< version in a history, or retiring).
  std::size_t retiring = 0;       ///< Superseded versions waiting for no thread to be inside.
  std::size_t stubs = 0;          ///< One per reloadable symbol, ever.
  std::size_t state_entries = 0;  ///< Persistent globals/statics/vtables.
  std::size_t code_bytes = 0;     ///< Executable JIT code currently mapped.
  /// Config::cache_dir, for this process: compiles read back, compiles done (misses), and
  /// entries found corrupt (counted as misses too).
  std::uint64_t cache_hits = 0, cache_misses = 0, cache_corrupt = 0;
  /// Units read back that were linked from an earlier run's objects without their IR (the
  /// engine's rewrite replayed), and those whose replay this run's engine state refused (a
  /// symbol or constant another unit provided then but not now): rewritten and compiled.
  std::uint64_t cache_replayed = 0, cache_replays_refused = 0;
  /// Bytes of cache entries (units, objects, records) read back and written by this process.
  std::uint64_t cache_bytes_read = 0, cache_bytes_written = 0;
};

class HotEngine {
public:
  /// Creates an engine: an ORC JIT in this process and a Clang frontend.
  static Result<std::unique_ptr<HotEngine>> create(Config config = {});
  ~HotEngine();
  HotEngine(const HotEngine &) = delete;
  HotEngine &operator=(const HotEngine &) = delete;

  /// Not owned; must outlive the engine or be reset with nullptr. Without one (and with
  /// Config::log_to_stderr, the default) errors, warnings and reloads are printed on stderr.
  void setListener(Listener *listener);

  /// Compiles every unit under `dir` (recursively, in parallel), loads them as one transaction,
  /// then watches `dir` with inotify. Fails if any unit fails to compile or link.
  Status watch(const std::string &dir);
  /// Loads the given files as units (and watches them). Same rules as watch(). With an empty
  /// list and a `compile_commands` database: every C++ unit the database lists.
  Status load(const std::vector<std::string> &files);

  /// Safe point: applies finished reloads on the calling thread. Returns how many units changed.
  /// Also retires old code no thread can still be running.
  int update();
  /// Blocks until every change seen so far is compiled (and applied, in background mode) or the
  /// timeout passes. Returns false on timeout. For tools and tests.
  bool waitIdle(unsigned timeout_ms = 30000);

  /// A typed handle to `name`: a C++ qualified name ("game::update"), a mangled name or an
  /// extern "C" name. The signature must match the function's recorded signature.
  template <typename Sig> Result<Function<Sig>> function(std::string_view name) {
    auto cell = lookupCell(name, typeid(Sig).name());
    if (!cell.ok()) return cell.status();
    return Function<Sig>(cell.value());
  }
  /// The canonical (stub) address of a reloadable function, or NotFound.
  Result<void *> address(std::string_view name);

  /// Returns `unit` to its previous version (its code, same state).
  Status rollback(const std::string &unit);
  std::vector<UnitInfo> units() const;
  std::vector<VersionInfo> history(const std::string &unit) const;
  EngineStats stats() const;

  /// Runs `int main(int, char**)` from the loaded units with `args` (args[0] is the program name).
  Result<int> runMain(const std::vector<std::string> &args);

  /// Calls a function by name with arguments given as text, using its recorded signature
  /// (libffi). Returns the result as text.
  Result<std::string> callByName(std::string_view name, const std::vector<std::string> &args);
  /// Every mapped body of every function `name` may mean (as for function()), oldest version
  /// first, the running one marked. NotFound if no loaded function has that name.
  Result<std::vector<FunctionPlace>> locate(std::string_view name);

  /// Runs `fn`; if JIT code faults (SIGSEGV/SIGBUS/SIGFPE/SIGILL, stack overflow included: the
  /// thread gets an alternate signal stack) inside it, rolls the faulting unit back to its
  /// previous version and unwinds the faulting call as hot::CrashedInNewCode (hot/crash.h):
  /// destructors run and a handler inside `fn` may catch it; uncaught, returns Crashed naming
  /// the unit and function. What cannot unwind (docs/ARCHITECTURE.md) is abandoned.
  Status guarded(const std::function<void()> &fn);
  /// guarded() for a whole thread (what `hot run` wraps every thread of the program in): a
  /// fault in the running version of a unit that has an older version rolls the unit back and
  /// unwinds as in guarded() (uncaught: the thread's call ends, other threads go on); any
  /// other fault ends the process with the signal's default action after the message.
  Status supervise(const std::function<void()> &fn);

  class Impl;

private:
  explicit HotEngine(std::unique_ptr<Impl> impl);
  Result<const detail::SymbolCell *> lookupCell(std::string_view name, const char *type_encoding);
  std::unique_ptr<Impl> impl_;
};

} // namespace hot
