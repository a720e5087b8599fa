// `hot run` on an unmodified three-file program (class hierarchy, template, a static registry
// filled by initializers in several units, atexit, std::thread, stdin) prints exactly what the
// natively built program prints and exits with the same status; an edit of one file while it
// runs changes its next output.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "TestSupport.h"

namespace {
const char *kShapesH = R"(#pragma once
#include <map>
#include <memory>
#include <string>
struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
  virtual std::string name() const = 0;
};
using Factory = std::unique_ptr<Shape> (*)(double);
std::map<std::string, Factory> &registry();
struct Registrar {
  Registrar(const char *n, Factory f) { registry()[n] = f; }
};
template <typename T> T clamp_to(T v, T lo, T hi) { return v < lo ? lo : v > hi ? hi : v; }
)";
std::string shapesCpp(const char *square_name) {
  return std::string(R"(#include "shapes.h"
std::map<std::string, Factory> &registry() { static std::map<std::string, Factory> r; return r; }
struct Square : Shape {
  double s;
  explicit Square(double s) : s(s) {}
  double area() const override { return s * s; }
  std::string name() const override { return ")") + square_name + R"("; }
};
static Registrar square_reg("square", [](double x) -> std::unique_ptr<Shape> { return std::make_unique<Square>(x); });
)";
}
const char *kCircleCpp = R"(#include "shapes.h"
struct Circle : Shape {
  double r;
  explicit Circle(double r) : r(r) {}
  double area() const override { return 3.0 * r * r; }
  std::string name() const override { return "circle"; }
};
static Registrar circle_reg("circle", [](double x) -> std::unique_ptr<Shape> { return std::make_unique<Circle>(x); });
)";
const char *kMainCpp = R"(#include "shapes.h"
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
static void bye() { std::printf("bye\n"); }
int main(int argc, char **argv) {
  std::atexit(bye);
  int lines = 0;
  std::string kind;
  double size;
  while (std::cin >> kind >> size) {
    auto it = registry().find(kind);
    if (it == registry().end()) { std::cout << "unknown " << kind << std::endl; continue; }
    double area = 0;
    std::thread t([&] { area = it->second(clamp_to(size, 0.0, 100.0))->area(); });
    t.join();
    std::cout << it->second(1)->name() << " " << area << std::endl;
    ++lines;
  }
  std::cout << "lines " << lines << " args " << argc - 1 << std::endl;
  return lines + 3;
}
)";

struct Child {
  pid_t pid = -1;
  int in = -1, out = -1;
};

Child spawn(const std::vector<std::string> &argv) {
  int to[2], from[2];
  EXPECT_EQ(pipe(to), 0);
  EXPECT_EQ(pipe(from), 0);
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(to[0], 0);
    dup2(from[1], 1);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    close(to[1]);
    close(from[0]);
    std::vector<char *> args;
    for (auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  c.in = to[1];
  c.out = from[0];
  return c;
}

std::string readAll(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, size_t(n));
  return s;
}

/// Reads one line (with a timeout); empty on timeout/EOF.
std::string readLine(int fd, int timeout_ms) {
  std::string line;
  char c;
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return line;
    if (read(fd, &c, 1) != 1) return line;
    if (c == '\n') return line;
    line += c;
  }
}

int waitStatus(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct RunResult {
  std::string out;
  int status;
};
RunResult runWithInput(const std::vector<std::string> &argv, const std::string &input) {
  Child c = spawn(argv);
  EXPECT_EQ(write(c.in, input.data(), input.size()), ssize_t(input.size()));
  close(c.in);
  std::string out = readAll(c.out);
  close(c.out);
  return {out, waitStatus(c.pid)};
}
} // namespace

TEST(HotRunNative, SameOutputAndStatusAsNativeBuildThenLiveEdit) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("src/shapes.h"), kShapesH);
  hot::test::writeFile(dir.file("src/shapes.cpp"), shapesCpp("square"));
  hot::test::writeFile(dir.file("src/circle.cpp"), kCircleCpp);
  hot::test::writeFile(dir.file("src/main.cpp"), kMainCpp);
  std::string native = dir.file("native");
  std::string build = "g++ -std=c++20 -O1 -o " + native + " " + dir.file("src/main.cpp") + " " +
                      dir.file("src/shapes.cpp") + " " + dir.file("src/circle.cpp") + " -pthread";
  ASSERT_EQ(std::system(build.c_str()), 0);

  const std::string input = "square 3\ncircle 2\ntriangle 1\nsquare 200\n";
  RunResult nat = runWithInput({native, "x", "y"}, input);
  std::string hot = std::string(HOT_BINARY_DIR) + "/cli/hot";
  RunResult jit = runWithInput({hot, "run", "--quiet", dir.file("src"), "--", "x", "y"}, input);
  EXPECT_EQ(jit.out, nat.out);
  EXPECT_EQ(jit.status, nat.status);
  EXPECT_EQ(nat.status, 6);
  EXPECT_NE(nat.out.find("bye"), std::string::npos);

  // Live: the program waits on stdin; an edit of shapes.cpp changes the next answer.
  Child c = spawn({hot, "run", "--quiet", dir.file("src")});
  ASSERT_EQ(write(c.in, "square 2\n", 9), 9);
  EXPECT_EQ(readLine(c.out, 60000), "square 4");
  hot::test::writeFile(dir.file("src/shapes.cpp"), shapesCpp("SQUARE"));
  std::string line;
  for (int i = 0; i < 120 && line != "SQUARE 4"; ++i) {
    ASSERT_EQ(write(c.in, "square 2\n", 9), 9);
    line = readLine(c.out, 60000);
    if (line != "SQUARE 4") usleep(250000);
  }
  EXPECT_EQ(line, "SQUARE 4");
  close(c.in);
  readAll(c.out);
  close(c.out);
  int st = waitStatus(c.pid);
  EXPECT_GE(st, 4) << "main returned lines + 3";
  EXPECT_LT(st, 128) << "no crash at exit";
}
