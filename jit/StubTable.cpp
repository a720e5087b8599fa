#include "jit/StubTable.h"

#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

namespace hot::jit {
namespace {
constexpr std::size_t kStubSize = 8; // 6-byte jmp, 2 bytes of int3 padding
constexpr std::size_t kCodeBytes = StubTable::kBlockStubs * kStubSize;
constexpr std::size_t kSlotBytes = StubTable::kBlockStubs * sizeof(void *);
constexpr std::size_t kCounterBytes = StubTable::kBlockStubs * sizeof(std::uint64_t);

/// Writes `jmp *disp(%rip)` for every stub: slot i sits exactly kCodeBytes after stub i, so the
/// displacement is the same constant for all of them.
void writeStubs(char *code) {
  const std::int32_t disp = static_cast<std::int32_t>(kCodeBytes - 6);
  for (std::size_t i = 0; i < StubTable::kBlockStubs; ++i) {
    unsigned char *p = reinterpret_cast<unsigned char *>(code + i * kStubSize);
    p[0] = 0xFF;
    p[1] = 0x25;
    std::memcpy(p + 2, &disp, 4);
    p[6] = 0xCC;
    p[7] = 0xCC;
  }
}
} // namespace

llvm::Expected<std::unique_ptr<StubTable>> StubTable::create(void *unbound) {
  std::unique_ptr<StubTable> table(new StubTable(unbound));
  if (auto err = table->addBlock()) return std::move(err);
  return table;
}

StubTable::~StubTable() {
  for (auto &b : blocks_) ::munmap(b->code, b->mapped);
}

llvm::Error StubTable::addBlock() {
  if (blocks_.size() >= kMaxBlocks)
    return llvm::createStringError("hotengine: stub table full (%u stubs)",
                                   unsigned(kMaxBlocks * kBlockStubs));
  const std::size_t total = kCodeBytes + kSlotBytes + kCounterBytes;
  void *mem = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return llvm::createStringError("hotengine: cannot map stub block: %s", strerror(errno));
  auto block = std::make_unique<Block>();
  block->code = static_cast<char *>(mem);
  block->slots = reinterpret_cast<void **>(block->code + kCodeBytes);
  block->counters = reinterpret_cast<std::uint64_t *>(block->code + kCodeBytes + kSlotBytes);
  block->mapped = total;
  writeStubs(block->code);
  for (std::size_t i = 0; i < kBlockStubs; ++i) block->slots[i] = unbound_;
  if (::mprotect(block->code, kCodeBytes, PROT_READ | PROT_EXEC) != 0)
    return llvm::createStringError("hotengine: cannot protect stub block: %s", strerror(errno));
  blockPtrs_[blocks_.size()] = block.get();
  blocks_.push_back(std::move(block));
  return llvm::Error::success();
}

llvm::Expected<unsigned> StubTable::allocate() {
  std::lock_guard<std::mutex> lock(mu_);
  unsigned i = count_.load(std::memory_order_relaxed);
  if (i == blocks_.size() * kBlockStubs)
    if (auto err = addBlock()) return std::move(err);
  count_.store(i + 1, std::memory_order_release);
  return i;
}

void *StubTable::stub(unsigned i) const {
  return blockPtrs_[i / kBlockStubs]->code + (i % kBlockStubs) * kStubSize;
}
void **StubTable::slot(unsigned i) const {
  return blockPtrs_[i / kBlockStubs]->slots + (i % kBlockStubs);
}
std::uint64_t *StubTable::counter(unsigned i) const {
  return blockPtrs_[i / kBlockStubs]->counters + (i % kBlockStubs);
}
void StubTable::redirect(unsigned i, void *target) const {
  __atomic_store_n(slot(i), target, __ATOMIC_RELEASE);
}
void *StubTable::target(unsigned i) const { return __atomic_load_n(slot(i), __ATOMIC_ACQUIRE); }

bool StubTable::contains(const void *addr) const {
  const char *a = static_cast<const char *>(addr);
  unsigned n = (size() + kBlockStubs - 1) / kBlockStubs;
  for (unsigned b = 0; b < n; ++b)
    if (a >= blockPtrs_[b]->code && a < blockPtrs_[b]->code + kCodeBytes) return true;
  return false;
}

} // namespace hot::jit
