#include "jit/DebuggerRegistration.h"

#include <elf.h>

#include <cstring>

// The GDB JIT interface (gdb/jit.h, version 1). libLLVM defines the descriptor and the
// function debuggers put their breakpoint on.
extern "C" {
struct jit_code_entry {
  jit_code_entry *next_entry;
  jit_code_entry *prev_entry;
  const char *symfile_addr;
  std::uint64_t symfile_size;
};
struct jit_descriptor {
  std::uint32_t version;
  std::uint32_t action_flag;
  jit_code_entry *relevant_entry;
  jit_code_entry *first_entry;
};
extern jit_descriptor __jit_debug_descriptor;
void __jit_debug_register_code();
}

namespace hot::jit {
namespace {

constexpr std::uint32_t kNoAction = 0, kUnregister = 2;

bool inside(std::uintptr_t addr, const std::vector<std::pair<std::uintptr_t, std::uintptr_t>> &ranges) {
  for (auto &[begin, end] : ranges)
    if (addr >= begin && addr < end) return true;
  return false;
}

/// Whether the registered ELF object has an executable section loaded inside `ranges` (the
/// plugin wrote each section's load address into its header).
bool placedIn(const jit_code_entry &e,
              const std::vector<std::pair<std::uintptr_t, std::uintptr_t>> &ranges) {
  if (!e.symfile_addr || e.symfile_size < sizeof(Elf64_Ehdr)) return false;
  Elf64_Ehdr eh;
  std::memcpy(&eh, e.symfile_addr, sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_shentsize != sizeof(Elf64_Shdr))
    return false;
  if (eh.e_shoff + std::uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr) > e.symfile_size) return false;
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, e.symfile_addr + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof sh);
    if ((sh.sh_flags & SHF_EXECINSTR) && sh.sh_size && inside(sh.sh_addr, ranges)) return true;
  }
  return false;
}

void unlink(jit_code_entry *e) {
  if (e->prev_entry) e->prev_entry->next_entry = e->next_entry;
  else __jit_debug_descriptor.first_entry = e->next_entry;
  if (e->next_entry) e->next_entry->prev_entry = e->prev_entry;
  __jit_debug_descriptor.relevant_entry = e;
  __jit_debug_descriptor.action_flag = kUnregister;
  __jit_debug_register_code();
  __jit_debug_descriptor.action_flag = kNoAction;
  __jit_debug_descriptor.relevant_entry = nullptr;
  delete e; // LLVM allocates entries with new
}

} // namespace

std::size_t unregisterDebugObjects(const std::vector<std::pair<std::uintptr_t, std::uintptr_t>> &ranges) {
  std::size_t removed = 0;
  for (jit_code_entry *e = __jit_debug_descriptor.first_entry; e;) {
    jit_code_entry *next = e->next_entry;
    if (placedIn(*e, ranges)) unlink(e), ++removed;
    e = next;
  }
  return removed;
}

std::size_t registeredDebugObjects() {
  std::size_t n = 0;
  for (jit_code_entry *e = __jit_debug_descriptor.first_entry; e; e = e->next_entry) ++n;
  return n;
}

} // namespace hot::jit
