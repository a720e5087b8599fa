// Guarded calls (opt-in crash rollback): a fault inside JIT code during HotEngine::guarded()
// jumps back out, the faulting unit returns to its previous version, and the host goes on.
//
// A fault in new code unwinds the call as hot::CrashedInNewCode (engine/FaultUnwind.h) where
// it can; limits in docs/ARCHITECTURE.md ("Guarded calls"): what cannot unwind is abandoned
// without destructors; a fault on another thread, or outside guarded(), is not caught.
#include "engine/EngineImpl.h"
#include "engine/Guard.h"
#include "engine/FaultUnwind.h"
#include "jit/CodeScanner.h"
#include "llvm/Demangle/Demangle.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <csetjmp>
#include <csignal>
#include <cstdlib>
#include <pthread.h>
#include <string_view>
#include <cstring>
#include <ctime>
#include <mutex>
#include <dlfcn.h>
#include <ucontext.h>
#include <unistd.h>
#include <unwind.h>

#include <memory>
#include <optional>

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

/// Collects frames from the one whose pc is the faulting pc (the handler's own frames and
/// the signal trampoline come first and are skipped).
_Unwind_Reason_Code collectFrame(_Unwind_Context *ctx, void *arg) {
  auto &f = *static_cast<Fault *>(arg);
  int before_insn = 0;
  auto ip = static_cast<std::uintptr_t>(_Unwind_GetIPInfo(ctx, &before_insn));
  if (f.frame_count == 0 && f.pc && ip != f.pc) return _URC_NO_REASON;
  f.frames[f.frame_count++] = ip;
  return f.frame_count == Fault::kMaxFrames ? _URC_END_OF_STACK : _URC_NO_REASON;
}

[[noreturn]] void jumpToCatchFaults() { siglongjmp(*t_jump, 1); }

std::atomic<FatalHook> g_fatal_hook{nullptr};

/// Hands a fault no catchFaults() catches to the fatal hook, once per process.
void lastWord(int sig, siginfo_t *info, void *ctx) {
  static std::atomic<bool> said{false};
  FatalHook hook = g_fatal_hook.load();
  if (!hook || said.exchange(true)) return;
  static Fault fault; // not on the (alternate) stack: 32 frames are large for it
  auto *uc = static_cast<ucontext_t *>(ctx);
  fault = {sig, std::uintptr_t(uc->uc_mcontext.gregs[REG_RIP]),
           std::uintptr_t(uc->uc_mcontext.gregs[REG_RSP]),
           reinterpret_cast<std::uintptr_t>(info->si_addr)};
  _Unwind_Backtrace(collectFrame, &fault);
  hook(fault);
}

/// Records the fault and its frames (on the alternate stack, so a stack overflow has room),
/// then returns into the unwind (guarded calls) or jumps back to the innermost catchFaults().
void jumpBack(int sig, siginfo_t *info, void *ctx) {
  auto *uc = static_cast<ucontext_t *>(ctx);
  t_fault = {sig, std::uintptr_t(uc->uc_mcontext.gregs[REG_RIP]),
             std::uintptr_t(uc->uc_mcontext.gregs[REG_RSP]),
             reinterpret_cast<std::uintptr_t>(info->si_addr)};
  _Unwind_Backtrace(collectFrame, &t_fault);
  if (!t_abort_and_exit && redirectToUnwind(uc, t_fault, t_jump, jumpToCatchFaults)) return;
  siglongjmp(*t_jump, 1);
}

void onFault(int sig, siginfo_t *info, void *ctx) {
  if (t_jump) return jumpBack(sig, info, ctx);
  lastWord(sig, info, ctx);
  // Not ours: restore what was there and return; the instruction faults again and the
  // previous handler (or the default action) deals with it.
  sigaction(sig, &g_previous[sig], nullptr);
}

