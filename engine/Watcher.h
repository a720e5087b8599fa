// engine/: a recursive inotify watcher with debouncing. Private to the engine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llvm/Support/Error.h"

namespace hot::eng {

struct FileChange {
  enum class Kind { Modified, Created, Deleted };
  std::string path; ///< Absolute, normalized path of the file.
  Kind kind = Kind::Modified;
};

/// Watches directory trees. Handles editors that write in place (IN_CLOSE_WRITE), that write a
/// temp file and rename it over the target (IN_MOVED_TO), and that delete and re-create; new
/// subdirectories are watched as they appear.
class Watcher {
public:
  static llvm::Expected<std::unique_ptr<Watcher>> create();
  ~Watcher();

  /// Watches `dir` and every directory below it. If `dir` is moved away or deleted, its files
  /// are reported Deleted and a folder that appears at the same path later is watched in its
  /// place (its files reported Created).
  llvm::Error addTree(const std::string &dir);
  /// Watches the files of `dir` but not its subdirectories (the folder of a header that lives
  /// outside every tree). Nothing to do if a tree already covers it.
  llvm::Error addDir(const std::string &dir);

  /// Blocks until at least one change arrives or `timeout_ms` passes (-1: forever), then keeps
  /// collecting until no event arrived for `debounce_ms` (at most about one second more, so a
  /// file rewritten nonstop cannot starve the caller). Returns empty on timeout or wake().
  ///
  /// Each path is returned once, sorted. Its kind compares whether the file existed before the
  /// burst with whether it exists after it, which is "last kind wins" except that:
  ///   Deleted then Created/Modified => Modified   (delete + re-create editors)
  ///   Created then Modified         => Created
  ///   Created then Deleted          => nothing    (a temp file that came and went)
  /// A rename over an existing file is Modified; a write that never closes the file (IN_MODIFY
  /// only) is reported once the quiet period passes. A new or moved-in directory is watched and
  /// its files are Created; a moved-out directory's files are Deleted. Directories themselves are
  /// never reported. After an inotify queue overflow every file is rescanned and reported as
  /// Modified (or Deleted if it disappeared).
  /// A wake() that arrives during the quiet period ends it early and stays pending, so the next
  /// wait() returns empty at once.
  /// With `until_closed` the burst ends as soon as every file in it has been closed after
  /// writing (IN_CLOSE_WRITE, or a rename onto it): the quiet period then only waits for
  /// writers still in progress, and the caller overlaps the rest of it with its own work
  /// (see settle()).
  std::vector<FileChange> wait(int timeout_ms, unsigned debounce_ms, bool until_closed = false);

  /// The rest of a quiet period that overlaps work already started on a burst: collects the
  /// changes queued now and those arriving within `first_quiet_ms`, then keeps collecting
  /// until `debounce_ms` pass without an event (capped like wait()). Never blocks when
  /// `first_quiet_ms` is 0 and nothing is queued. Returns what arrived (often nothing).
  std::vector<FileChange> settle(unsigned first_quiet_ms, unsigned debounce_ms);

  /// What happened to the watch itself since the last call ("the watched folder was replaced;
  /// watching the new one"): for the user, not for reloading.
  std::vector<std::string> takeNotices();

  /// Makes a blocked wait() return now (thread-safe; eventfd).
  void wake();

private:
  Watcher() = default;
  struct State;
  std::unique_ptr<State> state_;
};

} // namespace hot::eng
