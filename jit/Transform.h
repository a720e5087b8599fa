// jit/: the IR transform that makes a unit reloadable. Private to the engine.
//
// A unit version's module is split into
//   - code (stays in the module): every function body, renamed "__hot_body.<symbol>"; every
//     reference to a reloadable function goes to its stub (address uses) or loads its slot
//     (direct calls), so nothing ever binds to one version's body;
//   - persistent data (a separate module, only for data the engine does not have yet):
//     mutable globals, statics, guard variables, vtables, typeinfo (keyed by name), and
//     constants (keyed by content). Code refers to all of it through declarations, so a new
//     version uses the old storage and its initializers are not run again.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "frontend/Frontend.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

namespace hot::jit {

/// How a piece of data behaves across versions.
enum class DataKind {
  Mutable,      ///< Globals, statics, guards: one storage for the engine's lifetime.
  Vtable,       ///< _ZTV/_ZTT/_ZTI/_ZTS: kept (old objects point to it); shape must not change.
  ReinitConst,  ///< A const object with a dynamic initializer: fresh storage per version.
  Constant,     ///< Other constants (string literals, tables): shared by identical content.
};

/// A persistent data symbol found in the unit (all kinds but Constant).
struct DataCandidate {
  std::string key;          ///< Identity across versions: mangled name, unit-scoped if local.
  DataKind kind = DataKind::Mutable;
  std::string fingerprint;  ///< Equal fingerprints mean the old bytes fit the new code.
  std::string display;      ///< "game::score" / "vtable for Foo"
  std::string cpp_type;     ///< "int", "Player" ("" when unknown)
  std::uint64_t size = 0;   ///< Bytes.
  std::string file;
  unsigned line = 0, column = 0;
  std::string simple_name;  ///< Last component of the name ("score"), for migration hooks.
  /// A strong external definition (not inline, template, weak or common): a second unit
  /// defining the same name breaks the one-definition rule.
  bool strong = false;
  // Decided by the engine before rewrite():
  std::string symbol;       ///< Name in hot.state (key, or key + ".L<n>" after a layout change).
  bool is_new = true;       ///< This version defines it (and runs its initializer).
};

/// A function that gets (or shares) a stub.
struct FunctionCandidate {
  std::string symbol;       ///< Stub name: mangled, unit-scoped if local.
  std::string body;         ///< Body name in this version's JITDylib (after rewrite).
  std::string mangled;      ///< Name in the source module.
  const fe::FunctionInfo *info = nullptr; ///< Null for compiler-made functions.
  bool is_user = false;     ///< Written by the user (not a system header, not compiler-made).
  bool is_alias = false;    ///< Another name for a body (constructor aliases).
  /// A strong external definition: a second unit defining it is a multiple definition.
  bool strong = false;
};

/// Engine knowledge the rewrite consults.
class SymbolOracle {
public:
  virtual ~SymbolOracle() = default;
  /// True if `symbol` names a function with a stub (calls to it load its slot).
  virtual bool isReloadable(const std::string &symbol) const = 0;
  /// True if hot.state already defines `symbol` (content-addressed constants).
  virtual bool hasData(const std::string &symbol) const = 0;
  /// Current hot.state symbol of data key `key` (differs after an accepted layout change).
  virtual std::string dataSymbol(const std::string &key) const { return key; }
};

struct TransformOptions {
  unsigned unit_id = 0;
  unsigned version = 0;
  bool count_calls = false; ///< Tier-0 profiling: bump the stub's counter on entry.
  /// Local functions the module only declares (their bodies were skipped by a function-level
  /// recompile): references get their unit-scoped stub name.
  std::vector<std::string> local_declarations;
  /// Keep a TransformRecord of rewrite() (record()), for a later run to replay.
  bool record = false;
};

struct TransformRecord;
class RecordingOracle;

class UnitTransform {
public:
  UnitTransform(llvm::Module &m, const fe::CompileResult &info, TransformOptions opts);
  /// A replay of `record`, an earlier run's rewrite of the same module with the same options
  /// (no module): functions(), data() and hasHook() are the record's, analyze() does nothing,
  /// and replay() stands in for rewrite().
  UnitTransform(const TransformRecord &record, const fe::CompileResult &info, TransformOptions opts);
  ~UnitTransform();
  bool replaying() const { return m_ == nullptr; }
  /// Replay mode: sets what rewrite() sets and returns true if the engine decided data() as the
  /// recorded rewrite saw it and `oracle` answers each question it asked the same way; false
  /// (nothing set) if a real rewrite is needed.
  bool replay(const SymbolOracle &oracle);
  /// With TransformOptions::record, after rewrite(): what it consulted and produced.
  TransformRecord *record() { return record_.get(); }
  /// Replay mode: the object of the data module the recorded rewrite made ("" if none).
  const std::string &replayedDataObject() const;
  const TransformOptions &options() const { return opts_; }

