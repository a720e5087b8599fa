// engine/: the engine's private state. Policy lives here: units, versions, the symbol and state
// tables, the reload pipeline and the thread that drives it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/CompileCommands.h"
#include "engine/CrashReport.h"
#include "engine/Guard.h"
#include "engine/Watcher.h"
#include "frontend/Frontend.h"
#include "hot/engine.h"
#include "jit/JitStack.h"
#include "jit/StubTable.h"
#include "jit/TransformRecord.h"
#include "jit/Transform.h"

namespace hot {

/// A reloadable function: one stub for the engine's lifetime.
struct SymbolRecord {
  std::string symbol;                  ///< Stub name.
  unsigned stub = 0;                   ///< Index in the StubTable.
  std::unique_ptr<detail::SymbolCell> cell;
  std::string qualified, display, type_encoding;
  std::string file;
  unsigned line = 0, column = 0;
  bool is_extern_c = false, is_user = false;
  std::string member_of;               ///< Non-static member function of this class ("" if not).
  int owner = -1;                      ///< Unit whose version provides the body (-1: none yet).
  unsigned owner_version = 0;
  /// Unit whose running version defines it strongly (not inline/template/weak), -1 if none,
  /// and where: a second strong definition is a multiple-definition error.
  int strong_owner = -1;
  std::string strong_where;
};

/// Persistent data: one storage for the engine's lifetime (per accepted layout).
struct StateEntry {
  std::string key, symbol, fingerprint, display, cpp_type, file;
  unsigned line = 0, column = 0, generation = 1;
  std::uint64_t size = 0;
  jit::DataKind kind = jit::DataKind::Mutable;
  int strong_owner = -1;               ///< As SymbolRecord::strong_owner.
  std::string strong_where;
};

/// One compiled and linked version of a unit.
struct Version {
  unsigned number = 0;
  llvm::orc::JITDylib *jd = nullptr;   ///< Null once retired.
  std::string hash;                    ///< Of the source text.
  std::string source;                  ///< The text itself (rollback after retirement).
  std::int64_t loaded_at_ms = 0;
  int tier = 0;
  std::map<std::string, void *> bodies; ///< Stub symbol -> body address in this version.
  /// Bodies this version kept from the version it was compiled against (a function-level
  /// recompile): stub symbol -> the JITDylib holding the code. Keeps those JITDylibs mapped.
  std::map<std::string, llvm::orc::JITDylib *> borrowed;
  std::shared_ptr<const fe::Outline> outline; ///< Base of the next function-level recompile.
  void *on_load = nullptr, *on_unload = nullptr;
  std::set<std::string> strong;        ///< Stub symbols this version defines strongly.
  std::set<std::string> calls;         ///< Stub symbols its code (borrowed bodies too) uses.
  /// Inline functions and template instantiations whose code this version can lend to a
  /// body-only recompile of its unit: mangled name -> (address, the JITDylib holding it: its
  /// own, or an older one it reused them from). Keeps those JITDylibs mapped.
  std::map<std::string, std::pair<void *, llvm::orc::JITDylib *>> shared_code;
  /// Line of each function this version compiled (its SymbolRecord keeps the first one's).
  std::map<std::string, unsigned> lines;
};

struct Unit {
  unsigned id = 0;
  std::string path;
  std::string real_path;               ///< The file a symlinked unit points to ("" if none).
  std::vector<Version> history;        ///< Oldest first; back() is the running version.
  unsigned next_version = 1;
  std::string attempted_hash;          ///< Source hash of the last compile attempt.
  std::vector<std::string> deps;       ///< Project headers (kept across failed compiles).
  std::set<std::string> data_keys;     ///< Persistent data keys of the running version.
  bool failed = false, deleted = false;
  bool retry = false;                  ///< Failed only because another unit of its transaction did.
  bool dormant = false;                ///< Left out of the first load (start_with_errors).
  /// Its last compile defined what unit `blocked_by` (an id) defines too: it is compiled again
  /// with that unit's next change (0: not blocked).
  unsigned blocked_by = 0;
  int tier = 0;
  Version *current() { return history.empty() ? nullptr : &history.back(); }
};

/// A unit on its way through the reload pipeline (one transaction holds several).
struct Staged {
  Unit *unit = nullptr;
  std::string source, hash;
  int opt_level = 0, tier = 0;
  fe::CompileResult compiled;
  bool compile_done = false; ///< `compiled` holds the result for `source`.
  /// The running version when staged: a function-level recompile compiles against its
  /// outline and keeps its other bodies (`base_bodies`: its stub symbols).
  unsigned base_version = 0;
  std::shared_ptr<const fe::Outline> base;
  std::set<std::string> base_bodies;
  /// The base's Version::shared_code names (null: none, or reuse is off).
  std::shared_ptr<const std::set<std::string>> reusable;
  std::unique_ptr<jit::UnitTransform> transform;
  std::unique_ptr<llvm::Module> data;  ///< New persistent data (may be null).
  std::unique_ptr<llvm::MemoryBuffer> code_obj, data_obj;
  llvm::orc::JITDylib *jd = nullptr;
  llvm::orc::ResourceTrackerSP data_tracker;
  Version version;
  void *init = nullptr;
  struct Migration {
    std::string hook_kind;   ///< "migrate:<variable>"
    std::string old_symbol;  ///< Storage of the running version.
    std::uint64_t old_size = 0;
    void *hook = nullptr, *old = nullptr; ///< Resolved at link time.
  };
  std::vector<Migration> migrations;
  double compile_ms = 0, link_ms = 0;
  /// linkAll(): the addresses of bodies, initializer and hooks (`lookup_error` if linking
  /// failed, with the session's errors).
  std::map<std::string, void *> addrs;
  std::string lookup_error;
  /// The key of this unit's replay record ("" if it has none), and whether analyze() replayed
  /// it (its objects came with the record: no rewrite, no backend).
  std::string record_key;
  bool replayed = false;
  ReloadEvent::Phases phases;
  /// Strong definitions of this compile (stub symbols and data keys) -> "file:line:col".
  std::map<std::string, std::string> strong_where;
  std::vector<std::string> hot_functions; ///< Tier-up: the functions that made it hot.
  /// A tier change of the running text (reported as a TierEvent), not a load or an edit.
  bool tier_up = false;
  /// Functions the module only declares because the base version's code is reused (see
  /// Version::shared_code): defined in the new JITDylib as that code's addresses.
  std::map<std::string, void *> reused;
};

struct Transaction {
  std::uint64_t id = 0;
  std::vector<std::unique_ptr<Staged>> units;
  std::map<std::string, std::unique_ptr<SymbolRecord>> new_symbols;
  std::map<std::string, StateEntry> new_state;
  Status status;
  Unit *culprit = nullptr;             ///< The unit whose failure failed the transaction.
  Unit *blocked_by = nullptr;          ///< Set with a multiple definition: the other unit.
  bool report_culprit_only = false;    ///< On failure only the culprit's event is reported.
  bool abandoned = false;              ///< An initializer or hook never returned (still runs).
  /// Part of the first load: nothing of the program runs yet, so a fault, abort() or exit() in
  /// an initializer ends the process as natively (later ones only fail the transaction).
  bool first_load = false;
  /// Strong definitions seen so far in this transaction: symbol or data key -> unit, where.
  std::map<std::string, std::pair<Unit *, std::string>> strong_defs;
};

class HotEngine::Impl {
public:
  explicit Impl(Config config) : config_(std::move(config)) {}
  ~Impl();
  Status init();
  /// Stops the engine thread, waiting at most `wait_ms`; false if it is still running (the
  /// engine must then be leaked, not destroyed).
  bool stop(unsigned wait_ms);

