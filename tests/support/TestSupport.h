// Helpers shared by the tests: real temp directories, real file writes, waiting for events.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hot/engine.h"

namespace hot::test {

/// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hot-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path &path() const { return path_; }
  std::string file(const std::string &rel) const { return (path_ / rel).string(); }

private:
  std::filesystem::path path_;
};

/// Writes `text` in place (open, truncate, write, close): what most editors do.
inline void writeFile(const std::string &path, const std::string &text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

/// Writes a temp file next to `path` and renames it over `path` (vim, VS Code, JetBrains).
inline void writeFileByRename(const std::string &path, const std::string &text) {
  std::string tmp = path + ".tmp~";
  writeFile(tmp, text);
  std::filesystem::rename(tmp, path);
}

/// Collects every event; lets a test wait for the n-th reload.
class RecordingListener : public hot::Listener {
public:
  void onReload(const hot::ReloadEvent &e) override {
    std::lock_guard<std::mutex> lock(mu_);
    reloads.push_back(e);
    cv_.notify_all();
  }
  void onTierChange(const hot::TierEvent &e) override {
    std::lock_guard<std::mutex> lock(mu_);
    tiers_.push_back(e);
    cv_.notify_all();
  }
  void onMessage(hot::Severity, const std::string &m) override {
    std::lock_guard<std::mutex> lock(mu_);
    messages_.push_back(m);
  }
  /// The messages so far (a copy: the engine thread may be adding one).
  std::vector<std::string> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  /// Waits until at least `n` reload events were seen. Calls `engine.update()` while waiting
  /// when given, so reloads are applied on this (the test's) thread.
  bool waitForReloads(size_t n, hot::HotEngine *engine = nullptr, int timeout_ms = 60000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (engine) engine->update();
      std::unique_lock<std::mutex> lock(mu_);
      if (reloads.size() >= n) return true;
      cv_.wait_for(lock, std::chrono::milliseconds(5));
    }
    return false;
  }
  hot::ReloadEvent last() {
    std::lock_guard<std::mutex> lock(mu_);
    return reloads.back();
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return reloads.size();
  }
  /// The reload events after the first `n`.
  std::vector<hot::ReloadEvent> since(size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    return {reloads.begin() + long(std::min(n, reloads.size())), reloads.end()};
  }
  /// The tier changes so far (a copy: the engine thread may be adding one).
  std::vector<hot::TierEvent> tiers() {
    std::lock_guard<std::mutex> lock(mu_);
    return tiers_;
  }
  std::vector<hot::ReloadEvent> reloads;

private:
  std::vector<std::string> messages_;
  std::vector<hot::TierEvent> tiers_;
  std::mutex mu_;
  std::condition_variable cv_;
};

} // namespace hot::test

namespace hot::test {

/// An engine watching a fresh temp folder: write units, start, edit, wait for the reload.
class LiveProject {
public:
  explicit LiveProject(hot::Config config = {}) : config_(std::move(config)) {}
  ~LiveProject() { engine.reset(); }

  void write(const std::string &rel, const std::string &text) { writeFile(dir.file(rel), text); }
  std::string path(const std::string &rel) const { return dir.file(rel); }

  /// Creates the engine and watches the folder; returns the watch() status.
  hot::Status start() {
    auto e = hot::HotEngine::create(config_);
    if (!e.ok()) return e.status();
    engine = std::move(e.value());
    engine->setListener(&events);
    return engine->watch(dir.path().string());
  }

  /// Writes `text` to `rel` and waits (applying via update()) for the resulting reload event;
  /// returns it. `edits` lets a caller wait for several units of one transaction.
  hot::ReloadEvent edit(const std::string &rel, const std::string &text, size_t events_n = 1) {
    size_t before = events.count();
    write(rel, text);
    return waitEvents(before + events_n);
  }
  hot::ReloadEvent waitEvents(size_t n) {
    bool ok = events.waitForReloads(n, engine.get());
    if (!ok) {
      hot::ReloadEvent e;
      e.message = "timeout waiting for reload";
      return e;
    }
    return events.last();
  }

  template <typename Sig> hot::Function<Sig> fn(const std::string &name) {
    auto f = engine->function<Sig>(name);
    return f.ok() ? f.value() : hot::Function<Sig>();
  }

  /// Applies and retires (update()) until at most `bound` versions are mapped or `timeout_ms`
  /// passes; returns the stats then. Retirement waits for no thread to run old code, and a
  /// scan a busy thread did not answer defers it for a second.
  hot::EngineStats settleLiveVersions(std::size_t bound, int timeout_ms = 10000) {
    auto st = engine->stats();
    for (int waited = 0; waited < timeout_ms && st.live_versions > bound; waited += 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      engine->update();
      st = engine->stats();
    }
    return st;
  }

  TempDir dir;
  RecordingListener events;
  std::unique_ptr<hot::HotEngine> engine;

private:
  hot::Config config_;
};

} // namespace hot::test
