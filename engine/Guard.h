// engine/: catching a fault, abort() or exit() in JIT code on the calling thread, so that the
// engine can say what happened (and, where it can, refuse the version) instead of the process
// ending silently. Used by guarded() and by the thread that runs initializers and hooks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace hot::eng {

/// What ended a call early.
struct Fault {
  int signal = 0;                  ///< SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT; 0: an exit call.
  std::uintptr_t pc = 0, sp = 0, addr = 0;
  const char *exit_call = nullptr; ///< "exit", "_exit", "_Exit" or "quick_exit" (signal 0).
  int exit_status = 0;
  /// The faulting thread's frames, innermost first, as the unwinder found them in the signal
  /// handler (JIT code registers its unwind tables): frames[0] is `pc`, the others are
  /// return addresses. Empty when the unwinder could not get through the signal frame.
  static constexpr unsigned kMaxFrames = 32;
  std::uintptr_t frames[kMaxFrames] = {};
  unsigned frame_count = 0;
};

/// Runs `fn` on this thread. A fault inside it (stack overflow included: the thread gets an
/// alternate signal stack) jumps back here: the result is false and `out` says what happened.
/// With `abort_and_exit`, abort() (SIGABRT: assert(), std::terminate) and a call of exit(),
/// _exit(), _Exit() or quick_exit() made by JIT code end the call the same way. Frames between
/// are abandoned without running destructors; locks they held stay held.
[[nodiscard]] bool catchFaults(const std::function<void()> &fn, Fault &out, bool abort_and_exit);

/// The last word on a fault no catchFaults() catches: called on the faulting thread inside
/// the signal handler (with the fault and its frames) before the fault takes the course it
/// would have without the engine (the previous handler, or the default action). Must be
/// async-signal-safe. nullptr removes it. Installs the engine's fault handlers.
using FatalHook = void (*)(const Fault &);
void setFatalHook(FatalHook hook);

/// Called by the runtime's exit()/abort-family wrappers for JIT code: returns only if the
/// calling thread is not inside catchFaults(..., abort_and_exit = true).
void exitCalled(const char *which, int status);

/// "SIGSEGV", "SIGABRT", ...
const char *signalName(int sig);

/// " crashed with SIGSEGV (address 0x0)", " called abort()", " called exit(3)".
std::string describe(const Fault &f);

/// Ends the process the way `f` would have without the engine: the signal's default action,
/// or the exit call with its status.
[[noreturn]] void endAsNative(const Fault &f);

} // namespace hot::eng
