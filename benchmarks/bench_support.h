// Shared by the Google Benchmark files: AOT callees (aot_callees.cpp), a temp dir, and the
// JIT-compiled callees (bench_support.cpp).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "hot/engine.h"

namespace hot::bench {

/// int f(int x) { return x + 1; }, noinline, in another translation unit.
int aotInc(int x);

struct IncBase {
  virtual ~IncBase();
  virtual int inc(int x) const = 0;
};
IncBase *makeInc();

/// A fresh directory under $TMPDIR, removed on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  const std::filesystem::path &path() const { return path_; }
  std::string file(const std::string &rel) const { return (path_ / rel).string(); }

private:
  std::filesystem::path path_;
};

void writeFile(const std::string &path, const std::string &text);

/// Two JIT units compiled at -O2: bench_jit_inc (the callee) and bench_jit_loop(n), which calls
/// bench_jit_inc n times from the other unit, through its slot.
struct JitCallees {
  TempDir dir;
  std::unique_ptr<hot::HotEngine> engine;
  hot::Function<int(int)> inc, loop;
  std::string error; ///< Non-empty if the engine could not load them.
};
/// Built on first use, kept for the whole run.
JitCallees &jitCallees();

} // namespace hot::bench
