// A fault in new code unwinds the faulting call as hot::CrashedInNewCode (engine/FaultUnwind.h).
// x86-64 Linux only, like the rest of the engine's fault handling.
#include "engine/FaultUnwind.h"

#include "hot/crash.h"

#include <cstdint>
#include <exception>
#include <pthread.h>
#include <unwind.h>

namespace hot {

CrashedInNewCode::CrashedInNewCode(std::string what) : what_(std::move(what)) {}
CrashedInNewCode::~CrashedInNewCode() = default;
const char *CrashedInNewCode::what() const noexcept { return what_.c_str(); }

} // namespace hot

/// The trampoline the signal handler returns into, with RSP pointing at a ResumeFrame. Its
/// unwind info says: the caller's stack pointer is ResumeFrame::rsp, its pc ::rip, and its
/// callee-saved registers are in the frame (DW_CFA_def_cfa_expression and DW_CFA_expression
/// with DW_OP_breg7, offsets 0..56). RSP stays as the handler set it (16-byte aligned) until
/// the call, so the offsets hold at the only pc the unwinder asks about.
extern "C" void hot_eng_faultTrampoline();
extern "C" [[noreturn]] void hot_eng_raiseFault();
asm(R"(
  .pushsection .text
  .globl hot_eng_faultTrampoline
  .hidden hot_eng_faultTrampoline
  .type hot_eng_faultTrampoline, @function
hot_eng_faultTrampoline:
  .cfi_startproc
  .cfi_escape 0x0f, 0x03, 0x77, 0x00, 0x06
  .cfi_escape 0x10, 0x10, 0x02, 0x77, 0x08
  .cfi_escape 0x10, 0x03, 0x02, 0x77, 0x10
  .cfi_escape 0x10, 0x06, 0x02, 0x77, 0x18
  .cfi_escape 0x10, 0x0c, 0x02, 0x77, 0x20
  .cfi_escape 0x10, 0x0d, 0x02, 0x77, 0x28
  .cfi_escape 0x10, 0x0e, 0x02, 0x77, 0x30
  .cfi_escape 0x10, 0x0f, 0x02, 0x77, 0x38
  call hot_eng_raiseFault@PLT
  ud2
  .cfi_endproc
  .size hot_eng_faultTrampoline, .-hot_eng_faultTrampoline
  .popsection
)");

