#include "engine/CrashReport.h"

#include <semaphore.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <vector>

namespace hot::eng {

/// No file descriptors: a program may close every descriptor it did not open (daemons do),
/// and a pipe whose number was reused would have the handler write into the program's file.
/// A semaphore (sem_post is async-signal-safe) wakes the thread; the handler polls an atomic.
struct CrashReporter::State {
  std::function<std::string(const Fault &)> format;
  sem_t request{};                ///< Posted by the handler (a report) and the destructor.
  std::atomic<bool> stop{false};  ///< Set by the destructor before its post.
  std::atomic<bool> done{false};  ///< Set by the thread once the report is out.
  std::atomic<const Fault *> fault{nullptr};
  std::thread thread;

  State() { ::sem_init(&request, 0, 0); }
  ~State() { ::sem_destroy(&request); }

  void loop() {
    while (true) {
      while (::sem_wait(&request) != 0 && errno == EINTR) {
      }
      // A fault posted just before the destructor's stop is still reported.
      if (const Fault *f = fault.exchange(nullptr)) {
        std::string text = format(*f);
        for (size_t off = 0; off < text.size();) {
          ssize_t n = ::write(2, text.data() + off, text.size() - off);
          if (n <= 0) break;
          off += size_t(n);
        }
        done.store(true);
      }
      if (stop.load()) return;
    }
  }
};

namespace {

std::atomic<CrashReporter::State *> g_current{nullptr};

/// In the signal handler: only atomics, sem_post and nanosleep.
void handOver(const Fault &f) {
  CrashReporter::State *s = g_current.load();
  if (!s) return;
  s->done.store(false);
  s->fault.store(&f);
  if (::sem_post(&s->request) != 0) return;
  const timespec tick{0, 1000000}; // 1 ms
  for (int waited = 0; waited < CrashReporter::kWaitMs && !s->done.load(); ++waited)
    ::nanosleep(&tick, nullptr);
}

} // namespace

std::unique_ptr<CrashReporter> CrashReporter::start(std::function<std::string(const Fault &)> format) {
  auto state = std::make_shared<State>();
  state->format = std::move(format);
  State *raw = state.get();
  state->thread = std::thread([raw] { raw->loop(); });
  g_current.store(raw);
  setFatalHook(handOver);
  return std::unique_ptr<CrashReporter>(new CrashReporter(std::move(state)));
}

CrashReporter::~CrashReporter() {
  State *self = state_.get();
  if (g_current.compare_exchange_strong(self, nullptr)) setFatalHook(nullptr);
  state_->stop.store(true);
  ::sem_post(&state_->request);
  if (state_->thread.joinable()) state_->thread.join();
  // A handler that read g_current just before it was cleared may still post: the semaphore
  // must outlive it. Kept (reachable, so not a leak) for the process's life; one per reporter.
  static std::mutex mu;
  static std::vector<std::shared_ptr<State>> retired;
  std::lock_guard<std::mutex> lock(mu);
  retired.push_back(std::move(state_));
}

} // namespace hot::eng
