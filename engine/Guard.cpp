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
      sa.sa_flags = SA_SIGINFO | SA_NODEFER;
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

Status HotEngine::Impl::guarded(const std::function<void()> &fn) {
  installFaultHandlers();
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
        if (Status st = rollbackLocked(*u); st.ok())
          msg += "; rolled back to version " + std::to_string(u->current()->number) +
                 " (version " + std::to_string(bad) + " is not reapplied until the file changes)";
      }
      message(Severity::Error, msg);
      return Status(ErrorCode::Crashed, msg);
    }
  std::string msg = "crashed with " + what + " outside reloadable code";
  message(Severity::Error, msg);
  return Status(ErrorCode::Crashed, msg);
}

} // namespace hot
