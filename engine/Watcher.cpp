// engine/: a recursive inotify watcher with debouncing (see Watcher.h for the coalescing rule).
#include "engine/Watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace hot::eng {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// IN_MODIFY is included because a writer that keeps the file open never sends IN_CLOSE_WRITE;
// debouncing folds it into the IN_CLOSE_WRITE of ordinary writers. IN_ONLYDIR makes a root that
// is a file fail with ENOTDIR instead of silently watching the file.
constexpr std::uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE |
                                     IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                                     IN_ONLYDIR;

// How long a burst may extend past its quiet period: a file rewritten nonstop (a log, a build
// product) must not keep wait() from returning.
constexpr int kMaxBurstMs = 1000;

/// What an event says about a file now.
enum class Seen { Appeared, Changed, Gone };

/// What poll() reported.
enum class Ready { Timeout, Wake, Events };

/// Paths touched during one burst -> whether the file existed before the burst.
using Batch = std::map<std::string, bool>;

std::string normalize(const std::string &path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  std::string s = (ec ? fs::path(path) : abs).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

bool isUnder(const std::string &path, const std::string &dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

llvm::Error sysError(const std::string &what, int err) {
  std::error_code ec(err, std::generic_category());
  std::string hint = err == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "";
  return llvm::createStringError(ec, what + ": " + ec.message() + hint);
}

/// Milliseconds until `t` for poll(), rounded up so a poll never ends just before the deadline.
int msUntil(Clock::time_point t) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, INT32_MAX));
}

FileChange::Kind kindOf(bool existed, bool exists) {
  if (existed && exists)
    return FileChange::Kind::Modified;
  return exists ? FileChange::Kind::Created : FileChange::Kind::Deleted;
}

} // namespace

struct Watcher::State {
  int inotifyFd = -1;
  int wakeFd = -1;
  std::mutex mu; // addTree() may run on another thread than wait(); guards everything below.
  std::vector<std::string> roots;
  std::unordered_set<std::string> flat;      // directories watched without their subdirectories
  std::unordered_set<std::string> lost;      // roots/flat dirs moved or deleted: watched again
                                             // when a folder appears at the same path
  std::vector<std::string> notices;          // for takeNotices()
  std::unordered_map<int, std::string> dirs; // watch descriptor -> absolute directory
  std::unordered_set<std::string> files;     // files known to exist under the roots
  std::unordered_set<std::string> open_writes; // IN_MODIFY seen, IN_CLOSE_WRITE not yet

  ~State() {
    if (!fdsIntact())
      return; // the numbers may be the program's files now
    ::close(inotifyFd);
    ::close(wakeFd);
  }

  Ready pollFor(int timeoutMs);
  bool fdsIntact() const;
  void renewFds(Batch &batch);
  void drainWake();
  bool drain(Batch &batch);
  void collectBurst(Batch &batch, unsigned debounceMs, unsigned firstQuietMs, bool untilClosed);
  bool writing(const Batch &batch);
  std::vector<FileChange> finish(const Batch &batch);

  // The rest runs with `mu` held.
  llvm::Error watchDir(const std::string &dir, bool isRoot, Batch *batch);
  llvm::Error watchEntry(const fs::directory_entry &entry, bool descend, Batch *batch);
  void noteFile(const std::string &path, Seen seen, Batch *batch);
  void handle(const inotify_event &ev, Batch &batch);
  void handleDir(const std::string &path, std::uint32_t mask, Batch &batch);
  void forgetDir(const std::string &dir, Batch &batch);
  void rescan(Batch &batch);
  bool isTop(const std::string &dir) const;
  void lose(std::string dir, Batch &batch);
  void retryLost(Batch &batch);
};

Ready Watcher::State::pollFor(int timeoutMs) {
  // A signal (the retirement scan stops every thread with one) must not end the wait early:
  // poll again for what is left of it.
  std::optional<Clock::time_point> deadline;
  if (timeoutMs >= 0)
    deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  for (;;) {
    pollfd fds[2] = {{wakeFd, POLLIN, 0}, {inotifyFd, POLLIN, 0}};
    int n = ::poll(fds, 2, deadline ? msUntil(*deadline) : -1);
    if (n < 0 && errno == EINTR)
      continue;
    // A program that closes every descriptor it did not open closed ours too: never spin on
    // them; the next wait() renews them.
    if (n > 0 && ((fds[0].revents | fds[1].revents) & POLLNVAL))
      return Ready::Timeout;
    // Any other failure cannot go away by retrying; ending the wait beats spinning.
    if (n <= 0)
      return Ready::Timeout;
    // wake() wins over pending events: they stay queued in the kernel for the next wait().
    if (fds[0].revents & POLLIN)
      return Ready::Wake;
    return Ready::Events;
  }
}

