// frontend/: source text -> llvm::Module + structured diagnostics + the unit's dependencies.
// Private to the engine (LLVM types allowed here, never in host-api/).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <new>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hot/status.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

namespace hot::fe {

struct Outline; ///< Where a compiled main file's function bodies are (frontend/Outline.h).

/// What to compile and how. `args` are clang++ driver flags (e.g. "-std=c++20", "-Iinc", "-DX=1",
/// "-O0"); the frontend adds "-c <path> -fPIC" itself and lets clang's driver pick the libstdc++
/// include paths and the resource dir exactly like `clang++-22` would.
struct CompileJob {
  std::string path;                   ///< Main file (absolute). Used for diagnostics and includes.
  std::string contents;               ///< Source text to compile (already read; may differ from disk).
  std::vector<std::string> args;      ///< Driver flags, no input file, no -o/-c.
  int opt_level = 0;                  ///< 0-3. The returned module is NOT optimized (see below).
  bool track_system_headers = false;  ///< Include system headers in `dependencies`.
  /// Reuse the parsed headers of the unit's #include prefix (its preamble: the leading
  /// #include/#define/... lines) between compiles. The first compile with a given prefix and
  /// flag set builds the cache; later ones reuse it while every file it covers is unchanged.
  bool use_header_cache = true;
  /// Also keep header caches as files in this directory (created when missing), so a new
  /// process starts warm. "" = memory only.
  std::string cache_dir;
  /// With `cache_dir`: also keep whole first compiles there (owner-only): a compile without
  /// `base` whose text, flags and included files' contents match an earlier one is read
  /// back, not compiled (frontend/UnitCache.h).
  bool cache_units = false;
  /// Bound of the compiled units kept in `cache_dir` (least recently used evicted).
  std::uint64_t cache_max_bytes = 1ull << 30;
  /// With `cache_units`: only read back; a miss returns at once, compiling nothing (the
  /// result has no module and no diagnostics). Asks "was this compiled before?".
  bool cache_only = false;
  /// With `cache_units`: a result read back keeps its module as bitcode (CompileResult::bitcode).
  /// An entry stored without its IR (`cache_ir` off) is read back with neither module nor
  /// bitcode: the caller has that unit's code some other way, or compiles it again.
  bool lazy_module = false;
  /// With `cache_units`: the stored entry keeps the module's IR (bitcode). Off, it keeps only
  /// what describes the unit (symbols, diagnostics, dependencies, outline): for a caller that
  /// caches the unit's machine code itself and would read the IR back only when it cannot use it.
  bool cache_ir = true;
  /// With `cache_units`: off, an entry is not read back (compiled, then stored).
  bool cache_read = true;
  /// A unit compiled for the first time takes the <...> includes its main file starts with
  /// from the shared system-header PCH (one build for all units with the same flags and
  /// headers: fast first loads) instead of building a preamble of its own. Checked by the
  /// compile: if the unit's own directives make the guess unsafe it is compiled from source.
  bool share_system_headers = false;
  /// The outline of the running version's compile. When the text differs from it only inside
  /// function bodies (and flags and project headers are unchanged), the other bodies are
  /// skipped: the result defines only the edited functions (`patch`), and the caller keeps the
  /// running code of the `skipped` ones.
  std::shared_ptr<const Outline> base;
  /// With `base`: mangled names of the inline functions and template instantiations whose code
  /// the version `base` describes has. When the edit changed only bodies, function templates
  /// among them are not instantiated again (see frontend/ReuseInstantiations.h): the module
  /// declares them, and the caller links them to that code.
  std::shared_ptr<const std::set<std::string>> reusable;
  /// Set (from any thread) to cut the compile short: it then fails with a fatal error. Parsing
  /// stops within about a thousand tokens or at the next declaration it hands on, template
  /// instantiation and code generation at once. Building a header cache is not interrupted.
  const std::atomic<bool> *cancel = nullptr;
};

/// What the header cache did for one compile.
enum class HeaderCacheUse {
  None,   ///< Not used: disabled, no #include prefix, or the prefix does not compile on its own.
  Built,  ///< Built by this compile (first compile, or a covered file / the prefix / flags changed).
  Reused, ///< Reused from memory.
  Loaded, ///< Read back from `cache_dir`.
  /// The unit's own preamble was stale (a project header in its prefix changed) and a PCH of
  /// just the system headers it includes, shared by every unit with the same flags and
  /// headers, stood in: built by this compile, or reused.
  SharedBuilt,
  SharedReused,
};

/// A function definition of the module, mapped back to its declaration.
struct FunctionInfo {
  std::string mangled;         ///< IR name.
  std::string qualified_name;  ///< "game::update", "foo" (no parameters); extern "C": the name.
  std::string display;         ///< Human signature, e.g. "int game::update(float)".
  std::string type_encoding;   ///< Itanium RTTI name of the function type, e.g. "FifE" == typeid(int(float)).name().
  std::string file;            ///< Where it is defined.
  unsigned line = 0, column = 0;
  bool in_system_header = false; ///< Comes from a system header (std::, ...): not user code.
  bool is_extern_c = false;
  /// A non-static member function (constructors and destructors too): it takes `this`, which
  /// `type_encoding` leaves out. `member_of` names its class.
  bool is_member = false;
  std::string member_of;
};

/// A global variable (or static member / function-local static) of the module.
struct GlobalInfo {
  std::string mangled;
  std::string qualified_name;  ///< "game::score", "foo()::calls" for a local static.
  std::string cpp_type;        ///< Canonical type: "Player", "int[4]", "std::basic_string<char>".
  std::string layout;          ///< Layout fingerprint: changes iff size, alignment, polymorphism, bases
                               ///< or field names/types/offsets change (records/arrays recursed 4 deep).
  std::string file;
  unsigned line = 0, column = 0;
  bool in_system_header = false;
};

/// The outcome of compiling one translation unit. On failure `module` is null and
/// `diagnostics` has at least one Error; `dependencies` is filled as far as parsing got.
struct CompileResult {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;   ///< Unoptimized IR (clang -disable-llvm-passes) at the
                                          ///< requested -O level, ready for engine transforms and
                                          ///< then optimizeModule().
  std::vector<Diagnostic> diagnostics;    ///< All of them, warnings included, in order.
  std::vector<std::string> dependencies;  ///< Absolute, normalized, unique paths of included files
                                          ///< (not the main file; system headers only when tracked).
  /// Keyed by mangled name: every defined function (and C1/D1 constructor/destructor alias) that
  /// maps back to a Decl. Compiler-generated code without a Decl (__cxx_global_var_init,
  /// _GLOBAL__sub_I_*, thunks) is left out; the module still has it. Empty on failure.
  std::map<std::string, FunctionInfo> functions;
  /// Keyed by mangled name: every defined variable with a VarDecl (globals, static members,
  /// function-local statics). Guard variables, vtables, typeinfo and literals are left out.
  std::map<std::string, GlobalInfo> globals;
  double frontend_ms = 0;                 ///< Wall time of compile() (driver, parse, IR gen).
  HeaderCacheUse header_cache = HeaderCacheUse::None;
  double header_cache_ms = 0;             ///< Part of frontend_ms spent checking/building/loading it.
  /// This compile's outline (null on failure): the `base` of the next compile of the unit.
  std::shared_ptr<const Outline> outline;
  /// Compiled against `base`: only the edited bodies (and what they use) are in the module.
  bool patch = false;
  /// With `patch`: only bodies changed (no declaration, no header): every inline function and
  /// template instantiation means what it meant in `base`.
  bool bodies_only = false;
  unsigned bodies_changed = 0;            ///< With `patch`: bodies compiled because they changed.
  /// With `patch`: mangled names of the functions whose bodies were skipped, each with true if
  /// it is local (internal linkage). A declaration of one in the module means the new code
  /// calls it: the caller must still have its running body.
  std::vector<std::pair<std::string, bool>> skipped;
  /// With `patch`: functions of `base` whose definitions the edit touched (as `skipped`). One
  /// the module does not define was removed or renamed (its parameters changed).
  std::vector<std::pair<std::string, bool>> replaced;
  /// Read back from CompileJob::cache_dir instead of compiled.
  bool from_cache = false;
  /// When this result was read back from the unit cache or stored in it: the identity of its
  /// module across runs (the entry's key and a hash of its content); "" otherwise.
  std::string cache_key;
  /// With CompileJob::lazy_module, a result read back holds its module as bitcode until
  /// materializeModule(): a warm start that replays the engine's rewrite needs no IR.
  std::unique_ptr<llvm::MemoryBuffer> bitcode;
  /// With a cache_dir: every file the compile read and the hash of the bytes it read.
  std::vector<std::pair<std::string, std::uint64_t>> files_read;
  /// Read back lazily from an entry stored without IR (CompileJob::cache_ir off): no module,
  /// no bitcode, everything else.
  bool ir_dropped = false;
  bool ok() const { return module != nullptr || bitcode != nullptr || ir_dropped; }

