// engine/: turning a fault in new code into a C++ exception (hot::CrashedInNewCode) that
// unwinds the faulting call, so that destructors run and the program's own handlers see it.
// catchFaults() (engine/Guard.h) stays the boundary: what cannot unwind jumps back there.
//
// How: the signal handler (on the alternate stack) rewrites the interrupted context so that
// returning from the handler resumes in a trampoline whose unwind info says it was called by
// the faulting function's caller, at the call's return address, with that frame's registers
// (the faulting frame itself is skipped: the call-site tables describe calls only, so no
// landing pad covers a faulting load or division). The trampoline asks the engine whether the
// fault may unwind (new code, unit rolled back), checks that every frame up to the boundary
// has a call-site entry for its call (else the personality routine would call terminate),
// and throws. See docs/ARCHITECTURE.md, "Supervised threads" and "Guarded calls".
#pragma once

#include "engine/Guard.h"

#include <functional>
#include <string>
#include <ucontext.h>

namespace hot::eng {

/// Decides, on the faulting thread once the signal handler has returned, whether the call may
/// unwind: true when the fault is in new code and its unit is rolled back; `message` then names
/// the crash (its first line becomes CrashedInNewCode::what()). Runs at most once per fault.
using UnwindDecision = std::function<bool(const Fault &, std::string &message)>;

/// Runs `fn` so that a fault caught by the enclosing catchFaults(..., abort_and_exit = false)
/// unwinds as a hot::CrashedInNewCode when `decide` allows it and the stack can be unwound.
/// False: such an exception reached here uncaught (the program did not handle it).
[[nodiscard]] bool runUnwindable(const std::function<void()> &fn, const UnwindDecision &decide);

/// In the signal handler, for a fault on this thread inside runUnwindable() whose innermost
/// catchFaults() has its jump buffer at `jump_target`: rewrites `uc` so that returning from
/// the handler starts the unwind, and returns true. False (nothing changed; the caller jumps
/// back to catchFaults) when there is no runUnwindable() inside that catchFaults(), the stack
/// has too little room (an overflow), or the unwinder finds no caller of the faulting frame.
/// `jump_back` jumps to catchFaults(); it is used if the unwind is refused after all.
bool redirectToUnwind(ucontext_t *uc, const Fault &f, const void *jump_target,
                      void (*jump_back)());

} // namespace hot::eng
