// hot bench: helpers shared by the sections (temp dirs, processes, libraries, statistics, a
// live engine driven from this thread).
#include "cli/Bench.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace hot::cli::bench {
namespace fs = std::filesystem;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// ---- files ----------------------------------------------------------------------------------

TempDir::TempDir(const std::string &tag) {
  std::string tmpl = (fs::temp_directory_path() / ("hot-bench-" + tag + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw Failure("cannot create a temp dir: " + tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void writeFile(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw Failure("cannot write " + path);
}

// ---- processes ------------------------------------------------------------------------------

const char *clangxx() { return HOT_CLANGXX_PATH; }

namespace {
std::string commandLine(const std::vector<std::string> &argv) {
  std::string s;
  for (auto &a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

pid_t spawn(const std::vector<std::string> &argv) {
  std::vector<char *> cargv;
  for (auto &a : argv) cargv.push_back(const_cast<char *>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = 0;
  int err = ::posix_spawnp(&pid, cargv[0], nullptr, nullptr, cargv.data(), environ);
  if (err != 0) throw Failure("cannot run " + argv[0] + ": " + std::strerror(err));
  return pid;
}

void reap(pid_t pid, const std::string &what) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Failure("command failed: " + what);
}
} // namespace

void run(const std::vector<std::string> &argv) { reap(spawn(argv), commandLine(argv)); }

void runParallel(const std::vector<std::vector<std::string>> &commands, unsigned jobs) {
  std::vector<std::pair<pid_t, std::string>> running;
  size_t next = 0;
  std::string failed;
  auto reapOne = [&] {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0 && errno != EINTR) throw Failure(std::string("waitpid: ") + std::strerror(errno));
    auto it = std::find_if(running.begin(), running.end(), [&](auto &r) { return r.first == pid; });
    if (it == running.end()) return; // not ours (or EINTR)
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = it->second;
    running.erase(it);
  };
  while (next < commands.size() || !running.empty()) {
    while (next < commands.size() && running.size() < jobs) {
      running.emplace_back(spawn(commands[next]), commandLine(commands[next]));
      ++next;
    }
    reapOne();
  }
  if (!failed.empty()) throw Failure("command failed: " + failed);
}

// ---- libraries ------------------------------------------------------------------------------

Library::Library(const std::string &path) {
  handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) throw Failure(std::string("dlopen: ") + ::dlerror());
}

Library::~Library() {
  if (handle_) ::dlclose(handle_);
}

void *Library::symbol(const std::string &name) const {
  void *sym = ::dlsym(handle_, name.c_str());
  if (!sym) throw Failure("dlsym " + name + ": not found");
  return sym;
}

// ---- figures --------------------------------------------------------------------------------

std::uint64_t residentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * std::uint64_t(::sysconf(_SC_PAGESIZE));
}

Json summarize(std::vector<double> samples, const std::string &unit) {
  if (samples.empty()) throw Failure("no samples");
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  size_t n = sorted.size();
  double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  size_t p90 = size_t(std::ceil(0.9 * double(n))) - 1;
  return Json{{"median_" + unit, median},
              {"p90_" + unit, sorted[p90]},
              {"min_" + unit, sorted.front()},
              {"max_" + unit, sorted.back()},
              {"samples_" + unit, samples}};
}

// ---- live engine ----------------------------------------------------------------------------

/// Remembers the first failed reload so a wait can stop at once and say why.
struct LiveEngine::Events : hot::Listener {
  std::string failure;
  ReloadTimes times;
  void onReload(const hot::ReloadEvent &e) override {
    if (!e.success && failure.empty()) failure = e.unit + ": " + e.message;
    times.compile_ms += e.compile_ms;
    times.link_ms += e.link_ms;
    ++times.events;
  }
};

LiveEngine::LiveEngine(const std::string &dir, hot::Config config)
    : events_(std::make_unique<Events>()) {
  auto created = hot::HotEngine::create(std::move(config));
  if (!created.ok()) throw Failure("HotEngine::create: " + created.status().message());
  engine_ = std::move(created.value());
  engine_->setListener(events_.get());
  if (hot::Status st = engine_->watch(dir); !st.ok())
    throw Failure("watch(" + dir + "): " + st.message());
}

LiveEngine::~LiveEngine() {
  if (engine_) engine_->setListener(nullptr);
  engine_.reset();
}

hot::Function<int()> LiveEngine::function(const std::string &name) {
  auto fn = engine_->function<int()>(name);
  if (!fn.ok()) throw Failure("function(" + name + "): " + fn.status().message());
  return fn.value();
}

ReloadTimes LiveEngine::waitForValues(const std::vector<hot::Function<int()>> &fns,
                                      const std::vector<int> &expected, unsigned timeout_ms) {
  auto start = Clock::now();
  events_->times = {};
  for (;;) {
    engine_->update();
    if (!events_->failure.empty()) throw Failure("reload failed: " + events_->failure);
    bool all = true;
    for (size_t i = 0; i < fns.size() && all; ++i) all = fns[i]() == expected[i];
    if (all) return events_->times;
    if (msSince(start) > timeout_ms) throw Failure("timed out waiting for the new value");
    // A short pause instead of a hot spin leaves both cores to the compiler threads.
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

} // namespace hot::cli::bench
