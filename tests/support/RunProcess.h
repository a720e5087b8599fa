// Runs a shell command (as a test would type it) and captures its output and exit status.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace hot::test {

struct Outcome {
  int status = -1;      ///< Exit status, or -1 if the process did not exit normally.
  int signal = 0;       ///< The signal that ended it, if one did.
  std::string out;      ///< What it printed (redirect stderr in `cmd` to capture it too).
};

inline Outcome runCommand(const std::string &cmd) {
  Outcome o;
  FILE *pipe = popen(cmd.c_str(), "r");
  if (!pipe) return o;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) o.out.append(buf, n);
  int st = pclose(pipe);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  o.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  return o;
}

/// `build/cli/hot`.
inline std::string hotBinary() { return std::string(HOT_BINARY_DIR) + "/cli/hot"; }

/// Starts `hot ARGS...` with its stdout on a pipe (stderr to `stderr_path` if given); returns
/// its pid and sets `out_fd` to the read end.
inline pid_t startHotRun(const std::vector<std::string> &args, int &out_fd,
                         const std::string &stderr_path = "") {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    if (!stderr_path.empty()) {
      int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(err, 2);
    }
    std::string hot = hotBinary();
    std::vector<char *> argv{hot.data()};
    std::vector<std::string> copy = args;
    for (auto &a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(hot.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  out_fd = fds[0];
  return pid;
}

/// Reads from `fd` into `got` until `want` appears (true) or `seconds` pass (false).
inline bool readUntil(int fd, std::string &got, const std::string &want, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  while (got.find(want) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) got.append(buf, size_t(n));
    else std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

/// The whole text of a file ("" if it cannot be read).
inline std::string readText(const std::string &path) {
  std::string out;
  FILE *f = std::fopen(path.c_str(), "r");
  char buf[4096];
  for (size_t n; f && (n = fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  if (f) std::fclose(f);
  return out;
}

} // namespace hot::test
