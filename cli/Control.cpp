// The control channel of `hot run` (protocol: cli/Control.h).
#include "cli/Control.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <list>
#include <mutex>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>

namespace hot::cli {
namespace {
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxRequest = 1 << 20;
constexpr int kRequestTimeoutMs = 10000; ///< A client must send its request (and take its
                                         ///< reply) within this, or it is dropped.
constexpr size_t kMaxConnections = 16;   ///< Served at once; one more is answered "busy".

std::string errnoText(const std::string &what) { return what + ": " + std::strerror(errno); }

/// "uid 65534 (nobody)"
std::string userText(uid_t uid) {
  std::string text = "uid " + std::to_string(uid);
  char buf[4096];
  passwd pw{}, *found = nullptr;
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found)
    text += std::string(" (") + found->pw_name + ")";
  return text;
}

std::string modeText(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", unsigned(mode & 07777));
  return buf;
}

/// Runs fn(addr, len) with a sockaddr_un for `path`. A path too long for sun_path is reached
/// through /proc/self/fd/<fd of its folder>/<name>.
template <typename Fn> int withAddress(const std::string &path, std::string &error, Fn fn) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  int dir_fd = -1;
  std::string target = path;
  if (target.size() >= sizeof addr.sun_path) {
    std::filesystem::path p(path);
    dir_fd = ::open(p.parent_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return error = errnoText(p.parent_path().string()), -1;
    target = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + p.filename().string();
    if (target.size() >= sizeof addr.sun_path) {
      ::close(dir_fd);
      return error = path + ": socket name too long", -1;
    }
  }
  std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
  int rc = fn(reinterpret_cast<sockaddr *>(&addr), socklen_t(sizeof addr));
  int saved = errno;
  if (dir_fd >= 0) ::close(dir_fd);
  errno = saved;
  return rc;
}

/// Removes the socket, then its folder if no other run uses it (a fallback root stays).
void removeSocket(const char *path) {
  ::unlink(path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  ::rmdir(dir.c_str()); // fails (harmlessly) while other runs' sockets are in it
}

// The socket file is removed at exit too (the program may call exit() from main, skipping
// hot run's destructors). Only by the process that created it: a forked child exiting must not
// remove its parent's socket.
char g_exit_path[4096];
pid_t g_exit_owner = 0;
std::mutex g_exit_mu;

void removeAtExit() {
  if (g_exit_path[0] && ::getpid() == g_exit_owner) removeSocket(g_exit_path);
}

void setExitPath(const std::string &path) {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(removeAtExit); });
  std::lock_guard<std::mutex> lock(g_exit_mu);
  if (path.size() >= sizeof g_exit_path) return; // the destructor still removes it
  std::memcpy(g_exit_path, path.c_str(), path.size() + 1);
  g_exit_owner = ::getpid();
}

void clearExitPath(const std::string &path) {
  std::lock_guard<std::mutex> lock(g_exit_mu);
  if (path == g_exit_path) g_exit_path[0] = 0;
}

std::string reply(const json &j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string failure(const std::string &code, const std::string &message) {
  return reply(json{{"ok", false}, {"error", message}, {"code", code}});
}

/// Creates `dir` (0700) or makes an existing folder of ours owner-only; refuses anything else
/// (a symbolic link, a file, another user's folder).
bool prepareDir(const std::string &dir, std::string &error) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return error = errnoText("cannot create " + dir), false;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return error = errnoText(dir), false;
  if (!S_ISDIR(st.st_mode)) return error = dir + ": exists and is not a folder", false;
  if (st.st_uid != ::geteuid())
    return error = dir + ": belongs to " + userText(st.st_uid) + ", not to " +
                   userText(::geteuid()),
           false;
  // Also when just created: a umask may have taken owner bits away.
  if ((st.st_mode & 07777) != 0700 && ::chmod(dir.c_str(), 0700) != 0)
    return error = errnoText("chmod " + dir), false;
  return true;
}

/// Binds `fd` at `path`, first preparing `folders` (outermost first, the socket's last).
bool bindIn(int fd, const std::vector<std::string> &folders, const std::string &path,
            std::string &error) {
  // Another run leaving may remove the (then empty) folder between prepareDir() and bind().
  for (int attempt = 0;; ++attempt) {
    for (const std::string &folder : folders)
      if (!prepareDir(folder, error)) return false;
    // A file with our pid is stale by definition (a killed run whose pid came round again).
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) return error = path + ": exists and is not a socket", false;
      ::unlink(path.c_str());
    }
    std::string addr_error;
    int rc = withAddress(path, addr_error, [&](sockaddr *a, socklen_t n) {
      return ::bind(fd, a, n);
    });
    if (rc == 0) return true;
    if (errno == ENOENT && attempt < 5) continue;
    return error = addr_error.empty() ? errnoText("cannot bind " + path) : addr_error, false;
  }
}

