// `hot call` in a shared folder where another user planted `.hot/1.sock`: nothing is sent
// through a control folder or to a socket that belongs to another uid, nor to a server that
// runs as another uid (SO_PEERCRED). The refusal names the path and why; the exit status is 1.
// Planting needs root (chown, setuid); without it the tests are skipped.
#include <gtest/gtest.h>

#include <filesystem>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "HotProcess.h"
#include "TestSupport.h"

namespace {
namespace fs = std::filesystem;
using hot::test::connectUnix;
using hot::test::kHot;
using hot::test::Outcome;
using hot::test::quote;
using hot::test::shell;

constexpr uid_t kNobody = 65534;

/// Who owns what an attacker planted, and as whom its server runs.
struct Plant {
  uid_t folder_owner;
  uid_t socket_owner;
  uid_t server_uid;
};

int bindUnix(const std::string &path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) return -1;
  return fd;
}

/// The attacker's server at <shared>/.hot/1.sock (pid 1 is always alive): a child process that
/// writes "[<bytes received>]" to a pipe for every connection, in order, and answers each with
/// a forged success.
class PlantedServer {
public:
  PlantedServer(const std::string &shared, const Plant &plant) {
    std::string folder = shared + "/.hot", path = folder + "/1.sock";
    int ready[2], report[2];
    if (pipe(ready) != 0 || pipe(report) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(report[0]);
      if (mkdir(folder.c_str(), 0700) != 0 || chown(folder.c_str(), plant.folder_owner, -1) != 0)
        _exit(1);
      int fd = bindUnix(path);
      if (fd < 0 || chmod(path.c_str(), 0600) != 0 ||
          chown(path.c_str(), plant.socket_owner, -1) != 0)
        _exit(1);
      // SO_PEERCRED shows clients the credentials the server had when it called listen().
      if (setresgid(plant.server_uid, plant.server_uid, plant.server_uid) != 0 ||
          setresuid(plant.server_uid, plant.server_uid, plant.server_uid) != 0 ||
          listen(fd, 8) != 0)
        _exit(1);
      (void)!write(ready[1], "R", 1);
      serve(fd, report[1]);
      _exit(0);
    }
    close(ready[1]);
    close(report[1]);
    char c = 0;
    ok_ = read(ready[0], &c, 1) == 1;
    close(ready[0]);
    report_ = report[0];
    path_ = path;
  }
  ~PlantedServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (report_ >= 0) close(report_);
  }
  bool ok() const { return ok_; }

  /// Everything the server was sent so far: connects once more itself, sending "sentinel",
  /// and returns the report up to and including that connection's.
  std::string received() {
    int fd = connectUnix(path_);
    if (fd < 0) return "(cannot reach the planted server)";
    (void)!send(fd, "sentinel", 8, MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    std::string seen;
    auto deadline = hot::test::Clock::now() + std::chrono::seconds(30);
    while (seen.find("[sentinel]") == std::string::npos && hot::test::Clock::now() < deadline) {
      pollfd p = {report_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      ssize_t n = read(report_, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, size_t(n));
    }
    close(fd);
    return seen;
  }

private:
  static void serve(int listen_fd, int report) {
    for (;;) {
      int fd = accept(listen_fd, nullptr, nullptr);
      if (fd < 0) continue;
      std::string got = "[";
      char buf[4096];
      ssize_t n;
      while ((n = recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, size_t(n));
      got += "]";
      (void)!write(report, got.data(), got.size());
      const char *forged = "{\"ok\": true, \"result\": \"stolen\"}\n";
      (void)!send(fd, forged, std::strlen(forged), MSG_NOSIGNAL);
      close(fd);
    }
  }

  pid_t pid_ = -1;
  int report_ = -1;
  bool ok_ = false;
  std::string path_;
};

/// A folder anyone may write in, like /tmp or a shared project checkout.
std::string sharedFolder(hot::test::TempDir &dir) {
  std::string shared = dir.file("shared");
  fs::create_directories(shared);
  chmod(shared.c_str(), 0777);
  return shared;
}

Outcome setPassword(const std::string &shared, hot::test::TempDir &dir) {
  return shell(kHot + " call --dir " + quote(shared) + " set_password hunter2",
               dir.file("call.err"));
}

void expectRefused(const Outcome &o, const std::string &path, const std::string &why) {
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_EQ(o.out, "") << "the forged reply must not be printed";
  EXPECT_NE(o.err.find("hot call: not using " + path + ": "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(why), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("nothing was sent"), std::string::npos) << o.err;
}

#define REQUIRE_ROOT()                                                                         \
  if (geteuid() != 0)                                                                          \
  GTEST_SKIP() << "planting another user's socket needs root (chown to uid 65534, setuid)"

TEST(HotCallRefusesForeignSocket, FolderAndSocketOfAnotherUser) {
  REQUIRE_ROOT();
  hot::test::TempDir dir;
  std::string shared = sharedFolder(dir);
  PlantedServer planted(shared, {kNobody, kNobody, kNobody});
  ASSERT_TRUE(planted.ok());

  Outcome o = setPassword(shared, dir);
  expectRefused(o, shared + "/.hot", "belongs to uid 65534");
  EXPECT_EQ(planted.received(), "[sentinel]") << "the call reached the planted server";
}

TEST(HotCallRefusesForeignSocket, SocketOfAnotherUserInAPrivateFolder) {
  REQUIRE_ROOT();
  hot::test::TempDir dir;
  std::string shared = sharedFolder(dir);
  PlantedServer planted(shared, {0, kNobody, 0});
  ASSERT_TRUE(planted.ok());

  Outcome o = setPassword(shared, dir);
  expectRefused(o, shared + "/.hot/1.sock", "belongs to uid 65534");
  EXPECT_EQ(planted.received(), "[sentinel]") << "the call reached the planted server";
}

TEST(HotCallRefusesForeignSocket, ServerRunningAsAnotherUser) {
  REQUIRE_ROOT();
  hot::test::TempDir dir;
  std::string shared = sharedFolder(dir);
  // The files look right; only the process behind the socket gives it away.
  PlantedServer planted(shared, {0, 0, kNobody});
  ASSERT_TRUE(planted.ok());

  Outcome o = setPassword(shared, dir);
  expectRefused(o, shared + "/.hot/1.sock", "it is served by uid 65534");
  // The client had to connect to learn who serves the socket, but sent nothing.
  EXPECT_EQ(planted.received(), "[][sentinel]");
}

} // namespace
