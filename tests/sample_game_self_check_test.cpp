// The game sample's self-check passes: it edits a temp copy of samples/game/live while the game
// runs and verifies each reload (new banner and update rule, kept frame counter, compile error
// with file:line:col while the old code keeps running, fix).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

TEST(SampleGame, SelfCheckPasses) {
  const std::string game = HOT_BINARY_DIR "/samples/game/hot_game";
  ASSERT_TRUE(std::filesystem::exists(game)) << game << " was not built";

  FILE *pipe = ::popen((game + " --self-check 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> buf;
  while (size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) output.append(buf.data(), n);
  int status = ::pclose(pipe);

  ASSERT_TRUE(WIFEXITED(status)) << "hot_game did not exit normally (status " << status << ")\n"
                                 << output;
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_NE(output.find("self-check: PASS"), std::string::npos) << output;
}
