// Guarded calls (opt-in crash rollback): a fault inside JIT code during HotEngine::guarded()
// jumps back out, the faulting unit returns to its previous version, and the host goes on.
//
// Limits (docs/ARCHITECTURE.md): frames between the fault and guarded() are abandoned without
// running destructors; locks they held stay held; state they modified stays modified; a fault
// on another thread, or outside guarded(), is not caught (the default action runs).
#include "engine/EngineImpl.h"
#include "engine/Guard.h"
#include "jit/CodeScanner.h"
#include "llvm/Demangle/Demangle.h"

#include <algorithm>
#include <filesystem>
#include <csetjmp>
#include <csignal>
#include <cstdlib>
#include <pthread.h>
#include <string_view>
#include <cstring>
#include <mutex>
#include <ucontext.h>
#include <unistd.h>

#include <memory>

namespace hot {
namespace eng {
namespace {

thread_local sigjmp_buf *t_jump = nullptr;
thread_local bool t_abort_and_exit = false; ///< The innermost catchFaults() takes these too.
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

[[noreturn]] void jumpBack(int sig, siginfo_t *info, void *ctx) {
  auto *uc = static_cast<ucontext_t *>(ctx);
  t_fault = {sig, std::uintptr_t(uc->uc_mcontext.gregs[REG_RIP]),
             std::uintptr_t(uc->uc_mcontext.gregs[REG_RSP]),
             reinterpret_cast<std::uintptr_t>(info->si_addr)};
  siglongjmp(*t_jump, 1);
}

void onFault(int sig, siginfo_t *info, void *ctx) {
  if (t_jump) jumpBack(sig, info, ctx);
  // Not ours: restore what was there and return; the instruction faults again and the
  // previous handler (or the default action) deals with it.
  sigaction(sig, &g_previous[sig], nullptr);
}

/// abort() raises SIGABRT and, if a handler returns, raises it again with the default action:
/// a handler that is not ours must be called here, not reinstalled.
void onAbort(int sig, siginfo_t *info, void *ctx) {
  if (t_jump && t_abort_and_exit) jumpBack(sig, info, ctx);
  const struct sigaction &prev = g_previous[SIGABRT];
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction) prev.sa_sigaction(sig, info, ctx);
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
  }
}

void installHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = onFault;
    for (int sig : kSignals) sigaction(sig, &sa, &g_previous[sig]);
    sa.sa_sigaction = onAbort;
    sigaction(SIGABRT, &sa, &g_previous[SIGABRT]);
  });
}

} // namespace

bool catchFaults(const std::function<void()> &fn, Fault &out, bool abort_and_exit) {
  installHandlers();
  ensureAltStack();
  sigjmp_buf buf;
  sigjmp_buf *outer = t_jump;
  bool outer_abort = t_abort_and_exit;
  if (sigsetjmp(buf, 1) == 0) {
    t_jump = &buf;
    t_abort_and_exit = abort_and_exit;
    fn();
    t_jump = outer;
    t_abort_and_exit = outer_abort;
    return true;
  }
  t_jump = outer;
  t_abort_and_exit = outer_abort;
  out = t_fault;
  return false;
}

void exitCalled(const char *which, int status) {
  if (!t_jump || !t_abort_and_exit) return;
  t_fault = Fault{};
  t_fault.exit_call = which;
  t_fault.exit_status = status;
  siglongjmp(*t_jump, 1);
}

const char *signalName(int sig) {
  switch (sig) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGFPE: return "SIGFPE";
  case SIGILL: return "SIGILL";
  case SIGABRT: return "SIGABRT";
  default: return "signal";
  }
}

std::string describe(const Fault &f) {
  if (f.exit_call) return std::string(" called ") + f.exit_call + "(" + std::to_string(f.exit_status) + ")";
  if (f.signal == SIGABRT) return " called abort() (SIGABRT)";
  char addr[32];
  snprintf(addr, sizeof addr, "0x%lx", static_cast<unsigned long>(f.addr));
  return std::string(" crashed with ") + signalName(f.signal) + " (address " + addr + ")";
}

void endAsNative(const Fault &f) {
  if (f.exit_call && std::string_view(f.exit_call) == "quick_exit") std::quick_exit(f.exit_status);
  if (f.exit_call && std::string_view(f.exit_call) != "exit") _exit(f.exit_status);
  if (f.exit_call) std::exit(f.exit_status);
  signal(f.signal, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, f.signal);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(f.signal);
  _exit(128 + f.signal);
}

} // namespace eng

namespace {
using eng::signalName;

/// "'int f()' (a.cpp:3)": the function whose body starts closest below `pc` in `v`.
std::string functionAt(const Version &v, std::uintptr_t pc,
                       const std::map<std::string, std::unique_ptr<SymbolRecord>> &symbols) {
  std::string best;
  std::uintptr_t best_addr = 0;
  for (auto &[sym, addr] : v.bodies) {
    auto a = reinterpret_cast<std::uintptr_t>(addr);
    if (a > pc || a < best_addr) continue;
    best_addr = a;
    auto it = symbols.find(sym);
    if (it == symbols.end() || it->second->display.empty()) {
      best = "'" + llvm::demangle(sym) + "'";
      continue;
    }
    const SymbolRecord &r = *it->second;
    best = "'" + r.display + "'";
    if (!r.file.empty())
      best += " (" + std::filesystem::path(r.file).filename().string() + ":" +
              std::to_string(r.line) + ")";
  }
  return best;
}

} // namespace

std::string HotEngine::Impl::faultSite(const eng::Fault &f, const Version &v) {
  if (!f.signal) return "";
  std::uintptr_t pc = f.pc;
  if (!jit_->codeOwner(pc)) pc = jit::innermostInRanges(f.sp, jit_->codeRanges(nullptr));
  std::string fn = pc ? functionAt(v, pc, symbols_) : "";
  return fn.empty() ? "" : " in " + fn;
}

Status HotEngine::Impl::guarded(const std::function<void()> &fn, bool fatal_unless_rolled_back) {
  eng::Fault f;
  if (eng::catchFaults(fn, f, false)) return Status();
  bool rolled_back = false;
  Status st = blameFault(f.signal, f.pc, f.sp, f.addr, rolled_back);
  if (!fatal_unless_rolled_back || rolled_back) return st;
  // Not new code, or nothing to return to: the process ends as it would have natively.
  message(Severity::Error, "the fault cannot be recovered from: the program ends");
  eng::endAsNative(f);
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
                        what + " in " + functionAt(v, pc, symbols_);
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
