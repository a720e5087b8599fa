// Guarded calls (opt-in crash rollback): a fault inside JIT code during HotEngine::guarded()
// jumps back out, the faulting unit returns to its previous version, and the host goes on.
//
// Limits (docs/ARCHITECTURE.md): frames between the fault and guarded() are abandoned without
// running destructors; locks they held stay held; state they modified stays modified; a fault
// on another thread, or outside guarded(), is not caught (the default action runs).
#include "engine/EngineImpl.h"
#include "jit/CodeScanner.h"

#include <algorithm>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>
#include <ucontext.h>
#include <unistd.h>

#include <memory>

namespace hot {
namespace {

struct Fault {
  int signal = 0;
  std::uintptr_t pc = 0, sp = 0, addr = 0;
};
thread_local sigjmp_buf *t_jump = nullptr;
thread_local Fault t_fault;
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
struct sigaction g_previous[NSIG];

/// A per-thread alternate signal stack, so that a stack overflow can still be handled.
struct AltStack {
  std::unique_ptr<char[]> memory;
  ~AltStack() { // unregistered before it is freed, as the thread ends
    if (!memory) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
  }
};

void ensureAltStack() {
  thread_local AltStack stack;
  if (stack.memory) return;
  stack_t current{};
  if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;
  constexpr size_t kSize = 64 * 1024;
  stack.memory.reset(new char[kSize]);
  stack_t ss{};
  ss.ss_sp = stack.memory.get();
  ss.ss_size = kSize;
  sigaltstack(&ss, nullptr);
}

void onFault(int sig, siginfo_t *info, void *ctx) {
  if (!t_jump) {
    // Not ours: restore what was there and return; the instruction faults again and the
    // previous handler (or the default action) deals with it.
    sigaction(sig, &g_previous[sig], nullptr);
    return;
  }
  auto *uc = static_cast<ucontext_t *>(ctx);
  t_fault = {sig, std::uintptr_t(uc->uc_mcontext.gregs[REG_RIP]),
             std::uintptr_t(uc->uc_mcontext.gregs[REG_RSP]),
             reinterpret_cast<std::uintptr_t>(info->si_addr)};
  siglongjmp(*t_jump, 1);
}

void installFaultHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : kSignals) {
      struct sigaction sa {};
      sa.sa_sigaction = onFault;
      sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
      sigemptyset(&sa.sa_mask);
      sigaction(sig, &sa, &g_previous[sig]);
    }
  });
}

const char *signalName(int sig) {
  switch (sig) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGFPE: return "SIGFPE";
  case SIGILL: return "SIGILL";
  default: return "signal";
  }
}

/// Name of the function whose body starts closest below `pc` in `v`.
std::string functionAt(const Version &v, std::uintptr_t pc,
                       const std::map<std::string, std::unique_ptr<SymbolRecord>> &symbols) {
  std::string best;
  std::uintptr_t best_addr = 0;
  for (auto &[sym, addr] : v.bodies) {
    auto a = reinterpret_cast<std::uintptr_t>(addr);
    if (a <= pc && a >= best_addr) {
      best_addr = a;
      auto it = symbols.find(sym);
      best = it != symbols.end() && !it->second->display.empty() ? it->second->display : sym;
    }
  }
  return best;
}

} // namespace

Status HotEngine::Impl::guarded(const std::function<void()> &fn, bool fatal_unless_rolled_back) {
  installFaultHandlers();
  ensureAltStack();
  sigjmp_buf buf;
  sigjmp_buf *outer = t_jump;
  if (sigsetjmp(buf, 1) == 0) {
    t_jump = &buf;
    fn();
    t_jump = outer;
    return Status();
  }
  t_jump = outer;
  Fault f = t_fault;
  bool rolled_back = false;
  Status st = blameFault(f.signal, f.pc, f.sp, f.addr, rolled_back);
  if (!fatal_unless_rolled_back || rolled_back) return st;
  // Not new code, or nothing to return to: the process ends as it would have natively.
  message(Severity::Error, "the fault cannot be recovered from: the program ends");
  signal(f.signal, SIG_DFL);
  raise(f.signal);
  _exit(128 + f.signal);
}

/// Names the unit version and function a fault happened in and rolls that unit back if it is
/// its running version and an older one exists.
Status HotEngine::Impl::blameFault(int signal, std::uintptr_t fault_pc, std::uintptr_t sp,
                                   std::uintptr_t fault_addr, bool &rolled_back) {
  struct {
    int signal;
    std::uintptr_t pc, sp, addr;
  } f{signal, fault_pc, sp, fault_addr};
  std::lock_guard<std::mutex> lock(mu_);
  // A fault inside a library call made by JIT code is blamed on the innermost JIT frame.
  std::uintptr_t pc = f.pc;
  if (!jit_->codeOwner(pc)) pc = jit::innermostInRanges(f.sp, jit_->codeRanges(nullptr));
  llvm::orc::JITDylib *jd = pc ? jit_->codeOwner(pc) : nullptr;
  char addr[32];
  snprintf(addr, sizeof addr, "0x%lx", static_cast<unsigned long>(f.addr));
  std::string what = std::string(signalName(f.signal)) + " (address " + addr + ")";
  // Newest first: a running version also runs the bodies it borrowed from older ones.
  auto runs = [&](const Version &v) {
    return v.jd == jd || std::any_of(v.borrowed.begin(), v.borrowed.end(),
                                     [&](auto &b) { return b.second == jd; });
  };
  for (auto &[path, u] : units_)
    for (auto it = u->history.rbegin(); it != u->history.rend(); ++it) {
      Version &v = *it;
      if (!jd || !runs(v)) continue;
      std::string msg = path + ": version " + std::to_string(v.number) + " crashed with " +
                        what + " in '" + functionAt(v, pc, symbols_) + "'";
      bool running = &v == u->current();
      if (running && u->history.size() >= 2) {
        unsigned bad = v.number;
        if (Status st = rollbackLocked(*u); (rolled_back = st.ok()))
          msg += "; rolled back to version " + std::to_string(u->current()->number) +
                 " (version " + std::to_string(bad) + " is not reapplied until the file changes)";
      } else if (!running && v.number > u->current()->number) {
        // Another thread faulted in it first and rolled it back: this call is abandoned too.
        rolled_back = true;
        msg += "; already rolled back to version " + std::to_string(u->current()->number);
      }
      message(Severity::Error, msg);
      return Status(ErrorCode::Crashed, msg);
    }
  std::string msg = "crashed with " + what + " outside reloadable code";
  message(Severity::Error, msg);
  return Status(ErrorCode::Crashed, msg);
}

} // namespace hot