/// The folders to prepare for each place a run in `cwd` may serve from, in order.
std::vector<std::vector<std::string>> servingPlaces(const std::string &cwd) {
  std::vector<std::vector<std::string>> places = {{controlDir(cwd)}};
  for (const std::string &root : controlRuntimeRoots())
    places.push_back({root, fallbackControlDir(root, cwd)});
  return places;
}

/// Waits until `fd` is ready for `events`; false on error, at `deadline`, or when `wake_fd`
/// (the server's stop signal; -1 for none) becomes readable.
bool waitFor(int fd, short events, int wake_fd, Clock::time_point deadline) {
  pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    int n = ::poll(fds, 2, int(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false; // error or timeout
    if (fds[1].revents) return false;
    return true;
  }
}

Clock::time_point requestDeadline() {
  return Clock::now() + std::chrono::milliseconds(kRequestTimeoutMs);
}

/// Sends all of `out`; gives up at the deadline or when the client went away. Not stopped by
/// the server's stop signal: a call that was running when main returned still gets its answer.
void sendAll(int fd, const std::string &out) {
  auto deadline = requestDeadline();
  size_t sent = 0;
  while (sent < out.size()) {
    if (!waitFor(fd, POLLOUT, /*wake_fd=*/-1, deadline)) return;
    ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    sent += size_t(n);
  }
}

/// 16 lower-case hex digits of the FNV-1a 64-bit hash of `text`.
std::string fnv1a64(const std::string &text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

} // namespace

// ---- where sockets live ---------------------------------------------------------------------

std::string controlDir(const std::string &dir) {
  return (std::filesystem::path(dir) / ".hot").string();
}

std::string controlSocketPath(const std::string &dir, pid_t pid) {
  return (std::filesystem::path(controlDir(dir)) / (std::to_string(pid) + ".sock")).string();
}

std::vector<std::string> controlRuntimeRoots() {
  std::vector<std::string> roots;
  if (const char *xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && xdg[0] == '/')
    roots.push_back((std::filesystem::path(xdg) / "hot").string());
  roots.push_back("/tmp/hot-" + std::to_string(::geteuid()));
  return roots;
}

std::string fallbackControlDir(const std::string &root, const std::string &dir) {
  return (std::filesystem::path(root) / fnv1a64(dir)).string();
}

std::vector<std::string> controlDirs(const std::string &dir) {
  std::vector<std::string> dirs = {controlDir(dir)};
  std::error_code ec;
  std::string absolute = std::filesystem::canonical(dir, ec).string();
  if (ec) return dirs;
  for (const std::string &root : controlRuntimeRoots())
    dirs.push_back(fallbackControlDir(root, absolute));
  return dirs;
}

std::string privacyProblem(const std::string &path, bool folder) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::strerror(errno);
  if (S_ISLNK(st.st_mode)) return "it is a symbolic link";
  if (folder && !S_ISDIR(st.st_mode)) return "it is not a folder";
  if (!folder && !S_ISSOCK(st.st_mode)) return "it is not a socket";
  if (st.st_uid != ::geteuid())
    return "it belongs to " + userText(st.st_uid) + ", not to you, " + userText(::geteuid());
  if (st.st_mode & 077)
    return "its mode " + modeText(st.st_mode) +
           " lets other users in (hot run makes it owner-only, " +
           (folder ? "0700" : "0600") + ")";
  return "";
}

int connectControlSocket(const std::string &path, std::string &error) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return error = errnoText("socket"), -1;
  std::string addr_error;
  int rc = withAddress(path, addr_error, [&](sockaddr *a, socklen_t n) {
    int r;
    do r = ::connect(fd, a, n);
    while (r != 0 && errno == EINTR);
    return r;
  });
  if (rc != 0) {
    error = addr_error.empty() ? errnoText("cannot connect to " + path) : addr_error;
    ::close(fd);
    return -1;
  }
  return fd;
}

bool checkControlPeer(int fd, const std::string &path, std::string &error) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return error = errnoText("cannot check who serves " + path), false;
  if (cred.uid != ::geteuid())
    return error = path + ": it is served by " + userText(cred.uid) + " (pid " +
                   std::to_string(cred.pid) + "), not by you, " + userText(::geteuid()),
           false;
  return true;
}

// ---- the server -----------------------------------------------------------------------------

