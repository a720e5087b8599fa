// engine/: cancels compiles that run past Config::compile_budget_ms, and every compile once
// the engine stops, so that no unit's compile holds the engine (or `hot run`'s exit) for long.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hot::eng {

class CompileWatchdog {
public:
  /// One compile under watch: hand `cancel` to fe::CompileJob.
  struct Watched {
    std::atomic<bool> cancel{false};
    std::atomic<bool> over_budget{false}; ///< Cancelled because it ran past the budget.
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  };

  /// `budget_ms` 0: no budget (compiles are still cancelled when `stopping()` says so).
  CompileWatchdog(unsigned budget_ms, std::function<bool()> stopping);
  ~CompileWatchdog(); ///< Ends its thread.
  CompileWatchdog(const CompileWatchdog &) = delete;
  CompileWatchdog &operator=(const CompileWatchdog &) = delete;

  /// Watches a compile starting now, until done().
  std::shared_ptr<Watched> watch();
  void done(const std::shared_ptr<Watched> &w);

private:
  void run();

  unsigned budget_ms_;
  std::function<bool()> stopping_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  std::vector<std::shared_ptr<Watched>> watched_;
  std::thread thread_;
};

} // namespace hot::eng
