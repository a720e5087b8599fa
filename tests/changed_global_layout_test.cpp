// A kept global whose type changes is refused with its name and both types; with HOT_MIGRATE
// the old fields are carried over into the new layout.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {
const char *kV1 = R"(
struct Player { int hp; int mp; };
Player player{100, 50};
int hurt(int d) { player.hp -= d; return player.hp; }
)";
const char *kV2 = R"(
struct Player { int hp; int mp; float speed; };
Player player{100, 50, 1.5f};
int hurt(int d) { player.hp -= d; return player.hp; }
float speed() { return player.speed; }
int mana() { return player.mp; }
)";
} // namespace

TEST(ChangedGlobalLayout, RefusedByDefaultThenMigratedWithHook) {
  hot::test::LiveProject p;
  p.write("p.cpp", kV1);
  ASSERT_TRUE(p.start().ok());
  auto hurt = p.fn<int(int)>("hurt");
  ASSERT_EQ(hurt(10), 90);
  ASSERT_EQ(hurt(5), 85);

  auto refused = p.edit("p.cpp", kV2);
  EXPECT_FALSE(refused.success);
  EXPECT_EQ(refused.code, hot::ErrorCode::LayoutChanged);
  EXPECT_NE(refused.message.find("'player'"), std::string::npos) << refused.message;
  EXPECT_NE(refused.message.find("8 bytes"), std::string::npos) << refused.message;
  EXPECT_NE(refused.message.find("12 bytes"), std::string::npos) << refused.message;
  EXPECT_NE(refused.message.find(p.path("p.cpp") + ":3:"), std::string::npos) << refused.message;
  EXPECT_EQ(hurt(5), 80) << "old code and old state keep running";

  std::string migrated = std::string("#include <hot/unit.h>\n") + kV2 + R"(
struct PlayerV1 { int hp; int mp; };
HOT_MIGRATE(player) {
  auto *old = static_cast<const PlayerV1 *>(hot_old);
  player.hp = old->hp;
  player.mp = old->mp;
}
)";
  auto ok = p.edit("p.cpp", migrated);
  ASSERT_TRUE(ok.success) << ok.message;
  EXPECT_EQ(hurt(0), 80) << "hp carried over";
  EXPECT_EQ(p.fn<int()>("mana")(), 50);
  EXPECT_FLOAT_EQ(p.fn<float()>("speed")(), 1.5f) << "new field initialized";
  EXPECT_EQ(hurt(1), 79);
}
