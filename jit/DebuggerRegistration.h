// jit/: the other half of the GDB JIT interface. ORC's ELFDebugObjectPlugin registers each
// linked object's debug copy with __jit_debug_descriptor (libLLVM's) but LLVM 22 never
// unregisters one: when a version is retired, its entries would stay on the list, pointing
// at freed debug objects, and a debugger would keep placing the retired version's functions
// over addresses new code reuses. This removes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace hot::jit {

/// Unlinks every registered object whose executable sections were placed inside `ranges`
/// ([begin, end) pairs), telling an attached debugger (JIT_UNREGISTER_FN), and frees its
/// list entry. The objects' memory must still be mapped (call before removing the code).
/// Registration happens while linking: callers serialize this with every link of the same
/// process (the engine does both under its lock). Returns how many were removed.
std::size_t unregisterDebugObjects(const std::vector<std::pair<std::uintptr_t, std::uintptr_t>> &ranges);

/// How many objects the GDB JIT interface lists now.
std::size_t registeredDebugObjects();

} // namespace hot::jit