  // Public API, see hot/engine.h.
  Status load(const std::vector<std::string> &files);
  Status watch(const std::string &dir);
  Status firstLoad(std::vector<Unit *> units);
  int update();
  bool waitIdle(unsigned timeout_ms);
  Result<const detail::SymbolCell *> lookupCell(std::string_view name, const char *encoding);
  Result<void *> address(std::string_view name);
  Status rollback(const std::string &unit);
  std::vector<UnitInfo> units() const;
  std::vector<VersionInfo> history(const std::string &unit) const;
  EngineStats stats() const;
  Result<int> runMain(const std::vector<std::string> &args);
  /// `fatal_unless_rolled_back`: a fault that is not in a unit's running version with an older
  /// one to return to ends the process (default action of the signal) after the message.
  Status guarded(const std::function<void()> &fn, bool fatal_unless_rolled_back = false);
  /// " in 'int f()' (a.cpp:3)": where in `v` fault `f` happened ("" if not known). With mu_.
  std::string faultSite(const eng::Fault &f, const Version &v);
  /// Names the unit version and function fault `f` happened in, with its backtrace, and rolls
  /// that unit back if it is its running version and an older one exists.
  Status blameFault(const eng::Fault &f, bool &rolled_back);
  /// The JIT code a fault is blamed on: the faulting pc, or for a fault inside a library
  /// called from JIT code the innermost JIT frame (0: none). With mu_.
  std::uintptr_t blamedPc(const eng::Fault &f);
  /// "\n  backtrace:\n    #0 0x... 'int f()' (a.cpp:3) [a.cpp version 2]\n    #1 ...": the
  /// program's frames of `f` (JIT frames by unit, version and function; host frames by
  /// symbol), "" if none were captured. With mu_.
  /// `pending`: a version not applied yet (its initializer faulted) whose frames may be there.
  std::string backtrace(const eng::Fault &f, const Version *pending = nullptr);
  /// The report of a fault that ends the process (runs on the reporter thread).
  std::string fatalReport(const eng::Fault &f);
  /// "\n  last loaded: <unit> version N at <local time> (content <hash>)", or "".
  std::string lastLoaded() const;
  std::string frameName(std::uintptr_t pc, const Version *pending);
  /// "'int f()' (a.cpp:3)": the function of `v` whose code holds `pc`. With mu_.
  std::string functionName(std::uintptr_t pc, const Version &v);
  Result<std::vector<FunctionPlace>> functionPlaces(std::string_view name);
  /// hot call: see HotEngine::callByName (engine/FfiCall.cpp).
  Result<std::string> callByName(std::string_view name, const std::vector<std::string> &args);