namespace hot::eng {
namespace {

/// The state the trampoline's caller resumes with (its layout is the trampoline's unwind info).
struct ResumeFrame {
  std::uintptr_t rsp, rip, rbx, rbp, r12, r13, r14, r15;
};
static_assert(sizeof(ResumeFrame) == 64);

/// Below the faulting stack pointer: the red zone, and the ResumeFrame. The unwind, the
/// engine's decision and the destructors need this much more stack to run on.
constexpr std::uintptr_t kRedZone = 256;
constexpr std::uintptr_t kUnwindRoom = 64 * 1024;

/// One runUnwindable() on this thread; the innermost is t_scope.
struct Scope {
  const UnwindDecision *decide;
  std::uintptr_t marker;    ///< runUnwindable()'s frame address: frames below it unwind to it.
  std::uintptr_t stack_low; ///< Lowest address of this thread's stack (0: unknown).
  Scope *outer;
  const Fault *fault = nullptr;     ///< The fault being turned into an exception.
  const void *jump_target = nullptr;
  void (*jump_back)() = nullptr;
  std::uintptr_t resume_ip = 0;     ///< The faulting function's return address.
};
thread_local Scope *t_scope = nullptr;

/// A jump to the catchFaults() whose buffer is at `jump_target` leaves the scopes inside it.
void leaveScopesInside(const void *jump_target) {
  while (t_scope && t_scope->marker < reinterpret_cast<std::uintptr_t>(jump_target))
    t_scope = t_scope->outer;
}

std::uintptr_t stackLow() {
  thread_local std::uintptr_t low = [] {
    pthread_attr_t attr;
    void *addr = nullptr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return std::uintptr_t(0);
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    return reinterpret_cast<std::uintptr_t>(addr);
  }();
  return low;
}

/// Walks (in the signal handler) to the faulting frame, then takes its caller's state.
struct CallerWalk {
  std::uintptr_t pc;
  bool at_fault = false, found = false;
  ResumeFrame frame{};
};

_Unwind_Reason_Code findCaller(_Unwind_Context *ctx, void *arg) {
  auto &w = *static_cast<CallerWalk *>(arg);
  std::uintptr_t ip = _Unwind_GetIP(ctx);
  if (!w.at_fault) {
    w.at_fault = ip == w.pc;
    return _URC_NO_REASON;
  }
  // This frame's stack pointer is the faulting frame's CFA (_Unwind_GetGR cannot read RSP).
  w.frame = {_Unwind_GetCFA(ctx),     ip,
             _Unwind_GetGR(ctx, 3),   _Unwind_GetGR(ctx, 6),  _Unwind_GetGR(ctx, 12),
             _Unwind_GetGR(ctx, 13),  _Unwind_GetGR(ctx, 14), _Unwind_GetGR(ctx, 15)};
  w.found = ip != 0;
  return _URC_END_OF_STACK;
}

/// Writes `frame` below `sp` (and its red zone); returns where, 16-byte aligned. The memory
/// is dead stack, which a sanitizer may still have poisoned.
__attribute__((no_sanitize_address)) std::uintptr_t pushResumeFrame(std::uintptr_t sp,
                                                                    const ResumeFrame &frame) {
  std::uintptr_t at = (sp - kRedZone - sizeof(ResumeFrame)) & ~std::uintptr_t(15);
  auto *dst = reinterpret_cast<volatile std::uintptr_t *>(at);
  const std::uintptr_t words[] = {frame.rsp, frame.rip, frame.rbx, frame.rbp,
                                  frame.r12, frame.r13, frame.r14, frame.r15};
  for (unsigned i = 0; i < 8; ++i) dst[i] = words[i];
  return at;
}

std::uintptr_t readULEB(const std::uint8_t *&p) {
  std::uintptr_t value = 0;
  unsigned shift = 0;
  std::uint8_t byte;
  do {
    byte = *p++;
    value |= std::uintptr_t(byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return value;
}

/// A call-site table field (an offset: no pc-relative or other application applies).
bool readCallSiteField(const std::uint8_t *&p, std::uint8_t encoding, std::uintptr_t &out) {
  auto fixed = [&](auto type) {
    __builtin_memcpy(&type, p, sizeof type);
    p += sizeof type;
    out = std::uintptr_t(type);
    return true;
  };
  switch (encoding & 0x0f) {
  case 0x01: return out = readULEB(p), true;      // DW_EH_PE_uleb128 (clang, GCC)
  case 0x03: return fixed(std::uint32_t());       // DW_EH_PE_udata4
  case 0x0b: return fixed(std::int32_t());        // DW_EH_PE_sdata4
  case 0x00: case 0x04: return fixed(std::uint64_t()); // absptr, udata8
  default: return false;
  }
}

/// Whether the LSDA of the function starting at `func` has a call-site entry for `ip`. An
/// uncovered ip makes __gxx_personality_v0 call std::terminate (clang calls a function it
/// proved cannot throw, e.g. one without calls defined earlier in the unit, with no entry).
bool callSiteCovers(const std::uint8_t *lsda, std::uintptr_t func, std::uintptr_t ip) {
  const std::uint8_t *p = lsda;
  if (*p++ != 0xff) return false; // a landing-pad base other than the function: not handled
  if (*p++ != 0xff) readULEB(p);  // type table offset
  std::uint8_t encoding = *p++;
  std::uintptr_t length = readULEB(p);
  for (const std::uint8_t *end = p + length; p < end;) {
    std::uintptr_t start, size, landing_pad;
    if (!readCallSiteField(p, encoding, start) || !readCallSiteField(p, encoding, size) ||
        !readCallSiteField(p, encoding, landing_pad))
      return false;
    readULEB(p); // action
    if (ip < func + start) return false; // sorted: passed it
    if (ip < func + start + size) return true;
  }
  return false;
}

/// Walks from the trampoline's caller to runUnwindable(): every frame must be able to pass an
/// exception on (no frame the personality routine would end with terminate), and the walk
/// must get there (an object without unwind info ends it early).
struct ReachWalk {
  std::uintptr_t resume_ip, marker;
  bool started = false, covered = true, reached = false;
};

_Unwind_Reason_Code checkFrame(_Unwind_Context *ctx, void *arg) {
  auto &w = *static_cast<ReachWalk *>(arg);
  int before_insn = 0;
  std::uintptr_t ip = _Unwind_GetIPInfo(ctx, &before_insn);
  if (!w.started && ip != w.resume_ip) return _URC_NO_REASON;
  w.started = true;
  if (_Unwind_GetCFA(ctx) > w.marker) return w.reached = true, _URC_END_OF_STACK;
  const auto *lsda = static_cast<const std::uint8_t *>(_Unwind_GetLanguageSpecificData(ctx));
  if (lsda && !callSiteCovers(lsda, _Unwind_GetRegionStart(ctx), before_insn ? ip : ip - 1))
    return w.covered = false, _URC_END_OF_STACK;
  return _URC_NO_REASON;
}

bool reachesScope(const Scope &scope) {
  ReachWalk walk{scope.resume_ip, scope.marker};
  _Unwind_Backtrace(checkFrame, &walk);
  return walk.reached && walk.covered;
}

std::string firstLine(const std::string &text) { return text.substr(0, text.find('\n')); }

} // namespace

bool redirectToUnwind(ucontext_t *uc, const Fault &f, const void *jump_target,
                      void (*jump_back)()) {
  Scope *scope = t_scope;
  auto &regs = uc->uc_mcontext.gregs;
  auto sp = std::uintptr_t(regs[REG_RSP]);
  bool inside = scope && scope->marker < reinterpret_cast<std::uintptr_t>(jump_target);
  // A stack overflow (or a deep fault) leaves no room to unwind on: jump back instead.
  bool room = inside && scope->stack_low && sp > scope->stack_low + kUnwindRoom;
  CallerWalk walk{f.pc};
  if (!room || scope->fault || (_Unwind_Backtrace(findCaller, &walk), !walk.found)) {
    leaveScopesInside(jump_target);
    return false;
  }
  scope->fault = &f;
  scope->jump_target = jump_target;
  scope->jump_back = jump_back;
  scope->resume_ip = walk.frame.rip;
  regs[REG_RSP] = greg_t(pushResumeFrame(sp, walk.frame));
  regs[REG_RIP] = greg_t(reinterpret_cast<std::uintptr_t>(&hot_eng_faultTrampoline));
  return true;
}

bool runUnwindable(const std::function<void()> &fn, const UnwindDecision &decide) {
  Scope scope{&decide, reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)), stackLow(),
              t_scope};
  t_scope = &scope;
  struct Leave {
    Scope &scope;
    ~Leave() { t_scope = scope.outer; } // also when fn throws something else
  } leave{scope};
  try {
    fn();
  } catch (const CrashedInNewCode &) {
    return false;
  }
  return true;
}

} // namespace hot::eng

/// Runs on the faulting thread's stack, called (as far as the unwinder can tell) by the
/// faulting function's caller: throws, or jumps back to catchFaults() when the fault may not
/// or cannot unwind (not new code; already unwinding; a frame that would call terminate).
extern "C" void hot_eng_raiseFault() {
  using namespace hot::eng;
  Scope &scope = *t_scope;
  std::string message;
  bool unwind = std::uncaught_exceptions() == 0 && reachesScope(scope) &&
                (*scope.decide)(*scope.fault, message);
  scope.fault = nullptr;
  if (!unwind) {
    void (*jump_back)() = scope.jump_back;
    leaveScopesInside(scope.jump_target);
    jump_back();
  }
  throw hot::CrashedInNewCode(firstLine(message));
}
