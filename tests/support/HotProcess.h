// Helpers for tests that drive the `hot` command as real processes: `hot run` as a child with
// its stdin held open, shell commands with their output captured, polling for files.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace hot::test {

using Clock = std::chrono::steady_clock;

inline const std::string kHot = std::string(HOT_BINARY_DIR) + "/cli/hot";

struct Outcome {
  int status = -1;
  std::string out, err;
};

inline std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs a shell command; stdout and stderr captured separately (stderr through `err_file`).
inline Outcome shell(const std::string &cmd, const std::string &err_file) {
  Outcome o;
  FILE *p = popen((cmd + " 2>" + err_file).c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.out.append(buf, n);
  int st = pclose(p);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  o.err = readAll(err_file);
  return o;
}

inline std::string quote(const std::string &s) { return "'" + s + "'"; }

/// How a HotRun child is started besides its arguments.
struct RunOptions {
  /// Variables set ("NAME" -> value) or, with an empty value, removed from the environment.
  std::map<std::string, std::string> env;
  /// Runs in the child between fork and exec: only async-signal-safe calls. Returning false
  /// ends the child with status 125.
  std::function<bool()> before_exec;
};

/// `hot run` as a child process: started in `cwd`, its stdin a pipe this object holds open (the
/// program reads it until EOF), its stdout and stderr in files.
class HotRun {
public:
  HotRun(const std::string &cwd, const std::vector<std::string> &args, const std::string &out,
         const std::string &err, const RunOptions &options = {}) {
    int fds[2];
    if (pipe(fds) != 0) return;
    std::vector<std::string> argv_s = {kHot, "run"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s = environment(options.env);
    std::vector<char *> envp;
    for (auto &e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls from here on.
      if (chdir(cwd.c_str()) != 0) _exit(126);
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (o < 0 || e < 0) _exit(126);
      dup2(fds[0], 0);
      dup2(o, 1);
      dup2(e, 2);
      close(fds[0]);
      close(fds[1]);
      if (options.before_exec && !options.before_exec()) _exit(125);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(fds[0]);
    stdin_ = fds[1];
  }
  ~HotRun() {
    closeStdin();
    if (pid_ > 0 && !reaped_) {
      if (!wait(std::chrono::seconds(60))) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
  }
  HotRun(const HotRun &) = delete;
  HotRun &operator=(const HotRun &) = delete;

  pid_t pid() const { return pid_; }
  void closeStdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }
  bool running() {
    if (reaped_) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      reaped_ = true;
      status_ = st;
      return false;
    }
    return true;
  }
  /// Waits for the process to exit; false on timeout.
  bool wait(std::chrono::seconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (!running()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return !running();
  }
  int exitCode() const { return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }

private:
  static std::vector<std::string> environment(const std::map<std::string, std::string> &set) {
    std::vector<std::string> env;
    for (char **e = environ; *e; ++e) {
      std::string entry = *e;
      if (!set.count(entry.substr(0, entry.find('=')))) env.push_back(entry);
    }
    for (auto &[name, value] : set)
      if (!value.empty()) env.push_back(name + "=" + value);
    return env;
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

/// Polls until `path` exists, the process died, or the (generous) timeout passed.
inline bool waitForFile(const std::string &path, HotRun &run, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (std::filesystem::exists(path)) return true;
    if (!run.running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::filesystem::exists(path);
}

/// Polls until the file at `path` contains `text`, the process died, or the timeout passed.
inline bool waitForText(const std::string &path, const std::string &text, HotRun &run,
                        std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (readAll(path).find(text) != std::string::npos) return true;
    if (!run.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return readAll(path).find(text) != std::string::npos;
}

/// <dir>/.hot/<pid>.sock: where a run started in `dir` serves `hot call`.
inline std::string socketIn(const std::string &dir, pid_t pid) {
  return dir + "/.hot/" + std::to_string(pid) + ".sock";
}

/// A connection to the Unix socket at `path` (shorter than sun_path), or -1.
inline int connectUnix(const std::string &path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0) return fd;
  if (fd >= 0) close(fd);
  return -1;
}

} // namespace hot::test
