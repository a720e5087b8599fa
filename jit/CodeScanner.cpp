#include "jit/CodeScanner.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <mutex>
#include <sched.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

namespace hot::jit {
namespace {

/// What a stopped thread tells the scanner. One scan at a time (scan_mu).
///
/// `request` names the thread asked and the phase in one word, so that a thread answering
/// late (its request timed out, or a later one is for another thread) can never pass for the
/// thread asked, and can never be left waiting in its handler:
///   scanner: request = tid|Asked, signal tid
///   handler: CAS tid|Asked -> tid|Claimed (fails: not for us, or given up: return at once),
///            write the fields, request = tid|Stopped, wait while it stays tid|Stopped
///   scanner: sees tid|Stopped, scans, request = Idle (releases the handler)
///   timeout: CAS tid|Asked -> Idle; if that fails the handler has claimed: wait for Stopped.
struct Probe {
  enum Phase : std::uint64_t { Idle = 0, Asked = 1, Claimed = 2, Stopped = 3 };
  static std::uint64_t word(pid_t tid, Phase p) { return (std::uint64_t(std::uint32_t(tid)) << 2) | p; }
  std::atomic<std::uint64_t> request{Idle};
  std::uintptr_t handler_sp = 0, interrupted_sp = 0, pc = 0; ///< Valid in phase Stopped.
};
Probe probe;
std::mutex scan_mu;

int scanSignal() { return SIGRTMIN + 5; }

void onProbe(int, siginfo_t *, void *ctx) {
  pid_t self = pid_t(syscall(SYS_gettid));
  std::uint64_t asked = Probe::word(self, Probe::Asked);
  if (!probe.request.compare_exchange_strong(asked, Probe::word(self, Probe::Claimed),
                                             std::memory_order_acq_rel))
    return; // a stray or late signal
  auto *uc = static_cast<ucontext_t *>(ctx);
  volatile char marker = 0;
  probe.handler_sp = reinterpret_cast<std::uintptr_t>(&marker);
  probe.interrupted_sp = std::uintptr_t(uc->uc_mcontext.gregs[REG_RSP]);
  probe.pc = std::uintptr_t(uc->uc_mcontext.gregs[REG_RIP]);
  const std::uint64_t stopped = Probe::word(self, Probe::Stopped);
  probe.request.store(stopped, std::memory_order_release);
  // Stay here (registers saved in the signal frame below us) until the scan is done.
  while (probe.request.load(std::memory_order_acquire) == stopped) sched_yield();
}

void installHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = onProbe;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(scanSignal(), &sa, nullptr);
  });
}

/// Mappings of the process, read before any thread is stopped (no allocation while stopped).
struct Mapping {
  std::uintptr_t begin, end;
};
std::vector<Mapping> readMappings() {
  std::vector<Mapping> maps;
  FILE *f = std::fopen("/proc/self/maps", "r");
  if (!f) return maps;
  char line[512];
  while (std::fgets(line, sizeof line, f)) {
    unsigned long b, e;
    char perms[8];
    if (std::sscanf(line, "%lx-%lx %7s", &b, &e, perms) == 3 && perms[0] == 'r')
      maps.push_back({b, e});
  }
  std::fclose(f);
  return maps;
}

std::uintptr_t mappingEnd(const std::vector<Mapping> &maps, std::uintptr_t addr) {
  for (const Mapping &m : maps)
    if (addr >= m.begin && addr < m.end) return m.end;
  return addr;
}

/// The sets of ranges asked about, and which of them a scan has found in use so far. Built
/// before any thread is stopped: marking allocates nothing.
struct Query {
  const std::vector<std::vector<CodeRange>> &sets;
  std::vector<char> &used;
  std::uintptr_t lo = UINTPTR_MAX, hi = 0; ///< Bounds of every range: a quick reject.

