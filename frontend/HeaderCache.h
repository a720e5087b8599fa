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
  size_t bytes() const { return pch.size() + prefix.size(); }
};

/// Where the compile stands with its preamble.
struct PreambleLookup {
  std::shared_ptr<const CachedPreamble> preamble; ///< Null: compile without a cache.
  HeaderCacheUse use = HeaderCacheUse::None;
  /// No cache because this prefix failed to compile on its own before and nothing it read
  /// changed since. Call forgetPreambleFailure() when the uncached compile succeeds.
  bool known_failure = false;
};

/// Finds (or builds) the preamble of a unit. `key` identifies unit + flags (the cc1 arguments,
/// which name the main file); `inv` is the unit's invocation (not modified); `contents` the
/// main file's text. Thread-safe: concurrent callers with the same key wait for one build.
PreambleLookup findPreamble(const std::string &key, const clang::CompilerInvocation &inv,
                            llvm::StringRef path, llvm::StringRef contents,
                            const std::string &cache_dir);

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