  Listener *listener = nullptr;
  /// Where events go: the listener, else stderr (Config::log_to_stderr), else nowhere.
  Listener *sink();

private:
  friend class Oracle;
  // Pipeline steps (engine/Reload.cpp), in order.
  std::unique_ptr<Transaction> stage(const std::vector<Unit *> &units);
  void compileAll(Transaction &tx);
  fe::CompileJob compileJob(const Staged &s) const;
  bool startsHot(Staged &s, fe::Frontend &frontend);
  void noteCancelled(Staged &s, bool over_budget);
  void reuseSharedCode(Staged &s);
  Status analyze(Transaction &tx);
  Status decideFunctions(Transaction &tx, Staged &s);
  Status decideData(Transaction &tx, Staged &s);
  Status checkOneDefinition(Transaction &tx, Staged &s, const std::string &key,
                            const std::string &display, const std::string &here, int owner,
                            const std::string &first);
  Unit *unitById(unsigned id) const;
  Status rewriteAll(Transaction &tx);
  void codegenAll(Transaction &tx);
  Status linkAll(Transaction &tx);
  void lookUp(Staged &s);
  Status makeTransform(Staged &s, jit::TransformOptions opts);
  Status transformModule(Staged &s, const jit::TransformOptions &opts);
  Status compileIrAgain(Staged &s, const jit::TransformOptions &opts);
  unsigned stableUnitId(const std::string &path);
  std::optional<jit::TransformRecord> loadRecord(const std::string &key);
  Status stopReplaying(Staged &s);
  void storeRecord(Staged &s, const std::string &object_key);
  Status resolve(const Transaction &tx, Staged &s);
  Status apply(Transaction &tx, std::unique_lock<std::mutex> &lock);
  void commit(Transaction &tx);
  void recordStrongOwners(Staged &s);
  void noteRunningBodies(Transaction &tx);
  std::string callersOf(const std::string &symbol, const Unit &except) const;
  Status runUserCode(void *fn, const std::string &what, Transaction &tx, const Version &v,
                     std::unique_lock<std::mutex> &engine_lock);
  void discard(Transaction &tx);
  void report(Transaction &tx, const Status &status);
  Status runTransaction(std::unique_ptr<Transaction> tx, bool apply_now);