  Query(const std::vector<std::vector<CodeRange>> &s, std::vector<char> &u) : sets(s), used(u) {
    for (const auto &set : sets)
      for (const CodeRange &r : set) {
        lo = std::min(lo, r.first);
        hi = std::max(hi, r.second);
      }
  }
  void mark(std::uintptr_t v) {
    if (v < lo || v >= hi) return;
    for (size_t i = 0; i < sets.size(); ++i)
      for (const CodeRange &r : sets[i])
        if (v >= r.first && v < r.second) used[i] = 1;
  }
};

// Reads other threads' stacks word by word on purpose: sanitizers must not instrument it.
__attribute__((no_sanitize("address", "thread", "undefined"))) void scanWords(std::uintptr_t from, std::uintptr_t to, Query &q) {
  from &= ~std::uintptr_t(7);
  for (std::uintptr_t p = from; p + 8 <= to; p += 8) q.mark(*reinterpret_cast<const std::uintptr_t *>(p));
}

std::vector<pid_t> threadIds() {
  std::vector<pid_t> ids;
  DIR *d = opendir("/proc/self/task");
  if (!d) return ids;
  while (dirent *e = readdir(d))
    if (e->d_name[0] != '.') ids.push_back(pid_t(std::atoi(e->d_name)));
  closedir(d);
  return ids;
}

/// Stops one thread, scans its stack into `q`, lets it go. False if it did not answer in time.
bool probeThread(pid_t tid, const std::vector<Mapping> &maps, Query &q, unsigned timeout_ms) {
  const std::uint64_t asked = Probe::word(tid, Probe::Asked), stopped = Probe::word(tid, Probe::Stopped);
  probe.request.store(asked, std::memory_order_release);
  if (syscall(SYS_tgkill, getpid(), tid, scanSignal()) != 0) {
    probe.request.store(Probe::Idle, std::memory_order_release);
    return true; // the thread is gone
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (probe.request.load(std::memory_order_acquire) != stopped) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::uint64_t expect = asked;
      if (probe.request.compare_exchange_strong(expect, Probe::Idle, std::memory_order_acq_rel))
        return false; // given up: a late handler finds Idle and returns at once
      // The handler claimed the request just now: it is writing its answer; wait for it.
    }
    sched_yield();
  }
  q.mark(probe.pc);
  scanWords(probe.handler_sp, mappingEnd(maps, probe.handler_sp), q);
  scanWords(probe.interrupted_sp, mappingEnd(maps, probe.interrupted_sp), q);
  probe.request.store(Probe::Idle, std::memory_order_release); // releases the handler
  return true;
}

} // namespace

std::vector<bool> codeInUse(const std::vector<std::vector<CodeRange>> &sets, unsigned timeout_ms,
                            bool *answered) {
  if (answered) *answered = true;
  std::vector<char> used(sets.size(), 0);
  Query q(sets, used);
  if (q.lo < q.hi) {
    installHandler();
    std::lock_guard<std::mutex> lock(scan_mu);
    std::vector<Mapping> maps = readMappings();
    std::vector<pid_t> tids = threadIds();
    volatile char here = 0;
    auto self_sp = reinterpret_cast<std::uintptr_t>(&here);
    scanWords(self_sp, mappingEnd(maps, self_sp), q);
    pid_t self = pid_t(syscall(SYS_gettid));
    for (pid_t tid : tids) {
      if (tid == self || probeThread(tid, maps, q, timeout_ms)) continue;
      if (answered) *answered = false;
      std::fill(used.begin(), used.end(), 1); // it may be inside any of them
      break;
    }
  }
  return std::vector<bool>(used.begin(), used.end());
}

__attribute__((no_sanitize("address", "thread", "undefined"))) std::uintptr_t
innermostInRanges(std::uintptr_t sp, const std::vector<CodeRange> &ranges) {
  std::vector<Mapping> maps = readMappings();
  std::uintptr_t end = mappingEnd(maps, sp);
  for (std::uintptr_t p = sp & ~std::uintptr_t(7); p + 8 <= end; p += 8) {
    std::uintptr_t v = *reinterpret_cast<const std::uintptr_t *>(p);
    for (const CodeRange &r : ranges)
      if (v >= r.first && v < r.second) return v;
  }
  return 0;
}

} // namespace hot::jit
