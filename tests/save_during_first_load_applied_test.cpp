// A file saved while the first load is compiling is not lost: it is applied right after.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {

/// Saves a new version of a unit the moment the first load reports progress: the sources of
/// the first load were read before any compile began, so this save is newer than what loads.
class SaveOnProgress : public hot::test::RecordingListener {
public:
  explicit SaveOnProgress(std::string path) : path_(std::move(path)) {}
  void onProgress(unsigned, unsigned) override {
    if (saved_) return;
    saved_ = true;
    hot::test::writeFile(path_, "int light() { return 2; }\n");
  }

private:
  std::string path_;
  bool saved_ = false;
};

TEST(SaveDuringFirstLoad, IsAppliedAfterIt) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("heavy.cpp"),
                       "#include <map>\n#include <string>\nstd::map<std::string, int> m;\n"
                       "int heavy() { m[\"a\"] = 1; return int(m.size()); }\n");
  hot::test::writeFile(dir.file("light.cpp"), "int light() { return 1; }\n");
  auto engine = std::move(hot::HotEngine::create().value());
  SaveOnProgress events(dir.file("light.cpp"));
  engine->setListener(&events);
  ASSERT_TRUE(engine->watch(dir.path().string()).ok());
  auto light = engine->function<int()>("light").value();
  EXPECT_EQ(light(), 1) << "the first load compiled the text read before the save";
  ASSERT_TRUE(events.waitForReloads(3, engine.get())) << "the save made during the load was lost";
  EXPECT_TRUE(events.last().success) << events.last().message;
  EXPECT_EQ(light(), 2);
}

} // namespace