void Watcher::State::drainWake() {
  std::uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(wakeFd, &count, sizeof count);
}

/// Reads every queued event into `batch`. Returns whether anything was read.
bool Watcher::State::drain(Batch &batch) {
  alignas(inotify_event) char buf[64 * 1024];
  bool any = false;
  for (;;) {
    ssize_t n = ::read(inotifyFd, buf, sizeof buf);
    if (n <= 0)
      return any; // EAGAIN: the queue is empty
    any = true;
    std::lock_guard<std::mutex> lock(mu);
    for (char *p = buf; p < buf + n;) {
      const auto *ev = reinterpret_cast<const inotify_event *>(p);
      handle(*ev, batch);
      p += sizeof(inotify_event) + ev->len;
    }
  }
}

/// True while a file of the batch is open for writing (a writer is between its first write and
/// its close): its content is not complete yet.
bool Watcher::State::writing(const Batch &batch) {
  std::lock_guard<std::mutex> lock(mu);
  for (const auto &[path, existed] : batch)
    if (open_writes.count(path)) return true;
  return false;
}

/// Keeps reading until `debounceMs` pass without an event (or the burst cap is reached); the
/// first quiet period is `firstQuietMs` long. With `untilClosed` the burst also ends as soon as
/// no file in it is still being written.
void Watcher::State::collectBurst(Batch &batch, unsigned debounceMs, unsigned firstQuietMs,
                                  bool untilClosed) {
  auto cap = Clock::now() + std::chrono::milliseconds(kMaxBurstMs) +
             std::chrono::milliseconds(debounceMs);
  for (unsigned wanted = firstQuietMs;; wanted = debounceMs) {
    if (untilClosed && !writing(batch))
      return;
    int quiet = static_cast<int>(std::min<long long>(wanted, msUntil(cap)));
    // Timeout: the burst is over. Wake: report what we have now; the eventfd is left readable so
    // the wake also ends the caller's next wait().
    if (quiet <= 0 || pollFor(quiet) != Ready::Events)
      return;
    drain(batch);
  }
}

std::vector<FileChange> Watcher::State::finish(const Batch &batch) {
  std::lock_guard<std::mutex> lock(mu);
  std::vector<FileChange> out;
  for (const auto &[path, existed] : batch) {
    bool exists = files.count(path) != 0;
    if (existed || exists)
      out.push_back({path, kindOf(existed, exists)});
  }
  return out;
}

/// Watches `dir` and everything below it. Files found are noted as Appeared in `batch` (when
/// given: a directory that showed up while watching) or just remembered (addTree()).
llvm::Error Watcher::State::watchDir(const std::string &dir, bool isRoot, Batch *batch) {
  int wd = inotify_add_watch(inotifyFd, dir.c_str(), kWatchMask);
  if (wd < 0) {
    int err = errno;
    // A subdirectory removed or replaced while we scan is no error: its parent reports that.
    if (!isRoot && (err == ENOENT || err == ENOTDIR))
      return llvm::Error::success();
    return sysError("cannot watch \"" + dir + "\"", err);
  }
  dirs[wd] = dir;
  // Scanning after the watch exists means a file created meanwhile is seen at least once.
  std::error_code ec;
  bool descend = !flat.count(dir);
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (auto err = watchEntry(*it, descend, batch))
      return err;
  }
  return llvm::Error::success(); // a directory that vanished mid-scan: same as above
}

llvm::Error Watcher::State::watchEntry(const fs::directory_entry &entry, bool descend,
                                       Batch *batch) {
  std::error_code ec;
  // symlink_status: a symlinked directory is not descended into (it could loop or leave the tree).
  if (entry.symlink_status(ec).type() == fs::file_type::directory)
    return descend ? watchDir(entry.path().string(), false, batch) : llvm::Error::success();
  noteFile(entry.path().string(), Seen::Appeared, batch);
  return llvm::Error::success();
}

void Watcher::State::noteFile(const std::string &path, Seen seen, Batch *batch) {
  // A content event for a file we did not know about means it existed all along.
  if (batch)
    batch->try_emplace(path, files.count(path) != 0 || seen == Seen::Changed);
  if (seen == Seen::Gone)
    files.erase(path);
  else
    files.insert(path);
}

