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

Calls function NAME of a program running under `hot run`, with ARGs given as text, and prints
what it returns. NAME is a qualified C++ name (game::score), a mangled name or an extern "C"
name; of several overloads, the one taking as many arguments as given is called. Each ARG is
converted by the parameter's type: integers (decimal or 0x-hex), bool (true/false/1/0), char
(one character), float/double, const char* and std::string_view (the text), other pointers
(0x-hex address, 0 or null). The function runs inside the program, on a thread of its own,
while the program goes on.

The program is found through DIR/.hot/<pid>.sock, which `hot run` creates in the directory it
was started in.

options:
  --dir DIR    the directory `hot run` was started in (default: the current directory)
  --pid PID    which `hot run` (when several run in DIR)
  --units      list the program's units with their version and tier instead of calling
  -h, --help   this text

Exit status: 0 when the call returned (its result on stdout), 1 when it could not be made
(the reason on stderr), 2 on a usage error.
)";

bool parsePid(const std::string &s, pid_t &pid) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), pid);
  return ec == std::errc() && p == s.data() + s.size() && pid > 0;
}

bool processAlive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

/// The socket of the one running program in `dir`, or an error.
bool findSocket(const std::string &dir, pid_t pid, std::string &path, std::string &error) {
  std::string hot_dir = controlDir(dir);
  if (pid > 0) {
    path = controlSocketPath(dir, pid);
    std::error_code ec;
    bool exists = fs::exists(path, ec);
    if (!exists || !processAlive(pid)) {
      error = "no `hot run` with pid " + std::to_string(pid) + " is running in " + dir +
              (exists ? " (" + path + " is left over from a run that ended)"
                      : " (no " + path + ")");
      return false;
    }
    return true;
  }
  std::vector<pid_t> alive;
  std::error_code ec;
  for (auto it = fs::directory_iterator(hot_dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    fs::path p = it->path();
    pid_t id = 0;
    if (p.extension() != ".sock" || !parsePid(p.stem().string(), id)) continue;
    if (processAlive(id)) alive.push_back(id);
  }
  std::sort(alive.begin(), alive.end());
  if (alive.empty()) {
    error = "no running `hot run` found in " + dir +
            " (start the program with `hot run` in that directory, or point --dir to where it "
            "was started)";
    return false;
  }
  if (alive.size() > 1) {
    error = "several `hot run` programs are running in " + dir + " (pids";
    for (pid_t id : alive) error += " " + std::to_string(id);
    error += "); choose one with --pid";
    return false;
  }
  path = controlSocketPath(dir, alive.front());
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

} // namespace

int callCommand(const std::vector<std::string> &args) {
  std::string dir = ".", name;
  pid_t pid = 0;
  bool units = false;
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
  json request = units ? json{{"units", true}} : json{{"call", name}, {"args", call_args}};
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
  std::string result = answer.value("result", std::string());
  if (!result.empty()) {
    std::fwrite(result.data(), 1, result.size(), stdout);
    std::fputc('\n', stdout);
  }
  return 0;
}

} // namespace hot::cli
