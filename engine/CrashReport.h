// engine/: crash reports for embedded hosts (Config::crash_report). A fault that nothing
// catches (no guarded(), no `hot run` supervision on that thread) still ends the process as
// it would have natively, but first the report names the unit, version, function and line
// of every JIT frame, the host frames, and the version loaded last.
//
// Naming frames takes the engine's lock and allocates, which a signal handler must not do:
// the handler hands the fault to a reporting thread started beforehand, and waits for it a
// bounded time (a fault inside malloc or with the engine lock held must still end).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/Guard.h"

namespace hot::eng {

class CrashReporter {
public:
  /// Starts the reporting thread and installs the fatal hook. `format` runs on that thread
  /// and returns the report, which is written to stderr. One reporter per process: a second
  /// one replaces the first.
  static std::unique_ptr<CrashReporter> start(std::function<std::string(const Fault &)> format);
  ~CrashReporter(); ///< Removes the hook (if still its own) and stops the thread.
  CrashReporter(const CrashReporter &) = delete;
  CrashReporter &operator=(const CrashReporter &) = delete;

  /// How long the faulting thread waits for the report.
  static constexpr int kWaitMs = 5000;

  struct State;

private:
  explicit CrashReporter(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

} // namespace hot::eng
