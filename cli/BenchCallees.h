// hot bench: ahead-of-time callees for the call-cost section (cli/BenchCallees.cpp).
#pragma once

namespace hot::cli::bench {

/// int f(int x) { return x + 1; }, noinline, in another translation unit.
int aotInc(int x);

struct IncBase {
  virtual ~IncBase();
  virtual int inc(int x) const = 0;
};
/// An IncBase whose inc() is aotInc's body; its dynamic type is unknown to callers.
IncBase *makeInc();

} // namespace hot::cli::bench
