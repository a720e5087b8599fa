// jit/: decides when old code can be freed. Conservative, automatic, and needs nothing from
// threads that never call the engine: every other thread of the process is briefly stopped
// with a signal and its stack (including the signal frame, i.e. every saved register) is
// scanned for values pointing into the code about to be freed. A thread that holds such a
// value (a return address, or a body address it loaded from a slot and has not called yet)
// keeps the code alive; the caller retries later.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace hot::jit {

using CodeRange = std::pair<std::uintptr_t, std::uintptr_t>; ///< [begin, end)

/// For each set of ranges (one per version waiting to be freed), whether some thread (the
/// calling one included) may still execute code in it, decided with one stop of each thread:
/// result[i] is true if set i may be in use. Uses signal SIGRTMIN+5 (docs/ARCHITECTURE.md). A thread that does not answer
/// within `timeout_ms` makes every set count as in use and sets `*answered` to false.
std::vector<bool> codeInUse(const std::vector<std::vector<CodeRange>> &sets,
                            unsigned timeout_ms = 200, bool *answered = nullptr);

/// The innermost address of JIT code (in `ranges`) on the stack of the calling thread, from
/// `sp` upward; 0 if none. Used to attribute a fault inside a library call to JIT code.
std::uintptr_t innermostInRanges(std::uintptr_t sp, const std::vector<CodeRange> &ranges);

} // namespace hot::jit
