// The server side of `hot call` checks its peer too: even when the control folder and socket
// were opened up to everyone (chmod by mistake), a connection from another uid is answered
// "permission denied" and its call is not made. Connecting as another uid needs root.
#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>

#include "HotProcess.h"
#include "TestSupport.h"

namespace {
namespace fs = std::filesystem;
using hot::test::HotRun;
using hot::test::kHot;
using hot::test::Outcome;
using hot::test::quote;
using hot::test::readAll;
using hot::test::shell;

constexpr uid_t kNobody = 65534;

const char *kProgram = R"(
#include <cstdio>
static int g_changes = 0;
void set_password(const char *) { ++g_changes; }
int password_changes() { return g_changes; }
int main() {
  char buf[64];
  while (std::fgets(buf, sizeof buf, stdin)) {}
  return 0;
}
)";

/// Sends `request` to the socket at `path` from a child running as `uid`; returns the reply
/// (or why there was none).
std::string requestAs(uid_t uid, const std::string &path, const std::string &request) {
  int out[2];
  if (pipe(out) != 0) return "(no pipe)";
  pid_t child = fork();
  if (child == 0) {
    close(out[0]);
    if (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0) _exit(1);
    int fd = hot::test::connectUnix(path);
    if (fd < 0) _exit(2);
    (void)!send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) (void)!write(out[1], buf, size_t(n));
    _exit(0);
  }
  close(out[1]);
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) reply.append(buf, size_t(n));
  close(out[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "(child failed with status " + std::to_string(status) + ")";
  return reply;
}

TEST(HotRunPeerCheck, RefusesACallerOfAnotherUid) {
  if (geteuid() != 0) GTEST_SKIP() << "connecting as another uid (setuid to 65534) needs root";
  hot::test::TempDir dir;
  std::string src = dir.file("main.cpp"), work = dir.file("work");
  hot::test::writeFile(src, kProgram);
  fs::create_directories(work);
  HotRun run(work, {"--quiet", src}, dir.file("run.out"), dir.file("run.err"));
  ASSERT_GT(run.pid(), 0);
  std::string folder = work + "/.hot", sock = hot::test::socketIn(work, run.pid());
  ASSERT_TRUE(hot::test::waitForFile(sock, run, std::chrono::seconds(240)))
      << readAll(dir.file("run.err"));

  // Everything on the way opened up: only the server's own check is left.
  for (const std::string &p : {dir.path().string(), work, folder})
    ASSERT_EQ(chmod(p.c_str(), 0755), 0);
  ASSERT_EQ(chmod(sock.c_str(), 0666), 0);
  std::string reply =
      requestAs(kNobody, sock, "{\"call\": \"set_password\", \"args\": [\"hunter2\"]}\n");
  EXPECT_NE(reply.find("\"ok\":false"), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"code\":\"permission denied\""), std::string::npos) << reply;
  EXPECT_NE(reply.find("not uid 65534"), std::string::npos) << reply;

  ASSERT_EQ(chmod(folder.c_str(), 0700), 0);
  ASSERT_EQ(chmod(sock.c_str(), 0600), 0);
  Outcome changes =
      shell(kHot + " call --dir " + quote(work) + " password_changes", dir.file("call.err"));
  EXPECT_EQ(changes.out, "0\n") << "the refused call was made: " << changes.err;

  run.closeStdin();
  ASSERT_TRUE(run.wait(std::chrono::seconds(120)));
  EXPECT_EQ(run.exitCode(), 0) << readAll(dir.file("run.err"));
}

} // namespace