  /// Finds functions, data, initializers and hooks. Mutates only to detach llvm.global_ctors.
  llvm::Error analyze();
  std::vector<DataCandidate> &data() { return data_; }
  std::vector<FunctionCandidate> &functions() { return functions_; }
  /// True if the unit defines hook `kind`: "load", "unload" or "migrate:<variable>".
  bool hasHook(const std::string &kind) const { return hooks_.count(kind) > 0; }

  /// Rewrites the module (see the file comment) using the engine's decisions in data().
  /// Returns the new persistent-data module (verified), or null if nothing new. The code
  /// module is not verified here: verifyCode() before it is compiled (a module whose object
  /// an earlier run compiled, so verified, is not verified again).
  llvm::Expected<std::unique_ptr<llvm::Module>> rewrite(const SymbolOracle &oracle);
  /// An error naming the invalid IR if the rewritten code module is not valid (an engine bug).
  static llvm::Error verifyCode(llvm::Module &m);

  /// Set by rewrite(): names in the code module.
  std::string initFunction;                    ///< "" if the unit has no initializers to run.
  std::string onLoad, onUnload;                ///< Lifecycle hook bodies ("" if absent).
  std::map<std::string, std::string> migrate;  ///< Variable simple name -> migration hook body.
  std::vector<std::string> newConstants;       ///< Content-addressed constants defined now.
  unsigned skippedInitializers = 0;            ///< Initializers not re-run (state kept).
  std::set<std::string> calls;                 ///< Stub symbols the code calls or takes.
  /// Every symbol the rewritten code module declares without defining (what linking it needs).
  std::set<std::string> externals;

  /// Name of the slot symbol of `symbol`, and of its call counter.
  static std::string slotName(const std::string &symbol) { return "__hot_slot." + symbol; }
  /// Stub and state name of a local (internal linkage) symbol: scoped by its unit.
  static std::string unitScoped(unsigned unit, const std::string &name) {
    return "__hot." + std::to_string(unit) + "." + name;
  }
  /// The stub name of function `name` of `unit` (`local`: internal linkage).
  static std::string stubSymbol(unsigned unit, const std::string &name, bool local) {
    return local ? unitScoped(unit, name) : name;
  }
  static std::string counterName(const std::string &symbol) { return "__hot_cnt." + symbol; }

private:
  std::unique_ptr<TransformRecord> makeRecord(const RecordingOracle &oracle) const;
  struct Impl;
  llvm::Module *m_ = nullptr; ///< Null when replaying.
  const fe::CompileResult &info_;
  std::unique_ptr<TransformRecord> record_, replay_;
  TransformOptions opts_;
  std::vector<DataCandidate> data_;
  std::vector<FunctionCandidate> functions_;
  std::vector<std::pair<int, llvm::Function *>> ctors_;
  std::map<std::string, llvm::Function *> hooks_; // "load"/"unload"/"migrate:<var>" -> fn
};

} // namespace hot::jit
