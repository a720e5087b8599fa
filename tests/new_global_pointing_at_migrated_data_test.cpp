// Data whose layout was migrated (HOT_MIGRATE) lives under a new symbol. Another unit's code
// reaches it there; so must a global that unit adds later, initialized with its address: such
// an initializer is built into the unit's data object, which once still named the old storage.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {
const char *kPlayerV1 = R"(
struct Player { int hp; int mp; };
Player player{100, 50};
int hurt(int d) { player.hp -= d; return player.hp; }
int hp_of(const Player *p) { return p->hp; }
)";
const char *kPlayerV2 = R"(#include <hot/unit.h>
struct Player { int hp; int mp; float speed; };
Player player{100, 50, 1.5f};
int hurt(int d) { player.hp -= d; return player.hp; }
int hp_of(const Player *p) { return p->hp; }
struct PlayerV1 { int hp; int mp; };
HOT_MIGRATE(player) {
  auto *old = static_cast<const PlayerV1 *>(hot_old);
  player.hp = old->hp;
  player.mp = old->mp;
}
)";
// The other unit knows Player only by name.
const char *kUserV1 = R"(
struct Player;
extern Player player;
int hp_of(const Player *p);
int direct() { return hp_of(&player); }
)";
const char *kUserV2 = R"(
struct Player;
extern Player player;
int hp_of(const Player *p);
int direct() { return hp_of(&player); }
Player *where = &player;
int through_pointer() { return hp_of(where); }
)";
} // namespace

TEST(MigratedData, ANewGlobalInitializedWithItsAddressPointsAtTheNewStorage) {
  hot::test::LiveProject p;
  p.write("player.cpp", kPlayerV1);
  p.write("user.cpp", kUserV1);
  ASSERT_TRUE(p.start().ok());
  auto hurt = p.fn<int(int)>("hurt");
  ASSERT_EQ(hurt(10), 90);

  auto migrated = p.edit("player.cpp", kPlayerV2);
  ASSERT_TRUE(migrated.success) << migrated.message;
  EXPECT_EQ(hurt(5), 85) << "hp carried over, then changed in the new storage";

  auto added = p.edit("user.cpp", kUserV2);
  ASSERT_TRUE(added.success) << added.message;
  EXPECT_EQ(p.fn<int()>("direct")(), 85) << "recompiled: its code names the new storage";
  EXPECT_EQ(p.fn<int()>("through_pointer")(), 85) << "the new global points at the new storage";
  EXPECT_EQ(hurt(1), 84);
  EXPECT_EQ(p.fn<int()>("through_pointer")(), 84);
  EXPECT_EQ(p.fn<int()>("direct")(), 84);
}