/// abort() raises SIGABRT and, if a handler returns, raises it again with the default action:
/// a handler that is not ours must be called here, not reinstalled.
void onAbort(int sig, siginfo_t *info, void *ctx) {
  if (t_jump && t_abort_and_exit) jumpBack(sig, info, ctx);
  if (!t_jump) lastWord(sig, info, ctx);
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

void setFatalHook(FatalHook hook) {
  installHandlers();
  g_fatal_hook.store(hook);
}

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
  _Unwind_Backtrace(collectFrame, &t_fault);
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

/// "'int f()' (a.cpp:3)" for a stub symbol the engine knows, else "'<demangled name>'".
/// The line is `v`'s (functions move between versions).
std::string describeSymbol(const std::string &sym, const Version &v,
                           const std::map<std::string, std::unique_ptr<SymbolRecord>> &symbols) {
  auto it = symbols.find(sym);
  if (it == symbols.end() || it->second->display.empty()) return "'" + llvm::demangle(sym) + "'";
  const SymbolRecord &r = *it->second;
  std::string out = "'" + r.display + "'";
  auto line = v.lines.find(sym);
  if (!r.file.empty())
    out += " (" + std::filesystem::path(r.file).filename().string() + ":" +
           std::to_string(line == v.lines.end() ? r.line : line->second) + ")";
  return out;
}

/// "'main' (libfoo.so)" or "libfoo.so+0x1234": what the dynamic linker knows of `pc`.
std::string hostFrameName(std::uintptr_t pc) {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void *>(pc), &info) || !info.dli_fname) return "??";
  std::string object = std::filesystem::path(info.dli_fname).filename().string();
  if (info.dli_sname) return "'" + llvm::demangle(info.dli_sname) + "' (" + object + ")";
  char offset[32];
  snprintf(offset, sizeof offset, "+0x%lx",
           static_cast<unsigned long>(pc - reinterpret_cast<std::uintptr_t>(info.dli_fbase)));
  return object + offset;
}

/// Whether `pc` is in the engine's own shared library (its frames say nothing to a user).
/// An engine linked statically into the host cannot be told apart and is shown.
bool inEngineLibrary(std::uintptr_t pc) {
  static const void *engine_base = [] {
    Dl_info self{};
    if (!dladdr(reinterpret_cast<void *>(&hostFrameName), &self) || !self.dli_fname) return (void *)nullptr;
    return std::string_view(self.dli_fname).ends_with(".so") ? self.dli_fbase : nullptr;
  }();
  Dl_info info{};
  return engine_base && dladdr(reinterpret_cast<void *>(pc), &info) && info.dli_fbase == engine_base;
}

} // namespace

std::string HotEngine::Impl::faultSite(const eng::Fault &f, const Version &v) {
  if (!f.signal) return "";
  std::uintptr_t pc = blamedPc(f);
  return pc && jit_->codeOwner(pc) ? " in " + functionName(pc, v) : "";
}

std::string HotEngine::Impl::functionName(std::uintptr_t pc, const Version &v) {
  std::string name = jit_->functionAt(pc);
  if (name.empty()) return "a function without a name";
  llvm::StringRef sym(name);
  sym.consume_front("__hot_body.");
  return describeSymbol(sym.str(), v, symbols_);
}

std::uintptr_t HotEngine::Impl::blamedPc(const eng::Fault &f) {
  if (f.pc && jit_->codeOwner(f.pc)) return f.pc;
  for (unsigned i = 1; i < f.frame_count; ++i)
    if (jit_->codeOwner(f.frames[i] - 1)) return f.frames[i] - 1;
  return f.sp ? jit::innermostInRanges(f.sp, jit_->codeRanges(nullptr)) : 0;
}

std::string HotEngine::Impl::frameName(std::uintptr_t pc, const Version *pending) {
  llvm::orc::JITDylib *jd = jit_->codeOwner(pc);
  if (!jd) return hostFrameName(pc);
  const Version *v = pending; // its jd may not be set yet
  for (auto &[path, u] : units_)
    for (const Version &h : u->history)
      if (h.jd == jd) v = &h;
  std::string file, number;
  std::string where = jit::JitStack::splitVersionName(jd->getName(), file, number)
                          ? " [" + file + " version " + number + "]"
                          : "";
  return (v ? functionName(pc, *v) : "a function") + where;
}

std::string HotEngine::Impl::backtrace(const eng::Fault &f, const Version *pending) {
  // frames[0] of a signal is the faulting instruction; the others are return addresses, and
  // the call they return from is the instruction before.
  auto at = [&](unsigned i) { return i == 0 && f.signal ? f.frames[0] : f.frames[i] - 1; };
  int last_jit = -1;
  for (unsigned i = 0; i < f.frame_count; ++i)
    if (jit_->codeOwner(at(i))) last_jit = int(i);
  // The program's frames and the host's caller or two; the engine's own frames are noise.
  unsigned end = std::min(f.frame_count, last_jit < 0 ? 8u : unsigned(last_jit) + 3);
  std::string out;
  for (unsigned i = 0, shown = 0; i < end; ++i) {
    if (!jit_->codeOwner(at(i)) && inEngineLibrary(at(i))) continue;
    char addr[32];
    snprintf(addr, sizeof addr, "0x%lx", static_cast<unsigned long>(f.frames[i]));
    out += "\n    #" + std::to_string(shown++) + " " + addr + " " + frameName(at(i), pending);
  }
  return out.empty() ? "" : "\n  backtrace:" + out;
}

