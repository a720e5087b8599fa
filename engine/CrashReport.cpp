#include "engine/CrashReport.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace hot::eng {

struct CrashReporter::State {
  std::function<std::string(const Fault &)> format;
  int request[2] = {-1, -1}; ///< The handler writes 'f' (report) and the destructor 's' (stop).
  int done[2] = {-1, -1};    ///< The thread writes a byte once the report is out.
  const Fault *fault = nullptr;
  std::thread thread;

  void loop() {
    for (char c = 0; ::read(request[0], &c, 1) == 1 && c == 'f';) {
      std::string text = format(*fault);
      for (size_t off = 0; off < text.size();) {
        ssize_t n = ::write(2, text.data() + off, text.size() - off);
        if (n <= 0) break;
        off += size_t(n);
      }
      (void)!::write(done[1], "d", 1);
    }
  }
  ~State() {
    for (int fd : {request[0], request[1], done[0], done[1]})
      if (fd >= 0) ::close(fd);
  }
};

namespace {

std::atomic<CrashReporter::State *> g_current{nullptr};

/// In the signal handler: only write, poll and read.
void handOver(const Fault &f) {
  CrashReporter::State *s = g_current.load();
  if (!s) return;
  s->fault = &f;
  if (::write(s->request[1], "f", 1) != 1) return;
  pollfd p{s->done[0], POLLIN, 0};
  if (::poll(&p, 1, CrashReporter::kWaitMs) == 1) {
    char c;
    (void)!::read(s->done[0], &c, 1);
  }
}

} // namespace

std::unique_ptr<CrashReporter> CrashReporter::start(std::function<std::string(const Fault &)> format) {
  auto state = std::make_shared<State>();
  state->format = std::move(format);
  if (::pipe2(state->request, O_CLOEXEC) != 0 || ::pipe2(state->done, O_CLOEXEC) != 0)
    return nullptr;
  State *raw = state.get();
  state->thread = std::thread([raw] { raw->loop(); });
  g_current.store(raw);
  setFatalHook(handOver);
  return std::unique_ptr<CrashReporter>(new CrashReporter(std::move(state)));
}

CrashReporter::~CrashReporter() {
  State *self = state_.get();
  if (g_current.compare_exchange_strong(self, nullptr)) setFatalHook(nullptr);
  (void)!::write(state_->request[1], "s", 1);
  if (state_->thread.joinable()) state_->thread.join();
}

} // namespace hot::eng
