// jit/: the per-symbol stubs. One stub per reloadable symbol for the engine's lifetime.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "llvm/Support/Error.h"

namespace hot::jit {

/// A growable table of stubs. Stub i is the 6-byte `jmp *slot_i(%rip)`; its address is the
/// function's canonical address (function pointers, vtables). Slot i holds the current body.
///
/// All stub code is written once, when its block is mapped, and never again: a reload only
/// stores a pointer into a slot (one aligned 8-byte store), so a concurrent caller sees the old
/// or the new body, never a torn one, and no code page is ever writable while it can run.
/// JIT-compiled callers and host handles skip the jump and load the slot themselves.
class StubTable {
public:
  /// Stubs per block: 4096 stubs = 32 KiB of code + 32 KiB of slots + 32 KiB of counters.
  static constexpr std::size_t kBlockStubs = 4096;

  /// `unbound` is where a slot points before its symbol's first body is installed.
  static llvm::Expected<std::unique_ptr<StubTable>> create(void *unbound);
  ~StubTable();

  /// Reserves a new stub; its slot points to `unbound`.
  llvm::Expected<unsigned> allocate();

  void *stub(unsigned i) const;
  void **slot(unsigned i) const;
  /// Tier-0 call counter of stub i (incremented by instrumented bodies; racy by design).
  std::uint64_t *counter(unsigned i) const;

  /// Points stub i at `target` (release store: the body's bytes are visible first).
  void redirect(unsigned i, void *target) const;
  void *target(unsigned i) const;

  unsigned size() const { return count_.load(std::memory_order_acquire); }
  /// True if `addr` is one of the stubs (used to resolve function pointers back to symbols).
  bool contains(const void *addr) const;

private:
  struct Block {
    char *code = nullptr;    // kBlockStubs * 8 bytes, read+execute
    void **slots = nullptr;  // kBlockStubs pointers, read+write
    std::uint64_t *counters = nullptr;
    std::size_t mapped = 0;
  };
  explicit StubTable(void *unbound) : unbound_(unbound) {}
  llvm::Error addBlock();

  void *unbound_;
  mutable std::mutex mu_;               // guards growth only
  std::vector<std::unique_ptr<Block>> blocks_;
  static constexpr unsigned kMaxBlocks = 1024;
  Block *blockPtrs_[kMaxBlocks] = {};   // lock-free reads of existing blocks
  std::atomic<unsigned> count_{0};
};

} // namespace hot::jit