std::string HotEngine::Impl::lastLoaded() const {
  const Unit *unit = nullptr;
  const Version *newest = nullptr;
  for (auto &[path, u] : units_)
    for (const Version &v : u->history)
      if (!newest || v.loaded_at_ms >= newest->loaded_at_ms) unit = u.get(), newest = &v;
  if (!newest) return "";
  std::time_t secs = std::time_t(newest->loaded_at_ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03d", int(newest->loaded_at_ms % 1000));
  return "\n  last loaded: " + unit->path + " version " + std::to_string(newest->number) + " at " +
         when + millis + " (content " + newest->hash.substr(0, 16) + ")";
}

std::string HotEngine::Impl::fatalReport(const eng::Fault &f) {
  std::string what = eng::describe(f).substr(1); // "crashed with SIGSEGV (address 0x0)"
  // The faulting thread may hold the lock (a fault in the engine itself): wait a while only.
  std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
  for (int i = 0; i < 100 && !lock.try_lock(); ++i) usleep(10000);
  if (!lock.owns_lock())
    return std::string("hotengine: fatal: the program ") + what +
           " (the engine is busy: its frames cannot be named)\n";
  std::uintptr_t pc = blamedPc(f);
  llvm::orc::JITDylib *jd = pc ? jit_->codeOwner(pc) : nullptr;
  std::string head = what + " outside reloadable code";
  for (auto &[path, u] : units_)
    for (const Version &v : u->history)
      if (jd && v.jd == jd)
        head = path + ": version " + std::to_string(v.number) + " " + what + " in " +
               functionName(pc, v);
  return "hotengine: fatal: " + head + backtrace(f) + lastLoaded() +
         "\n  nothing catches it on this thread (guarded()): the process ends\n";
}

Status HotEngine::Impl::guarded(const std::function<void()> &fn, bool fatal_unless_rolled_back) {
  eng::Fault f;
  // A fault in new code unwinds as hot::CrashedInNewCode, blamed (and rolled back) on the
  // faulting thread by `decide`; what cannot unwind jumps back here as before.
  std::optional<Status> unwound, refused;
  auto decide = [&](const eng::Fault &fault, std::string &message) {
    bool rolled_back = false;
    Status st = blameFault(fault, rolled_back);
    message = st.message();
    (rolled_back ? unwound : refused) = st;
    return rolled_back;
  };
  bool finished = false;
  if (eng::catchFaults([&] { finished = eng::runUnwindable(fn, decide); }, f, false))
    return finished ? Status() : unwound.value_or(Status(ErrorCode::Crashed, "crashed"));
  bool rolled_back = false;
  Status st = refused ? *refused : blameFault(f, rolled_back);
  if (!fatal_unless_rolled_back || rolled_back) return st;
  // Not new code, or nothing to return to: the process ends as it would have natively.
  message(Severity::Error, "the fault cannot be recovered from: the program ends");
  eng::endAsNative(f);
}

Status HotEngine::Impl::blameFault(const eng::Fault &f, bool &rolled_back) {
  std::lock_guard<std::mutex> lock(mu_);
  std::uintptr_t pc = blamedPc(f);
  llvm::orc::JITDylib *jd = pc ? jit_->codeOwner(pc) : nullptr;
  std::string what = eng::describe(f).substr(1); // "crashed with SIGSEGV (address 0x0)"
  const std::string last = lastLoaded(); // before a rollback changes what is newest
  // Newest first: a running version also runs the bodies it borrowed from older ones.
  auto runs = [&](const Version &v) {
    return v.jd == jd || std::any_of(v.borrowed.begin(), v.borrowed.end(),
                                     [&](auto &b) { return b.second == jd; });
  };
  for (auto &[path, u] : units_)
    for (auto it = u->history.rbegin(); it != u->history.rend(); ++it) {
      Version &v = *it;
      if (!jd || !runs(v)) continue;
      std::string msg = path + ": version " + std::to_string(v.number) + " " + what + " in " +
                        functionName(pc, v);
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
      msg += backtrace(f) + last;
      message(Severity::Error, msg);
      return Status(ErrorCode::Crashed, msg);
    }
  std::string msg = what + " outside reloadable code" + backtrace(f) + last;
  message(Severity::Error, msg);
  return Status(ErrorCode::Crashed, msg);
}

} // namespace hot