void Watcher::State::handle(const inotify_event &ev, Batch &batch) {
  if (ev.mask & IN_Q_OVERFLOW)
    return rescan(batch);
  if (ev.mask & IN_IGNORED) {
    dirs.erase(ev.wd); // the directory was deleted (or we removed the watch)
    return;
  }
  auto it = dirs.find(ev.wd);
  if (it != dirs.end() && (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) && isTop(it->second))
    return lose(it->second, batch);
  // A watch we already forgot, or an event about the watched directory itself.
  if (it == dirs.end() || ev.len == 0)
    return;
  std::string path = it->second + "/" + ev.name;
  if (ev.mask & IN_ISDIR)
    return flat.count(it->second) ? void() : handleDir(path, ev.mask, batch);
  if (ev.mask & IN_MODIFY)
    open_writes.insert(path);
  else
    open_writes.erase(path); // closed, renamed, deleted: no write in progress
  if (ev.mask & (IN_DELETE | IN_MOVED_FROM))
    noteFile(path, Seen::Gone, &batch);
  else if (ev.mask & (IN_CREATE | IN_MOVED_TO))
    noteFile(path, Seen::Appeared, &batch);
  else
    noteFile(path, Seen::Changed, &batch); // IN_CLOSE_WRITE, IN_MODIFY
}

void Watcher::State::handleDir(const std::string &path, std::uint32_t mask, Batch &batch) {
  // wait() has no way to report a failure; a directory we cannot watch is simply not watched.
  if (mask & (IN_CREATE | IN_MOVED_TO))
    llvm::consumeError(watchDir(path, false, &batch));
  else if (mask & (IN_DELETE | IN_MOVED_FROM))
    forgetDir(path, batch);
}

/// A directory left the tree: its files are gone, and its watches would report stale paths.
void Watcher::State::forgetDir(const std::string &dir, Batch &batch) {
  for (auto it = dirs.begin(); it != dirs.end();) {
    if (it->second != dir && !isUnder(it->second, dir)) {
      ++it;
      continue;
    }
    inotify_rm_watch(inotifyFd, it->first); // EINVAL after a delete is harmless
    it = dirs.erase(it);
  }
  std::vector<std::string> gone;
  for (const auto &path : files)
    if (isUnder(path, dir))
      gone.push_back(path);
  for (const auto &path : gone)
    noteFile(path, Seen::Gone, &batch);
}

bool Watcher::State::isTop(const std::string &dir) const {
  return flat.count(dir) || std::find(roots.begin(), roots.end(), dir) != roots.end();
}

/// A watched root (or header folder) was moved away or deleted, e.g. `mv src src.old && mkdir
/// src`: its files are gone from that path, and it is watched again once a folder is there.
void Watcher::State::lose(std::string dir, Batch &batch) { // a copy: forgetDir() erases its key
  if (!lost.insert(dir).second)
    return;
  forgetDir(dir, batch);
  notices.push_back(dir + ": the watched folder was moved or deleted; watching for a new one at "
                          "the same path");
}

void Watcher::State::retryLost(Batch &batch) {
  for (auto it = lost.begin(); it != lost.end();) {
    std::error_code ec;
    bool back = fs::is_directory(*it, ec);
    if (back)
      if (llvm::Error err = watchDir(*it, true, &batch)) {
        llvm::consumeError(std::move(err));
        back = false;
      }
    if (!back) {
      ++it;
      continue;
    }
    notices.push_back(*it + ": the watched folder was replaced; watching the new one");
    it = lost.erase(it);
  }
}

/// Events were lost, so nothing is known about what happened: re-watch the roots from scratch
/// and report every file as Modified, or Deleted if it disappeared.
void Watcher::State::rescan(Batch &batch) {
  std::unordered_set<std::string> before = std::move(files);
  files.clear();
  dirs.clear(); // re-adding a watched directory returns its existing descriptor
  for (const auto &root : roots)
    llvm::consumeError(watchDir(root, true, nullptr));
  for (const auto &dir : flat)
    llvm::consumeError(watchDir(dir, true, nullptr));
  for (const auto &path : files)
    batch.try_emplace(path, true);
  for (const auto &path : before)
    batch.try_emplace(path, true);
}

