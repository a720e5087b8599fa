#include "engine/CompileWatchdog.h"

#include <algorithm>

namespace hot::eng {

CompileWatchdog::CompileWatchdog(unsigned budget_ms, std::function<bool()> stopping)
    : budget_ms_(budget_ms), stopping_(std::move(stopping)), thread_([this] { run(); }) {}

CompileWatchdog::~CompileWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::shared_ptr<CompileWatchdog::Watched> CompileWatchdog::watch() {
  auto w = std::make_shared<Watched>();
  std::lock_guard<std::mutex> lock(mu_);
  watched_.push_back(w);
  return w;
}

void CompileWatchdog::done(const std::shared_ptr<Watched> &w) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase(watched_, w);
}

// Checks ten times a second: a budget is seconds long, and stopping must not wait for more.
void CompileWatchdog::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return quit_; })) {
    if (watched_.empty()) continue;
    bool stop = stopping_ && stopping_();
    auto now = std::chrono::steady_clock::now();
    for (auto &w : watched_) {
      if (budget_ms_ && now - w->start >= std::chrono::milliseconds(budget_ms_))
        w->over_budget = true;
      if (stop || w->over_budget) w->cancel = true;
    }
  }
}

} // namespace hot::eng