struct ControlServer::State {
  /// One connection's thread; `done` (guarded by mu) once it no longer touches the State.
  struct Worker {
    std::thread thread;
    bool done = false;
  };

  hot::HotEngine *engine = nullptr;
  std::string path;
  pid_t owner = ::getpid(); ///< Only this process stops the threads and removes the socket.
  int listen_fd = -1;
  int wake[2] = {-1, -1}; ///< Writing to wake[1] stops every thread.
  std::thread acceptor;
  std::mutex mu;
  std::list<Worker> workers; ///< Guarded by mu.

  /// Reads one request line and answers it.
  void serveOne(int fd) {
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return;
    if (cred.uid != ::geteuid()) {
      sendAll(fd, failure("permission denied", "this program serves only " +
                                                   userText(::geteuid()) + ", not " +
                                                   userText(cred.uid)) +
                      "\n");
      return;
    }
    std::string line;
    if (!readLine(fd, line)) return;
    sendAll(fd, handleRequest(*engine, line) + "\n");
  }

  /// One line; a client may also end it by closing its writing side. False when the client
  /// sent nothing in time, went away or the server stops (a too long line is answered here).
  bool readLine(int fd, std::string &line) {
    auto deadline = requestDeadline();
    char buf[4096];
    for (;;) {
      if (!waitFor(fd, POLLIN, wake[0], deadline)) return false;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (n == 0 && line.empty())) return false;
      if (n == 0) return true;
      line.append(buf, size_t(n));
      if (size_t nl = line.find('\n'); nl != std::string::npos) {
        line.resize(nl);
        return true;
      }
      if (line.size() > kMaxRequest) {
        sendAll(fd, failure("bad request", "request longer than 1 MiB") + "\n");
        return false;
      }
    }
  }

  /// Joins the workers that are done; returns how many are still serving.
  size_t reapFinished() {
    std::list<Worker> finished;
    size_t active = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto it = workers.begin(); it != workers.end();) {
        auto next = std::next(it);
        if (it->done) finished.splice(finished.end(), workers, it);
        it = next;
      }
      active = workers.size();
    }
    for (Worker &w : finished) w.thread.join(); // past its last use of the State
    return active;
  }

  /// Serves `fd` on a thread of its own (and closes it).
  void spawn(int fd) {
    std::lock_guard<std::mutex> lock(mu);
    Worker &w = workers.emplace_back();
    try {
      w.thread = std::thread([this, fd, &w] {
        serveOne(fd);
        ::close(fd);
        std::lock_guard<std::mutex> done_lock(mu);
        w.done = true;
      });
    } catch (const std::system_error &) { // no thread to be had: the client sees EOF
      workers.pop_back();
      ::close(fd);
    }
  }

  /// Waits on the stop signal for a moment; true when the server stops.
  bool stopSignalled() {
    pollfd fd = {wake[0], POLLIN, 0};
    return ::poll(&fd, 1, 100) > 0;
  }

  void loop() {
    for (;;) {
      pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake[0], POLLIN, 0}};
      int n = ::poll(fds, 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      if (!(fds[0].revents & POLLIN)) continue;
      int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        // Out of descriptors: the pending connection stays readable; do not spin on it.
        if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) &&
            stopSignalled())
          return;
        continue;
      }
      if (reapFinished() >= kMaxConnections) {
        sendAll(fd, failure("busy", std::to_string(kMaxConnections) +
                                        " requests are being served; try again") +
                        "\n");
        ::close(fd);
        continue;
      }
      spawn(fd);
    }
  }

  void closeFds() {
    for (int *fd : {&listen_fd, &wake[0], &wake[1]})
      if (*fd >= 0) ::close(std::exchange(*fd, -1));
  }

  ~State() {
    if (acceptor.joinable()) {
      char c = 1;
      (void)!::write(wake[1], &c, 1);
      acceptor.join();
    }
    // Idle connections see the stop signal; a call in progress is waited for.
    for (Worker &w : workers) w.thread.join();
    if (!path.empty()) {
      clearExitPath(path);
      removeSocket(path.c_str());
    }
    closeFds();
  }
};

namespace {
// The servers a forked child inherited (never destroyed: their threads are the parent's).
std::vector<std::shared_ptr<ControlServer::State>> *g_inherited = nullptr;
} // namespace