/// Whether our two descriptors are still the inotify instance and eventfd we made: a program
/// may close them (a daemon closing fds 3..1023) and reuse the numbers for its own files.
bool Watcher::State::fdsIntact() const {
  auto is = [](int fd, const char *what) {
    char link[64];
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(proc.c_str(), link, sizeof link - 1);
    return n > 0 && std::string(link, size_t(n)) == what;
  };
  return is(inotifyFd, "anon_inode:inotify") && is(wakeFd, "anon_inode:[eventfd]");
}

/// New descriptors and every watch made again; what changed meanwhile is found by rescanning.
/// The old numbers are not closed: they are the program's now.
void Watcher::State::renewFds(Batch &batch) {
  int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ino < 0 || wake < 0) {
    if (ino >= 0) ::close(ino);
    if (wake >= 0) ::close(wake);
    notices.push_back("the program closed the engine's file watch and a new one cannot be "
                      "made: saves are not seen (" + std::string(std::strerror(errno)) + ")");
    return;
  }
  inotifyFd = ino;
  wakeFd = wake;
  rescan(batch);
  notices.push_back("the program closed the engine's file watch descriptors: watching again");
}

llvm::Expected<std::unique_ptr<Watcher>> Watcher::create() {
  auto state = std::make_unique<State>();
  state->inotifyFd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (state->inotifyFd < 0)
    return sysError("inotify_init1", errno);
  state->wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (state->wakeFd < 0)
    return sysError("eventfd", errno);
  std::unique_ptr<Watcher> watcher(new Watcher());
  watcher->state_ = std::move(state);
  return watcher;
}

Watcher::~Watcher() = default;

llvm::Error Watcher::addTree(const std::string &dir) {
  std::string root = normalize(dir);
  std::lock_guard<std::mutex> lock(state_->mu);
  std::erase_if(state_->flat, [&](const std::string &d) { return d == root || isUnder(d, root); });
  if (auto err = state_->watchDir(root, true, nullptr))
    return err;
  state_->roots.push_back(root);
  return llvm::Error::success();
}

llvm::Error Watcher::addDir(const std::string &dir) {
  std::string path = normalize(dir);
  std::lock_guard<std::mutex> lock(state_->mu);
  for (const auto &root : state_->roots)
    if (path == root || isUnder(path, root))
      return llvm::Error::success(); // already watched with its tree
  if (!state_->flat.insert(path).second)
    return llvm::Error::success();
  if (auto err = state_->watchDir(path, true, nullptr)) {
    state_->flat.erase(path);
    return err;
  }
  return llvm::Error::success();
}

std::vector<std::string> Watcher::takeNotices() {
  std::lock_guard<std::mutex> lock(state_->mu);
  return std::exchange(state_->notices, {});
}

std::vector<FileChange> Watcher::wait(int timeout_ms, unsigned debounce_ms, bool until_closed) {
  std::optional<Clock::time_point> deadline;
  if (timeout_ms >= 0)
    deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  {
    Batch back;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (!state_->fdsIntact())
        state_->renewFds(back);
      state_->retryLost(back);
    }
    if (!back.empty())
      if (auto changes = state_->finish(back); !changes.empty())
        return changes;
  }
  for (;;) {
    Ready ready = state_->pollFor(deadline ? msUntil(*deadline) : -1);
    if (ready == Ready::Wake)
      state_->drainWake();
    if (ready != Ready::Events)
      return {};
    Batch batch;
    if (!state_->drain(batch))
      continue; // EINTR or a spurious wakeup
    state_->collectBurst(batch, debounce_ms, debounce_ms, until_closed);
    auto changes = state_->finish(batch);
    if (!changes.empty())
      return changes;
    // Only directory events, or temp files that came and went: keep waiting.
  }
}

std::vector<FileChange> Watcher::settle(unsigned first_quiet_ms, unsigned debounce_ms) {
  Batch batch;
  bool any = state_->drain(batch);
  if (first_quiet_ms > 0 || any)
    state_->collectBurst(batch, debounce_ms, any ? debounce_ms : first_quiet_ms, false);
  return state_->finish(batch);
}

void Watcher::wake() {
  std::lock_guard<std::mutex> lock(state_->mu); // renewFds() may replace the descriptor
  std::uint64_t one = 1;
  // EAGAIN means the counter is already nonzero: a wake is pending anyway.
  [[maybe_unused]] ssize_t n = ::write(state_->wakeFd, &one, sizeof one);
}

} // namespace hot::eng