  // Support.
  Status loadLibrary(const std::string &lib, bool *already = nullptr);
  void loadBuildLibraries(const std::vector<std::string> &units);
  void reportUnusableSettings();
  Status loadSharedLibrary(const std::string &path);
  std::vector<std::string> scanUnits(const std::string &root);
  Status addRoot(const std::string &dir);
  bool underRoot(const std::string &path) const;
  void watchHeaders(const std::vector<std::string> &deps);
  void watchFolderOf(const std::string &file);
  bool isUnitFile(const std::string &path) const;
  std::vector<std::string> databaseUnits() const;
  std::vector<SymbolRecord *> findSymbols(std::string_view name);
  std::vector<std::string> compileArgs(const Unit &u) const;
  Unit &unitFor(const std::string &path);
  void retireOld(Unit &u);
  void holdCode(const Version &v);
  void releaseCode(const Version &v);
  bool patchUsable(const Staged &s) const;
  Status borrowBodies(Staged &s);
  void retirePending();
  Status rollbackLocked(Unit &u);
  void message(Severity s, const std::string &text);
  void workerLoop();
  /// Tiered compilation: recompiles at tier 1 the tier-0 units whose call counters crossed
  /// the threshold (engine/Tiering.cpp).
  void checkTiers();
  std::unique_ptr<Transaction> stageTierUp(Unit &u, std::vector<std::string> hot_functions);
  void handleChanges(const std::vector<eng::FileChange> &changes);
  std::vector<Unit *> unitsFor(const std::vector<eng::FileChange> &changes);
  void restage(Transaction &tx, const std::vector<Unit *> &more);
  template <typename F> void parallelFor(size_t n, F &&fn);
  bool stopping() {
    std::lock_guard<std::mutex> lock(pending_mu_);
    return stop_;
  }

  Config config_;
  void *dso_handle_ = nullptr;           ///< This engine's __dso_handle (destructor ownership;
                                         ///< JitStack::dsoHandle()).
  std::unique_ptr<jit::StubTable> stubs_;
  std::unique_ptr<jit::JitStack> jit_;
  /// Config::crash_report: names the frames of a fault nothing catches (engine/CrashReport.h).
  /// Declared after jit_ so that it stops first.
  std::unique_ptr<eng::CrashReporter> crash_reporter_;
  std::vector<std::unique_ptr<fe::Frontend>> frontends_;
  std::unique_ptr<eng::Watcher> watcher_;
  std::unique_ptr<eng::CompileDatabase> database_; ///< From config.compile_commands.
  std::set<std::string> loaded_libraries_; ///< Real paths (or dlopen names) loaded already.
  bool build_libraries_done_ = false;      ///< loadBuildLibraries() ran.

  mutable std::mutex mu_; ///< Guards every table below.
  std::map<std::string, std::unique_ptr<SymbolRecord>> symbols_;
  std::map<std::string, StateEntry> state_;
  std::set<std::string> constants_;      ///< Content-addressed data already in hot.state.
  std::map<std::string, std::unique_ptr<Unit>> units_;
  std::vector<std::string> watched_dirs_; ///< Trees whose unit files are units.
  std::set<std::string> header_dirs_;    ///< Folders of project headers outside those trees.
  /// Superseded versions waiting until no thread can be running them.
  std::vector<llvm::orc::JITDylib *> retiring_;
  /// Versions in a history that hold each JITDylib (their own code, or borrowed bodies): it
  /// retires when the last one leaves.
  std::map<llvm::orc::JITDylib *, unsigned> jd_refs_;
  std::chrono::steady_clock::time_point next_scan_{}; ///< No retirement scan before this.
  std::set<unsigned> unit_ids_; ///< Ids given to units (stableUnitId()).
  std::uint64_t next_tx_ = 1;

  // Hand-off between the engine thread and update().
  std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::unique_ptr<Transaction> pending_;
  bool applying_pending_ = false;        ///< update() is applying the transaction it took.
  bool busy_ = false;                    ///< The engine thread is working on changes.
  std::thread worker_;
  bool stop_ = false;
  bool worker_done_ = false;             ///< workerLoop() has returned.
  int creator_pid_ = 0;                  ///< The process that created the engine (fork check).
  /// An initializer or hook was abandoned while running: JIT code must never be freed.
  std::atomic<bool> code_abandoned_{false};
};

/// Runs fn(i, worker) for i in [0, n) on up to frontends_.size() threads; worker indexes the
/// per-thread Frontend.
template <typename F> void HotEngine::Impl::parallelFor(size_t n, F &&fn) {
  size_t threads = std::min(n, frontends_.size());
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (size_t w = 0; w < threads; ++w)
    pool.emplace_back([&, w] {
      for (size_t i; (i = next.fetch_add(1)) < n;) fn(i, w);
    });
  for (auto &t : pool) t.join();
}

} // namespace hot
