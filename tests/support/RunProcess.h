// Runs a shell command (as a test would type it) and captures its output and exit status.
#pragma once

#include <cstdio>
#include <string>
#include <sys/wait.h>

namespace hot::test {

struct Outcome {
  int status = -1;      ///< Exit status, or -1 if the process did not exit normally.
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
  return o;
}

/// `build/cli/hot`.
inline std::string hotBinary() { return std::string(HOT_BINARY_DIR) + "/cli/hot"; }

} // namespace hot::test
