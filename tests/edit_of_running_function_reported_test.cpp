// Editing a function that a thread is inside (a server's main() blocked in listen(), a worker's
// loop) takes effect at its next call; the engine says so instead of only "version 2 live".
#include <gtest/gtest.h>

#include <thread>

#include "TestSupport.h"

namespace {

const char *kLoop = R"(
#include <atomic>
std::atomic<int> stop_flag{0}, entered{0};
int spin() { entered = 1; while (!stop_flag.load()) {} return RESULT; }
void stop() { stop_flag = 1; }
int inside() { return entered.load(); }
)";

std::string loop(int result) {
  std::string text = kLoop;
  text.replace(text.find("RESULT"), 6, std::to_string(result));
  return text;
}

TEST(EditOfRunningFunction, IsReportedAndTakesEffectAtTheNextCall) {
  hot::test::LiveProject p;
  p.write("loop.cpp", loop(1));
  ASSERT_TRUE(p.start().ok());
  auto spin = p.fn<int()>("spin");
  auto inside = p.fn<int()>("inside");
  int first = 0;
  std::thread worker([&] { first = spin(); });
  while (!inside()) std::this_thread::yield();

  hot::ReloadEvent e = p.edit("loop.cpp", loop(2));
  ASSERT_TRUE(e.success) << e.message;
  bool said = false;
  for (auto &m : p.events.messages())
    said |= m.find("int spin() is running version 1 of " + p.path("loop.cpp") +
                   " on a thread: the new body takes effect at its next call") != std::string::npos;
  EXPECT_TRUE(said) << (p.events.messages().empty() ? "no message" : p.events.messages().back());
  bool about_others = false;
  for (auto &m : p.events.messages()) about_others |= m.find("int stop()") != std::string::npos;
  EXPECT_FALSE(about_others) << "stop() is not running";

  p.fn<void()>("stop")();
  worker.join();
  EXPECT_EQ(first, 1) << "the running call finished in its old body";
  EXPECT_EQ(spin(), 2) << "the next call runs the new one";
}

} // namespace