std::unique_ptr<ControlServer> ControlServer::start(hot::HotEngine &engine, std::string &error) {
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  if (ec) return error = "cannot read the working directory: " + ec.message(), nullptr;
  auto state = std::make_shared<State>();
  state->engine = &engine;
  state->listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (state->listen_fd < 0) return error = errnoText("socket"), nullptr;
  std::string name = std::to_string(::getpid()) + ".sock", path, problems;
  for (const std::vector<std::string> &folders : servingPlaces(cwd)) {
    std::string candidate = (std::filesystem::path(folders.back()) / name).string(), why;
    if (bindIn(state->listen_fd, folders, candidate, why)) {
      path = candidate;
      break;
    }
    problems += (problems.empty() ? "" : "; ") + why;
  }
  if (path.empty()) return error = "no place for the control socket: " + problems, nullptr;
  state->path = path; // from here on, the State's destructor removes it
  setExitPath(path);
  if (::chmod(path.c_str(), 0600) != 0) return error = errnoText("chmod " + path), nullptr;
  if (::listen(state->listen_fd, 64) != 0) return error = errnoText("listen " + path), nullptr;
  if (::pipe2(state->wake, O_CLOEXEC) != 0) return error = errnoText("pipe"), nullptr;
  State *raw = state.get();
  state->acceptor = std::thread([raw] { raw->loop(); });
  // Said whatever the verbosity: `hot call` from elsewhere needs to know where to look.
  if (!problems.empty())
    std::fprintf(stderr, "hot run: %s; hot call reaches this run through %s\n",
                 problems.c_str(), path.c_str());
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(state)));
}

ControlServer::~ControlServer() {
  if (!state_ || ::getpid() == state_->owner) return;
  // A forked child returning from main: the threads belong to the parent (joining them here
  // would wait forever, waking them would stop the parent's server) and so does the socket.
  state_->closeFds();
  if (!g_inherited) g_inherited = new std::vector<std::shared_ptr<State>>();
  g_inherited->push_back(std::move(state_));
}

const std::string &ControlServer::path() const { return state_->path; }

static std::string hexAddress(std::uintptr_t a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(a));
  return buf;
}

std::string ControlServer::handleRequest(hot::HotEngine &engine, const std::string &line) {
  const char *usage = "expected {\"call\": NAME, \"args\": [ARG, ...]}, {\"where\": NAME} or "
                      "{\"units\": true}";
  json req = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded() || !req.is_object())
    return failure("bad request", std::string("not a JSON object; ") + usage);

  if (auto it = req.find("call"); it != req.end()) {
    if (!it->is_string() || it->get_ref<const std::string &>().empty())
      return failure("bad request", std::string("\"call\" must be a function name; ") + usage);
    std::vector<std::string> args;
    if (auto a = req.find("args"); a != req.end()) {
      if (!a->is_array()) return failure("bad request", "\"args\" must be an array of strings");
      for (const json &v : *a) {
        if (v.is_string()) args.push_back(v.get<std::string>());
        else if (v.is_number() || v.is_boolean()) args.push_back(v.dump());
        else return failure("bad request", "\"args\" must be an array of strings");
      }
    }
    try {
      auto result = engine.callByName(it->get<std::string>(), args);
      if (!result.ok())
        return failure(hot::toString(result.status().code()), result.status().message());
      return reply(json{{"ok", true}, {"result", result.value()}});
    } catch (const std::exception &e) {
      return failure("exception", "'" + it->get<std::string>() + "' threw: " + e.what());
    } catch (...) {
      return failure("exception", "'" + it->get<std::string>() + "' threw an exception");
    }
  }
  if (auto it = req.find("where"); it != req.end()) {
    if (!it->is_string() || it->get_ref<const std::string &>().empty())
      return failure("bad request", std::string("\"where\" must be a function name; ") + usage);
    auto places = engine.locate(it->get<std::string>());
    if (!places.ok())
      return failure(hot::toString(places.status().code()), places.status().message());
    json out = json::array();
    for (const hot::FunctionPlace &p : places.value())
      out.push_back({{"name", p.name}, {"symbol", p.symbol}, {"unit", p.unit},
                     {"version", p.version}, {"tier", p.tier}, {"running", p.running},
                     {"begin", hexAddress(p.begin)}, {"end", hexAddress(p.end)},
                     {"file", p.file}, {"line", p.line}});
    return reply(json{{"ok", true}, {"places", out}});
  }
  if (auto it = req.find("units"); it != req.end()) {
    json units = json::array();
    for (const hot::UnitInfo &u : engine.units())
      units.push_back(
          {{"path", u.path}, {"version", u.version}, {"tier", u.tier}, {"failed", u.failed}});
    return reply(json{{"ok", true}, {"units", units}});
  }
  return failure("bad request", usage);
}

} // namespace hot::cli