  CompileResult() = default;
  CompileResult(CompileResult &&) noexcept = default;
  /// Member-wise assignment would free the old context while its module still lives in it;
  /// destroying first frees module, then context (reverse declaration order).
  CompileResult &operator=(CompileResult &&other) noexcept {
    if (this != &other) {
      this->~CompileResult();
      new (this) CompileResult(std::move(other));
    }
    return *this;
  }
};

/// A reusable compiler. One instance per thread (not thread-safe); cheap to create.
class Frontend {
public:
  /// `clangxx` is the clang++ driver path used to derive cc1 flags and header paths.
  static llvm::Expected<std::unique_ptr<Frontend>> create(std::string clangxx = HOT_CLANGXX_PATH);
  ~Frontend();

  /// Compiles `job` in-process (no subprocess). Never throws; errors are diagnostics.
  CompileResult compile(const CompileJob &job);

private:
  Frontend() = default;
  CompileResult compileFromSource(const CompileJob &job, const std::vector<std::string> &argv);
  struct State;
  std::unique_ptr<State> state_;
};

/// Drops every cached header prefix (memory only; files in a cache_dir stay). Compiles running
/// on other threads keep the entries they hold until they finish.
void clearHeaderCache();

/// Memory the process-wide header cache may keep (default 1 GiB; least recently used entries
/// go first; one entry is about 10 MB for the common standard headers).
void setHeaderCacheBudget(size_t bytes);

/// Runs the standard LLVM optimization pipeline (O0 still runs the always-inliner) on `m`.
void optimizeModule(llvm::Module &m, int opt_level);
/// Parses a lazily read-back result's bitcode into `r.module` (no-op if it has its module).
llvm::Error materializeModule(CompileResult &r);

/// Code-generates `m` into an in-memory ELF relocatable object for the host (PIC, small code
/// model; opt_level 0 -> CodeGenOptLevel::None, 1-2 -> Default, 3 -> Aggressive).
/// `native_cpu` targets the host CPU and its features, else generic "x86-64". Clang stamps
/// "target-cpu"/"target-features" on every function and those win over the target machine,
/// so with `native_cpu` each definition is retagged (host CPU; host features first, the
/// function's own after, so explicit target("...") attributes still win).
/// Sets the module's triple/DataLayout from the target machine when missing.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> emitObject(llvm::Module &m, int opt_level,
                                                               bool native_cpu);

/// Formats "file:line:col: error: message\n" the way clang prints it (with source line + caret
/// when the file is readable). Used for engine-made diagnostics such as link errors.
std::string formatDiagnostic(const Diagnostic &d);

} // namespace hot::fe
