// `hot call` trusts a control socket only when it and its folder are owner-only: a .hot folder
// with mode 0777 (anyone could have swapped the socket in it), a socket with mode 0666, or a
// .hot that is a symbolic link is refused, naming the path and why, and nothing is sent.
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
using hot::test::kHot;
using hot::test::Outcome;
using hot::test::quote;
using hot::test::shell;

/// A listening socket at <folder>/<this test's pid>.sock (a live pid): clients find it like a
/// running program's. Nobody accepts; a connection would wait in the backlog.
class Listener {
public:
  explicit Listener(const std::string &folder) {
    path_ = folder + "/" + std::to_string(getpid()) + ".sock";
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
          chmod(path_.c_str(), 0600) == 0 && listen(fd_, 8) == 0;
  }
  ~Listener() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }
  const std::string &path() const { return path_; }
  /// Whether a client connected (and is waiting to be accepted).
  bool contacted() const {
    pollfd p = {fd_, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
  }

private:
  int fd_ = -1;
  bool ok_ = false;
  std::string path_;
};

Outcome callIn(const std::string &dir, hot::test::TempDir &tmp) {
  // `timeout`: a client that does connect would wait forever for this server to answer.
  return shell("timeout 60 " + kHot + " call --dir " + quote(dir) + " set_password hunter2",
               tmp.file("call.err"));
}

void expectRefused(const Outcome &o, const std::string &path, const std::string &why) {
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_EQ(o.out, "");
  EXPECT_NE(o.err.find("hot call: not using " + path + ": " + why), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("nothing was sent"), std::string::npos) << o.err;
}

TEST(HotCallRefusesOpenControlFolder, FolderWithMode0777) {
  hot::test::TempDir dir;
  std::string folder = dir.file("work/.hot");
  fs::create_directories(folder);
  ASSERT_EQ(chmod(folder.c_str(), 0777), 0);
  Listener server(folder);
  ASSERT_TRUE(server.ok());

  expectRefused(callIn(dir.file("work"), dir), folder,
                "its mode 0777 lets other users in (hot run makes it owner-only, 0700)");
  EXPECT_FALSE(server.contacted());
}

TEST(HotCallRefusesOpenControlFolder, SocketWithMode0666) {
  hot::test::TempDir dir;
  std::string folder = dir.file("work/.hot");
  fs::create_directories(folder);
  ASSERT_EQ(chmod(folder.c_str(), 0700), 0);
  Listener server(folder);
  ASSERT_TRUE(server.ok());
  ASSERT_EQ(chmod(server.path().c_str(), 0666), 0);

  expectRefused(callIn(dir.file("work"), dir), server.path(),
                "its mode 0666 lets other users in (hot run makes it owner-only, 0600)");
  EXPECT_FALSE(server.contacted());
}

TEST(HotCallRefusesOpenControlFolder, FolderThatIsASymbolicLink) {
  hot::test::TempDir dir;
  std::string elsewhere = dir.file("elsewhere");
  fs::create_directories(elsewhere);
  ASSERT_EQ(chmod(elsewhere.c_str(), 0700), 0);
  fs::create_directories(dir.file("work"));
  fs::create_directory_symlink(elsewhere, dir.file("work/.hot"));
  Listener server(elsewhere);
  ASSERT_TRUE(server.ok());

  expectRefused(callIn(dir.file("work"), dir), dir.file("work/.hot"),
                "it is a symbolic link");
  EXPECT_FALSE(server.contacted());
}

} // namespace
