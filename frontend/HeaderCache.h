// frontend/ internal: the process-wide cache of parsed #include prefixes (precompiled preambles).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontend/Frontend.h"
#include "clang/Frontend/PrecompiledPreamble.h"
#include "clang/Lex/Lexer.h"

namespace clang {
class CompilerInvocation;
class PPCallbacks;
class Preprocessor;
}

namespace hot::fe::detail {

/// What a cached preamble read, as it was when clang read it.
struct FileStamp {
  std::string path;      ///< Absolute, as clang opened it.
  uint64_t size = 0;
  int64_t mtime_ns = 0;  ///< Nanoseconds: a second-resolution stamp misses quick edits.
  uint64_t device = 0, inode = 0;
  bool system = false;
  bool hashed = false;   ///< Project (non-system) files: `hash` of the bytes clang parsed.
  uint64_t hash = 0;
};

/// One precompiled preamble: the parsed prefix (leading #include/#define lines) of one unit
/// under one flag set. Immutable once published; compiles share it through shared_ptr.
struct CachedPreamble {
  std::string prefix; ///< The exact main-file bytes it covers.
  clang::PreambleBounds bounds{0, false};
  llvm::StringRef pch; ///< The serialized AST; owned by `built` or `loaded`.
  std::optional<clang::PrecompiledPreamble> built;
  std::unique_ptr<llvm::MemoryBuffer> loaded;
  std::vector<FileStamp> files;
  /// Warnings/notes clang gave for the prefix: a compile reusing it does not parse the headers
  /// again, so it replays these to report what an uncached compile reports.
  std::vector<Diagnostic> diagnostics;
  /// Files the prefix included, in include order: (normalized path, is system header).
  std::vector<std::pair<std::string, bool>> dependencies;
  /// The system headers the prefix's project files include before any project macro or
  /// pragma (see SystemPrefix), and whether such a directive ended the list inside the prefix.
  std::vector<std::string> system_prefix;
  bool system_prefix_closed = false;
  /// A shared system-header PCH (not one unit's preamble): loaded as -include-pch of the
  /// header `header_text` served at `header_path`; nothing of the main file is skipped.
  bool shared = false;
  std::string pch_path, header_path, header_text;
  size_t bytes() const { return pch.size() + prefix.size(); }
};

/// The system headers a unit can take from a shared PCH: those its project files (main file
/// included) include with <...> before the first #define/#undef/#pragma in a project file
/// (include guards and #pragma once excepted). Up to there nothing the unit says can change
/// what those headers mean, so they mean the same in any unit with the same flags. Attach one
/// to a preprocessor before it runs; read it after.
class SystemPrefix {
public:
  SystemPrefix();
  ~SystemPrefix();
  /// Callbacks to add to `pp` before it runs.
  std::unique_ptr<clang::PPCallbacks> recorder(clang::Preprocessor &pp);
  /// Fills `headers` and `closed` from what was recorded; `pp` must still be alive (include
  /// guards are known once their files were read to the end).
  void finish(clang::Preprocessor &pp);
  std::vector<std::string> headers; ///< Spelled names ("vector", "sys/types.h"), in order.
  bool closed = false;              ///< A project macro or pragma ended the list.

  struct Events; ///< What the recorder saw, in order (SystemPrefix.cpp).

private:
  std::shared_ptr<Events> events_;
};

/// Remembers and recalls a unit's system prefix (by header cache key) between compiles.
void rememberSystemPrefix(const std::string &key, std::vector<std::string> headers);
std::vector<std::string> knownSystemPrefix(const std::string &key);

/// xxh3 of a file's bytes now (std::nullopt if it cannot be read).
std::optional<uint64_t> hashFile(const std::string &path);
/// True when every file is still what a cache entry read.
bool stampsUnchanged(const std::vector<FileStamp> &files);
/// Stamps `name` as clang opened it (size, ns mtime, identity; no hash). False if it is gone.
bool stampFile(llvm::StringRef name, bool system, FileStamp &f);
/// Stamps of `names` as clang opened them now (system files only: nothing is hashed).
std::vector<FileStamp> stampSystemFiles(const std::vector<std::string> &names, bool &complete);

/// Drops the shared PCHs and the remembered prefixes (clearHeaderCache()).
void clearSharedPchs();

/// Where the compile stands with its preamble.
struct PreambleLookup {
  std::shared_ptr<const CachedPreamble> preamble; ///< Null: compile without a cache.
  HeaderCacheUse use = HeaderCacheUse::None;
  /// No cache because this prefix failed to compile on its own before and nothing it read
  /// changed since. Call forgetPreambleFailure() when the uncached compile succeeds.
  bool known_failure = false;
};

/// Finds (or builds) the shared PCH of `headers` under the flags of `inv` (the unit's
/// invocation, not modified). `key` names the flag set without the main file. Thread-safe.
PreambleLookup findSharedPch(const std::string &key, const std::vector<std::string> &headers,
                             const clang::CompilerInvocation &inv);

/// Finds (or builds) the preamble of a unit. `key` identifies unit + flags (the cc1 arguments,
/// which name the main file); `inv` is the unit's invocation (not modified); `contents` the
/// main file's text. Thread-safe: concurrent callers with the same key wait for one build.
/// With `may_build` false a missing or stale preamble is not built: the lookup comes back
/// empty (a caller with a cheaper way, the shared PCH, uses that instead).
PreambleLookup findPreamble(const std::string &key, const clang::CompilerInvocation &inv,
                            llvm::StringRef path, llvm::StringRef contents,
                            const std::string &cache_dir, bool may_build = true);

/// Lets the next findPreamble() for `key` try to build again.
void forgetPreambleFailure(const std::string &key);

/// Makes `inv` (the unit's invocation, main file already remapped) load `p` instead of
/// parsing the prefix; `fs` gets an overlay that serves the PCH bytes.
void applyPreamble(const CachedPreamble &p, clang::CompilerInvocation &inv,
                   llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> &fs);

/// A compile that loads a preamble sees the prefix as a file "included" at line 1 of the main
/// file, so clang prints one include-stack line too many ("In file included from main.cpp:1:"
/// before "In file included from main.cpp:N:"). Removes it from diagnostics[from..].
void fixPreambleIncludeStacks(const std::string &main_path, std::vector<Diagnostic> &diagnostics,
                              size_t from);

/// True for the virtual path under which applyPreamble() serves the PCH (not a dependency).
bool isPreamblePath(llvm::StringRef path);

/// Absolute, dot-free spelling of `path` (relative paths are relative to our cwd, as for clang).
std::string normalizePath(llvm::StringRef path);

} // namespace hot::fe::detail
