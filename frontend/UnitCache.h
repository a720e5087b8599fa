// frontend/ internal: the persistent cache of first compiles (Config::cache_dir). A unit
// whose text, flags and every file it read are what an earlier compile (in any process) saw
// is not compiled again: its IR, diagnostics, symbols and outline are read back.
//
// One entry per key, a file "<dir>/units/<key>.unit": a magic line, the metadata (JSON),
// the module's bitcode, and a digest of both. Written to a temporary file and renamed, so
// readers (other processes too) see a whole entry or none; a truncated or corrupt entry is a
// miss with a warning, never a crash. Owner-only files; least recently used evicted past the
// size bound.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "frontend/Frontend.h"

namespace clang {
class SourceManager;
}

namespace hot::fe::detail {

struct CachedPreamble;

/// A file a compile read and the hash of the bytes it read.
struct ReadFile {
  std::string path;
  std::uint64_t hash = 0;
};

/// Every file the compile read (main file excluded): those parsed from source and those the
/// preamble `pre` covers (hashed from disk: the preamble only names them).
std::vector<ReadFile> filesRead(const clang::SourceManager &sm, const CachedPreamble *pre);

class UnitCache {
public:
  /// The entries of cache directory `dir` (created owner-only on the first store).
  explicit UnitCache(std::string dir) : dir_(std::move(dir)) {}

  /// Everything that decides a compile's result except the included files' contents: the
  /// unit's text, the cc1 flags (target, -O level, defines, include paths, main file), the
  /// compiler and the engine.
  static std::string key(const std::string &flags_key, const CompileJob &job);

  /// The result stored under `key` if every file it read still has the same content; a
  /// stale entry is a quiet miss, a corrupt one a miss with `warning` set.
  /// `lazy`: the module stays bitcode (CompileResult::bitcode); an entry stored without IR is
  /// then read back with neither. Not lazy, such an entry is a miss.
  std::optional<CompileResult> load(const std::string &key, std::string &warning, bool lazy = false);
  /// Stores a successful first compile. Failures to write are silent (the cache is an
  /// optimization); entries beyond `max_bytes` in total are evicted, oldest use first.
  /// True if it was stored (then `r.cache_key` is set). `with_ir` off: without the bitcode.
  bool store(const std::string &key, CompileResult &r, const std::vector<ReadFile> &files,
             std::uint64_t max_bytes, bool with_ir = true);

  /// "<dir>/units".
  std::string entriesDir() const;

private:
  std::string dir_;
};

/// The machine code of modules earlier runs compiled (in "<dir>/objects"): the key is the hash
/// of the module's bitcode as it is handed to the backend, the -O level, the CPU choice and
/// the compiler, so a hit is the object the backend would emit again. "" if it cannot hash.
std::string objectKey(const llvm::Module &m, int opt_level, bool native_cpu);
/// Puts `m`'s declarations in name order (the engine's rewrite creates some in an order that
/// depends on the heap), so that equal modules hash equal. Changes no code.
void canonicalizeDeclarations(llvm::Module &m);
std::unique_ptr<llvm::MemoryBuffer> loadObject(const std::string &dir, const std::string &key);
/// The key of a replay record (jit/TransformRecord.h) of the unit read back or stored under
/// `unit_key`, rewritten with `options` (everything else the rewrite depends on).
std::string recordKey(const std::string &unit_key, const std::string &options);
void storeObject(const std::string &dir, const std::string &key, const llvm::MemoryBuffer &object,
                 std::uint64_t max_bytes);

/// Process-wide counters (hot run --stats, hot cache stats, tests).
struct UnitCacheCounters {
  std::atomic<std::uint64_t> hits{0}, misses{0}, stores{0}, corrupt{0}, evicted{0};
  std::atomic<std::uint64_t> object_hits{0}, object_misses{0};
  std::atomic<std::uint64_t> replayed{0}, replays_refused{0};
  std::atomic<std::uint64_t> bytes_read{0}, bytes_written{0};
};
UnitCacheCounters &unitCacheCounters();

} // namespace hot::fe::detail
