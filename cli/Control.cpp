// The control channel of `hot run` (protocol: cli/Control.h).
#include "cli/Control.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace hot::cli {
namespace {
using json = nlohmann::json;

constexpr size_t kMaxRequest = 1 << 20;
constexpr int kIoTimeoutMs = 10000; ///< A client that stops mid-request is dropped after this.

std::string errnoText(const std::string &what) { return what + ": " + std::strerror(errno); }

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

/// Removes the socket, then its folder if no other run uses it.
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

/// Creates <dir>/.hot (0700) or checks that an existing one is a folder of ours.
bool prepareDir(const std::string &dir, std::string &error) {
  if (::mkdir(dir.c_str(), 0700) == 0) return true;
  if (errno != EEXIST) return error = errnoText("cannot create " + dir), false;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return error = errnoText(dir), false;
  if (!S_ISDIR(st.st_mode)) return error = dir + ": exists and is not a folder", false;
  if (st.st_uid != ::geteuid()) return error = dir + ": belongs to another user", false;
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
    return error = errnoText("chmod " + dir), false;
  return true;
}

/// Waits until `fd` is ready for `events`; false on error, timeout or when `wake_fd` (the
/// server's stop signal; -1 for none) becomes readable.
bool waitFor(int fd, short events, int wake_fd) {
  pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, kIoTimeoutMs);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false; // error or timeout
    if (fds[1].revents) return false;
    return true;
  }
}

} // namespace

std::string controlDir(const std::string &dir) {
  return (std::filesystem::path(dir) / ".hot").string();
}

std::string controlSocketPath(const std::string &dir, pid_t pid) {
  return (std::filesystem::path(controlDir(dir)) / (std::to_string(pid) + ".sock")).string();
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

// ---- the server -----------------------------------------------------------------------------

struct ControlServer::State {
  hot::HotEngine *engine = nullptr;
  std::string path;
  int listen_fd = -1;
  int wake[2] = {-1, -1}; ///< Writing to wake[1] stops the thread.
  std::thread thread;

  void serveOne(int fd) {
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != ::geteuid())
      return;
    // One line; a client may also end it by closing its writing side.
    std::string line;
    char buf[4096];
    for (;;) {
      if (!waitFor(fd, POLLIN, wake[0])) return;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (n == 0 && line.empty())) return;
      if (n == 0) break;
      line.append(buf, size_t(n));
      if (size_t nl = line.find('\n'); nl != std::string::npos) {
        line.resize(nl);
        break;
      }
      if (line.size() > kMaxRequest) {
        sendAll(fd, failure("bad request", "request longer than 1 MiB") + "\n");
        return;
      }
    }
    std::string out = handleRequest(*engine, line) + "\n";
    sendAll(fd, out);
  }

  /// Also while stopping: a call that was running when main returned still gets its answer.
  void sendAll(int fd, const std::string &out) {
    size_t sent = 0;
    while (sent < out.size()) {
      if (!waitFor(fd, POLLOUT, /*wake_fd=*/-1)) return;
      ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      sent += size_t(n);
    }
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
      if (fd < 0) continue;
      serveOne(fd);
      ::close(fd);
    }
  }

  ~State() {
    if (thread.joinable()) {
      char c = 1;
      (void)!::write(wake[1], &c, 1);
      thread.join(); // waits for a call in progress to return
    }
    if (!path.empty()) {
      clearExitPath(path);
      removeSocket(path.c_str());
    }
    for (int fd : {listen_fd, wake[0], wake[1]})
      if (fd >= 0) ::close(fd);
  }
};

std::unique_ptr<ControlServer> ControlServer::start(hot::HotEngine &engine, std::string &error) {
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  if (ec) return error = "cannot read the working directory: " + ec.message(), nullptr;
  auto state = std::make_shared<State>();
  state->engine = &engine;
  std::string path = controlSocketPath(cwd, ::getpid());
  state->listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (state->listen_fd < 0) return error = errnoText("socket"), nullptr;
  // Another run leaving may remove the (then empty) folder between prepareDir() and bind().
  for (int attempt = 0;; ++attempt) {
    if (!prepareDir(controlDir(cwd), error)) return nullptr;
    // A file with our pid is stale by definition (a killed run whose pid came round again).
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) return error = path + ": exists and is not a socket", nullptr;
      ::unlink(path.c_str());
    }
    std::string addr_error;
    int rc = withAddress(path, addr_error, [&](sockaddr *a, socklen_t n) {
      return ::bind(state->listen_fd, a, n);
    });
    if (rc == 0) break;
    if (errno == ENOENT && attempt < 5) continue;
    return error = addr_error.empty() ? errnoText("cannot bind " + path) : addr_error, nullptr;
  }
  state->path = path; // from here on, the State's destructor removes it
  setExitPath(path);
  if (::chmod(path.c_str(), 0600) != 0) return error = errnoText("chmod " + path), nullptr;
  if (::listen(state->listen_fd, 16) != 0) return error = errnoText("listen " + path), nullptr;
  if (::pipe2(state->wake, O_CLOEXEC) != 0) return error = errnoText("pipe"), nullptr;
  State *raw = state.get();
  state->thread = std::thread([raw] { raw->loop(); });
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(state)));
}

ControlServer::~ControlServer() = default;

const std::string &ControlServer::path() const { return state_->path; }

std::string ControlServer::handleRequest(hot::HotEngine &engine, const std::string &line) {
  const char *usage = "expected {\"call\": NAME, \"args\": [ARG, ...]} or {\"units\": true}";
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
