// hot call: calls a function of a running `hot run` by name, through its control socket
// (protocol: cli/Control.h).
#include "cli/Commands.h"
#include "cli/Control.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sys/socket.h>
#include <unistd.h>

namespace hot::cli {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

const char *kCallUsage = R"(usage: hot call [--pid PID] [--dir DIR] NAME [ARG...]
       hot call [--pid PID] [--dir DIR] --units
       hot call [--pid PID] [--dir DIR] --where NAME

Calls function NAME of a program running under `hot run`, with ARGs given as text, and prints
what it returns. NAME is a qualified C++ name (game::score), a mangled name or an extern "C"
name; of several overloads, the one taking as many arguments as given is called. Each ARG is
converted by the parameter's type: integers (decimal or 0x-hex), bool (true/false/1/0), char
(one character), float/double, const char* and std::string_view (the text), other pointers
(0x-hex address, 0 or null). The function runs inside the program, on a thread of its own,
while the program goes on.

The program is found through DIR/.hot/<pid>.sock, which `hot run` creates in the directory it
was started in, or, when that directory is not writable, through
$XDG_RUNTIME_DIR/hot/<key>/<pid>.sock or /tmp/hot-<uid>/<key>/<pid>.sock (<key> names DIR).
Nothing is sent to a socket, or through a folder, that is not owner-only and the calling
user's, nor to a program running as another user; such a socket is named, with the reason.

options:
  --dir DIR    the directory `hot run` was started in (default: the current directory)
  --pid PID    which `hot run` (when several run in DIR)
  --units      list the program's units with their version and tier instead of calling
  --where      list every loaded body of NAME instead of calling it: unit, version, tier,
               code address range, file:line, and which one runs (a debugger's pc in
               that range is in that version)
  -h, --help   this text

Exit status: 0 when the call returned (its result on stdout), 1 when it could not be made
(the reason on stderr), 2 on a usage error.
)";

bool parsePid(const std::string &s, pid_t &pid) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), pid);
  return ec == std::errc() && p == s.data() + s.size() && pid > 0;
}

bool processAlive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

/// What a search of a directory's control folders found.
struct Search {
  std::vector<std::pair<pid_t, std::string>> sockets; ///< Live and private: safe to call.
  std::vector<std::string> refused;                   ///< "<path>: <why it is not used>"
  std::vector<std::string> left_over;                 ///< Sockets of runs that ended.
};

/// The sockets in `folder` whose process is alive (only `pid`'s when pid > 0); false with
/// `error` when the folder cannot be read.
bool liveSockets(const std::string &folder, pid_t pid, Search &found,
                 std::vector<std::pair<pid_t, std::string>> &live, std::string &error) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::end(it); it.increment(ec)) {
    fs::path p = it->path();
    pid_t id = 0;
    if (p.extension() != ".sock" || !parsePid(p.stem().string(), id)) continue;
    if (pid > 0 && id != pid) continue;
    if (processAlive(id)) live.emplace_back(id, p.string());
    else found.left_over.push_back(p.string());
  }
  if (ec) error = "cannot list it: " + ec.message();
  return !ec;
}

/// Looks through one control folder; `root` is the fallback root above it ("" for <dir>/.hot).
/// A folder holding no live socket is ignored whatever it looks like: nothing would be sent.
void searchFolder(const std::string &folder, const std::string &root, pid_t pid,
                  Search &found) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(folder, ec))) return;
  std::vector<std::pair<pid_t, std::string>> live;
  std::string list_error;
  if (liveSockets(folder, pid, found, live, list_error) && live.empty()) return;
  for (const std::string &guard : {root, folder}) {
    if (guard.empty()) continue;
    if (std::string why = privacyProblem(guard, /*folder=*/true); !why.empty())
      return found.refused.push_back(guard + ": " + why);
  }
  if (!list_error.empty()) return found.refused.push_back(folder + ": " + list_error);
  for (auto &[id, path] : live) {
    if (std::string why = privacyProblem(path, /*folder=*/false); !why.empty())
      found.refused.push_back(path + ": " + why);
    else found.sockets.emplace_back(id, path);
  }
}

Search searchSockets(const std::string &dir, pid_t pid) {
  Search found;
  std::vector<std::string> folders = controlDirs(dir);
  for (size_t i = 0; i < folders.size(); ++i)
    searchFolder(folders[i], i == 0 ? "" : fs::path(folders[i]).parent_path().string(), pid,
                 found);
  std::sort(found.sockets.begin(), found.sockets.end());
  return found;
}

/// Why no program was found (nothing refused): names where it looked.
std::string notFound(const std::string &dir, pid_t pid, const Search &found) {
  std::string looked;
  for (const std::string &folder : controlDirs(dir))
    looked += (looked.empty() ? "" : ", ") + folder;
  if (pid > 0)
    return "no `hot run` with pid " + std::to_string(pid) + " is running in " + dir +
           (found.left_over.empty() ? " (looked in " + looked + ")"
                                    : " (" + found.left_over.front() +
                                          " is left over from a run that ended)");
  return "no running `hot run` found in " + dir + " (looked in " + looked +
         "; start the program with `hot run` in that directory, or point --dir to where it "
         "was started)";
}

