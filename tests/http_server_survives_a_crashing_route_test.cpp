// A cpp-httplib server (Debian's libcpp-httplib, thread pool of 8) under `hot run`: a new
// version of the unit behind /bad dereferences null. The fault unwinds into httplib's own
// catch, which answers 500 and keeps its pool thread, so while wrk loads /ok with several
// connections, /bad crashes (each save a new faulty version) more often than the pool has
// threads and /ok never fails; the crash message names unit, version, function and
// file:line, and the next save of a fixed file is applied.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <future>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

const char *kMain = R"(#include <httplib.h>
#include <cstdio>
std::string okBody();
std::string badBody();
int main() {
  httplib::Server server;
  server.Get("/ok", [](const httplib::Request &, httplib::Response &res) {
    res.set_content(okBody(), "text/plain");
  });
  server.Get("/bad", [](const httplib::Request &, httplib::Response &res) {
    res.set_content(badBody(), "text/plain");
  });
  server.Get("/stop", [&](const httplib::Request &, httplib::Response &res) {
    res.set_content("bye", "text/plain");
    server.stop();
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::printf("port %d\n", port);
  std::fflush(stdout);
  server.listen_after_bind();
  return 0;
}
)";

/// The unit behind the routes; `crash` > 0: /bad dereferences null (each a different text).
std::string handlers(int crash, const char *bad_text = "bad v1") {
  std::string out = "#include <string>\nstd::string okBody() { return \"ok\"; }\n";
  if (crash > 0)
    return out + "std::string badBody() { // crash " + std::to_string(crash) +
           "\n  volatile int *p = nullptr;\n  return std::to_string(*p);\n}\n";
  return out + "std::string badBody() { return \"" + bad_text + "\"; }\n";
}

struct Answer {
  int status = -1; ///< HTTP status; 0: the connection closed without an answer; -1: timeout.
  std::string body;
};

/// GET `path` on a fresh connection, waiting at most 10 s.
Answer get(int port, const std::string &path) {
  Answer a;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) return ::close(fd), a;
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  (void)!::write(fd, req.data(), req.size());
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, size_t(n));
  ::close(fd);
  if (n < 0 && got.empty()) return a; // timed out
  a.status = got.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(got.c_str() + 9) : 0;
  size_t body = got.find("\r\n\r\n");
  if (body != std::string::npos) a.body = got.substr(body + 4);
  return a;
}

bool haveWrk() { return hot::test::runCommand("command -v wrk >/dev/null 2>&1").status == 0; }

TEST(HttpServer, SurvivesACrashingRoute) {
  if (!haveWrk()) GTEST_SKIP() << "wrk is not installed (scripts/install-deps.sh installs it)";
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("src/main.cpp"), kMain);
  hot::test::writeFile(dir.file("src/handlers.cpp"), handlers(0));
  int out = -1;
  std::string err_path = dir.file("stderr.txt");
  pid_t pid = hot::test::startHotRun(
      {"run", dir.file("src"), "-DCPPHTTPLIB_OPENSSL_SUPPORT", "-DCPPHTTPLIB_ZLIB_SUPPORT",
       "-DCPPHTTPLIB_BROTLI_SUPPORT", "-l", "cpp-httplib"},
      out, err_path);
  ASSERT_GT(pid, 0);
  std::string got;
  ASSERT_TRUE(hot::test::readUntil(out, got, "\n", 180)) << hot::test::readText(err_path);
  int port = std::atoi(got.c_str() + 5);
  ASSERT_GT(port, 0) << got << hot::test::readText(err_path);
  ASSERT_EQ(get(port, "/bad").body, "bad v1");

  auto wrk = std::async(std::launch::async, [port] {
    return hot::test::runCommand("wrk -t2 -c4 -d12s http://127.0.0.1:" + std::to_string(port) +
                                 "/ok 2>&1");
  });
  // More crashes than the pool has threads: each save is a new faulty version, live until
  // its first /bad request faults and rolls it back.
  constexpr int kCrashes = 12;
  int crashed = 0;
  for (int crash = 1; crash <= kCrashes; ++crash) {
    hot::test::writeFile(dir.file("src/handlers.cpp"), handlers(crash));
    for (int tries = 0; tries < 200; ++tries) {
      Answer a = get(port, "/bad");
      ASSERT_NE(a.status, -1) << "/bad hangs after crash " << crashed << "\n"
                              << hot::test::readText(err_path);
      if (a.status == 500 || a.status == 0) {
        ++crashed;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_EQ(crashed, kCrashes) << hot::test::readText(err_path);
  hot::test::Outcome load = wrk.get();
  std::printf("%s", load.out.c_str()); // the load's figures, for the log
  EXPECT_NE(load.out.find("requests in"), std::string::npos) << load.out;
  EXPECT_EQ(load.out.find("Socket errors"), std::string::npos) << load.out;
  EXPECT_EQ(load.out.find("Non-2xx"), std::string::npos) << load.out;

  // The pool still serves, and the fixed file is applied.
  EXPECT_EQ(get(port, "/ok").body, "ok");
  hot::test::writeFile(dir.file("src/handlers.cpp"), handlers(0, "fixed"));
  Answer fixed;
  for (int tries = 0; tries < 300 && fixed.body != "fixed"; ++tries) {
    fixed = get(port, "/bad");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(fixed.status, 200);
  EXPECT_EQ(fixed.body, "fixed");
  std::string err = hot::test::readText(err_path);
  EXPECT_NE(err.find("handlers.cpp: version 2 crashed with SIGSEGV (address 0x0) in "
                     "'std::string badBody()' (handlers.cpp:3); rolled back to version 1"),
            std::string::npos)
      << err;

  EXPECT_EQ(get(port, "/stop").body, "bye");
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << err;
}

} // namespace
