// jit/: the ORC stack. One LLJIT (JITLink), three kinds of JITDylib:
//   hot.stubs  : absolute symbols for every stub and slot, plus runtime overrides
//                (__cxa_atexit, atexit, __dso_handle) so JIT code never registers into libc.
//   hot.state  : persistent data (globals, statics, vtables, typeinfo, constants); never removed,
//                so state keeps its address across every reload.
//   unit@vN    : one JITDylib per unit version, holding only code; removed when retired.
// Link order of a version: itself, hot.stubs, hot.state, the process (libc, libstdc++, host).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

namespace hot::jit {

/// What JitStack::create() sets up besides the stack itself.
struct JitStackOptions {
  /// Append each linked function to /tmp/perf-<pid>.map (see perfMapPath()).
  bool perf_map = false;
  /// Register every linked object that carries DWARF with the GDB JIT interface
  /// (__jit_debug_register_code) and unregister it when its version is removed, so gdb
  /// and lldb see each version's functions, lines and frames. Objects without debug
  /// sections are not registered.
  bool debugger = false;
};

class JitStack {
public:
  /// `runtime` maps names JIT code must see to host addresses (defined in hot.stubs).
  static llvm::Expected<std::unique_ptr<JitStack>>
  create(const std::map<std::string, void *> &runtime, JitStackOptions options = {});
  /// The name of the JITDylib of version `number` of `unit`: "<unit path>@v<number>".
  static std::string versionName(const std::string &unit, unsigned number);
  /// What a versionName() holds: the unit's file name and the version number as text.
  /// False for other JITDylibs (hot.stubs, hot.state).
  static bool splitVersionName(llvm::StringRef name, std::string &file_name, std::string &number);
  /// perf's JIT symbol file of this process: "/tmp/perf-<pid>.map".
  static std::string perfMapPath();
  ~JitStack();

  /// Defines absolute symbols in hot.stubs (stubs, slots, counters). Names must be new.
  llvm::Error defineAbsolute(const std::map<std::string, void *> &symbols);

  /// Adds a persistent-data object to hot.state under a fresh tracker; removing that tracker
  /// undoes it (used when the transaction that introduced the data fails).
  llvm::Expected<llvm::orc::ResourceTrackerSP>
  addStateObject(std::unique_ptr<llvm::MemoryBuffer> object);

  /// Creates the JITDylib of one unit version and adds its code object. `reused`: functions
  /// the object only declares, defined in the JITDylib as the addresses of an older version's
  /// code (the caller keeps that code mapped).
  llvm::Expected<llvm::orc::JITDylib *>
  addVersion(const std::string &name, std::unique_ptr<llvm::MemoryBuffer> object,
             const std::map<std::string, void *> &reused = {});

  /// Resolves `names` in `jd` (links it). Any missing symbol fails the whole lookup.
  llvm::Expected<std::map<std::string, void *>> lookup(llvm::orc::JITDylib &jd,
                                                       const std::vector<std::string> &names);
  /// lookup() for several JITDylibs linked on as many threads at once (the session's errors
  /// of all of them go to takeSessionErrors()). Archive initializers wait for finishLinking():
  /// one thread's lookup may be linking a member another's already saw.
  llvm::Expected<std::map<std::string, void *>> linkOnly(llvm::orc::JITDylib &jd,
                                                         const std::vector<std::string> &names);
  /// After every linkOnly() returned, on the thread that may run user code: what lookup()
  /// does after linking (archive members' initializers, the unwinder's first search).
  void finishLinking();
  /// Forces every pending definition of hot.state to link.
  llvm::Expected<std::map<std::string, void *>> lookupState(const std::vector<std::string> &names);

  /// Frees a version's code (and unregisters its debug objects). Callers guarantee no thread
  /// runs in it, and serialize removals with links.
  llvm::Error removeVersion(llvm::orc::JITDylib &jd);

  /// Whether linked objects are registered with the GDB JIT interface (JitStackOptions::debugger).
  /// gdb misses registrations that several threads make in quick succession (seen with gdb
  /// 13: one unit's entry read twice, another's never, so `step` stepped over its functions):
  /// callers link one unit at a time when this is on.
  bool registersWithDebugger() const { return debugger_; }

  /// The version JITDylib whose code contains `pc`, or nullptr.
  llvm::orc::JITDylib *codeOwner(std::uintptr_t pc) const;
  /// The linker's name of the JIT function whose code contains `pc` (internal functions and
  /// lambdas included; bodies are "__hot_body.<symbol>"), or "".
  std::string functionAt(std::uintptr_t pc) const;
  /// The linkonce/weak functions `jd`'s own objects defined (inline functions, template
  /// instantiations): name -> address. Unit-scoped names ("__hot...") are left out.
  std::map<std::string, void *> weakFunctions(llvm::orc::JITDylib &jd) const;
  /// Executable ranges of `jd` (empty for null: every JIT code range).
  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> codeRanges(llvm::orc::JITDylib *jd) const;
  /// [begin, end) of the function body that starts at `body` ({0, 0} if unknown).
  std::pair<std::uintptr_t, std::uintptr_t> bodyRange(const void *body) const;
  /// Total bytes of executable code currently mapped for `jd`.
  std::size_t codeBytes(llvm::orc::JITDylib &jd) const;

  /// Makes a shared library's symbols visible to JIT code (dlopen RTLD_GLOBAL).
  llvm::Error loadLibrary(const std::string &path);
  /// Links a static archive's members into hot.state on demand (when a lookup needs a symbol
  /// one defines). Native objects are linked as a native link would: their `.init_array`
  /// (static initializers) runs once, after the lookup that linked them returns, and their
  /// `__dso_handle` is dsoHandle(), so their destructors run with the engine's.
  llvm::Error addArchive(const std::string &path);

  /// The `__dso_handle` of every JIT object: 8 bytes allocated in hot.state, near the JIT's
  /// code, since native objects address it PC-relative. `__cxa_atexit` calls name it.
  void *dsoHandle() const { return dso_handle_; }

  llvm::orc::LLJIT &lljit() { return *jit_; }

  /// Errors ORC reported asynchronously since the last call (e.g. "Symbols not found").
  std::string takeSessionErrors();

private:
  JitStack() = default;
  class RangePlugin;
  class ArchivePlugin;
  llvm::Error defineDsoHandle();
  /// Runs the static initializers of archive members linked since the last call.
  void runArchiveInitializers();
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::shared_ptr<ArchivePlugin> archives_;
  void *dso_handle_ = nullptr;
  llvm::orc::JITDylib *stubs_ = nullptr;
  llvm::orc::JITDylib *state_ = nullptr;
  std::shared_ptr<RangePlugin> ranges_;
  bool debugger_ = false; ///< JitStackOptions::debugger: unregister objects on removal.
  std::mutex errors_mu_;
  std::string errors_;
};

} // namespace hot::jit
