// The file watcher against real directories: every editor save style, new subdirectories,
// debouncing, wake() and timeouts.
#include "engine/Watcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <thread>

#include "TestSupport.h"

namespace {

namespace fs = std::filesystem;
using hot::eng::FileChange;
using hot::eng::Watcher;
using hot::test::TempDir;
using hot::test::writeFile;
using hot::test::writeFileByRename;
using Kind = FileChange::Kind;
using Clock = std::chrono::steady_clock;

// Generous on purpose: tests wait for something to happen, never for something to be fast.
constexpr int kEventuallyMs = 20000;
constexpr unsigned kDebounceMs = 50;

std::string norm(const std::string &path) { return fs::path(path).lexically_normal().string(); }

std::unique_ptr<Watcher> watch(const TempDir &dir) {
  auto watcher = Watcher::create();
  if (!watcher) {
    ADD_FAILURE() << llvm::toString(watcher.takeError());
    return nullptr;
  }
  if (llvm::Error err = (*watcher)->addTree(dir.path().string())) {
    ADD_FAILURE() << llvm::toString(std::move(err));
    return nullptr;
  }
  return std::move(*watcher);
}

/// Path -> kind; fails the test if a batch names a path twice.
std::map<std::string, Kind> byPath(const std::vector<FileChange> &changes) {
  std::map<std::string, Kind> out;
  for (const auto &c : changes)
    EXPECT_TRUE(out.emplace(c.path, c.kind).second) << "reported twice: " << c.path;
  return out;
}

/// The first batch that names `path` (empty if none came in time).
std::map<std::string, Kind> waitFor(Watcher &w, const std::string &path) {
  auto deadline = Clock::now() + std::chrono::milliseconds(kEventuallyMs);
  while (Clock::now() < deadline) {
    auto batch = byPath(w.wait(kEventuallyMs, kDebounceMs));
    if (batch.count(norm(path)))
      return batch;
  }
  ADD_FAILURE() << "no change reported for " << path;
  return {};
}

// The file operations below all happen before wait() is called, so their events are already
// queued and come back as one batch however slow the machine is.

TEST(Watcher, InPlaceWriteIsModified) {
  TempDir dir;
  std::string file = dir.file("a.cpp");
  writeFile(file, "int a = 1;\n");
  auto w = watch(dir);
  ASSERT_TRUE(w);
  writeFile(file, "int a = 2;\n");
  auto batch = waitFor(*w, file);
  EXPECT_EQ(batch[norm(file)], Kind::Modified);
}

TEST(Watcher, RenameOverIsModifiedAndTempFileIsDropped) {
  TempDir dir;
  std::string file = dir.file("a.cpp");
  writeFile(file, "int a = 1;\n");
  auto w = watch(dir);
  ASSERT_TRUE(w);
  writeFileByRename(file, "int a = 2;\n");
  auto batch = waitFor(*w, file);
  EXPECT_EQ(batch[norm(file)], Kind::Modified);
  // The temp file was created and renamed away within the burst: nothing to report.
  EXPECT_EQ(batch.count(norm(file + ".tmp~")), 0u);
}

TEST(Watcher, DeleteThenRecreateIsModified) {
  TempDir dir;
  std::string file = dir.file("a.cpp");
  writeFile(file, "int a = 1;\n");
  auto w = watch(dir);
  ASSERT_TRUE(w);
  fs::remove(file);
  writeFile(file, "int a = 2;\n");
  auto batch = waitFor(*w, file);
  EXPECT_EQ(batch[norm(file)], Kind::Modified);
}

TEST(Watcher, NewFileIsCreatedAndRemovedFileIsDeleted) {
  TempDir dir;
  std::string oldFile = dir.file("old.cpp"), newFile = dir.file("new.cpp");
  writeFile(oldFile, "int a;\n");
  auto w = watch(dir);
  ASSERT_TRUE(w);
  writeFile(newFile, "int b;\n");
  fs::remove(oldFile);
  auto batch = waitFor(*w, newFile);
  EXPECT_EQ(batch[norm(newFile)], Kind::Created);
  EXPECT_EQ(batch[norm(oldFile)], Kind::Deleted);
}

TEST(Watcher, WriteWithoutCloseIsReportedAfterQuietPeriod) {
  TempDir dir;
  std::string file = dir.file("a.cpp");
  writeFile(file, "int a = 1;\n");
  auto w = watch(dir);
  ASSERT_TRUE(w);
  std::FILE *f = std::fopen(file.c_str(), "r+");
  ASSERT_NE(f, nullptr);
  std::fputs("int a = 3;\n", f);
  std::fflush(f); // IN_MODIFY now; IN_CLOSE_WRITE only after the wait
  auto batch = waitFor(*w, file);
  std::fclose(f);
  EXPECT_EQ(batch[norm(file)], Kind::Modified);
}

TEST(Watcher, FilesInNewSubdirectoryAreReported) {
  TempDir dir;
  auto w = watch(dir);
  ASSERT_TRUE(w);
  // Directory and file appear before the watcher sees the directory: found by scanning it.
  std::string first = dir.file("sub/deeper/a.cpp");
  writeFile(first, "int a;\n");
  EXPECT_EQ(waitFor(*w, first)[norm(first)], Kind::Created);
  // A file written later in the now-watched directory: found by its own events.
  std::string second = dir.file("sub/deeper/b.cpp");
  writeFile(second, "int b;\n");
  EXPECT_EQ(waitFor(*w, second)[norm(second)], Kind::Created);
}

TEST(Watcher, DirectoriesThemselvesAreNotReported) {
  TempDir dir;
  auto w = watch(dir);
  ASSERT_TRUE(w);
  fs::create_directories(dir.file("empty/sub"));
  EXPECT_TRUE(w->wait(300, kDebounceMs).empty());
}

TEST(Watcher, DirectoryMovedOutReportsItsFilesDeleted) {
  TempDir dir, elsewhere;
  std::string file = dir.file("sub/a.cpp");
  writeFile(file, "int a;\n");
  auto w = watch(dir);
  ASSERT_TRUE(w);
  fs::rename(dir.file("sub"), elsewhere.file("sub"));
  EXPECT_EQ(waitFor(*w, file)[norm(file)], Kind::Deleted);
  // The moved directory's watch is gone: writing there must not report the old path.
  writeFile(elsewhere.file("sub/a.cpp"), "int b;\n");
  EXPECT_TRUE(w->wait(300, kDebounceMs).empty());
}

TEST(Watcher, BurstOfWritesComesBackAsOneChange) {
  TempDir dir;
  std::string file = dir.file("a.cpp");
  writeFile(file, "int a = 0;\n");
  auto w = watch(dir);
  ASSERT_TRUE(w);
  // Writes happen while wait() runs, a few ms apart, well inside a 200 ms quiet period.
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i <= 20; ++i) {
      writeFile(file, "int a = " + std::to_string(i) + ";\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    done = true;
  });
  int batchesNamingFile = 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(kEventuallyMs);
  while (Clock::now() < deadline) {
    bool writerDone = done; // read first: a batch after the writer finished has every event
    auto batch = byPath(w->wait(500, 200));
    batchesNamingFile += static_cast<int>(batch.count(norm(file)));
    if (writerDone && batch.empty())
      break;
  }
  writer.join();
  // Scheduling may split the burst on a loaded machine; it must still be heavily coalesced.
  EXPECT_GE(batchesNamingFile, 1);
  EXPECT_LT(batchesNamingFile, 20);
}

TEST(Watcher, WakeEndsABlockedWait) {
  TempDir dir;
  auto w = watch(dir);
  ASSERT_TRUE(w);
  auto start = Clock::now();
  auto result = std::async(std::launch::async, [&] { return w->wait(60000, kDebounceMs); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  w->wake();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_TRUE(result.get().empty());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(30)); // far below the 60 s timeout
}

TEST(Watcher, WaitTimesOutEmpty) {
  TempDir dir;
  auto w = watch(dir);
  ASSERT_TRUE(w);
  auto start = Clock::now();
  EXPECT_TRUE(w->wait(200, kDebounceMs).empty());
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(150));
}

TEST(Watcher, AddTreeOfMissingDirectoryNamesIt) {
  auto w = Watcher::create();
  ASSERT_TRUE(bool(w)) << llvm::toString(w.takeError());
  TempDir dir;
  std::string missing = dir.file("missing");
  llvm::Error err = (*w)->addTree(missing);
  ASSERT_TRUE(bool(err));
  std::string message = llvm::toString(std::move(err));
  EXPECT_NE(message.find(missing), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

} // namespace