/// The socket of the one running program in `dir`, or an error. Sockets that are not
/// provably the calling user's are never used; they are named on stderr with the reason.
bool findSocket(const std::string &dir, pid_t pid, std::string &path, std::string &error) {
  Search found = searchSockets(dir, pid);
  if (found.sockets.empty()) {
    if (found.refused.empty()) return error = notFound(dir, pid, found), false;
    error = "not using ";
    for (size_t i = 0; i < found.refused.size(); ++i)
      error += (i ? "; nor " : "") + found.refused[i];
    error += "; nothing was sent";
    return false;
  }
  for (const std::string &r : found.refused)
    std::fprintf(stderr, "hot call: warning: ignoring %s\n", r.c_str());
  if (found.sockets.size() > 1) {
    error = "several `hot run` programs are running in " + dir + " (pids";
    for (auto &[id, p] : found.sockets) error += " " + std::to_string(id);
    error += "); choose one with --pid";
    return false;
  }
  path = found.sockets.front().second;
  return true;
}

/// Sends one request line, returns the reply line.
bool exchange(const std::string &path, const json &request, std::string &reply,
              std::string &error) {
  int fd = connectControlSocket(path, error);
  if (fd < 0) {
    error += " (is the program still running?)";
    return false;
  }
  if (!checkControlPeer(fd, path, error)) {
    error = "not using " + error + "; nothing was sent";
    ::close(fd);
    return false;
  }
  std::string line = request.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  size_t sent = 0;
  while (sent < line.size()) {
    ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = std::string("cannot send the request: ") + std::strerror(errno);
      ::close(fd);
      return false;
    }
    sent += size_t(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    // A server that closes without reading (a "busy" answer) may reset the connection after
    // its reply.
    if (n < 0 && errno == ECONNRESET && reply.find('\n') != std::string::npos) break;
    if (n < 0) {
      error = std::string("cannot read the reply: ") + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    reply.append(buf, size_t(n));
  }
  ::close(fd);
  if (size_t nl = reply.find('\n'); nl != std::string::npos) reply.resize(nl);
  if (reply.empty()) {
    error = "the program closed the connection without answering (did it exit or crash?)";
    return false;
  }
  return true;
}

/// One line per body: "NAME  UNIT vN tier T  0xBEGIN-0xEND  FILE:LINE  [running]".
void printPlaces(const json &answer) {
  for (const json &p : answer.value("places", json::array()))
    std::printf("%s  %s v%u tier %d  %s-%s  %s:%u%s\n", p.value("name", std::string()).c_str(),
                p.value("unit", std::string()).c_str(), p.value("version", 0u),
                p.value("tier", 0), p.value("begin", std::string()).c_str(),
                p.value("end", std::string()).c_str(), p.value("file", std::string()).c_str(),
                p.value("line", 0u), p.value("running", false) ? "  running" : "");
}

} // namespace

int callCommand(const std::vector<std::string> &args) {
  std::string dir = ".", name;
  pid_t pid = 0;
  bool units = false, where = false;
  std::vector<std::string> call_args;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a == "-h" || a == "--help") return std::fputs(kCallUsage, stdout), 0;
    if (a == "--pid" || a == "--dir") {
      if (i + 1 >= args.size())
        return std::fprintf(stderr, "hot call: %s needs a value\n", a.c_str()), 2;
      const std::string &v = args[++i];
      if (a == "--dir") dir = v;
      else if (!parsePid(v, pid))
        return std::fprintf(stderr, "hot call: --pid: '%s' is not a process id\n", v.c_str()), 2;
    } else if (a == "--units") {
      units = true;
    } else if (a == "--where") {
      where = true;
    } else if (a == "--") {
      ++i;
      break;
    } else if (!a.empty() && a[0] == '-') {
      return std::fprintf(stderr, "hot call: unknown option '%s'\n%s", a.c_str(), kCallUsage), 2;
    } else {
      break;
    }
  }
  // NAME, then its arguments verbatim ("-3" is an argument, not an option).
  if (!units) {
    if (i >= args.size()) return std::fputs(kCallUsage, stderr), 2;
    name = args[i++];
  }
  call_args.assign(args.begin() + long(i), args.end());
  if (units && !call_args.empty())
    return std::fprintf(stderr, "hot call: --units takes no NAME or arguments\n"), 2;

  std::string path, error, reply;
  if (!findSocket(dir, pid, path, error)) {
    std::fprintf(stderr, "hot call: %s\n", error.c_str());
    return 1;
  }
  if (where && !call_args.empty())
    return std::fprintf(stderr, "hot call: --where takes a NAME and no arguments\n"), 2;
  json request = units   ? json{{"units", true}}
                 : where ? json{{"where", name}}
                         : json{{"call", name}, {"args", call_args}};
  if (!exchange(path, request, reply, error)) {
    std::fprintf(stderr, "hot call: %s\n", error.c_str());
    return 1;
  }
  json answer = json::parse(reply, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.is_object() || !answer.contains("ok")) {
    std::fprintf(stderr, "hot call: malformed reply from %s: %s\n", path.c_str(), reply.c_str());
    return 1;
  }
  if (!answer.value("ok", false)) {
    std::fprintf(stderr, "hot call: %s\n", answer.value("error", std::string("failed")).c_str());
    return 1;
  }
  if (units) {
    for (const json &u : answer.value("units", json::array()))
      std::printf("%s: version %u, tier %d%s\n", u.value("path", std::string()).c_str(),
                  u.value("version", 0u), u.value("tier", 0),
                  u.value("failed", false) ? " (last edit failed)" : "");
    return 0;
  }
  if (where) return printPlaces(answer), 0;
  std::string result = answer.value("result", std::string());
  if (!result.empty()) {
    std::fwrite(result.data(), 1, result.size(), stdout);
    std::fputc('\n', stdout);
  }
  return 0;
}

} // namespace hot::cli
